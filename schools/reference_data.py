"""Load the region tables shipped in schools/data (idempotent)."""

from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_regions(*, kecamatan_model, desa_model, nik_region_model) -> None:
    """Insert or update Batanghari's kecamatan/desa and the national kecamatan table."""
    rows = read_csv("wilayah_batanghari.csv")
    for row in rows:
        if row["level"] == "kecamatan":
            kecamatan_model.objects.update_or_create(code=row["code"], defaults={"name": row["name"]})
    kecamatan_by_code = {k.code: k for k in kecamatan_model.objects.all()}
    existing = set(desa_model.objects.values_list("code", flat=True))
    new_desa = [
        desa_model(
            code=row["code"], name=row["name"], kind=row["level"], kecamatan=kecamatan_by_code[row["parent_code"]]
        )
        for row in rows
        if row["level"] in ("desa", "kelurahan") and row["code"] not in existing
    ]
    desa_model.objects.bulk_create(new_desa)

    regions = [
        nik_region_model(
            code=row["code"].replace(".", ""),
            name=row["name"],
            regency_name=row["regency_name"],
            province_name=row["province_name"],
        )
        for row in read_csv("kecamatan_indonesia.csv")
    ]
    nik_region_model.objects.bulk_create(
        regions,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "regency_name", "province_name"],
    )
