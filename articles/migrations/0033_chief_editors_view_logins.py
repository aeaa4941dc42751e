"""The chief editors (主编) may look up the logins (view only), to link a reporter's profile to a colleague's login."""

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
        ("articles", "0032_byline_printed_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
