"""Queries built and compiled once per process (``fetch_compiled`` in articles/querysets.py) are shared by the
process's threads (gunicorn's gthread workers): each run must use its own thread's database connection."""

import threading

import pytest
from django.db import connections

from articles.models import Article
from articles.querysets import STAND_IN_OBJECT, fetch_compiled
from tests.factories import ArticleFactory, BylineFactory, PhotoFactory, ReporterFactory


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


def _fields(instance):
    """An instance's field values and annotations, without Django's bookkeeping."""
    return {name: value for name, value in vars(instance).items() if not name.startswith("_")}


@pytest.mark.django_db
def test_the_article_page_reads_the_same_article_as_the_orm(django_assert_num_queries):
    """published_detail makes its instances from the rows itself (``_InstancesOfRows``): they hold what the ORM's
    own query gives, the lead photo and its credited reporter joined, the sections, the parts as prefetched."""
    credited = ReporterFactory(name="摄影记者甲")
    photo = PhotoFactory(credit_reporter=credited, alt_text="会场")
    with_photo = ArticleFactory(published=True, headline="有题图", lead_photo=photo, summary="提要")
    BylineFactory(article=with_photo, reporter=ReporterFactory(name="记者乙"))
    without_photo = ArticleFactory(published=True, headline="没有题图")
    for article in (with_photo, without_photo):
        read = Article.objects.published_detail(article.pk)
        orm = Article.objects.published().for_detail().with_package().get(pk=article.pk)
        with django_assert_num_queries(0):
            assert _fields(read) == _fields(orm)
            assert _fields(read.section) == _fields(orm.section)
            assert read._state.db == "default" and not read._state.adding
            if article is with_photo:
                assert _fields(read.lead_photo) == _fields(orm.lead_photo)
                assert read.lead_photo.credit_reporter.name == "摄影记者甲"
                assert [byline.reporter.name for byline in read.bylines.all()] == ["记者乙"]
            else:
                assert read.lead_photo is None
                assert list(read.bylines.all()) == []


@pytest.mark.django_db
def test_a_compiled_query_with_prefetches_still_prefetches(django_assert_num_queries):
    """A compiled query that prefetches (which the rows alone cannot give) runs through the ORM's own iterable."""
    article = ArticleFactory(published=True)
    BylineFactory(article=article, reporter=ReporterFactory(name="记者丙"))
    found = fetch_compiled(
        ("test: prefetched bylines",),
        lambda now: Article.objects.filter(pk=STAND_IN_OBJECT).prefetch_related("bylines__reporter"),
        "default",
        {STAND_IN_OBJECT: article.pk},
    )
    with django_assert_num_queries(0):
        assert [byline.reporter.name for byline in found[0].bylines.all()] == ["记者丙"]
