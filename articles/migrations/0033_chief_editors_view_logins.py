"""The chief editors (主编) may look up the logins (view only), to link a reporter's profile to a colleague's login."""

from django.db import migrations


def grant_permissions(apps, schema_editor):
    from articles.services import grant_newsroom_permissions

    grant_newsroom_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0032_byline_printed_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant_permissions, migrations.RunPython.noop)]
