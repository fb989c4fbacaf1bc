"""Seed the vaccine catalogue from the domain CSV (copied from shared/domain into sotiem/lib/data)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from sotiem.immunizations.catalogue import load_catalogue

    load_catalogue(apps.get_model("immunizations", "Vaccine"))


def backwards(apps, schema_editor):
    apps.get_model("immunizations", "Vaccine").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("immunizations", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
