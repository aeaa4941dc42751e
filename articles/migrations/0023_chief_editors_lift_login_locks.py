"""The chief editors (主编) may lift a login lock: django-axes' login attempts to view and delete, its records of
logins and failures to view."""

from django.db import migrations


def grant_permissions(apps, schema_editor):
    from articles.services import grant_newsroom_permissions

    grant_newsroom_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0022_text_and_photo_byline_role"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
