from django.db import migrations

# "文/图 罗某": one person wrote the story and took its photos, a role as common in the paper's bylines as 记者.
# Reporters may not add roles (a manuscript naming an unknown one fails for them), so it is in the vocabulary.
ROLE, ORDER = "文/图", 65  # after 摄影 (60), before 摄像 (70): see 0002_byline_roles


def add_role(apps, schema_editor):
    BylineRole = apps.get_model("articles", "BylineRole")
    BylineRole.objects.get_or_create(name=ROLE, defaults={"order": ORDER})


class Migration(migrations.Migration):
    dependencies = [("articles", "0021_print_page_numbers_as_the_paper_writes_them")]

    # Not removed going back: bylines may name it by then.
    operations = [migrations.RunPython(add_role, migrations.RunPython.noop)]
