"""Seed the administrative units of both eras and the 2021→2025 mapping (offline package data)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from sotiem.places.loader import load_admin_units

    load_admin_units(apps.get_model("places", "AdminUnit"), apps.get_model("places", "UnitMapping"))


def backwards(apps, schema_editor):
    from sotiem.places.loader import unload_admin_units

    unload_admin_units(apps.get_model("places", "AdminUnit"), apps.get_model("places", "UnitMapping"))


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
