"""A reporter marked as departed (在职 unticked) has her login deactivated: the chief editors (主编) get the
permission to do it (editors could otherwise lock a colleague out); the field says what unticking it does."""

from django.db import migrations, models


def grant_permissions(apps, schema_editor):
    from articles.services import grant_newsroom_permissions

    grant_newsroom_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0034_photo_former_names_database_default"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="reporter",
            options={
                "ordering": ["name", "id"],
                "permissions": [
                    ("end_reporter_login", "Can mark a reporter with a login as departed, ending the login")
                ],
                "verbose_name": "reporter",
                "verbose_name_plural": "reporters",
            },
        ),
        migrations.AlterField(
            model_name="reporter",
            name="is_active",
            field=models.BooleanField(
                default=True,
                help_text=(
                    "Untick when the reporter leaves: she is no longer offered for new bylines, her stories and page "
                    "stay, and her login, if she has one, is deactivated at once. Ticking it again does not restore "
                    "the login: the site's administrator does that."
                ),
                verbose_name="active",
            ),
        ),
        migrations.RunPython(grant_permissions, migrations.RunPython.noop),
    ]
