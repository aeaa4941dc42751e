"""Background work through the database task backend (django-tasks + django-tasks-db), run by `db_worker`."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from articles import services
from tests.factories import ArticleFactory, BylineFactory, ReporterFactory

# Committed for real: the job is enqueued when the rename commits, and the worker opens its own connections.
pytestmark = pytest.mark.django_db(transaction=True)
HEADLINES = ["县妇联执委会议召开"]


def found(query):
    """The headlines a reader finds on the search page."""
    html = Client().get(reverse("articles:search"), {"q": query}).content.decode()
    return [headline for headline in HEADLINES if headline in html]


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO())


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_renaming_a_reporter_queues_the_reindex_and_the_worker_does_it(admin_client, database_tasks):
    reporter = ReporterFactory(name="覃晓岚", slug="qin")
    article = ArticleFactory(published=True, headline=HEADLINES[0])
    BylineFactory(article=article, reporter=reporter)
    services.reindex_article(article)
    assert found("覃晓岚") == HEADLINES

    response = admin_client.post(
        reverse("admin:articles_reporter_change", args=[reporter.pk]),
        {"name": "覃晓蓝", "slug": "qin", "title": "", "affiliation": "", "bio": "", "is_active": "on"},
    )
    assert response.status_code == 302

    # Saved at once; the search index follows when a worker (any app server's) takes the queued job.
    job = DBTaskResult.objects.get()
    assert job.task_path == "articles.tasks.reindex_reporter_articles"
    assert found("覃晓蓝") == []

    run_worker()

    job.refresh_from_db()
    assert job.status == "SUCCESSFUL"
    assert found("覃晓蓝") == HEADLINES
    # The story came out under her former name, which its byline keeps (Byline.printed_name): found by both.
    assert found("覃晓岚") == HEADLINES
