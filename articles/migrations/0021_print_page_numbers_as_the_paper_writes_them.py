"""Print page numbers typed before they were normalised on save ("a01", "A3", "Ａ０３") written as the paper writes
them ("A01", "A03"): the print-edition view groups and orders its pages by the stored number (Article.save)."""

from django.db import migrations


def normalise(apps, schema_editor):
    from articles.services import normalized_page_number

    Article = apps.get_model("articles", "Article")
    db = schema_editor.connection.alias
    rows = Article.objects.using(db).exclude(print_page_number="").values_list("pk", "print_page_number")
    for pk, number in list(rows):
        normalised = normalized_page_number(number)
        if normalised != number:
            Article.objects.using(db).filter(pk=pk).update(print_page_number=normalised)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0020_publishing_time_help"),
    ]

    operations = [
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]
