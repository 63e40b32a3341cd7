"""Rows every database needs: role groups and region tables.

Migrations create them once; ``ensure_base_data`` runs after every ``migrate`` and every test
flush (Django's post_migrate signal), so a flushed test database gets them back.
"""

from __future__ import annotations

import importlib

from django.apps import apps as global_apps


def ensure_base_data(sender=None, apps=global_apps, using="default", **kwargs) -> None:
    """Create the role groups and the region tables if they are missing (idempotent)."""
    Kecamatan = apps.get_model("schools", "Kecamatan")
    NikRegion = apps.get_model("schools", "NikRegion")
    Group = apps.get_model("auth", "Group")
    if not Kecamatan.objects.using(using).exists() or not NikRegion.objects.using(using).exists():
        from schools.reference_data import load_regions

        load_regions(
            kecamatan_model=Kecamatan,
            desa_model=apps.get_model("schools", "Desa"),
            nik_region_model=NikRegion,
        )
    roles = importlib.import_module("recordings.migrations.0003_roles")
    if Group.objects.using(using).filter(name__in=list(roles.PERMISSIONS)).count() < len(roles.PERMISSIONS):
        roles.create_groups(apps, None)
