"""System checks that need the database (``manage.py check --database default``; ``migrate`` runs them too)."""

from django.core.checks import Error, Tags, register
from django.db import connections

from articles.querysets import PINYIN_COLLATION


@register(Tags.database)
def pinyin_collation(databases=None, **kwargs):
    """The experience index lists organisations in pinyin order with PostgreSQL's ICU collation: a server built
    without ICU would fail that page."""
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = %s)", [PINYIN_COLLATION])
            if not cursor.fetchone()[0]:
                errors.append(
                    Error(
                        f"The PostgreSQL server of database {alias!r} has no collation {PINYIN_COLLATION!r}.",
                        hint="Use a PostgreSQL built with ICU (Debian's packages, the official Docker image and "
                        "the managed services are); names are put in pinyin order with it.",
                        id="articles.E001",
                    )
                )
    return errors
