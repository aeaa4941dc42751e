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
            assert re.search(r"Index (Only )?Scan using articles_article_live(_sec)?_idx", explained), explained


def test_admin_article_list_queries_use_an_index(admin_client, archive):
    changelist = reverse("admin:articles_article_changelist")
    for url in [
        changelist,
        f"{changelist}?status__exact=published",
        f"{changelist}?section__id__exact={archive[0].pk}",
        f"{changelist}?p=2",
    ]:
        for sql in article_queries(admin_client, url):
            explained = plan(sql)
            assert "Seq Scan on articles_article " not in explained, (url, sql, explained)
