"""A reporter's page reads its stories in order from an index of the bylines (issue 8).

The reporter page listed the published articles with a byline of the reporter, newest first. PostgreSQL walked the
newest stories by time, looking each up in the reporter's bylines: quick for a reporter who writes today, but
through the whole archive for one whose stories are old (90 ms at 100,000 articles for a retired reporter with 2,000
bylines). As migration 0013 did for the experience entries, each byline carries copies of its article's state
(``article_live``: published, not in the trash; ``article_published_at``), kept by triggers in the database
(PostgreSQL and SQLite alike): an article published, withdrawn, rescheduled, trashed or restored (by a save, a bulk
update or raw SQL) updates its bylines in the same statement, and a byline written takes its article's state again.
``articles_byline_live_idx`` then serves every page of a reporter's list in order (tests/test_reporter_list.py).
"""

from django.db import migrations, models

POSTGRESQL = [
    # A byline written takes its article's state (whatever the statement put there).
    """
    CREATE FUNCTION articles_byline_copy_article() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT a.status = 'published' AND a.deleted_at IS NULL, a.published_at
          INTO NEW.article_live, NEW.article_published_at
          FROM articles_article a WHERE a.id = NEW.article_id;
        IF NOT FOUND THEN
            NEW.article_live := false;
            NEW.article_published_at := NULL;
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER articles_byline_copy_article BEFORE INSERT OR UPDATE ON articles_byline
    FOR EACH ROW EXECUTE FUNCTION articles_byline_copy_article()
    """,
    # An article whose state changes (or that is written after its bylines) passes it on to its bylines.
    """
    CREATE FUNCTION articles_article_copy_to_bylines() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE articles_byline
           SET article_live = (NEW.status = 'published' AND NEW.deleted_at IS NULL),
               article_published_at = NEW.published_at
         WHERE article_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER articles_article_copy_to_bylines AFTER UPDATE OF status, published_at, deleted_at
    ON articles_article FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.published_at IS DISTINCT FROM NEW.published_at
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION articles_article_copy_to_bylines()
    """,
    """
    CREATE TRIGGER articles_article_new_copy_to_bylines AFTER INSERT ON articles_article
    FOR EACH ROW EXECUTE FUNCTION articles_article_copy_to_bylines()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS articles_article_new_copy_to_bylines ON articles_article",
    "DROP TRIGGER IF EXISTS articles_article_copy_to_bylines ON articles_article",
    "DROP FUNCTION IF EXISTS articles_article_copy_to_bylines()",
    "DROP TRIGGER IF EXISTS articles_byline_copy_article ON articles_byline",
    "DROP FUNCTION IF EXISTS articles_byline_copy_article()",
]

# SQLite has no BEFORE trigger that can change the row: the byline is corrected right after it is written (the WHEN
# clause stops at once when the copies are already right, recursive triggers or not).
_SQLITE_STATE = (
    "COALESCE((SELECT a.status = 'published' AND a.deleted_at IS NULL FROM articles_article a "
    "WHERE a.id = NEW.article_id), 0)"
)
_SQLITE_TIME = "(SELECT a.published_at FROM articles_article a WHERE a.id = NEW.article_id)"
_SQLITE_BYLINE_BODY = (
    f"WHEN NEW.article_live IS NOT {_SQLITE_STATE} "  # noqa: S608  # nosec B608: fixed SQL of this module
    f"OR NEW.article_published_at IS NOT {_SQLITE_TIME} "
    f"BEGIN UPDATE articles_byline SET article_live = {_SQLITE_STATE}, "
    f"article_published_at = {_SQLITE_TIME} WHERE id = NEW.id; END"
)
_SQLITE_ARTICLE_BODY = (
    "BEGIN UPDATE articles_byline SET article_live = (NEW.status = 'published' AND NEW.deleted_at IS NULL), "
    "article_published_at = NEW.published_at WHERE article_id = NEW.id; END"
)
SQLITE = [
    f"CREATE TRIGGER articles_byline_copy_article_insert AFTER INSERT ON articles_byline "
    f"FOR EACH ROW {_SQLITE_BYLINE_BODY}",
    f"CREATE TRIGGER articles_byline_copy_article_update AFTER UPDATE ON articles_byline "
    f"FOR EACH ROW {_SQLITE_BYLINE_BODY}",
    "CREATE TRIGGER articles_article_copy_to_bylines AFTER UPDATE OF status, published_at, deleted_at "
    "ON articles_article FOR EACH ROW WHEN OLD.status IS NOT NEW.status "
    "OR OLD.published_at IS NOT NEW.published_at OR OLD.deleted_at IS NOT NEW.deleted_at "
    f"{_SQLITE_ARTICLE_BODY}",
    f"CREATE TRIGGER articles_article_new_copy_to_bylines AFTER INSERT ON articles_article "
    f"FOR EACH ROW {_SQLITE_ARTICLE_BODY}",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS articles_article_new_copy_to_bylines",
    "DROP TRIGGER IF EXISTS articles_article_copy_to_bylines",
    "DROP TRIGGER IF EXISTS articles_byline_copy_article_update",
    "DROP TRIGGER IF EXISTS articles_byline_copy_article_insert",
]

FILL = (
    "UPDATE articles_byline SET "
    "article_live = COALESCE((SELECT a.status = 'published' AND a.deleted_at IS NULL FROM articles_article a "
    "WHERE a.id = articles_byline.article_id), false), "
    "article_published_at = (SELECT a.published_at FROM articles_article a "
    "WHERE a.id = articles_byline.article_id)"
)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"The bylines' triggers are written for PostgreSQL and SQLite, not {vendor}")
    schema_editor.execute(FILL)
    for sql in statements:
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0014_search_title_codes"),
    ]

    operations = [
        migrations.AddField(
            model_name="byline",
            name="article_live",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="byline",
            name="article_published_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.AddIndex(
            model_name="byline",
            index=models.Index(
                condition=models.Q(("article_live", True)),
                fields=["reporter", "-article_published_at", "-article"],
                name="articles_byline_live_idx",
            ),
        ),
    ]
