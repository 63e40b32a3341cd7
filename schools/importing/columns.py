"""The columns the import uses, and how header cells are recognised (by name, never by position)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    field: str  # attribute of the normalised row / Student field
    label: str  # the Dapodik header, shown in messages
    aliases: tuple[str, ...]  # folded header names that mean this column
    required: bool = False
    help: str = ""
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column(
        "name",
        "Nama",
        ("nama", "nama peserta didik", "nama siswa", "nama lengkap"),
        required=True,
        help=_("Nama lengkap peserta didik. Wajib."),
        example="Ayu Pratama",
    ),
    Column(
        "gender",
        "JK",
        ("jk", "jenis kelamin", "l/p", "kelamin"),
        required=True,
        help=_("L atau P (Laki-laki / Perempuan). Wajib."),
        example="P",
    ),
    Column(
        "nisn",
        "NISN",
        ("nisn",),
        help=_("10 angka, boleh diawali 0. Tidak wajib."),
        example="0087204075",
    ),
    Column(
        "nipd", "NIPD", ("nipd", "nis", "nomor induk"), help=_("Nomor induk di sekolah. Tidak wajib."), example="2300"
    ),
    Column(
        "birth_place",
        "Tempat Lahir",
        ("tempat lahir",),
        help=_("Tidak wajib."),
        example="Muara Bulian",
    ),
    Column(
        "birth_date",
        "Tanggal Lahir",
        ("tanggal lahir", "tgl lahir"),
        required=True,
        help=_("Wajib. Tanggal Excel, 2008-09-13, 13/09/2008, 13-09-2008 atau 13 September 2008 (bulan Indonesia)."),
        example="2008-09-13",
    ),
    Column(
        "nik",
        "NIK",
        ("nik", "nik peserta didik", "nik siswa"),
        required=True,
        help=_(
            "16 angka sesuai KK. Kolom wajib ada; isian boleh kosong (ditandai perlu NIK). "
            "Simpan sebagai teks agar Excel tidak membulatkan angka."
        ),
        example="1504025309081409",
    ),
    Column(
        "kk",
        "No KK",
        ("no kk", "nomor kk", "no kartu keluarga", "nomor kartu keluarga", "kk"),
        help=_("16 angka. Tidak wajib; jangan tertukar dengan NIK."),
        example="1504022605151487",
    ),
    Column(
        "class_name",
        "Rombel Saat Ini",
        ("rombel saat ini", "rombel", "rombongan belajar", "kelas"),
        help=_("Rombongan belajar, mis. XII IPA 2. Tidak wajib."),
        example="X TKJ 1",
    ),
)

COLUMN_BY_FIELD = {column.field: column for column in COLUMNS}
REQUIRED_FIELDS = tuple(column.field for column in COLUMNS if column.required)
TEMPLATE_HEADERS = tuple(column.label for column in COLUMNS)

_FOLD_SPACES = re.compile(r"\s+")
_ALIASES: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in _column.aliases:
        _ALIASES[_alias] = _column.field


def fold_header(value) -> str:
    """Fold a header cell: lower case, dots and line breaks as spaces, repeated spaces folded."""
    if value is None:
        return ""
    text = str(value).replace("\ufeff", "").replace(".", " ").replace("_", " ")
    return _FOLD_SPACES.sub(" ", text).strip().lower()


def match_header(cells) -> dict[str, int]:
    """Return {field: column index} for the recognised cells of a header row (first match wins)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        field = _ALIASES.get(fold_header(cell))
        if field and field not in found:
            found[field] = index
    return found


def is_header(found: dict[str, int]) -> bool:
    return all(field in found for field in REQUIRED_FIELDS)
