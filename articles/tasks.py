"""Background work (django-tasks): jobs are stored by the task backend in settings.TASKS (the database backend in
production, so the worker of any app server, ``manage.py db_worker``, can take any job). Each task takes ids, not
objects, looks its rows up again when it runs, and is safe to run twice.
"""

from django.db import transaction
from django_tasks import task

from articles import services
from articles.models import Article, Organization, Reporter, Status


@task()
def reindex_reporter_articles(reporter_id):
    """Bylines are searched by name: after a reporter is renamed, every published story naming them is reindexed."""
    reporter = Reporter.objects.filter(pk=reporter_id).first()
    if reporter is None:
        return 0
    articles = list(Article.objects.bylined(reporter).filter(status=Status.PUBLISHED).order_by("pk"))
    services.reindex_articles(articles)
    return len(articles)


@task()
def reindex_organization_articles(organization_id):
    """Entries are searched by organisation name: after a rename, every published story with its entries."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    articles = list(Article.objects.with_entries_from(organization).filter(status=Status.PUBLISHED).order_by("pk"))
    services.reindex_articles(articles)
    return len(articles)


def enqueue_on_commit(task_, *args):
    """Enqueue once the surrounding transaction commits (a worker must find the change it is told about)."""
    transaction.on_commit(lambda: task_.enqueue(*args))
