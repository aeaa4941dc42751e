"""A reporter's page lists their published stories in order from the bylines' own index (issue 8).

- Bylines carry copies of their article's state (``article_live``, ``article_published_at``), kept by database
  triggers (migration 0015): after any change of an article (a save, a bulk update, raw SQL, the trash, a deletion)
  or of a byline, the ids the page reads from them (``BylineQuerySet.live_ids_of``) are the reporter's published
  stories as the articles define them (``ArticleQuerySet.bylined``), in the same order, each once.
- On PostgreSQL every page of the list is read from ``articles_byline_live_idx``: a reporter whose stories are old
  no longer costs a walk through every newer story of the archive.
"""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import services
from articles.models import Article, Byline
from tests.factories import ArticleFactory, BylineFactory, BylineRoleFactory, ReporterFactory, SectionFactory
from tests.plans import explain_analyze, rows_read
from tests.views.pages import headlines_in

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="DISTINCT ON and EXPLAIN: PostgreSQL")


def bylined_order(reporter):
    """The reporter's published stories, newest first, as the articles define them."""
    stories = Article.objects.published().bylined(reporter).order_by("-published_at", "-id")
    return list(stories.values_list("pk", flat=True))


def assert_copies_right(reporter):
    for byline in Byline.objects.all():
        article = Article.all_objects.get(pk=byline.article_id)
        assert byline.article_published_at == article.published_at, byline
        assert byline.article_live == (article.status == "published" and article.deleted_at is None), byline
    if connection.features.can_distinct_on_fields:
        assert list(Byline.objects.live_ids_of(reporter).values_list("article_id", flat=True)) == bylined_order(
            reporter
        )


def test_bylines_follow_every_change_of_their_article(admin_user):
    now = timezone.now()
    reporter = ReporterFactory()
    old = ArticleFactory(published=True, published_at=now - timedelta(days=3))
    new = ArticleFactory(published=True, published_at=now - timedelta(days=1))
    draft = ArticleFactory()
    for article in (old, new, draft):
        BylineFactory(article=article, reporter=reporter)
    BylineFactory(article=new, reporter=reporter, role=BylineRoleFactory(name="摄影"))  # two roles: listed once
    assert bylined_order(reporter) == [new.pk, old.pk]
    assert_copies_right(reporter)

    draft.status, draft.published_at = "published", now - timedelta(hours=1)  # published (a save)
    draft.save()
    assert_copies_right(reporter)
    assert bylined_order(reporter) == [draft.pk, new.pk, old.pk]

    old.published_at = now - timedelta(minutes=5)  # rescheduled: now the newest
    old.save(update_fields=["published_at"])
    assert_copies_right(reporter)
    old.published_at = now + timedelta(days=1)  # into the future: gone until then
    old.save()
    assert_copies_right(reporter)
    assert bylined_order(reporter) == [draft.pk, new.pk]

    Article.objects.filter(pk=new.pk).update(status="draft")  # a bulk update (no signal, no save)
    assert_copies_right(reporter)
    with connection.cursor() as cursor:  # raw SQL
        cursor.execute("UPDATE articles_article SET status = 'published' WHERE id = %s", [new.pk])
    assert_copies_right(reporter)

    services.move_to_trash(Article.objects.get(pk=new.pk), admin_user)
    assert_copies_right(reporter)
    assert bylined_order(reporter) == [draft.pk]
    services.restore_from_trash(Article.all_objects.get(pk=new.pk), admin_user)  # back as a draft
    assert_copies_right(reporter)

    Article.all_objects.get(pk=draft.pk).delete()  # deleted for good, bylines with it
    assert_copies_right(reporter)
    assert bylined_order(reporter) == []


def test_bylines_written_take_their_articles_state():
    reporter = ReporterFactory()
    live, draft = ArticleFactory(published=True), ArticleFactory()
    byline = BylineFactory(article=draft, reporter=reporter)
    stale = Byline.objects.get(pk=byline.pk)  # loaded while its article is a draft
    assert not stale.article_live
    Article.objects.filter(pk=draft.pk).update(status="published", published_at=timezone.now() - timedelta(hours=1))
    stale.order = 3
    stale.save()  # writes its stale copies: the database puts the article's state back
    moved = BylineFactory(article=ArticleFactory(), reporter=reporter)
    moved.article = live  # moved to a published story
    moved.save()
    Byline.objects.bulk_create([Byline(article=ArticleFactory(published=True), reporter=reporter, role=moved.role)])
    assert_copies_right(reporter)
    assert len(bylined_order(reporter)) == 3


def test_every_page_lists_what_the_articles_define(client):
    """45 stories a day apart, some signed twice, some drafts, scheduled or in the trash: the pages (read from the
    front and, past the middle, from the end) list the reporter's published stories in order, each once."""
    reporter, other = ReporterFactory(), ReporterFactory()
    now = timezone.now()
    photographer = BylineRoleFactory(name="摄影")
    for day in range(45):
        article = ArticleFactory(published=day % 9 != 4, published_at=now - timedelta(days=day, minutes=day % 3))
        BylineFactory(article=article, reporter=reporter if day % 11 else other)
        if day % 5 == 0:
            BylineFactory(article=article, reporter=reporter, role=photographer)
        if day % 13 == 7:
            Article.objects.filter(pk=article.pk).update(deleted_at=now)
    BylineFactory(article=ArticleFactory(scheduled=True), reporter=reporter)
    expected = list(Article.objects.filter(pk__in=bylined_order(reporter)).order_by("-published_at", "-id"))
    assert len(expected) > 20
    listed = []
    for page in (1, 2):
        listed += headlines_in(client.get(f"{reporter.get_absolute_url()}?page={page}"))
    assert listed == [article.headline for article in expected]


@pytest.fixture
def big_archive(db):
    """4,000 published stories an hour apart; a reporter who signed the 2,000 oldest, another the newest 100."""
    cache.clear()
    section = SectionFactory()
    now = timezone.now()
    Article.objects.bulk_create(
        Article(headline=f"第{n}条", section=section, status="published", published_at=now - timedelta(hours=n))
        for n in range(1, 4001)
    )
    retired, active, role = ReporterFactory(), ReporterFactory(), BylineRoleFactory()
    stories = list(Article.objects.order_by("published_at").values_list("pk", flat=True))
    Byline.objects.bulk_create(Byline(article_id=pk, reporter=retired, role=role) for pk in stories[:2000])
    Byline.objects.bulk_create(Byline(article_id=pk, reporter=active, role=role) for pk in stories[-100:])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    yield retired, active
    cache.clear()


@on_postgresql
def test_a_retired_reporters_pages_read_their_page_not_the_archive(client, big_archive):
    """The retired reporter's newest story is older than 2,000 others: walking the newest stories and looking each
    up in their bylines read all 2,000 of them (and the 2,000 bylines) for the first page."""
    retired, _active = big_archive
    feed = f"/feeds/reporters/{retired.slug}.rss"
    for page in (1, 2, 60, "feed"):
        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get(feed if page == "feed" else f"{retired.get_absolute_url()}?page={page}").status_code == 200
            )
        listing = [q["sql"] for q in captured.captured_queries if re.search(r"LIMIT (20|30)\b", q["sql"])]
        assert len(listing) == 1
        # The cards' 20 stories looked up, not read by a hash join over the test's 4,000 (the planner's choice on a
        # table this small, once in a full run; at 100,000 stories it never is).
        plan, explained = explain_analyze(listing[0], seqscan=False)
        # The page's 20 entries of the index (on page 60 the skipped ones too: 1,180 of them, read from the end
        # of the list since page 60 is past its middle, so 800), then those 20 stories; the feed's newest 30.
        most = 30 + 30 if page == "feed" else 20 * min(page, 101 - page) + 40
        # The stories and the bylines' list index (the cards' bylines, read per card through their own index, are
        # not the list).
        assert rows_read(plan) + rows_read(plan, index="articles_byline_live_idx") <= most, explained
