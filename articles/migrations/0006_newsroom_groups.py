"""The newsroom's groups (记者, 编辑, 主编) with their permissions."""

from django.db import migrations


def add_groups(apps, schema_editor):
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
        ("articles", "0005_workflow_history_trash_checks"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_groups, migrations.RunPython.noop)]
