"""The experience lists read their order from an index of their own (issue 8).

An entry's place in the experience index is its article's publication time, and whether it is shown at all is its
article's state: ``article_live`` (published, not in the trash) and ``article_published_at`` are copied onto every
entry so that one index of the entries serves the lists in their order, every page of them. The copies are kept by
triggers in the database (PostgreSQL and SQLite alike), not by Python: an article published, withdrawn,
rescheduled, trashed or restored (by a save, a bulk update or raw SQL) updates its entries in the same statement,
and an entry written (a new entry, one moved to another article, a save with stale copies) takes its article's
state again. tests/test_experience_speed.py checks both against ``ExperienceEntryQuerySet.published()``.
"""

from django.db import migrations, models

POSTGRESQL = [
    # An entry written takes its article's state (whatever the statement put there).
    """
    CREATE FUNCTION articles_entry_copy_article() RETURNS trigger LANGUAGE plpgsql AS $$
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
    CREATE TRIGGER articles_entry_copy_article BEFORE INSERT OR UPDATE ON articles_experienceentry
    FOR EACH ROW EXECUTE FUNCTION articles_entry_copy_article()
    """,
    # An article whose state changes (or that is written after its entries) passes it on to its entries.
    """
    CREATE FUNCTION articles_article_copy_to_entries() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE articles_experienceentry
           SET article_live = (NEW.status = 'published' AND NEW.deleted_at IS NULL),
               article_published_at = NEW.published_at
         WHERE article_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER articles_article_copy_to_entries AFTER UPDATE OF status, published_at, deleted_at
    ON articles_article FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.published_at IS DISTINCT FROM NEW.published_at
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION articles_article_copy_to_entries()
    """,
    """
    CREATE TRIGGER articles_article_new_copy_to_entries AFTER INSERT ON articles_article
    FOR EACH ROW EXECUTE FUNCTION articles_article_copy_to_entries()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS articles_article_new_copy_to_entries ON articles_article",
    "DROP TRIGGER IF EXISTS articles_article_copy_to_entries ON articles_article",
    "DROP FUNCTION IF EXISTS articles_article_copy_to_entries()",
    "DROP TRIGGER IF EXISTS articles_entry_copy_article ON articles_experienceentry",
    "DROP FUNCTION IF EXISTS articles_entry_copy_article()",
]

# SQLite has no BEFORE trigger that can change the row: the entry is corrected right after it is written (the WHEN
# clause stops at once when the copies are already right, recursive triggers or not).
_SQLITE_ENTRY_STATE = (
    "COALESCE((SELECT a.status = 'published' AND a.deleted_at IS NULL FROM articles_article a "
    "WHERE a.id = NEW.article_id), 0)"
)
_SQLITE_ENTRY_TIME = "(SELECT a.published_at FROM articles_article a WHERE a.id = NEW.article_id)"
_SQLITE_ENTRY_BODY = (
    f"WHEN NEW.article_live IS NOT {_SQLITE_ENTRY_STATE} "  # noqa: S608  # nosec B608: fixed SQL of this module
    f"OR NEW.article_published_at IS NOT {_SQLITE_ENTRY_TIME} "
    f"BEGIN UPDATE articles_experienceentry SET article_live = {_SQLITE_ENTRY_STATE}, "
    f"article_published_at = {_SQLITE_ENTRY_TIME} WHERE id = NEW.id; END"
)
_SQLITE_ARTICLE_BODY = (
    "BEGIN UPDATE articles_experienceentry SET article_live = (NEW.status = 'published' AND NEW.deleted_at IS NULL), "
    "article_published_at = NEW.published_at WHERE article_id = NEW.id; END"
)
SQLITE = [
    f"CREATE TRIGGER articles_entry_copy_article_insert AFTER INSERT ON articles_experienceentry "
    f"FOR EACH ROW {_SQLITE_ENTRY_BODY}",
    f"CREATE TRIGGER articles_entry_copy_article_update AFTER UPDATE ON articles_experienceentry "
    f"FOR EACH ROW {_SQLITE_ENTRY_BODY}",
    "CREATE TRIGGER articles_article_copy_to_entries AFTER UPDATE OF status, published_at, deleted_at "
    "ON articles_article FOR EACH ROW WHEN OLD.status IS NOT NEW.status "
    "OR OLD.published_at IS NOT NEW.published_at OR OLD.deleted_at IS NOT NEW.deleted_at "
    f"{_SQLITE_ARTICLE_BODY}",
    f"CREATE TRIGGER articles_article_new_copy_to_entries AFTER INSERT ON articles_article "
    f"FOR EACH ROW {_SQLITE_ARTICLE_BODY}",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS articles_article_new_copy_to_entries",
    "DROP TRIGGER IF EXISTS articles_article_copy_to_entries",
    "DROP TRIGGER IF EXISTS articles_entry_copy_article_update",
    "DROP TRIGGER IF EXISTS articles_entry_copy_article_insert",
]

FILL = (
    "UPDATE articles_experienceentry SET "
    "article_live = COALESCE((SELECT a.status = 'published' AND a.deleted_at IS NULL FROM articles_article a "
    "WHERE a.id = articles_experienceentry.article_id), false), "
    "article_published_at = (SELECT a.published_at FROM articles_article a "
    "WHERE a.id = articles_experienceentry.article_id)"
)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor)
    if statements is None:
        raise NotImplementedError(f"The experience lists' triggers are written for PostgreSQL and SQLite, not {vendor}")
    schema_editor.execute(FILL)
    for sql in statements:
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0012_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="experienceentry",
            name="article_live",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="experienceentry",
            name="article_published_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.AddIndex(
            model_name="experienceentry",
            index=models.Index(
                condition=models.Q(("article_live", True)),
                fields=["-article_published_at", "-article", "order", "id", "form", "organization"],
                name="articles_entry_live_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="experienceentry",
            index=models.Index(
                condition=models.Q(("article_live", True)),
                fields=["organization", "-article_published_at", "-article", "order", "id"],
                name="articles_entry_live_org_idx",
            ),
        ),
    ]
