"""Public pages: what readers see, in what order, what they never see, and how many queries it costs."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    BylineRoleFactory,
    ExperienceEntryFactory,
    OrganizationFactory,
    PhotoFactory,
    ReporterFactory,
    SectionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

UNPUBLISHED = {"draft": {}, "in review": {"in_review": True}, "scheduled": {"scheduled": True}}

# Queries per page, whatever the number of rows: the section menu, then the page's own.
HOME_PAGE_QUERIES = 4  # menu, count for the paginator, articles (section, lead photo joined), bylines
ARTICLE_PAGE_QUERIES = 6  # menu, article (section, lead photo joined), bylines, photos, entries, topics


def text_of(html):
    """The text a reader sees in an HTML fragment, with runs of white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def main_of(response):
    """The page's main content, without <title>, meta tags and the menu."""
    html = response.content.decode()
    return html[html.index('<main id="main"') :]


def assert_in_order(html, parts):
    positions = []
    for part in parts:
        assert part in html, f"{part!r} is missing"
        positions.append(html.index(part))
    assert positions == sorted(positions), [p for _pos, p in sorted(zip(positions, parts, strict=True))]


@pytest.fixture
def full_article():
    """The front-page report of DOMAIN.md with a companion roundup's entries, every part filled in."""
    article = ArticleFactory(
        published=True,
        kicker="深化妇联改革 建强基层组织",
        headline="全省妇联系统改革工作现场推进会在郴州召开",
        subtitle="李华：以改革精神推动妇联工作高质量发展",
        summary="11月19日，全省妇联系统改革工作现场推进会在郴州召开。",
        dateline_place="郴州",
        dateline_on=date(2026, 11, 19),
        pull_quote="让妇联组织从“有形覆盖”走向“有效覆盖”。",
        body="<p>会议指出，全省新建妇女组织一千二百余个。</p><h2>建强阵地</h2><p>正文第二段。</p>",
        print_issue_on=date(2026, 11, 20),
        print_page_number="A03",
        print_page_name="要闻",
    )
    roles_and_people = [("通讯员", "周丹", 3), ("首席记者", "李晓萌", 1), ("见习记者", "王芳", 2)]
    for role, name, order in roles_and_people:  # created out of order on purpose
        BylineFactory(
            article=article, reporter=ReporterFactory(name=name), role=BylineRoleFactory(name=role), order=order
        )
    ArticlePhotoFactory(article=article, order=2, caption="与会人员参观基层妇联阵地。", photo__alt_text="参观")
    ArticlePhotoFactory(article=article, order=1, caption="推进会现场。", photo__alt_text="会场")
    written = OrganizationFactory(name="桂阳县妇联")
    ExperienceEntryFactory(
        article=article,
        written=True,
        order=1,
        organization=written,
        title="书面交流经验",
        highlight="书面金句。",
        body="<p>书面正文。</p>",
    )
    ExperienceEntryFactory(
        article=article,
        oral=True,
        order=2,
        organization=OrganizationFactory(name="永州市妇联"),
        title="口头第二",
        highlight="口头第二金句。",
        body="<p>口头第二正文。</p>",
    )
    ExperienceEntryFactory(
        article=article,
        oral=True,
        order=1,
        organization=OrganizationFactory(name="长沙市妇联"),
        title="让妇联组织活起来",
        highlight="口头第一金句。",
        body="<p>口头第一正文。</p>",
        photo=PhotoFactory(alt_text="长沙经验"),
        caption="长沙市妇联的“妇女之家”。",
    )
    return article


# --- The article page -----------------------------------------------------------------------------


def test_article_page_shows_every_part_in_the_right_order(client, full_article):
    response = client.get(full_article.get_absolute_url())

    assert response.status_code == 200
    html = main_of(response)
    assert_in_order(
        html,
        [
            "深化妇联改革 建强基层组织",
            "全省妇联系统改革工作现场推进会在郴州召开",
            "李华：以改革精神推动妇联工作高质量发展",
            'class="byline"',
            "郴州 <time",
            "让妇联组织从“有形覆盖”走向“有效覆盖”。",
            "<p>会议指出，全省新建妇女组织一千二百余个。</p><h2>建强阵地</h2>",
            "推进会现场。",
            "与会人员参观基层妇联阵地。",
            "长沙市妇联",
            "让妇联组织活起来",
            "口头第一金句。",
            "口头第一正文。",
            "长沙市妇联的“妇女之家”。",
            "永州市妇联",
            "口头第二",
            "桂阳县妇联",
            "书面交流经验",
            "书面金句。",
            "书面正文。",
        ],
    )


def test_article_page_prints_source_and_bylines_like_the_paper(client, full_article):
    html = main_of(client.get(full_article.get_absolute_url()))

    byline = re.search(r'<p class="byline">.*?</p>', html, re.S).group(0)
    assert text_of(byline) == "今日女报 / 凤网首席记者 李晓萌 见习记者 王芳 通讯员 周丹"
    assert 'href="/reporters/' in byline


def test_article_page_shows_dateline_print_reference_and_captioned_photos(client, full_article):
    html = main_of(client.get(full_article.get_absolute_url()))

    assert "2026年11月19日" in text_of(re.search(r'<p class="dateline">.*?</p>', html, re.S).group(0))
    assert "2026年11月20日 A03版 要闻" in html
    figures = re.findall(r'<figure class="photo">.*?</figure>', html, re.S)
    assert len(figures) == 3
    assert 'alt="会场"' in figures[0] and "推进会现场。" in figures[0]
    assert 'alt="参观"' in figures[1] and "与会人员参观基层妇联阵地。" in figures[1]
    assert 'alt="长沙经验"' in figures[2] and "长沙市妇联的“妇女之家”。" in figures[2]
    assert all(re.search(r'src="/media/photos/\d{4}/\d{2}/[0-9a-f]{32}\.jpg"', figure) for figure in figures)


def test_experience_entries_read_organization_colon_title(client, full_article):
    html = main_of(client.get(full_article.get_absolute_url()))

    titles = [text_of(t) for t in re.findall(r'<h3 class="entry-title">.*?</h3>', html, re.S)]
    assert titles == ["长沙市妇联：让妇联组织活起来", "永州市妇联：口头第二", "桂阳县妇联：书面交流经验"]
    assert 'href="/organizations/' in html


def test_article_page_without_optional_parts_shows_no_empty_elements(client):
    article = ArticleFactory(published=True, headline="简讯", source="")
    html = main_of(client.get(article.get_absolute_url()))

    assert "简讯" in html
    for absent in [
        'class="kicker"',
        'class="subtitle"',
        'class="dateline"',
        "pull-quote",
        "<figure",
        'class="entries"',
    ]:
        assert absent not in html


def test_lead_photo_is_shown_on_the_article_page_and_the_card(client):
    article = ArticleFactory(published=True, lead_photo=PhotoFactory(alt_text="头图"))
    assert 'alt="头图"' in main_of(client.get(article.get_absolute_url()))
    assert 'alt="头图"' in main_of(client.get(reverse("articles:home")))


def test_lead_photo_carries_its_own_caption_on_the_article_page(client):
    article = ArticleFactory(
        published=True, lead_photo=PhotoFactory(alt_text="会场"), lead_photo_caption="推进会现场。"
    )
    html = main_of(client.get(article.get_absolute_url()))

    figure = re.search(r"<figure.*?</figure>", html, re.S).group(0)
    assert 'alt="会场"' in figure and "推进会现场。" in figure


def test_entry_heading_uses_the_organisations_short_name_when_it_has_one(client):
    article = ArticleFactory(published=True)
    organization = OrganizationFactory(name="桐溪市妇女联合会", short_name="桐溪市妇联")
    ExperienceEntryFactory(article=article, organization=organization, title="把阵地建到家门口")
    html = main_of(client.get(article.get_absolute_url()))

    assert "桐溪市妇联：把阵地建到家门口" in text_of(html)
    assert "桐溪市妇女联合会：" not in text_of(html)


def test_free_text_credit_is_not_labelled_as_a_photographer(client):
    article = ArticleFactory(published=True)
    ArticlePhotoFactory(article=article, photo=PhotoFactory(credit_text="受访者供图"), caption="家庭合影。")
    ArticlePhotoFactory(
        article=article, photo=PhotoFactory(credit_reporter=ReporterFactory(name="赵摄")), caption="现场。"
    )
    text = text_of(main_of(client.get(article.get_absolute_url())))

    assert "受访者供图" in text and "摄影：受访者供图" not in text
    assert "摄影：赵摄" in text


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_unpublished_article_is_404_for_anonymous_readers(client, state):
    article = ArticleFactory(headline="未发布的稿件", **state)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 404
    assert "未发布的稿件" not in response.content.decode()


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
def test_unpublished_article_is_404_for_a_reporter_who_may_not_edit_it(
    client, reporter_user, other_reporter_user, state
):
    article = ArticleFactory(headline="别人的稿件", created_by=other_reporter_user, **state)
    client.force_login(reporter_user)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 404
    assert "别人的稿件" not in response.content.decode()


@pytest.mark.parametrize("state", UNPUBLISHED.values(), ids=UNPUBLISHED.keys())
@pytest.mark.parametrize("who", ["creator", "bylined reporter", "editor"])
def test_unpublished_article_opens_as_an_uncached_preview_for_who_may_edit_it(
    client, reporter_user, other_reporter_user, editor_user, state, who
):
    article = ArticleFactory(headline="待审稿件", created_by=reporter_user, **state)
    BylineFactory(article=article, reporter=other_reporter_user.reporter)
    user = {"creator": reporter_user, "bylined reporter": other_reporter_user, "editor": editor_user}[who]
    client.force_login(user)

    response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    assert "待审稿件" in main_of(response)
    assert 'class="preview-banner"' in main_of(response)
    cache_control = response["Cache-Control"]
    assert "no-cache" in cache_control and "no-store" in cache_control and "private" in cache_control


def test_published_article_has_no_preview_banner_even_for_its_editor(client, editor_user):
    article = ArticleFactory(published=True)
    client.force_login(editor_user)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "preview-banner" not in response.content.decode()
    assert "no-store" not in response.get("Cache-Control", "")


def test_unknown_article_is_404(client):
    assert client.get(reverse("articles:article_detail", kwargs={"pk": 999999})).status_code == 404


def test_404_page_is_the_sites_chinese_page(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="zh-hans">' in html
    assert "今日女报 · 凤网" in html  # the site's name, from settings
    assert 'href="/"' in html


def test_the_site_speaks_chinese_whatever_the_browser_asks_for(client):
    article = ArticleFactory(published=True, print_issue_on=date(2026, 11, 20), print_page_number="A03")
    ArticlePhotoFactory(article=article, photo=PhotoFactory(credit_reporter=ReporterFactory(name="赵摄")))
    response = client.get(article.get_absolute_url(), headers={"accept-language": "en-US,en;q=0.9"})
    html = response.content.decode()

    assert '<html lang="zh-hans">' in html
    assert "摄影：赵摄" in text_of(html)
    assert "In print" not in html and "Photo:" not in html


# --- Lists ------------------------------------------------------------------------------------------


def headlines_in(response):
    return [text_of(h) for h in re.findall(r'<h2 class="card-headline">.*?</h2>', response.content.decode(), re.S)]


def make_one_in_each_state(**kwargs):
    ArticleFactory(headline="草稿", **kwargs)
    ArticleFactory(headline="待审", in_review=True, **kwargs)
    ArticleFactory(headline="定时", scheduled=True, **kwargs)
    now = timezone.now()
    ArticleFactory(headline="旧闻", published=True, published_at=now - timedelta(days=2), **kwargs)
    ArticleFactory(headline="刚发布", status="published", published_at=now - timedelta(seconds=1), **kwargs)


def test_home_lists_published_articles_only_newest_first(client):
    make_one_in_each_state()
    response = client.get(reverse("articles:home"))
    assert response.status_code == 200
    assert headlines_in(response) == ["刚发布", "旧闻"]


def test_home_card_shows_summary_section_and_bylines(client):
    article = ArticleFactory(published=True, summary="导语文字。", section=SectionFactory(name="要闻"))
    BylineFactory(article=article, reporter=ReporterFactory(name="李晓萌"), role=BylineRoleFactory(name="首席记者"))
    card = re.search(r'<article class="card">.*?</article>', client.get("/").content.decode(), re.S).group(0)
    assert "导语文字。" in card
    assert "要闻" in card
    assert "首席记者 李晓萌" in text_of(card)


def test_home_with_nothing_published_lists_no_cards(client):
    ArticleFactory(headline="草稿")
    response = client.get("/")
    assert response.status_code == 200
    assert headlines_in(response) == []


def test_home_is_paginated(client):
    ArticleFactory.create_batch(21, published=True)
    first, second = client.get("/"), client.get("/?page=2")
    assert len(headlines_in(first)) == 20
    assert len(headlines_in(second)) == 1
    assert 'rel="next"' in first.content.decode()


def test_section_page_lists_only_its_published_articles(client):
    section = SectionFactory(name="要闻", slug="yaowen")
    make_one_in_each_state(section=section)
    ArticleFactory(headline="别的栏目", published=True)
    response = client.get(section.get_absolute_url())
    assert response.status_code == 200
    assert headlines_in(response) == ["刚发布", "旧闻"]


def test_topic_page_lists_only_its_published_articles(client):
    topic = TopicFactory(title="妇联改革现场会")
    for headline, state in [("草稿", {}), ("待审", {"in_review": True}), ("定时", {"scheduled": True})]:
        ArticleFactory(headline=headline, **state).topics.add(topic)
    ArticleFactory(headline="已发布", published=True).topics.add(topic)
    ArticleFactory(headline="不在专题", published=True)
    response = client.get(topic.get_absolute_url())
    assert response.status_code == 200
    assert headlines_in(response) == ["已发布"]


def test_reporter_page_lists_only_their_published_articles(client):
    reporter = ReporterFactory(name="李晓萌")
    for headline, state in [("草稿", {}), ("待审", {"in_review": True}), ("定时", {"scheduled": True})]:
        BylineFactory(article=ArticleFactory(headline=headline, **state), reporter=reporter)
    BylineFactory(article=ArticleFactory(headline="已发布", published=True), reporter=reporter)
    BylineFactory(article=ArticleFactory(headline="别人写的", published=True))
    response = client.get(reporter.get_absolute_url())
    assert response.status_code == 200
    assert headlines_in(response) == ["已发布"]


def test_reporter_page_lists_a_story_once_when_they_hold_two_roles(client):
    reporter = ReporterFactory()
    article = ArticleFactory(headline="一稿两职", published=True)
    BylineFactory(article=article, reporter=reporter, role=BylineRoleFactory(name="记者"))
    BylineFactory(article=article, reporter=reporter, role=BylineRoleFactory(name="摄影"))
    assert headlines_in(client.get(reporter.get_absolute_url())) == ["一稿两职"]


def test_organization_page_lists_only_published_articles_with_its_entries(client):
    organization = OrganizationFactory(name="长沙市妇联")
    for headline, state in [("草稿", {}), ("待审", {"in_review": True}), ("定时", {"scheduled": True})]:
        ExperienceEntryFactory(article=ArticleFactory(headline=headline, **state), organization=organization)
    published = ArticleFactory(headline="经验交流", published=True)
    ExperienceEntryFactory(article=published, organization=organization)
    ExperienceEntryFactory(article=published, organization=organization)
    ExperienceEntryFactory(article=ArticleFactory(headline="别的妇联", published=True))
    response = client.get(organization.get_absolute_url())
    assert response.status_code == 200
    assert headlines_in(response) == ["经验交流"]


@pytest.mark.parametrize("url_name", ["section_detail", "topic_detail", "reporter_detail", "organization_detail"])
def test_unknown_list_page_is_404(client, url_name):
    assert client.get(reverse(f"articles:{url_name}", kwargs={"slug": "nobody"})).status_code == 404


# --- Query counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 12])
def test_home_page_queries_do_not_grow(client, django_assert_num_queries, n):
    for article in ArticleFactory.create_batch(n, published=True, lead_photo=PhotoFactory()):
        BylineFactory.create_batch(n % 4 + 1, article=article)
    ArticleFactory.create_batch(n, scheduled=True)

    with django_assert_num_queries(HOME_PAGE_QUERIES):
        response = client.get(reverse("articles:home"))
    assert len(headlines_in(response)) == n


@pytest.mark.parametrize("n", [1, 7])
def test_article_page_queries_do_not_grow(client, django_assert_num_queries, n):
    ArticleFactory.create_batch(n, published=True)
    article = ArticleFactory(published=True, lead_photo=PhotoFactory(credit_reporter=ReporterFactory()))
    BylineFactory.create_batch(n, article=article)
    ArticlePhotoFactory.create_batch(n, article=article, photo__credit_reporter=ReporterFactory())
    ExperienceEntryFactory.create_batch(n, article=article, oral=True, photo=PhotoFactory())
    ExperienceEntryFactory.create_batch(n, article=article, written=True)
    for topic in TopicFactory.create_batch(n):
        article.topics.add(topic)

    with django_assert_num_queries(ARTICLE_PAGE_QUERIES):
        response = client.get(article.get_absolute_url())
    assert response.content.decode().count('<article class="entry"') == 2 * n


@pytest.mark.parametrize("n", [1, 12])
@pytest.mark.parametrize("kind", ["section", "topic", "reporter", "organization"])
def test_list_page_queries_do_not_grow(client, django_assert_num_queries, kind, n):
    section, topic, reporter, organization = SectionFactory(), TopicFactory(), ReporterFactory(), OrganizationFactory()
    for article in ArticleFactory.create_batch(n, published=True, section=section):
        article.topics.add(topic)
        BylineFactory(article=article, reporter=reporter)
        BylineFactory(article=article)
        ExperienceEntryFactory(article=article, organization=organization)
    page = {"section": section, "topic": topic, "reporter": reporter, "organization": organization}[kind]

    with django_assert_num_queries(HOME_PAGE_QUERIES + 1):  # plus the section, topic, reporter or organisation
        response = client.get(page.get_absolute_url())
    assert len(headlines_in(response)) == n


def test_organisation_without_published_entries_has_no_public_page(client):
    organization = OrganizationFactory(name="只有草稿的妇联")
    ExperienceEntryFactory(article=ArticleFactory(), organization=organization)  # a draft

    response = client.get(organization.get_absolute_url())

    assert response.status_code == 404
    assert "只有草稿的妇联" not in response.content.decode()
