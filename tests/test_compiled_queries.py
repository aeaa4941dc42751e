"""Queries built and compiled once per process (``fetch_compiled`` in articles/querysets.py) are shared by the
process's threads (gunicorn's gthread workers): each run must use its own thread's database connection."""

import threading

import pytest
from django.db import connections

from articles.models import Article
from tests.factories import ArticleFactory


@pytest.mark.django_db(transaction=True)
def test_a_query_compiled_in_one_thread_runs_on_the_connection_of_another():
    article = ArticleFactory(published=True, headline="线程之间")
    assert Article.objects.published_detail(article.pk).headline == "线程之间"  # compiled here, kept in the memo
    found = []

    def read():
        try:
            found.append(Article.objects.published_detail(article.pk).headline)
        except Exception as error:  # noqa: BLE001  # reported by the assertion below
            found.append(repr(error))
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert found == ["线程之间"]
