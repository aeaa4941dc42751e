"""RSS and Atom feeds: what they list, every author, exact times, nothing unpublished, no broken XML."""

import html
import io
import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from articles.feeds import FEED_ITEMS, ArticleFeed, AtomArticleFeed
from articles.models import Article, Reporter, Section
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BylineFactory,
    BylineRoleFactory,
    CorrectionFactory,
    ExperienceEntryFactory,
    PhotoFactory,
    ReporterFactory,
    SectionFactory,
    TopicFactory,
)

FORMATS = ["rss", "atom"]
KINDS = ["latest", "section", "reporter", "topic"]
# Queries per feed, whatever the number of items: the articles (their bylines, and the photos their shared links
# show, as JSON in their rows), and for a section, reporter or topic feed the object itself first.
FEED_QUERIES = {"latest": 1, "section": 2, "reporter": 2, "topic": 2}


def feed_url(kind, fmt, section=None, reporter=None, topic=None):
    obj = {"latest": None, "section": section, "reporter": reporter, "topic": topic}[kind]
    kwargs = {} if obj is None else {"slug": obj.slug}
    return reverse(f"feeds:{kind}_{fmt}", kwargs=kwargs)


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, (url, parsed.get("bozo_exception"))
    return parsed


def text(entry, field):
    """A text as a reader shows it: RSS titles and all descriptions are HTML, Atom titles plain text."""
    value = entry[field]
    return html.unescape(value) if entry[f"{field}_detail"]["type"] == "text/html" else value


def links(parsed):
    return [entry.link for entry in parsed.entries]


def absolute(article):
    return f"http://testserver{article.get_absolute_url()}"


def move_clock_past(monkeypatch, moment):
    """The clock passes ``moment``: nothing in the database changes and no job runs."""
    moved_to = moment + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: moved_to)


@pytest.fixture
def world(db):
    """One section, topic and reporter, with a published article in each; and the same for other states."""
    section = SectionFactory(name="要闻")
    topic = TopicFactory()
    reporter = ReporterFactory()

    def make(**state):
        article = ArticleFactory(section=section, **state)
        article.topics.add(topic)
        BylineFactory(article=article, reporter=reporter)
        return article

    return {
        "section": section,
        "topic": topic,
        "reporter": reporter,
        "published": make(published=True),
        "draft": make(),
        "in_review": make(in_review=True),
        "scheduled": make(scheduled=True),
        "make": make,
    }


def urls_of(world):
    objects = {key: world[key] for key in ("section", "topic", "reporter")}
    return [feed_url(kind, fmt, **objects) for kind in KINDS for fmt in FORMATS]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_feed_item_has_title_link_summary_section_and_all_authors_in_byline_order(client, kind, fmt):
    section = SectionFactory(name="基层动态")
    topic = TopicFactory()
    published_at = datetime(2026, 11, 20, 2, 30, 5, tzinfo=UTC)  # 10:30:05 in Beijing
    article = ArticleFactory(
        published=True,
        section=section,
        headline="全省妇联改革现场会召开",
        summary="会议要求深化改革。",
        published_at=published_at,
    )
    article.topics.add(topic)
    chief, trainee, correspondent = (ReporterFactory(name=name) for name in ("李晓萌", "王芳", "张丽"))
    # Created out of order: the feed follows the byline order, not the row order.
    BylineFactory(article=article, reporter=correspondent, role=BylineRoleFactory(name="通讯员"), order=2)
    BylineFactory(article=article, reporter=chief, role=BylineRoleFactory(name="首席记者"), order=0)
    BylineFactory(article=article, reporter=trainee, role=BylineRoleFactory(name="见习记者"), order=1)

    parsed = parse(client, feed_url(kind, fmt, section=section, reporter=trainee, topic=topic))

    [entry] = parsed.entries
    assert text(entry, "title") == "全省妇联改革现场会召开"
    assert entry.link == absolute(article)
    assert text(entry, "summary") == "会议要求深化改革。"
    assert [tag.term for tag in entry.tags] == ["基层动态"]
    assert [author.name for author in entry.authors] == ["李晓萌", "王芳", "张丽"]
    assert datetime(*entry.published_parsed[:6], tzinfo=UTC) == published_at
    assert parsed.feed.language == "zh-cn"


@pytest.mark.django_db
def test_feed_times_carry_the_beijing_offset(client):
    published_at = datetime(2026, 11, 20, 2, 30, 5, 123456, tzinfo=UTC)
    article = ArticleFactory(published=True, published_at=published_at)
    Article.objects.filter(pk=article.pk).update(updated_at=published_at + timedelta(hours=2))

    rss = client.get(reverse("feeds:latest_rss")).content.decode()
    [entry] = parse(client, reverse("feeds:latest_atom")).entries

    assert "<pubDate>Fri, 20 Nov 2026 10:30:05 +0800</pubDate>" in rss
    # To the second, as the sitemaps and the article's JSON-LD give it.
    assert entry.published == "2026-11-20T10:30:05+08:00"
    assert entry.updated == "2026-11-20T12:30:05+08:00"


@pytest.mark.django_db
def test_atom_updated_is_never_before_published_for_a_story_scheduled_in_advance(client):
    article = ArticleFactory(published=True)
    Article.objects.filter(pk=article.pk).update(updated_at=article.published_at - timedelta(days=1))

    [entry] = parse(client, reverse("feeds:latest_atom")).entries

    assert datetime.fromisoformat(entry.updated) == article.published_at.replace(microsecond=0)


@pytest.mark.django_db
def test_a_correction_saved_on_its_own_moves_the_atom_updated_time(client):
    article = ArticleFactory(published=True, published_at=timezone.now() - timedelta(days=3))
    Article.objects.filter(pk=article.pk).update(updated_at=article.published_at)
    [before] = parse(client, reverse("feeds:latest_atom")).entries

    correction = CorrectionFactory(article=article, text="更正：文中时间应为上午九时。")
    [after_correction] = parse(client, reverse("feeds:latest_atom")).entries
    Article.objects.filter(pk=article.pk).update(updated_at=article.published_at)
    correction.delete()
    [after_removal] = parse(client, reverse("feeds:latest_atom")).entries

    assert datetime.fromisoformat(before.updated) == article.published_at.replace(microsecond=0)
    assert datetime.fromisoformat(after_correction.updated) > timezone.now() - timedelta(minutes=1)
    assert datetime.fromisoformat(after_removal.updated) > timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_feed_item_without_bylines_has_no_author_and_the_feed_names_the_paper(client, settings, fmt):
    ArticleFactory(published=True)

    parsed = parse(client, reverse(f"feeds:latest_{fmt}"))

    assert "authors" not in parsed.entries[0]
    # Atom requires an author for an entry without one: the feed's, the paper.
    assert parsed.feed.get("author") == (settings.NEWSROOM_SITE_NAME if fmt == "atom" else None)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_latest_feed_lists_the_newest_thirty_newest_first(client, fmt):
    now = timezone.now()
    articles = [ArticleFactory(published=True, published_at=now - timedelta(minutes=i)) for i in range(FEED_ITEMS + 1)]

    parsed = parse(client, reverse(f"feeds:latest_{fmt}"))

    assert links(parsed) == [absolute(article) for article in articles[:FEED_ITEMS]]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_object_feeds_list_only_that_objects_articles(client, fmt):
    section, other_section = SectionFactory(), SectionFactory()
    topic = TopicFactory()
    reporter, other_reporter = ReporterFactory(), ReporterFactory()
    mine = ArticleFactory(published=True, section=section)
    mine.topics.add(topic)
    BylineFactory(article=mine, reporter=reporter)
    theirs = ArticleFactory(published=True, section=other_section)
    BylineFactory(article=theirs, reporter=other_reporter)

    for kind in ("section", "reporter", "topic"):
        parsed = parse(client, feed_url(kind, fmt, section=section, reporter=reporter, topic=topic))
        assert links(parsed) == [absolute(mine)], kind


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_feed_titles_name_the_object(client, settings, fmt):
    section = SectionFactory(name="要闻")
    topic = TopicFactory(title="妇联改革现场会")
    reporter = ReporterFactory(name="李晓萌")
    story = ArticleFactory(published=True)
    BylineFactory(article=story, reporter=reporter)  # a reporter is public through it
    story.topics.add(topic)  # and so is a topic

    titles = {
        kind: parse(client, feed_url(kind, fmt, section=section, reporter=reporter, topic=topic)).feed.title
        for kind in KINDS
    }

    assert all(settings.NEWSROOM_SITE_NAME in title for title in titles.values())
    assert "要闻" in titles["section"]
    assert "妇联改革现场会" in titles["topic"]
    assert "李晓萌" in titles["reporter"]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["section", "reporter", "topic"])
def test_feed_of_an_unknown_slug_is_404(client, kind, fmt):
    ArticleFactory(published=True)

    response = client.get(reverse(f"feeds:{kind}_{fmt}", kwargs={"slug": "no-such-slug"}))

    assert response.status_code == 404


# --- Nothing unpublished leaks ----------------------------------------------------------------------


@pytest.mark.django_db
def test_draft_in_review_and_scheduled_articles_are_in_no_feed(client, world):
    for url in urls_of(world):
        assert links(parse(client, url)) == [absolute(world["published"])], url


@pytest.mark.django_db
def test_scheduled_article_appears_in_every_feed_once_its_time_has_passed(client, monkeypatch, world):
    scheduled = world["scheduled"]
    for url in urls_of(world):
        assert absolute(scheduled) not in links(parse(client, url)), url

    move_clock_past(monkeypatch, scheduled.published_at)

    for url in urls_of(world):
        assert links(parse(client, url)) == [absolute(scheduled), absolute(world["published"])], url


# --- One bad character never breaks a feed ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_feed_with_control_characters_in_every_text_is_200_and_parses(client, fmt):
    section = SectionFactory(name="要\x0b闻", description="本\x01栏")
    topic = TopicFactory(title="专\x0c题", summary="介\x1f绍")
    reporter = ReporterFactory(name="李\x0b晓萌")
    article = ArticleFactory(
        # U+FFFE and U+FFFF (a mis-decoded UTF-16 paste) are not allowed in XML either.
        published=True,
        section=section,
        headline="妇联\x0b改革\ufffe现场会\x1b召开\uffff",
        summary="导\x0b语\x08。",
    )
    article.topics.add(topic)
    BylineFactory(article=article, reporter=reporter)

    for kind in KINDS:
        parsed = parse(client, feed_url(kind, fmt, section=section, reporter=reporter, topic=topic))
        [entry] = parsed.entries
        assert text(entry, "title") == "妇联改革现场会召开"
        assert text(entry, "summary") == "导语。"
        assert [author.name for author in entry.authors] == ["李晓萌"]
        assert [tag.term for tag in entry.tags] == ["要闻"]
        assert "\x0b" not in parsed.feed.title


@pytest.mark.parametrize("feed_class", [ArticleFeed, AtomArticleFeed])
def test_nul_and_lone_surrogates_are_removed_from_item_texts(feed_class):
    # The database refuses these characters, so an unsaved article carries them here.
    section = Section(name="要\x00闻")
    article = Article(headline="妇联\x00改革\ud800召开", summary="导\udfff语", section=section)
    article.published_at = article.updated_at = timezone.now()
    feed = feed_class()

    assert feed.item_title(article) == "妇联改革召开"
    assert feed.item_description(article) == "导语"
    assert feed.item_categories(article) == ["要闻"]


@pytest.mark.django_db
def test_markup_in_a_headline_is_shown_as_text(client):
    ArticleFactory(published=True, headline="“妇女之家”<建设> & 提质", summary="<b>不是</b>标记")

    for fmt in FORMATS:
        [entry] = parse(client, reverse(f"feeds:latest_{fmt}")).entries
        assert text(entry, "title") == "“妇女之家”<建设> & 提质"
        assert text(entry, "summary") == "<b>不是</b>标记"


# --- Queries ----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 12])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_feed_queries_do_not_grow_with_items(client, django_assert_num_queries, kind, fmt, n):
    section, topic = SectionFactory(), TopicFactory()
    reporter = ReporterFactory()
    for _ in range(n):
        article = ArticleFactory(published=True, section=section)
        article.topics.add(topic)
        BylineFactory(article=article, reporter=reporter, order=0)
        BylineFactory(article=article, order=1)
        # No lead photo: the enclosure is the photo its shared link shows, a captioned one or an entry's.
        ExperienceEntryFactory(article=article, photo=PhotoFactory())
        if _ % 2:
            ArticlePhotoFactory(article=article)
    url = feed_url(kind, fmt, section=section, reporter=reporter, topic=topic)

    with django_assert_num_queries(FEED_QUERIES[kind]):
        response = client.get(url)

    entries = feedparser.parse(response.content).entries
    assert len(entries) == n and all(len(entry.enclosures) == 1 for entry in entries)
    assert Reporter.objects.count() == n + 1


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["section", "reporter", "topic"])
def test_a_section_reporter_or_topic_page_leads_to_its_own_feeds(client, kind):
    """Feed readers find a page's feeds in its <head>; readers, by a link on the page. Both lead to feeds that
    list the page's stories."""
    article = ArticleFactory(published=True, headline="桐溪妇联开展家风宣讲")
    if kind == "section":
        owner = article.section
    elif kind == "reporter":
        owner = BylineFactory(article=article).reporter
    else:
        owner = TopicFactory()
        article.topics.add(owner)
    rss, atom = (reverse(f"feeds:{kind}_{fmt}", args=[owner.slug]) for fmt in ("rss", "atom"))

    html = client.get(owner.get_absolute_url()).content.decode()

    assert '<link rel="alternate" type="application/rss+xml" title="' in html
    assert f'href="{rss}">' in html and '<link rel="alternate" type="application/atom+xml"' in html
    assert f'href="{atom}">' in html
    assert f'<p class="feed-link"><a href="{rss}" type="application/rss+xml">订阅' in html
    # The link opens the feed's code (on a phone, a page of XML): beside it, the page saying how to follow one.
    feed_line = re.search(r'<p class="feed-link">.*?</p>', html, re.S).group(0)
    help_url = re.search(r'<a href="([^"]+)">如何用 RSS 订阅？</a>', feed_line).group(1)
    assert help_url == reverse("feeds:index")
    assert "阅读器" in client.get(help_url).content.decode()
    for url in (rss, atom):
        feed = feedparser.parse(client.get(url).content)
        assert [entry.title for entry in feed.entries] == ["桐溪妇联开展家风宣讲"]


@pytest.mark.django_db
def test_a_pages_feeds_have_titles_a_feed_reader_tells_apart(client, settings):
    """The RSS and the Atom feed of a page were both called "要闻" (and the site's both the same): two identical
    entries in a feed reader's list. Their words match the pages' (最新报道), not 最新文章."""
    section = SectionFactory(name="要闻")
    ArticleFactory(published=True, section=section)

    html = client.get(section.get_absolute_url()).content.decode()
    titles = re.findall(r'<link rel="alternate" type="application/(?:rss|atom)\+xml" title="([^"]*)"', html)

    site = settings.NEWSROOM_SITE_NAME
    assert titles == [f"{site}：最新报道（RSS）", f"{site}：最新报道（Atom）", "要闻（RSS）", "要闻（Atom）"]


@pytest.mark.django_db
def test_the_footer_leads_to_a_page_saying_how_to_follow_us_with_every_feeds_address(client):
    """A feed opened in a phone's browser is a page of code: the footer's RSS link leads to a page explaining feed
    readers, with the addresses to copy into one; each address answers its feed."""
    culture = SectionFactory(name="文化", slug="culture")
    SectionFactory(name="要闻", slug="news")
    ArticleFactory(published=True, section=culture, headline="非遗进社区")

    home = client.get(reverse("articles:home")).content.decode()
    footer = re.search(r'<footer class="site-footer">.*?</footer>', home, re.S).group(0)
    page = client.get(re.search(r'<a href="([^"]+)">RSS 订阅</a>', footer).group(1))
    html_text = page.content.decode()

    assert page.status_code == 200 and '<h1 class="page-title">RSS 订阅</h1>' in html_text
    assert "阅读器" in html_text
    addresses = re.findall(r"<code>([^<]+)</code>", html_text)
    assert addresses == [
        "http://testserver/feeds/latest.rss",
        "http://testserver/feeds/latest.atom",
        *(f"http://testserver/feeds/sections/{section.slug}.rss" for section in Section.objects.all()),  # menu order
    ]
    assert len(addresses) == 2 + Section.objects.count() >= 4
    for address in addresses:
        feed = feedparser.parse(client.get(address.removeprefix("http://testserver")).content)
        assert not feed.bozo and feed.feed.title, address
    culture_feed = feedparser.parse(client.get(f"/feeds/sections/{culture.slug}.rss").content)
    assert [entry.title for entry in culture_feed.entries] == ["非遗进社区"]


@pytest.mark.django_db
def test_a_correspondents_page_offers_her_stories_by_name_not_as_a_reporters(client):
    """通讯员 and 编辑 have pages too: "订阅该记者的稿件" named the wrong job."""
    correspondent = BylineFactory(
        article=ArticleFactory(published=True), reporter=ReporterFactory(name="刘敏", title="通讯员")
    ).reporter
    html = client.get(correspondent.get_absolute_url()).content.decode()
    feed_line = re.search(r'<p class="feed-link">.*?</p>', html, re.S).group(0)
    assert ">订阅刘敏的稿件（RSS）</a>" in feed_line
    assert "记者" not in feed_line


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_item_carries_its_lead_photo_for_feed_readers(client, fmt):
    """Feed readers showed no picture: the items had no enclosure. The lead photo goes as the pages share it."""
    from django.core.files.base import ContentFile

    from tests.factories import PhotoFactory, image_bytes

    photo = PhotoFactory(image=ContentFile(image_bytes("JPEG", size=(2400, 1600)), name="a.jpg"), renditions=True)
    ArticleFactory(published=True, lead_photo=photo, headline="有图稿件")
    ArticleFactory(published=True, headline="无图稿件")

    parsed = parse(client, feed_url("latest", fmt))

    by_title = {text(entry, "title"): entry for entry in parsed.entries}
    [enclosure] = by_title["有图稿件"].enclosures
    assert enclosure.href.startswith("http://testserver/media/renditions/")
    assert enclosure.href.endswith("/full-1200.jpg") and enclosure.type == "image/jpeg"
    assert by_title["无图稿件"].enclosures == []


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_an_item_carries_the_photo_its_shared_link_shows(client, fmt, kind):
    """A story without a lead photo shares its first captioned photo, a roundup whose photos are all in its entries
    the first one its page shows (the oral entries first): their feed items had no enclosure, a bare line in a feed
    reader beside the same link shared with a picture. Each item now carries its page's og:image."""
    from django.core.files.base import ContentFile

    from tests.factories import image_bytes

    def photo(alt_text):
        image = ContentFile(image_bytes("JPEG", size=(2400, 1600)), name="a.jpg")
        return PhotoFactory(image=image, alt_text=alt_text, renditions=True)

    section, topic, reporter = SectionFactory(), TopicFactory(), ReporterFactory()
    lead = ArticleFactory(published=True, section=section, headline="有题图", lead_photo=photo("题图"))
    ArticlePhotoFactory(article=lead, order=0, photo=photo("不是题图"))
    captioned = ArticleFactory(published=True, section=section, headline="只有图说照片")
    ArticlePhotoFactory(article=captioned, order=2, photo=photo("第二张"))
    ArticlePhotoFactory(article=captioned, order=1, photo=photo("第一张"))
    roundup = ArticleFactory(published=True, section=section, headline="经验交流综述")
    ExperienceEntryFactory(article=roundup, written=True, order=1, photo=photo("书面交流"))
    ExperienceEntryFactory(article=roundup, oral=True, order=2, photo=photo("大会交流发言"))
    ExperienceEntryFactory(article=roundup, oral=True, order=1)  # no photo
    bare = ArticleFactory(published=True, section=section, headline="无图稿件")
    for article in (lead, captioned, roundup, bare):
        article.topics.add(topic)
        BylineFactory(article=article, reporter=reporter)

    parsed = parse(client, feed_url(kind, fmt, section=section, reporter=reporter, topic=topic))

    enclosures = {text(entry, "title"): [enclosure.href for enclosure in entry.enclosures] for entry in parsed.entries}
    shared = {}
    for article in (lead, captioned, roundup):
        page = client.get(article.get_absolute_url()).content.decode()
        image, alt = (
            html.unescape(re.search(rf'<meta property="og:{name}" content="([^"]+)">', page).group(1))
            for name in ("image", "image:alt")
        )
        shared[article.headline] = alt
        assert enclosures[article.headline] == [image], article.headline
    assert shared == {"有题图": "题图", "只有图说照片": "第一张", "经验交流综述": "大会交流发言"}
    assert enclosures["无图稿件"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_organisation_can_be_followed_by_a_feed_of_its_experience_entries(client, fmt):
    """DOMAIN.md's reader follows an organisation too, but an organisation's page had no feed at all (sections,
    reporters and topics had theirs): a reader following a county's women's federation could not learn of its next
    experience shared. Its feed lists its published entries only, newest story first, each leading to the entry in
    its story, with the story's time in Beijing time."""
    from tests.factories import ExperienceEntryFactory, OrganizationFactory

    county = OrganizationFactory(name="白沙县妇女联合会", short_name="白沙县妇联")
    older = ArticleFactory(published=True, published_at=datetime(2026, 11, 19, 1, 0, tzinfo=UTC))
    newer = ArticleFactory(published=True, published_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC))
    first = ExperienceEntryFactory(article=older, organization=county, title="建强“妇女微家”", highlight="一句话")
    second = ExperienceEntryFactory(article=newer, organization=county, title="让家庭议事会管用")
    ExperienceEntryFactory(article=ArticleFactory(scheduled=True), organization=county, title="尚未刊发")
    ExperienceEntryFactory(article=newer, title="别的组织")
    rss, atom = (reverse(f"feeds:organization_{kind}", args=[county.slug]) for kind in FORMATS)

    page = client.get(county.get_absolute_url()).content.decode()
    assert f'<link rel="alternate" type="application/rss+xml" title="白沙县妇女联合会（RSS）" href="{rss}">' in page
    assert f'href="{atom}">' in page and f'<p class="feed-link"><a href="{rss}" type="application/rss+xml">' in page
    feed = parse(client, {"rss": rss, "atom": atom}[fmt])

    assert feed.feed.title == "今日女报 · 凤网 · 白沙县妇女联合会"
    assert [text(entry, "title") for entry in feed.entries] == [
        "白沙县妇联：让家庭议事会管用",
        "白沙县妇联：建强“妇女微家”",
    ]
    assert [entry.link for entry in feed.entries] == [
        f"http://testserver{newer.get_absolute_url()}#entry-{second.pk}",
        f"http://testserver{older.get_absolute_url()}#entry-{first.pk}",
    ]
    assert text(feed.entries[1], "summary") == "一句话"
    assert feed.entries[0].published in ("2026-11-20T09:30:00+08:00", "Fri, 20 Nov 2026 09:30:00 +0800")
    assert client.get(reverse(f"feeds:organization_{fmt}", args=[OrganizationFactory().slug])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 12])
@pytest.mark.parametrize("fmt", FORMATS)
def test_organisation_feed_queries_do_not_grow_with_entries(client, django_assert_num_queries, fmt, n):
    from tests.factories import ExperienceEntryFactory, OrganizationFactory

    organization = OrganizationFactory()
    for _ in range(n):
        ExperienceEntryFactory(article=ArticleFactory(published=True), organization=organization, photo=PhotoFactory())

    with django_assert_num_queries(2):  # the organisation, then its entries with their stories and photos
        response = client.get(reverse(f"feeds:organization_{fmt}", args=[organization.slug]))
    entries = feedparser.parse(response.content).entries
    assert len(entries) == n and all(len(entry.enclosures) == 1 for entry in entries)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_an_organisation_feed_item_carries_its_entrys_photo(client, rf, settings, fmt):
    """An organisation's feed gave no item an enclosure, even for an entry printed with a photo: a bare line in a
    feed reader where the article feeds show a picture. An entry's item now carries its photo as the pages share
    one (the 1,200-pixel rendition); an entry without a photo still has none."""
    from django.core.files.base import ContentFile
    from django.views.static import serve
    from PIL import Image

    from tests.factories import OrganizationFactory, image_bytes

    county = OrganizationFactory(short_name="白沙县妇联")
    photo = PhotoFactory(image=ContentFile(image_bytes("JPEG", size=(2400, 1600)), name="a.jpg"), renditions=True)
    article = ArticleFactory(published=True)
    ExperienceEntryFactory(article=article, organization=county, title="有图经验", photo=photo, order=1)
    ExperienceEntryFactory(article=article, organization=county, title="无图经验", order=2)

    parsed = parse(client, reverse(f"feeds:organization_{fmt}", args=[county.slug]))

    by_title = {text(entry, "title"): entry for entry in parsed.entries}
    assert by_title["白沙县妇联：无图经验"].enclosures == []
    [enclosure] = by_title["白沙县妇联：有图经验"].enclosures
    assert enclosure.type == "image/jpeg" and enclosure.href.endswith("/full-1200.jpg")
    path = enclosure.href.removeprefix(f"http://testserver{settings.MEDIA_URL}")
    response = serve(rf.get(enclosure.href), path, document_root=settings.MEDIA_ROOT)  # as the media server does
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.format == "JPEG" and image.width == 1200
