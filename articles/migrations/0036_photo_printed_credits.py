# Photo.printed_credits: a photo's credit as each story that had come out printed it, kept when the credited reporter
# is renamed or merged. With a database default, for the release before it, which stores photos without the column
# during a rolling deploy. On SQLite the photo table is remade (no trigger names it).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0035_reporter_departure_ends_login"),
    ]

    operations = [
        migrations.AddField(
            model_name="photo",
            name="printed_credits",
            field=models.JSONField(
                blank=True, db_default={}, default=dict, editable=False, verbose_name="credits as printed"
            ),
        ),
    ]
