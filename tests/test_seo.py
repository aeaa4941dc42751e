"""Sharing and discovery in the page head: title, description, canonical, OpenGraph, Twitter cards, JSON-LD."""

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from articles.models import Article
from articles.templatetags.newsroom_tags import json_for_script
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    BylineRoleFactory,
    PhotoFactory,
    ReporterFactory,
    SectionFactory,
    image_bytes,
)

pytestmark = pytest.mark.django_db

SITE = "今日女报 · 凤网"
HOST = "http://testserver"


class HeadParser(HTMLParser):
    """Collects <meta>, <link> and <script> elements (with the text of scripts) of a page."""

    def __init__(self):
        super().__init__()
        self.metas, self.links, self.scripts = [], [], []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            self.metas.append(attrs)
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script":
            self._script = {**attrs, "text": ""}
            self.scripts.append(self._script)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data


def parse(response):
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


def meta(parsed, key):
    """The content of every <meta property=key> or <meta name=key>."""
    return [m.get("content") for m in parsed.metas if key in (m.get("property"), m.get("name"))]


def canonicals(parsed):
    return [link["href"] for link in parsed.links if link.get("rel") == "canonical"]


def json_ld(response):
    """The page's one JSON-LD block, parsed, as {"@type": node} for the nodes of its @graph."""
    parsed = parse(response)
    blocks = [s for s in parsed.scripts if s.get("type") == "application/ld+json"]
    assert len(blocks) == 1
    data = json.loads(blocks[0]["text"])
    assert data["@context"] == "https://schema.org"
    return {node["@type"]: node for node in data["@graph"]}


@pytest.fixture
def article():
    """The DOMAIN.md report: deck, summary, lead photo and three bylines created out of order."""
    article = ArticleFactory(
        published=True,
        published_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC),  # 09:30 in Beijing
        headline="全省妇联系统改革工作现场推进会在郴州召开",
        subtitle="李华：以改革精神推动妇联工作高质量发展",
        summary="11月19日，全省妇联系统改革工作现场推进会在郴州召开。",
        section=SectionFactory(name="要闻", slug="yaowen"),
        lead_photo=PhotoFactory(alt_text="推进会会场全景"),
    )
    for role, name, slug, order in [
        ("通讯员", "周丹", "zhou-dan", 3),
        ("首席记者", "李晓萌", "li-xiaomeng", 1),
        ("见习记者", "王芳", "wang-fang", 2),
    ]:
        BylineFactory(
            article=article,
            reporter=ReporterFactory(name=name, slug=slug),
            role=BylineRoleFactory(name=role),
            order=order,
        )
    Article.objects.filter(pk=article.pk).update(updated_at=datetime(2026, 11, 20, 4, 0, tzinfo=UTC))
    article.refresh_from_db()
    return article


# --- JSON-LD ------------------------------------------------------------------------------------------------------


def test_news_article_json_ld_has_every_field(client, article):
    url = f"{HOST}{article.get_absolute_url()}"
    node = json_ld(client.get(article.get_absolute_url()))["NewsArticle"]

    assert node["headline"] == "全省妇联系统改革工作现场推进会在郴州召开"
    assert node["alternativeHeadline"] == "李华：以改革精神推动妇联工作高质量发展"
    assert node["description"] == "11月19日，全省妇联系统改革工作现场推进会在郴州召开。"
    assert node["url"] == url
    assert node["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert node["articleSection"] == "要闻"
    assert node["inLanguage"] == "zh-CN"
    assert node["image"] == {
        "@type": "ImageObject",
        "url": f"{HOST}{article.lead_photo.image.url}",
        "width": 8,
        "height": 6,
        "description": "推进会会场全景",
    }


def test_json_ld_dates_are_beijing_time_with_offset(client, article):
    node = json_ld(client.get(article.get_absolute_url()))["NewsArticle"]

    assert node["datePublished"] == "2026-11-20T09:30:00+08:00"
    assert node["dateModified"] == "2026-11-20T12:00:00+08:00"


def test_date_modified_is_never_before_date_published(client, article):
    """A story edited before its scheduled time went live: modified is its publishing time, not earlier."""
    Article.objects.filter(pk=article.pk).update(updated_at=article.published_at - timedelta(days=1))
    node = json_ld(client.get(article.get_absolute_url()))["NewsArticle"]

    assert node["dateModified"] == node["datePublished"] == "2026-11-20T09:30:00+08:00"


def test_json_ld_authors_are_every_bylined_person_in_byline_order_with_their_role(client, article):
    node = json_ld(client.get(article.get_absolute_url()))["NewsArticle"]

    assert node["author"] == [
        {"@type": "Person", "name": "李晓萌", "jobTitle": "首席记者", "url": f"{HOST}/reporters/li-xiaomeng/"},
        {"@type": "Person", "name": "王芳", "jobTitle": "见习记者", "url": f"{HOST}/reporters/wang-fang/"},
        {"@type": "Person", "name": "周丹", "jobTitle": "通讯员", "url": f"{HOST}/reporters/zhou-dan/"},
    ]


def test_json_ld_job_title_is_a_post_never_a_contribution(client):
    """The same chief reporter compiles the companion roundup: 整理 is what she did there, not her job title."""
    reporter = ReporterFactory(name="李晓萌", title="首席记者")
    roundup = ArticleFactory(published=True)
    BylineFactory(article=roundup, reporter=reporter, role=BylineRoleFactory(name="整理"))
    BylineFactory(article=roundup, role=BylineRoleFactory(name="摄影"), reporter=ReporterFactory(name="罗文静"))

    node = json_ld(client.get(roundup.get_absolute_url()))["NewsArticle"]

    assert [(a["name"], a.get("jobTitle")) for a in node["author"]] == [("李晓萌", None), ("罗文静", None)]


def test_json_ld_publisher_is_the_paper_with_its_logo(client, article):
    publisher = json_ld(client.get(article.get_absolute_url()))["NewsArticle"]["publisher"]

    assert publisher["@type"] == "NewsMediaOrganization"
    assert publisher["name"] == SITE
    assert publisher["url"] == f"{HOST}/"
    assert publisher["logo"]["@type"] == "ImageObject"
    assert publisher["logo"]["url"] == f"{HOST}/static/img/logo.png"
    assert publisher["logo"]["width"] >= 112 and publisher["logo"]["height"] >= 112


def test_publisher_logo_is_a_real_png_of_the_declared_size():
    from django.contrib.staticfiles import finders
    from PIL import Image

    from articles.templatetags.newsroom_tags import LOGO_PATH, LOGO_SIZE

    with Image.open(finders.find(LOGO_PATH)) as logo:
        assert logo.format == "PNG"
        assert logo.size == (LOGO_SIZE, LOGO_SIZE)


def test_json_ld_breadcrumbs_lead_from_home_through_the_section_to_the_article(client, article):
    breadcrumbs = json_ld(client.get(article.get_absolute_url()))["BreadcrumbList"]

    assert breadcrumbs["itemListElement"] == [
        {"@type": "ListItem", "position": 1, "name": SITE, "item": f"{HOST}/"},
        {"@type": "ListItem", "position": 2, "name": "要闻", "item": f"{HOST}/sections/yaowen/"},
        {"@type": "ListItem", "position": 3, "name": article.headline, "item": f"{HOST}{article.get_absolute_url()}"},
    ]


def test_json_ld_leaves_out_what_the_article_does_not_have(client):
    article = ArticleFactory(published=True)
    node = json_ld(client.get(article.get_absolute_url()))["NewsArticle"]

    assert "alternativeHeadline" not in node and "description" not in node and "image" not in node
    assert node["author"] == []


def test_a_headline_cannot_close_the_json_ld_script(client):
    headline = "</script><script>alert(1)</script><!-- & 妇联"
    article = ArticleFactory(published=True, headline=headline, subtitle="</SCRIPT >", summary="a > b && c < d")
    html = client.get(article.get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json" nonce="[^"]+">(.*?)</script>', html, re.S).group(1)

    assert "<" not in block and ">" not in block and "&" not in block
    assert "\\u003c/script\\u003e" in block
    node = {n["@type"]: n for n in json.loads(block)["@graph"]}["NewsArticle"]
    assert node["headline"] == headline
    assert node["alternativeHeadline"] == "</SCRIPT >"
    assert node["description"] == "a > b && c < d"
    assert "<script>alert(1)" not in html  # escaped everywhere else on the page too


def test_json_for_script_escapes_only_what_could_end_the_element():
    assert json_for_script({"a": "<b>&c 妇联"}) == '{"a":"\\u003cb\\u003e\\u0026c 妇联"}'


def test_json_ld_tag_runs_no_query_of_its_own(article, django_assert_num_queries):
    """The tag reads the bylines, section and photo that for_detail() loaded (ARTICLE_PAGE_QUERIES stays put)."""
    loaded = Article.objects.for_detail().get(pk=article.pk)
    request = RequestFactory().get(article.get_absolute_url())

    with django_assert_num_queries(0):
        html = Template("{% load newsroom_tags %}{% article_json_ld article request %}").render(
            Context({"article": loaded, "request": request})
        )
    assert html.startswith('<script type="application/ld+json">{') and html.endswith("}</script>")


# --- OpenGraph and Twitter ------------------------------------------------------------------------------------


def test_article_page_has_opengraph_tags_with_absolute_urls(client, article):
    parsed = parse(client.get(article.get_absolute_url()))
    image = f"{HOST}{article.lead_photo.image.url}"

    assert meta(parsed, "og:type") == ["article"]
    assert meta(parsed, "og:title") == [article.headline]
    assert meta(parsed, "og:description") == [article.summary]
    assert meta(parsed, "og:url") == [f"{HOST}{article.get_absolute_url()}"]
    assert meta(parsed, "og:site_name") == [SITE]
    assert meta(parsed, "og:image") == [image]
    assert meta(parsed, "og:image:width") == ["8"]
    assert meta(parsed, "og:image:height") == ["6"]
    assert meta(parsed, "og:image:alt") == ["推进会会场全景"]
    assert meta(parsed, "article:published_time") == ["2026-11-20T09:30:00+08:00"]
    assert meta(parsed, "article:modified_time") == ["2026-11-20T12:00:00+08:00"]
    assert meta(parsed, "article:section") == ["要闻"]


def test_article_page_has_a_large_twitter_card_with_the_lead_photo(client, article):
    parsed = parse(client.get(article.get_absolute_url()))

    assert meta(parsed, "twitter:card") == ["summary_large_image"]
    assert meta(parsed, "twitter:title") == [article.headline]
    assert meta(parsed, "twitter:description") == [article.summary]
    assert meta(parsed, "twitter:image") == [f"{HOST}{article.lead_photo.image.url}"]
    assert meta(parsed, "twitter:image:alt") == ["推进会会场全景"]


def test_article_without_photo_or_summary_shares_a_small_card_with_the_headline(client):
    article = ArticleFactory(published=True, headline="妇联工作简讯")
    parsed = parse(client.get(article.get_absolute_url()))

    assert meta(parsed, "twitter:card") == ["summary"]
    assert meta(parsed, "og:image") == [] and meta(parsed, "twitter:image") == []
    assert meta(parsed, "og:description") == ["妇联工作简讯"]


def camera_photo(**fields):
    return PhotoFactory(
        image=ContentFile(image_bytes("JPEG", size=(2400, 1600)), name="a.jpg"), renditions=True, **fields
    )


def test_a_shared_article_shows_its_photo_1200_pixels_wide_not_the_camera_original(client):
    """og:image and the JSON-LD gave the uploaded original (a 6000 × 4000 photo of 4.8 MB): X refuses a card image
    over 5 MB, Facebook over 8 MB, and a phone on a slow line downloads all of it."""
    article = ArticleFactory(published=True, lead_photo=camera_photo(alt_text="会场全景"))
    response = client.get(article.get_absolute_url())
    parsed = parse(response)

    [image] = meta(parsed, "og:image")
    assert re.fullmatch(rf"{HOST}/media/renditions/.+/full-1200\.jpg", image)
    assert meta(parsed, "og:image:width") == ["1200"] and meta(parsed, "og:image:height") == ["800"]
    assert meta(parsed, "twitter:image") == [image]
    node = json_ld(response)["NewsArticle"]["image"]
    assert (node["url"], node["width"], node["height"]) == (image, 1200, 800)


def test_a_portrait_photo_is_shared_as_its_landscape_crop_around_its_focal_point(client):
    """WeChat, Weibo, X and Facebook show a shared link's picture in a wide frame and cut a tall photo around its
    middle (a face at the top lost its head): a portrait photo is shared as the 3:2 crop the site makes for cards,
    around the focal point the editor set."""
    portrait = PhotoFactory(
        image=ContentFile(image_bytes("JPEG", size=(1600, 2400)), name="p.jpg"), renditions=True, alt_text="发言人"
    )
    article = ArticleFactory(published=True, lead_photo=portrait)
    response = client.get(article.get_absolute_url())
    parsed = parse(response)

    [image] = meta(parsed, "og:image")
    assert re.fullmatch(rf"{HOST}/media/renditions/.+/card-1200\.jpg", image)
    assert meta(parsed, "og:image:width") == ["1200"] and meta(parsed, "og:image:height") == ["800"]
    node = json_ld(response)["NewsArticle"]["image"]
    assert (node["url"], node["width"], node["height"]) == (image, 1200, 800)


def test_a_story_without_a_lead_photo_shares_its_first_captioned_photo(client):
    """A roundup whose photos are all captioned ones had no og:image, a small card and no image in its JSON-LD."""
    article = ArticleFactory(published=True)
    ArticlePhotoFactory(article=article, order=2, photo=PhotoFactory(alt_text="第二张"))
    ArticlePhotoFactory(article=article, order=1, photo=camera_photo(alt_text="交流会现场"))
    response = client.get(article.get_absolute_url())
    parsed = parse(response)

    assert meta(parsed, "og:image:alt") == ["交流会现场"]
    assert meta(parsed, "twitter:card") == ["summary_large_image"]
    assert json_ld(response)["NewsArticle"]["image"]["url"] == meta(parsed, "og:image")[0]


def test_a_roundup_with_photos_only_in_its_entries_shares_the_first_one_the_page_shows(client):
    """A roundup whose only photos sat in its experience entries shared a link with no picture (no og:image, a small
    card) and had no image in its JSON-LD, though its page shows several. The page shows the oral entries first."""
    from tests.factories import ExperienceEntryFactory

    article = ArticleFactory(published=True)
    ExperienceEntryFactory(article=article, written=True, order=1, photo=PhotoFactory(alt_text="书面交流材料"))
    ExperienceEntryFactory(article=article, oral=True, order=2, photo=camera_photo(alt_text="大会交流发言现场"))
    ExperienceEntryFactory(article=article, oral=True, order=1)  # no photo
    response = client.get(article.get_absolute_url())
    parsed = parse(response)

    assert meta(parsed, "og:image:alt") == ["大会交流发言现场"]
    assert re.fullmatch(rf"{HOST}/media/renditions/.+/full-1200\.jpg", meta(parsed, "og:image")[0])
    assert meta(parsed, "twitter:card") == ["summary_large_image"]
    assert json_ld(response)["NewsArticle"]["image"]["url"] == meta(parsed, "og:image")[0]


def test_unpublished_preview_without_a_time_still_renders_its_head(client, editor_user):
    article = ArticleFactory(headline="尚未发布的稿件")
    client.force_login(editor_user)
    response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    assert "datePublished" not in json_ld(response)["NewsArticle"]
    assert meta(parse(response), "article:published_time") == []


# --- Title, description, canonical --------------------------------------------------------------------------


def test_article_title_and_meta_description(client, article):
    response = client.get(article.get_absolute_url())
    html = response.content.decode()

    assert f"<title>{article.headline} - {SITE}</title>" in html
    assert meta(parse(response), "description") == [article.summary]


def test_article_page_has_exactly_one_canonical_its_permanent_url(client, article):
    parsed = parse(client.get(article.get_absolute_url() + "?utm_source=wechat&page=2"))

    assert canonicals(parsed) == [f"{HOST}{article.get_absolute_url()}"]


@pytest.mark.parametrize("kind", ["section", "topic", "reporter"])
def test_list_pages_have_exactly_one_canonical_without_tracking_parameters(client, kind):
    from tests.factories import TopicFactory

    obj = {"section": SectionFactory, "topic": TopicFactory, "reporter": ReporterFactory}[kind]()
    article = ArticleFactory(published=True, section=obj if kind == "section" else SectionFactory())
    if kind == "topic":
        article.topics.add(obj)
    if kind == "reporter":
        BylineFactory(article=article, reporter=obj)
    parsed = parse(client.get(obj.get_absolute_url() + "?utm_source=weibo"))

    assert canonicals(parsed) == [f"{HOST}{obj.get_absolute_url()}"]
    assert meta(parsed, "og:url") == [f"{HOST}{obj.get_absolute_url()}"]


def test_a_search_page_keeps_its_words_filters_and_page_in_its_canonical(client):
    """Shared (WeChat takes og:url), a search page must lead back to the same results: "/search/?page=2" alone
    is a page 2 of nothing (404)."""
    section = SectionFactory(slug="yaowen")
    from articles import services

    for article in ArticleFactory.create_batch(21, published=True, section=section, headline="妇联工作会议召开"):
        services.reindex_article(article)
    search = reverse("articles:search")

    first = parse(client.get(search + "?utm_source=wechat&q=妇联&section=yaowen"))
    second = parse(client.get(search + "?section=yaowen&q=妇联&page=2"))

    words = "q=%E5%A6%87%E8%81%94&section=yaowen"
    assert canonicals(first) == [f"{HOST}{search}?{words}"] and meta(first, "og:url") == [f"{HOST}{search}?{words}"]
    assert canonicals(second) == [f"{HOST}{search}?{words}&page=2"]
    assert client.get(canonicals(second)[0].removeprefix(HOST)).status_code == 200


def test_home_page_has_exactly_one_canonical(client):
    ArticleFactory(published=True)
    parsed = parse(client.get(reverse("articles:home") + "?from=timeline"))

    assert canonicals(parsed) == [f"{HOST}/"]


def test_later_pages_of_a_list_keep_their_page_number_in_the_canonical(client):
    section = SectionFactory()
    ArticleFactory.create_batch(21, published=True, section=section)
    url = section.get_absolute_url()

    assert canonicals(parse(client.get(url + "?page=2&utm_source=x"))) == [f"{HOST}{url}?page=2"]
    assert canonicals(parse(client.get(url + "?page=1"))) == [f"{HOST}{url}"]


def render_base(request, **context):
    template = Template('{% extends "base.html" %}{% block content %}正文{% endblock %}')
    return template.render(Context({"request": request, "site_name": SITE, **context}))


@pytest.mark.parametrize("query", ["", "?page=3&utm_source=x", "?page=1", "?page=abc"])
def test_a_page_without_a_paginator_is_its_path_whatever_page_is_asked(query):
    html = render_base(RequestFactory().get("/news/" + query))

    assert re.findall(r'<link rel="canonical" href="([^"]+)">', html) == [f"{HOST}/news/"]


@pytest.mark.parametrize("url", ["/?page=2", "/?page=999999", "/feeds/?page=3", "/print/2026-11-20/?page=2"])
def test_a_page_number_on_a_page_without_pages_makes_no_second_copy(client, url):
    """The home page, the feeds page and a print issue are one page each: /?page=2 is the home page itself, and
    search engines are told so rather than indexing a copy per number."""
    ArticleFactory(published=True, print_issue_on=datetime(2026, 11, 20).date())
    path = url.split("?")[0]

    parsed = parse(client.get(url))

    assert canonicals(parsed) == [f"{HOST}{path}"]
    assert meta(parsed, "og:url") == [f"{HOST}{path}"]


def test_the_previous_page_link_of_page_two_is_the_lists_own_address(client):
    section = SectionFactory()
    ArticleFactory.create_batch(41, published=True, section=section)
    url = section.get_absolute_url()

    second = client.get(url + "?page=2&utm_source=x").content.decode()
    third = client.get(url + "?page=3").content.decode()

    assert re.findall(r'<a rel="prev" href="([^"]+)"', second) == [f"{url}?utm_source=x"]
    assert re.findall(r'<a rel="next" href="([^"]+)"', second) == [f"{url}?page=3&amp;utm_source=x"]
    assert re.findall(r'<a rel="prev" href="([^"]+)"', third) == [f"{url}?page=2"]


def test_default_canonical_prefers_the_paginators_page_number():
    class Page:
        number = 4

    html = render_base(RequestFactory().get("/news/?page=last"), page_obj=Page())

    assert re.findall(r'<link rel="canonical" href="([^"]+)">', html) == [f"{HOST}/news/?page=4"]


def test_not_found_page_has_no_canonical_and_is_not_indexed(client):
    parsed = parse(client.get("/no-such-page/"))

    assert canonicals(parsed) == []
    assert meta(parsed, "robots") == ["noindex"]


def test_every_page_has_a_title_with_the_site_name_and_a_description(client):
    section = SectionFactory(name="基层动态")
    ArticleFactory(published=True, section=section)
    parsed = parse(client.get(section.get_absolute_url()))
    html = client.get(section.get_absolute_url()).content.decode()

    assert f"<title>基层动态 - {SITE}</title>" in html
    assert meta(parsed, "description") and all(meta(parsed, "description"))


# --- Feed autodiscovery ------------------------------------------------------------------------------------------


def test_latest_articles_feed_is_announced_in_the_head(client):
    try:
        feed_url = reverse("feeds:latest_rss")
    except NoReverseMatch:
        pytest.skip("the latest-articles feed (feeds:latest_rss) is not there yet")
    parsed = parse(client.get("/no-such-page/"))
    feeds = [link for link in parsed.links if link.get("rel") == "alternate"]

    assert any(link["type"] == "application/rss+xml" and link["href"] == feed_url for link in feeds)


def test_iso8601_filter_converts_to_beijing_time():
    from articles.templatetags.newsroom_tags import iso8601

    assert iso8601(datetime(2026, 11, 19, 16, 5, 7, 123456, tzinfo=UTC)) == "2026-11-20T00:05:07+08:00"
    assert iso8601(None) == ""
    assert iso8601(timezone.now()).endswith("+08:00")


@pytest.mark.django_db
def test_list_pages_are_told_apart_by_their_titles_and_descriptions(client, settings):
    """/news/ had the home page's title; page 2 had page 1's; a section's own description was not used."""
    section = SectionFactory(name="要闻", description="全省妇联工作的重要消息。")
    ArticleFactory.create_batch(21, published=True, section=section)

    def head(url):
        html = client.get(url).content.decode()
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        description = re.search(r'<meta name="description" content="([^"]*)"', html).group(1)
        return title, description

    assert head(reverse("articles:article_list"))[0] == f"最新报道 - {settings.NEWSROOM_SITE_NAME}"
    assert head(reverse("articles:article_list") + "?page=2")[0] == f"最新报道（第2页） - {settings.NEWSROOM_SITE_NAME}"
    assert head(section.get_absolute_url()) == (f"要闻 - {settings.NEWSROOM_SITE_NAME}", "全省妇联工作的重要消息。")


@pytest.mark.django_db
def test_a_later_page_of_a_list_says_its_number_in_its_heading_too(client):
    """Only the <title> said 第2页: a screen reader's list of headings gave page 2 the name of page 1."""
    section = SectionFactory(name="要闻", slug="yaowen")
    ArticleFactory.create_batch(21, published=True, section=section)

    def heading(url):
        return re.search(r'<h1 class="page-title">(.*?)</h1>', client.get(url).content.decode()).group(1)

    assert heading(section.get_absolute_url()) == "要闻"
    assert heading(section.get_absolute_url() + "?page=2") == "要闻（第2页）"
    assert heading(reverse("articles:article_list") + "?page=2") == "最新报道（第2页）"


def test_list_pages_share_their_own_title_and_description(client):
    """A section, a reporter or the home page shared on WeChat or Weibo shows its own name and description, not the
    bare site name."""
    section = SectionFactory(name="要闻", description="本地要闻与政务动态")
    reporter = ReporterFactory(name="刘敏", bio="本报记者，关注妇女儿童工作")
    article = ArticleFactory(published=True, section=section, print_issue_on=datetime(2026, 11, 20).date())
    BylineFactory(article=article, reporter=reporter)

    for url, title, description in [
        (section.get_absolute_url(), "要闻", "本地要闻与政务动态"),
        (reporter.get_absolute_url(), "刘敏", "本报记者，关注妇女儿童工作"),
        ("/print/2026-11-20/", "2026年11月20日数字报", None),
        ("/", None, None),
    ]:
        response = client.get(url)
        parsed = parse(response)
        [page_title] = re.findall(r"<title>(.*?)</title>", response.content.decode())
        [page_description] = meta(parsed, "description")

        assert page_title == (f"{title} - {SITE}" if title else SITE), url
        assert meta(parsed, "og:title") == [title or SITE], url
        assert meta(parsed, "og:description") == [page_description], url
        if description:
            assert page_description == description, url


def test_every_kind_of_list_page_has_twitter_tags_and_shares_the_papers_logo(client):
    """The README promises OpenGraph and Twitter tags on every page, but only the article page had Twitter tags, and
    the home page, a section or a topic shared on WeChat or Weibo came with no picture at all (no og:image)."""
    from tests.factories import ExperienceEntryFactory, TopicFactory

    section = SectionFactory(name="要闻")
    reporter = ReporterFactory(name="刘敏")
    topic = TopicFactory(title="反家暴宣传周")
    article = ArticleFactory(published=True, section=section, print_issue_on=datetime(2026, 11, 20).date())
    article.topics.add(topic)
    BylineFactory(article=article, reporter=reporter)
    entry = ExperienceEntryFactory(article=article)
    urls = ["/", "/news/", "/topics/", "/experience/", "/feeds/", "/archive/", "/print/2026-11-20/", "/search/?q=妇联"]
    urls += [obj.get_absolute_url() for obj in (section, reporter, topic, entry.organization)]

    for url in urls:
        parsed = parse(client.get(url))
        assert meta(parsed, "twitter:card") == ["summary"], url
        assert meta(parsed, "twitter:title") == meta(parsed, "og:title"), url
        assert meta(parsed, "twitter:description") == meta(parsed, "og:description"), url
        [image] = meta(parsed, "og:image")
        assert re.fullmatch(rf"{HOST}/static/img/logo(\.[0-9a-f]+)?\.png", image), url
        assert meta(parsed, "og:image:width") == ["512"] and meta(parsed, "og:image:height") == ["512"], url
        assert meta(parsed, "twitter:image") == [image], url


def test_a_section_with_nothing_published_asks_not_to_be_indexed(client):
    """A new section (in the menu before its first story) answered 200 with 暂无已发布的内容 and nothing else: a
    search engine's soft 404. Its first published story makes it a page to index."""
    section = SectionFactory()
    ArticleFactory(scheduled=True, section=section)

    assert meta(parse(client.get(section.get_absolute_url())), "robots") == ["noindex, follow"]

    ArticleFactory(published=True, section=section)
    assert meta(parse(client.get(section.get_absolute_url())), "robots") == []


def test_each_kind_of_list_page_describes_itself(client):
    """Organisation, print, archive, feeds and the other list pages all gave search results the site's one
    generic sentence."""
    from tests.factories import ExperienceEntryFactory, OrganizationFactory

    article = ArticleFactory(published=True, print_issue_on=datetime(2026, 11, 20).date())
    entry = ExperienceEntryFactory(article=article, organization=OrganizationFactory(name="郴州市妇联"))
    urls = ["/news/", "/topics/", "/experience/", "/feeds/", "/archive/", "/print/2026-11-20/"]
    urls.append(entry.organization.get_absolute_url())
    [generic] = meta(parse(client.get("/")), "description")

    described = {url: meta(parse(client.get(url)), "description") for url in urls}

    assert all(len(texts) == 1 and texts[0] != generic for texts in described.values()), described
    assert len({texts[0] for texts in described.values()}) == len(urls)
    assert "郴州市妇联" in described[entry.organization.get_absolute_url()][0]
    assert described["/print/2026-11-20/"] == [f"{SITE}2026年11月20日数字报：各版面及其稿件。"]


def test_descriptions_shared_are_one_line_whatever_the_text_typed(client):
    """A reporter's biography, a section's description or an article's summary typed over several lines is shared
    as one line: the line breaks and runs of spaces in a description are one space (shown as they were typed, in a
    link preview they are a gap or a stray character)."""
    reporter = ReporterFactory(bio="省妇联首席记者。\n\n长期关注基层妇联改革，\r\n  著有多篇调查报道。")
    article = ArticleFactory(published=True, headline="一条消息", summary="第一句。\n第二句，\t接着写。")
    BylineFactory(article=article, reporter=reporter)

    for url, text in (
        (reporter.get_absolute_url(), "省妇联首席记者。 长期关注基层妇联改革， 著有多篇调查报道。"),
        (article.get_absolute_url(), "第一句。 第二句， 接着写。"),
    ):
        parsed = parse(client.get(url))
        assert meta(parsed, "description") == [text], url
        assert meta(parsed, "og:description") == [text], url
        assert meta(parsed, "twitter:description") == [text], url
