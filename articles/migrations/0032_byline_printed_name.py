# The column is added with ALTER TABLE ... ADD COLUMN on both databases: on SQLite, Django's AddField of a NOT NULL
# column remakes the table, which the triggers of migration 0015 (on articles_article, naming this table) forbid.

from django.db import migrations, models

ADD = "ALTER TABLE articles_byline ADD COLUMN printed_name varchar(50) NOT NULL DEFAULT ''"
DROP = "ALTER TABLE articles_byline DROP COLUMN printed_name"


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0031_merged_organizations"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD, DROP)],
            state_operations=[
                migrations.AddField(
                    model_name="byline",
                    name="printed_name",
                    field=models.CharField(blank=True, editable=False, max_length=50, verbose_name="name as printed"),
                ),
            ],
        ),
    ]
