"""The chief editors (主编) may lift a login lock: django-axes' login attempts to view and delete, its records of
logins and failures to view."""

from django.db import migrations


def grant_permissions(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from articles.services import ensure_newsroom_groups

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_newsroom_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0022_text_and_photo_byline_role"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
