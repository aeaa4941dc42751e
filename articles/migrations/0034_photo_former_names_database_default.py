# A database default for Photo.former_names (0027 added it NOT NULL without one): during a rolling deploy the app
# servers of the release before 0027 store uploaded photos without the column (README, "Migrations while the old
# version still serves"). On SQLite the photo table is remade (no trigger names it).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0033_chief_editors_view_logins"),
    ]

    operations = [
        migrations.AlterField(
            model_name="photo",
            name="former_names",
            field=models.JSONField(
                blank=True, db_default=[], default=list, editable=False, verbose_name="former files"
            ),
        ),
    ]
