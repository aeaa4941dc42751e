"""Sitemaps and robots.txt: exactly the public URLs, dates with the Beijing offset, fixed query counts."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.sitemaps import ArticleSitemap, PageSitemap
from tests.factories import (
    ArticleFactory,
    BylineFactory,
    CorrectionFactory,
    ExperienceEntryFactory,
    OrganizationFactory,
    ReporterFactory,
    SectionFactory,
    TopicFactory,
)

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
SECTIONS = ["articles", "pages", "sections", "topics", "reporters", "organizations", "print", "news"]
# Queries per sitemap whatever the number of rows: a count for the paginator, then the page of rows (the list
# pages are a fixed list).
SITEMAP_QUERIES = {
    "articles": 2,
    "pages": 1,  # whether a story is out: the archive has a page from then on
    "sections": 2,
    "topics": 2,
    "reporters": 2,
    "organizations": 2,
    "print": 2,
    "news": 2,
}
# The index: per sitemap a count (its pages; the list pages' whether a story is out), plus the articles' latest
# change.
INDEX_QUERIES = len(SECTIONS) + 1


def sitemap_url(section):
    if section == "news":
        return reverse("sitemap_news")
    return reverse("sitemap_section", kwargs={"section": section})


def get_xml(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml"
    return ET.fromstring(response.content)


def locations(client, section, page=None):
    root = get_xml(client, sitemap_url(section) + (f"?p={page}" if page else ""))
    return [loc.text for loc in root.findall("sm:url/sm:loc", NS)]


def absolute(obj):
    return f"http://testserver{obj.get_absolute_url()}"


def move_clock_past(monkeypatch, moment):
    """The clock passes ``moment``: nothing in the database changes and no job runs."""
    moved_to = moment + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: moved_to)


@pytest.fixture
def world(db):
    """A published article with a reporter and an organisation entry; the same for every unpublished state."""
    made = {}
    for state, traits in {
        "published": {"published": True},
        "draft": {},
        "in_review": {"in_review": True},
        "scheduled": {"scheduled": True},
    }.items():
        article = ArticleFactory(**traits)
        byline = BylineFactory(article=article)
        entry = ExperienceEntryFactory(article=article)
        made[state] = {"article": article, "reporter": byline.reporter, "organization": entry.organization}
    return made


# --- The index ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sitemap_index_lists_every_sitemap_and_nothing_else(client):
    root = get_xml(client, reverse("sitemap_index"))

    assert [loc.text for loc in root.findall("sm:sitemap/sm:loc", NS)] == [
        f"http://testserver{sitemap_url(section)}" for section in SECTIONS
    ]


@pytest.mark.django_db
def test_sitemap_index_gives_the_articles_latest_change(client):
    article = ArticleFactory(published=True)
    changed = datetime(2026, 11, 20, 2, 30, 5, tzinfo=UTC)
    Article.objects.filter(pk=article.pk).update(updated_at=changed, published_at=changed - timedelta(hours=1))
    ArticleFactory(scheduled=True)  # changed later, but not public

    root = get_xml(client, reverse("sitemap_index"))

    [articles] = [s for s in root.findall("sm:sitemap", NS) if s.find("sm:loc", NS).text.endswith("-articles.xml")]
    assert articles.find("sm:lastmod", NS).text == "2026-11-20T10:30:05+08:00"


@pytest.mark.django_db
def test_article_sitemap_is_paginated_and_the_index_lists_every_page(client, monkeypatch):
    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    now = timezone.now()
    articles = [ArticleFactory(published=True, published_at=now - timedelta(minutes=i)) for i in range(3)]

    root = get_xml(client, reverse("sitemap_index"))
    listed = [loc.text for loc in root.findall("sm:sitemap/sm:loc", NS)]

    assert f"http://testserver{sitemap_url('articles')}?p=2" in listed
    assert f"http://testserver{sitemap_url('articles')}?p=3" not in listed
    assert locations(client, "articles") == [absolute(a) for a in articles[:2]]
    assert locations(client, "articles", page=2) == [absolute(articles[2])]
    assert client.get(sitemap_url("articles") + "?p=3").status_code == 404


@pytest.mark.django_db
def test_unknown_sitemap_is_404(client):
    assert client.get(reverse("sitemap_section", kwargs={"section": "drafts"})).status_code == 404


# --- Each sitemap lists exactly what is public ---------------------------------------------------------


@pytest.mark.django_db
def test_article_sitemap_lists_published_articles_with_their_last_change(client, world):
    article = world["published"]["article"]
    changed = datetime(2026, 11, 20, 2, 30, 5, 999, tzinfo=UTC)
    Article.objects.filter(pk=article.pk).update(updated_at=changed, published_at=changed - timedelta(days=1))

    root = get_xml(client, sitemap_url("articles"))

    [url] = root.findall("sm:url", NS)
    assert url.find("sm:loc", NS).text == absolute(article)
    assert url.find("sm:lastmod", NS).text == "2026-11-20T10:30:05+08:00"


@pytest.mark.django_db
def test_a_story_saved_before_its_time_has_its_publishing_time_as_lastmod(client, world):
    article = world["published"]["article"]
    saved = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
    Article.objects.filter(pk=article.pk).update(updated_at=saved, published_at=saved + timedelta(hours=8))

    [url] = get_xml(client, sitemap_url("articles")).findall("sm:url", NS)

    assert url.find("sm:lastmod", NS).text == "2026-11-19T17:00:00+08:00"


@pytest.mark.django_db
def test_a_correction_saved_on_its_own_moves_the_articles_lastmod(client, world):
    article = world["published"]["article"]
    long_ago = timezone.now() - timedelta(days=5)
    Article.objects.filter(pk=article.pk).update(updated_at=long_ago, published_at=long_ago)

    CorrectionFactory(article=article, text="更新：活动报名截止时间延后一天。")

    [url] = get_xml(client, sitemap_url("articles")).findall("sm:url", NS)
    lastmod = datetime.fromisoformat(url.find("sm:lastmod", NS).text)
    assert lastmod > timezone.now() - timedelta(minutes=1)


@pytest.mark.django_db
def test_section_and_topic_sitemaps_list_every_section_and_topic_with_a_published_story(client):
    sections = [SectionFactory(order=i) for i in range(3)]
    topics = [TopicFactory(starts_on=datetime(2026, 11, 20 - i).date()) for i in range(2)]
    ArticleFactory(published=True, section=sections[0]).topics.add(*topics)  # public through a published story
    ArticleFactory(published=True, section=sections[2])
    ArticleFactory(scheduled=True, section=sections[1])  # nothing out yet: a page that says so, not for a search

    assert locations(client, "sections") == [absolute(s) for s in (sections[0], sections[2])]
    assert locations(client, "topics") == [absolute(t) for t in topics]


@pytest.mark.django_db
def test_reporter_sitemap_lists_only_reporters_with_a_published_byline(client, world):
    ReporterFactory()  # no byline at all
    published = world["published"]["article"]
    second = BylineFactory(article=published, order=1)  # a second person on the same story, listed once each

    assert sorted(locations(client, "reporters")) == sorted(
        [absolute(world["published"]["reporter"]), absolute(second.reporter)]
    )


@pytest.mark.django_db
def test_organization_sitemap_lists_only_organisations_with_a_published_entry(client, world):
    OrganizationFactory()  # no entry at all
    ExperienceEntryFactory(article=world["published"]["article"], organization=world["published"]["organization"])

    assert locations(client, "organizations") == [absolute(world["published"]["organization"])]


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["draft", "in_review", "scheduled"])
def test_unpublished_article_its_people_and_organisations_are_in_no_sitemap(client, world, state):
    hidden = world[state]
    everything = [loc for section in SECTIONS for loc in locations(client, section)]

    for obj in hidden.values():
        assert absolute(obj) not in everything
    for obj in world["published"].values():
        assert absolute(obj) in everything


@pytest.mark.django_db
def test_scheduled_article_enters_the_sitemaps_once_its_time_has_passed(client, monkeypatch, world):
    scheduled = world["scheduled"]
    before = [loc for section in SECTIONS for loc in locations(client, section)]
    assert not {absolute(obj) for obj in scheduled.values()} & set(before)

    move_clock_past(monkeypatch, scheduled["article"].published_at)

    assert absolute(scheduled["article"]) in locations(client, "articles")
    assert absolute(scheduled["article"]) in locations(client, "news")
    assert absolute(scheduled["reporter"]) in locations(client, "reporters")
    assert absolute(scheduled["organization"]) in locations(client, "organizations")


@pytest.mark.django_db
def test_page_sitemap_lists_the_pages_that_list_stories(client):
    ArticleFactory(published=True)  # the archive has a page once a story is out
    listed = locations(client, "pages")

    assert listed == [f"http://testserver{path}" for path in ["/", "/news/", "/topics/", "/experience/", "/archive/"]]
    for location in listed:
        assert client.get(location.removeprefix("http://testserver")).status_code == 200


@pytest.mark.django_db
def test_page_sitemap_of_a_site_without_stories_leaves_out_the_archive(client):
    """/archive/ is a 404 until a story is published: a sitemap must not list it."""
    ArticleFactory(scheduled=True)

    assert "http://testserver/archive/" not in locations(client, "pages")
    assert client.get("/archive/").status_code == 404


@pytest.mark.django_db
def test_print_sitemap_lists_each_issue_with_a_published_story_once_newest_first(client):
    day = datetime(2026, 11, 20).date()
    changed = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    for page in ["A01", "A03"]:  # two stories of one issue: the issue is listed once, with the later change
        article = ArticleFactory(published=True, print_issue_on=day, print_page_number=page)
        Article.objects.filter(pk=article.pk).update(updated_at=changed, published_at=changed - timedelta(days=1))
        changed += timedelta(hours=1)
    ArticleFactory(published=True, print_issue_on=day - timedelta(days=1))
    ArticleFactory(scheduled=True, print_issue_on=day + timedelta(days=1))  # the paper is out, the story is not
    ArticleFactory(published=True)  # web only

    root = get_xml(client, sitemap_url("print"))

    urls = root.findall("sm:url", NS)
    assert [url.find("sm:loc", NS).text for url in urls] == [
        "http://testserver/print/2026-11-20/",
        "http://testserver/print/2026-11-19/",
    ]
    assert urls[0].find("sm:lastmod", NS).text == "2026-11-20T23:00:00+08:00"
    assert client.get("/print/2026-11-20/").status_code == 200


# --- Google News ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_news_sitemap_lists_only_the_last_48_hours(client):
    now = timezone.now()
    recent = ArticleFactory(published=True, published_at=now - timedelta(hours=47))
    ArticleFactory(published=True, published_at=now - timedelta(hours=49))
    ArticleFactory(scheduled=True)
    ArticleFactory(in_review=True)

    assert locations(client, "news") == [absolute(recent)]


@pytest.mark.django_db
def test_news_sitemap_gives_publication_language_date_and_clean_title(client, settings):
    published_at = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    article = ArticleFactory(published=True, published_at=published_at, headline="妇联\x0b改革<现场会> & 召开")

    root = ET.fromstring(client.get(sitemap_url("news")).content)

    [url] = root.findall("sm:url", NS)
    assert url.find("sm:loc", NS).text == absolute(article)
    news = url.find("news:news", NS)
    assert news.find("news:publication/news:name", NS).text == settings.NEWSROOM_SITE_NAME
    assert news.find("news:publication/news:language", NS).text == "zh-cn"
    date = news.find("news:publication_date", NS).text
    assert date.endswith("+08:00")
    assert datetime.fromisoformat(date) == published_at
    assert news.find("news:title", NS).text == "妇联改革<现场会> & 召开"


# --- Queries ----------------------------------------------------------------------------------------


def _fill(n):
    for i in range(n):
        SectionFactory()
        article = ArticleFactory(published=True, print_issue_on=datetime(2026, 11, 1 + i).date())
        article.topics.add(TopicFactory())  # a topic is public through a published story
        BylineFactory(article=article)
        ExperienceEntryFactory(article=article)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 12])
@pytest.mark.parametrize("section", SECTIONS)
def test_sitemap_queries_do_not_grow_with_rows(client, django_assert_num_queries, section, n):
    _fill(n)

    with django_assert_num_queries(SITEMAP_QUERIES[section]):
        response = client.get(sitemap_url(section))

    assert response.content.count(b"<url>") >= (len(PageSitemap.URL_NAMES) if section == "pages" else n)


@pytest.mark.django_db
def test_the_article_sitemap_makes_no_article_instance(client):
    """Up to 5,000 rows a page: ids and dates, without a model instance and a reverse() per row."""
    _fill(12)
    made = []

    def count(sender, **kwargs):
        made.append(sender)

    post_init.connect(count, sender=Article)
    try:
        assert len(locations(client, "articles")) == 12
    finally:
        post_init.disconnect(count, sender=Article)
    assert made == []


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 12])
def test_sitemap_index_queries_do_not_grow_with_rows(client, django_assert_num_queries, n):
    _fill(n)

    with django_assert_num_queries(INDEX_QUERIES):
        client.get(reverse("sitemap_index"))


@pytest.mark.django_db
def test_sitemap_index_never_loads_the_articles_themselves(client):
    _fill(3)

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("sitemap_index"))

    on_articles = [q["sql"] for q in queries if 'FROM "articles_article"' in q["sql"]]
    assert on_articles
    # Counts, whether one story is out, and the newest change only, however long the archive.
    assert all("COUNT(" in sql or "MAX(" in sql or sql.startswith('SELECT 1 AS "a"') for sql in on_articles), (
        on_articles
    )


# --- robots.txt -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_robots_txt_allows_all_but_the_admin_and_points_at_the_sitemap_index(client, settings):
    settings.ALLOWED_HOSTS = ["www.example.com"]

    response = client.get("/robots.txt", HTTP_HOST="www.example.com", secure=True)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[:2] == ["User-agent: *", "Disallow: /admin/"]
    assert "Sitemap: https://www.example.com/sitemap.xml" in lines
    assert [line for line in lines if line.startswith("Disallow")] == ["Disallow: /admin/"]
