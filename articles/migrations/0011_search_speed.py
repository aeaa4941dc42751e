"""Faster, smaller search: the tsvector gives way to an int4[] of token codes (PostgreSQL, GIN without a pending
list), and each search document keeps its article's publishing time so a search needs no join to find the newest
public matches. Existing documents are filled here; nothing else needs a rebuild."""

from django.db import migrations, models

import articles.models

GIN_INDEX = "articles_searchdocument_grams_idx"


def fill(apps, schema_editor):
    from articles import search

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE articles_searchdocument SET published_at = (SELECT a.published_at FROM articles_article a "
            "WHERE a.id = articles_searchdocument.article_id)"
        )
        if connection.vendor != "postgresql":
            return
        cursor.execute("SELECT id, title, meta, body FROM articles_searchdocument")
        rows = [(search.document_codes(title, meta, body), pk) for pk, title, meta, body in cursor.fetchall()]
        cursor.executemany("UPDATE articles_searchdocument SET grams = %s WHERE id = %s", rows)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the deferred checks: an index cannot be created
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # with them pending
        cursor.execute(f"CREATE INDEX {GIN_INDEX} ON articles_searchdocument USING gin (grams) WITH (fastupdate = off)")


def drop_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")


def restore_vector(apps, schema_editor):
    """Going back: the old tsvector column and its GIN index (filled by ``manage.py rebuild_search_index``)."""
    schema_editor.execute("ALTER TABLE articles_searchdocument ADD COLUMN vector tsvector NULL")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX articles_searchdocument_vector_idx ON articles_searchdocument USING gin (vector)"
        )


def drop_vector(apps, schema_editor):
    """ALTER TABLE ... DROP COLUMN, also on SQLite: a rebuilt table would lose the FTS5 trigger."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS articles_searchdocument_vector_idx")
    schema_editor.execute("ALTER TABLE articles_searchdocument DROP COLUMN vector")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0010_search_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField(model_name="searchdocument", name="vector")],
            database_operations=[migrations.RunPython(drop_vector, restore_vector)],
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="grams",
            field=articles.models.TokenCodes(base_field=models.IntegerField(), editable=False, null=True, size=None),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="published_at",
            field=models.DateTimeField(editable=False, null=True, verbose_name="publishing time"),
        ),
        migrations.AddIndex(
            model_name="searchdocument",
            index=models.Index(fields=["-published_at", "-id"], name="articles_searchdoc_newest_idx"),
        ),
        migrations.RunPython(fill, drop_gin),
    ]
