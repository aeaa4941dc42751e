"""Headline hits found by the index (PostgreSQL): each search document's codes gain its title's own codes
(``search.title_code``), so a search finds the stories with the word in the headline without reading every match.
Existing documents are filled here, batch by batch; nothing else needs a rebuild. SQLite keeps its FTS5 tokens."""

from django.db import migrations

BATCH = 1000
GIN_INDEX = "articles_searchdocument_grams_idx"


def fill(apps, schema_editor):
    from articles import search

    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    last = 0
    with connection.cursor() as cursor:
        # Updating the rows under their GIN index is many times slower than building the index again afterwards.
        cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
        while True:
            cursor.execute(
                "SELECT id, title, meta, body FROM articles_searchdocument WHERE id > %s ORDER BY id LIMIT %s",
                (last, BATCH),
            )
            rows = cursor.fetchall()
            if not rows:
                break
            cursor.executemany(
                "UPDATE articles_searchdocument SET grams = %s WHERE id = %s",
                [(search.document_codes(title, meta, body), pk) for pk, title, meta, body in rows],
            )
            last = rows[-1][0]
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle the deferred checks: an index cannot be created
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # with them pending
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute(f"CREATE INDEX {GIN_INDEX} ON articles_searchdocument USING gin (grams) WITH (fastupdate = off)")
        cursor.execute("ANALYZE articles_searchdocument")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0013_experience_list_indexes"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
