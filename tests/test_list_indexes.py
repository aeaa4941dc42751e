"""Every list query on articles is served by an index (PostgreSQL's EXPLAIN), so deep pages and the admin's list
stay fast at archive scale (issue 8).

How this proves it honestly with a small test table: the queries are the ones real requests run (captured), each
is EXPLAINed with ``enable_seqscan = off``. That setting does not forbid a sequential scan: it only makes it look
prohibitively expensive, so the planner still picks one when no index can answer the query. A plan without a
``Seq Scan on articles_article`` therefore shows that an index exists whose columns and condition match the query's
filter and order (on a table of 100,000 rows the planner chooses those same indexes by cost: see bench/inprocess.py).
The public list pages are also checked to take their page of ids from the list's own index, in its order.
"""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import BylineFactory, SectionFactory
from tests.plans import explain_analyze, rows_read, table_rows_read

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are checked on PostgreSQL"),
]


@pytest.fixture
def archive(db):
    cache.clear()
    sections = SectionFactory.create_batch(3)
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            headline=f"第{number}条",
            section=sections[number % 3],
            status="published" if number % 10 else "draft",
            published_at=now - timedelta(hours=number) if number % 10 else None,
        )
        for number in range(1, 400)
    )
    for article in Article.objects.order_by("-id")[:30]:
        BylineFactory(article=article)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    yield sections
    cache.clear()


def article_queries(client, url):
    """The SQL of the queries a request runs that read the articles table, parameters filled in."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries if re.search(r'FROM "articles_article"', q["sql"])]


def plan(sql, *, sort=True):
    """EXPLAIN with sequential scans (and, with ``sort=False``, sorts) made to look prohibitively expensive."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        if not sort:
            cursor.execute("SET enable_sort = off")
        try:
            cursor.execute("EXPLAIN " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")


def public_urls(sections):
    section = sections[0].get_absolute_url()
    return [
        reverse("articles:article_list"),
        reverse("articles:article_list") + "?page=5",
        section,
        section + "?page=4",
    ]


def test_public_list_queries_use_an_index(client, archive):
    today = timezone.localtime(Article.objects.filter(status="published").latest("published_at").published_at)
    more = [
        reverse("articles:home"),  # slotted, latest and each section's latest: short index scans
        reverse("articles:article_archive"),
        reverse("articles:article_archive_month", kwargs={"year": f"{today:%Y}", "month": f"{today:%m}"}),
    ]
    for url in [*public_urls(archive), *more]:
        queries = article_queries(client, url)
        assert queries, url
        for sql in queries:
            explained = plan(sql)
            assert "Seq Scan on articles_article " not in explained, (url, sql, explained)


def test_public_list_pages_read_their_order_from_the_index(client, archive):
    """The page's ids come from the list's index in its order (deep pages skip index entries, not table rows);
    only those 20 rows are then read and put in order. With sorting made to look prohibitively expensive, the
    planner reads the order from an index whenever one matches (on a small table it may prefer to sort)."""
    for url in public_urls(archive):
        page_queries = [sql for sql in article_queries(client, url) if "LIMIT" in sql]
        assert page_queries, url
        for sql in page_queries:
            explained = plan(sql, sort=False)
            assert re.search(r"Index (Only )?Scan (Backward )?using articles_article_live(_sec)?_idx", explained), (
                explained
            )


def test_admin_article_list_queries_use_an_index(admin_client, archive):
    changelist = reverse("admin:articles_article_changelist")
    for url in [
        changelist,
        f"{changelist}?status__exact=published",
        f"{changelist}?section__id__exact={archive[0].pk}",
        f"{changelist}?print_issue=tomorrow",
        f"{changelist}?p=2",
    ]:
        for sql in article_queries(admin_client, url):
            explained = plan(sql)
            assert "Seq Scan on articles_article " not in explained, (url, sql, explained)


def test_related_articles_read_a_few_rows_however_big_the_section(client, archive):
    """The article page's related stories (sharing a topic first, then the section) come from two short index
    scans: the rows read stay a handful while a section holds ~120 stories here (100,000 articles make 10,000 a
    section: reading them all, then ordering by "shares a topic", cost 200-400 ms a page, cold)."""
    import json

    from tests.factories import TopicFactory

    topic = TopicFactory()
    newest = list(Article.objects.published().order_by("-published_at")[:40])
    article = newest[20]
    for other in [article, *newest[::7]]:
        other.topics.add(topic)
    Article.objects.filter(pk__in=[article.pk, newest[30].pk]).update(package_lead=newest[25])  # and a package
    related = [
        sql for sql in article_queries(client, article.get_absolute_url()) if "shares_topic" in sql and "LIMIT" in sql
    ]
    assert len(related) == 1
    assert Article.objects.published().filter(section=article.section).count() > 100
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_sort = off")
        try:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + related[0])
            explained = cursor.fetchone()[0]
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")
    explained = json.loads(explained) if isinstance(explained, str) else explained
    read = rows_read(explained[0]["Plan"])
    # About 20 here (the topic's newest 4 are among the 22 newest stories; 4 of the section; the 8 candidates
    # read again; the 3 other stories of its package): reading the section was 360, and so was a walk of the
    # stories in id order to find its package.
    assert 0 < read <= 60, json.dumps(explained, indent=1)


def explain_rows_read(sql):
    """Rows of the articles table the query really read (EXPLAIN ANALYZE), with the planner's own choices."""
    plan, explained = explain_analyze(sql)
    return rows_read(plan), explained


@pytest.fixture
def big_archive(db):
    """4,000 published stories, an hour apart: big enough for the planner to walk the newest stories by time when
    it expects to meet a topic's stories soon."""
    cache.clear()
    sections = SectionFactory.create_batch(3)
    now = timezone.now()
    Article.objects.bulk_create(
        Article(headline=f"第{n}条", section=sections[n % 3], status="published", published_at=now - timedelta(hours=n))
        for n in range(1, 4001)
    )
    yield sections
    cache.clear()


def old_topic(client):
    """A topic of the archive's 200 oldest stories, the newer ones in 19 other topics (200 each: the links are a
    table worth an index): (its stories, the related query of its oldest story, its page's list query)."""
    from tests.factories import TopicFactory

    topic, others = TopicFactory(), TopicFactory.create_batch(19)
    published = Article.objects.filter(status="published").order_by("published_at")
    oldest = list(published[:200])
    for story in oldest:
        story.topics.add(topic)
    links = Article.topics.through
    links.objects.bulk_create(
        links(article_id=pk, topic=others[i // 200 % len(others)])
        for i, pk in enumerate(published[len(oldest) :].values_list("pk", flat=True))
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    assert published.count() - len(oldest) > 3000

    related = [sql for sql in article_queries(client, oldest[0].get_absolute_url()) if "shares_topic" in sql]
    client.get(topic.get_absolute_url())  # the topic with its count and its stories' ids, kept from now on
    topic_page = article_queries(client, topic.get_absolute_url())  # the page's rows
    assert len(related) == 1 and len(topic_page) == 1
    return oldest, related[0], topic_page[0]


def test_an_old_topics_pages_read_the_topic_not_the_archive(client, big_archive):
    """A topic whose stories are all old: its page and its stories' related lists read the topic's stories, not
    every newer story of the archive. Its links are many enough that the planner expects to meet them soon when
    walking the newest stories by time (it holds a twentieth of them), but they are the oldest: that walk read the
    whole archive (76 ms a page at 100,000 articles, for the topic's page and for each of its articles); here it
    read 3,800 rows."""
    oldest, related, topic_page = old_topic(client)
    read, explained = explain_rows_read(related)
    # The topic's 200 stories, the section's newest 4, the candidates again: never the 3,800 newer stories.
    assert 0 < read <= 2 * len(oldest) + 20, explained
    read, explained = explain_rows_read(topic_page)
    # The page's 20 rows by their kept ids alone. Reading the page's ids from the topic's links made 220 (and 420
    # while the list's filters were repeated on its rows).
    assert 0 < read <= 20, explained


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_a_topics_newest_stories_are_read_from_the_links_copies(client, big_archive):
    """Migration 0017: an article's related stories read the newest few entries of its topic's live links
    (``articles_topic_link_live_idx``, on the links' copies of their article's state), not the topic's 200 links,
    and from the stories' table only the candidates. Migration 0016 had them read every link of the topic and look
    each story up: one random page of the index for each of a big topic's stories."""
    _oldest, related, _topic_page = old_topic(client)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE articles_article")
        cursor.execute("VACUUM ANALYZE articles_article_topics")
    plan, explained = explain_analyze(related)
    newest = rows_read(plan, index="articles_topic_link_live_idx")
    # The topic's newest 4 others and a row or two more, twice (for the candidates and for "shares a topic");
    # besides, only the story's own link. Never the topic's 200.
    assert 0 < newest <= 12 and rows_read(plan, "articles_article_topics") <= newest + 4, explained
    # From the table, the page's own query reads the story and its section's id, then only the candidates (the
    # topic's newest 4, the section's newest 4), never the topic's 200; and the story once more, as its own
    # package's lead (a story in no package), for its package (``with_package``).
    assert table_rows_read(plan, "articles_article") <= 2 + 8 + 1, explained


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_a_topics_count_and_ids_are_read_from_the_links_copies(client, big_archive):
    """Migration 0017: the query that finds a topic with its count, its next scheduled story and its stories' ids
    (kept for the content generation) reads the topic's live links from their index, and no story: it read the
    topic's every link and looked each story up, 6 ms for a topic of 5,000 stories."""
    oldest, _related, _topic_page = old_topic(client)
    topic_url = oldest[0].topics.get().get_absolute_url()  # the topic of the 200 oldest
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE articles_article_topics")
    cache.clear()  # the topic is read again
    with CaptureQueriesContext(connection) as captured:
        assert client.get(topic_url).status_code == 200
    kept = [q["sql"] for q in captured.captured_queries if '"story_ids"' in q["sql"]]
    assert len(kept) == 1
    plan, explained = explain_analyze(kept[0])
    assert rows_read(plan, "articles_article") == 0, explained
    # The topic's 200 live links for the count, the next scheduled story and the ids (on a table this small the
    # planner may read the links' rows by a bitmap too; at 100,000 articles each is an index-only scan).
    assert 0 < rows_read(plan, "articles_article_topics") <= 3 * len(oldest) + 3, explained


def test_a_print_issues_neighbours_are_found_without_reading_the_archive(client, big_archive):
    """The previous, next, first and last issue dates: short walks of the print-issue index from the issue and from
    either end. An aggregate over every story read all 4,000 here (33 ms a page at 100,000 articles)."""
    issues = {}
    for story in Article.objects.order_by("published_at"):
        issues.setdefault(timezone.localtime(story.published_at).date(), []).append(story.pk)
    for issue_on, ids in issues.items():
        Article.objects.filter(pk__in=ids).update(print_issue_on=issue_on, print_page_number="A01")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    middle = sorted(issues)[len(issues) // 2]
    neighbours = [sql for sql in article_queries(client, f"/print/{middle}/") if '"previous_issue_on"' in sql]
    assert len(neighbours) == 1
    read, explained = explain_rows_read(neighbours[0])
    assert 0 < read <= 20, explained
