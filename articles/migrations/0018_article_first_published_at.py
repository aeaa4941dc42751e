"""Article.first_published_at: when a story first went live, kept when it is taken offline and published again."""

from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery


def fill_in(apps, schema_editor):
    """Published (live or scheduled) stories: their publishing time, unless they went to the trash before it (never
    live). Stories offline now: the time of their first "publish" step, when the workflow's history has one (a
    scheduled story's moment of going live is not recorded as a step of its own: those stay empty, and go back
    online as new)."""
    Article = apps.get_model("articles", "Article")
    Transition = apps.get_model("articles", "Transition")
    db = schema_editor.connection.alias
    published = Article.objects.using(db).filter(status="published")
    went_live = published.filter(Q(deleted_at=None) | Q(published_at__lte=models.F("deleted_at")))
    went_live.update(first_published_at=models.F("published_at"))
    first_publish = (
        Transition.objects.using(db)
        .filter(article=OuterRef("pk"), action="publish")
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    Article.objects.using(db).exclude(status="published").update(first_published_at=Subquery(first_publish))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0017_topic_link_live_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="first_published_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="When the story first went live. A story taken offline and published again keeps this "
                "date: it does not come back as new.",
                null=True,
                verbose_name="first published",
            ),
        ),
        migrations.RunPython(fill_in, migrations.RunPython.noop),
    ]
