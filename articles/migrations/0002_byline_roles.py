from django.db import migrations

ROLES = ["记者", "首席记者", "见习记者", "实习生", "通讯员", "摄影", "摄像", "整理", "编辑", "撰稿", "制图"]


def add_roles(apps, schema_editor):
    BylineRole = apps.get_model("articles", "BylineRole")
    for order, name in enumerate(ROLES, start=1):
        BylineRole.objects.get_or_create(name=name, defaults={"order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(add_roles, migrations.RunPython.noop)]
