"""On PostgreSQL the public pages' main queries (``fetch_compiled``) are prepared on each connection and then only
executed (newsroom/settings.py, NEWSROOM_DB_PREPARED_STATEMENTS): planning the article page's query cost as much as
running it. Other queries are not: a generic plan cannot use a partial index whose condition is a bound value."""

import re

import pytest
from django.db import connection, models

from articles.models import Article
from articles.querysets import Constant
from tests.factories import ArticleFactory, BylineFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of PostgreSQL"),
]


def prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def uncached(settings):
    settings.NEWSROOM_PAGE_CACHE = False  # every request runs its queries


def test_the_article_pages_query_is_prepared_with_its_values_bound(client, uncached):
    article = ArticleFactory(published=True, headline="准备好的查询")
    BylineFactory(article=article)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert "准备好的查询" in response.content.decode()
    page_query = [s for s in prepared_statements() if '"bylines_json"' in s and 'FROM "articles_article"' in s]
    assert page_query
    # The values are bound on the server, not written into the SQL: one statement serves every article and time
    # (the status is written in: a constant of the code, which lets the plan use the partial indexes).
    assert re.search(r'"published_at" <= \$\d+', page_query[0]) and re.search(r'"id" = \$\d+', page_query[0])


def test_the_reporters_count_is_not_prepared(client, uncached):
    # Its generic plan cannot use the partial index of published stories: 10 times slower at 100,000 articles.
    byline = BylineFactory(article=ArticleFactory(published=True))
    for _ in range(8):
        assert client.get(byline.reporter.get_absolute_url()).status_code == 200
    assert not [s for s in prepared_statements() if s.startswith('SELECT "articles_reporter"."id"')]


def test_a_prepared_query_still_sees_each_requests_values(client, uncached):
    first, second = ArticleFactory(published=True, headline="第一篇"), ArticleFactory(published=True, headline="第二篇")
    for _ in range(4):
        assert "第一篇" in client.get(first.get_absolute_url()).content.decode()
    body = client.get(second.get_absolute_url()).content.decode()
    assert "第二篇" in body.split('class="related"')[0] and "第一篇" not in body.split('class="related"')[0]


@pytest.mark.parametrize("value", ["published'; DROP TABLE articles_article; --", "Published", "", 3, None])
def test_only_fixed_words_and_booleans_are_written_into_the_sql(value):
    with pytest.raises(ValueError):
        Constant(value, models.CharField())


def test_the_published_status_is_written_into_the_sql_so_partial_indexes_serve_generic_plans():
    sql, params = Article.objects.published().values("pk").query.sql_with_params()
    assert "'published'" in sql and "published" not in [str(param) for param in params]


def test_the_article_pages_statement_is_converted_once(client, uncached):
    """psycopg converts a statement's placeholders on every execute unless it keeps the result, which by its own
    limits it did not for the article page's statement (8 KB, 72 values): newsroom/postgresql/base.py raises them."""
    from psycopg import _queries

    article = ArticleFactory(published=True)
    BylineFactory(article=article)
    assert client.get(article.get_absolute_url()).status_code == 200
    page_query = [s for s in prepared_statements() if '"bylines_json"' in s and 'FROM "articles_article"' in s]
    assert len(page_query[0]) > 4096  # over psycopg's own limit
    before = _queries._query2pg.cache_info()
    for _ in range(3):
        assert client.get(article.get_absolute_url()).status_code == 200
    after = _queries._query2pg.cache_info()
    assert after.hits - before.hits >= 3  # each request's statement found converted
