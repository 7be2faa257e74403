from django.db import migrations

from inspections.frameworks import FRAMEWORK_FILES, load_framework, read_framework


def load(apps, schema_editor):
    models = {
        name: apps.get_model("inspections", name) for name in ["Framework", "OverallBand", "Standard", "Question"]
    }
    for filename in FRAMEWORK_FILES:
        load_framework(read_framework(filename), **models)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
