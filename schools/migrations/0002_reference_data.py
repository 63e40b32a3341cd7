"""Load the region reference data (Kepmendagri codes) shipped in schools/data."""

from django.db import migrations


def load(apps, schema_editor):
    from schools.reference_data import load_regions

    load_regions(
        kecamatan_model=apps.get_model("schools", "Kecamatan"),
        desa_model=apps.get_model("schools", "Desa"),
        nik_region_model=apps.get_model("schools", "NikRegion"),
    )


class Migration(migrations.Migration):
    dependencies = [("schools", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
