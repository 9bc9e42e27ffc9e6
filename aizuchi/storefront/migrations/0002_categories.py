from django.db import migrations

from aizuchi.storefront.services.categories import ensure_default_categories


def add_categories(apps, schema_editor):
    ensure_default_categories(apps.get_model("storefront", "Category"))


class Migration(migrations.Migration):
    dependencies = [("storefront", "0001_initial")]
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
