# The column is added with ALTER TABLE ... ADD COLUMN on both databases: on SQLite, Django's AddField of a NOT NULL
# column remakes the table, which the triggers of migration 0013 (on articles_article, naming this table) forbid.

from django.db import migrations, models

ADD = "ALTER TABLE articles_experienceentry ADD COLUMN printed_name varchar(100) NOT NULL DEFAULT ''"
DROP = "ALTER TABLE articles_experienceentry DROP COLUMN printed_name"


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0029_former_slugs"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD, DROP)],
            state_operations=[
                migrations.AddField(
                    model_name="experienceentry",
                    name="printed_name",
                    field=models.CharField(
                        blank=True, editable=False, max_length=100, verbose_name="organisation as printed"
                    ),
                ),
            ],
        ),
    ]
