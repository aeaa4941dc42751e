"""bench/inprocess.py measures pages as production serves them."""

import pytest
from django.db import connection, reset_queries

from bench import inprocess
from tests.factories import ArticleFactory, BylineFactory


@pytest.mark.django_db
def test_timed_counts_the_queries_without_a_debug_cursor(client, settings, django_assert_max_num_queries):
    settings.NEWSROOM_PAGE_CACHE = False  # as the bench runs: every request renders
    article = ArticleFactory(published=True)
    BylineFactory(article=article)
    url = article.get_absolute_url()
    client.get(url)
    with django_assert_max_num_queries(5) as expected:  # the article page's budget
        client.get(url)
    page_queries = len(expected)
    reset_queries()

    median, p90, queries, cpu = inprocess.timed(client, url, requests=3, warmup=1)

    assert queries == page_queries > 0
    assert median > 0 and p90 >= median and cpu > 0
    # Django's debug cursor (CaptureQueriesContext) writes every statement out with its parameters into
    # queries_log: work no production request does, inside the timings.
    assert len(connection.queries_log) == 0
