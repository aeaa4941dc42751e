"""The newsroom's groups (记者, 编辑, 主编) with their permissions."""

from django.db import migrations


def add_groups(apps, schema_editor):
    from articles.services import grant_newsroom_permissions

    grant_newsroom_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_workflow_history_trash_checks"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_groups, migrations.RunPython.noop)]
