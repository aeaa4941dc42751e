"""On PostgreSQL a page's queries are prepared once per connection and then only executed (newsroom/settings.py,
NEWSROOM_DB_PREPARE_THRESHOLD): planning the article page's query cost as much as running it."""

import pytest
from django.db import connection

from tests.factories import ArticleFactory, BylineFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of PostgreSQL"),
]


def prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_article_pages_query_is_prepared_after_a_few_requests(client, settings):
    settings.NEWSROOM_PAGE_CACHE = False  # every request runs its queries
    article = ArticleFactory(published=True, headline="准备好的查询")
    BylineFactory(article=article)
    for _ in range(5):
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        assert "准备好的查询" in response.content.decode()
    page_query = [s for s in prepared_statements() if '"bylines_json"' in s and 'FROM "articles_article"' in s]
    assert page_query
    # The values are bound on the server, not written into the SQL: one statement serves every article and time.
    assert "$1" in page_query[0] and "'published'" not in page_query[0]


def test_a_prepared_query_still_sees_each_requests_values(client, settings):
    settings.NEWSROOM_PAGE_CACHE = False
    first, second = ArticleFactory(published=True, headline="第一篇"), ArticleFactory(published=True, headline="第二篇")
    for _ in range(4):
        assert "第一篇" in client.get(first.get_absolute_url()).content.decode()
    body = client.get(second.get_absolute_url()).content.decode()
    assert "第二篇" in body and "第一篇" not in body.split("related")[0]
