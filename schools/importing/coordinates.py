"""Reading a file of school coordinates (NPSN, Lintang, Bujur, as Dapodik's school profile names
them) and judging every row before anything is written.

Accepted: CSV (``,`` or ``;``, UTF-8 with or without BOM, else Windows-1252; comma or dot
decimals) and the workbook formats the student-list reader checks (XLSX, XLS, XLSB, ODS). Headers
are matched loosely (case, spaces, dots). Every problem names the row number the user sees, the
column and what is wrong; ``schools.services.school_coordinates_import`` writes the changes.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schools.geo import in_regency, parse_coordinate
from schools.importing import readers
from schools.importing.columns import fold_header
from schools.importing.readers import UnreadableFile
from schools.models import NPSN_PATTERN

MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024
HEADER_SEARCH_ROWS = 10

COLUMN_LABELS = {"npsn": "NPSN", "latitude": gettext_lazy("Lintang"), "longitude": gettext_lazy("Bujur")}
TEMPLATE_HEADERS = ("NPSN", "Lintang", "Bujur")
_ALIASES = {
    "npsn": "npsn",
    "lintang": "latitude",
    "latitude": "latitude",
    "lat": "latitude",
    "bujur": "longitude",
    "longitude": "longitude",
    "lon": "longitude",
    "lng": "longitude",
    "long": "longitude",
}
_NPSN = re.compile(NPSN_PATTERN)


@dataclass(frozen=True)
class CoordinateProblem:
    row: int  # the row number the user sees (1 = the first line of the file)
    column: str  # the column label ("NPSN", "Lintang", "Bujur")
    message: str
    code: str


@dataclass(frozen=True)
class CoordinateChange:
    school_id: int
    npsn: str
    name: str
    row: int
    old_latitude: Decimal | None
    old_longitude: Decimal | None
    latitude: Decimal
    longitude: Decimal
    outside: bool  # outside the regency's rough bounding box: shown as a warning


@dataclass
class CoordinatePlan:
    """What an import would do: the changes (old → new), the rows already equal, and the problems."""

    rows: int = 0
    changes: list[CoordinateChange] = field(default_factory=list)
    unchanged: int = 0
    problems: list[CoordinateProblem] = field(default_factory=list)

    @property
    def warnings(self) -> list[CoordinateChange]:
        return [change for change in self.changes if change.outside]

    @property
    def can_commit(self) -> bool:
        """All or nothing: a file with any bad row saves nothing (fix it and upload it again)."""
        return not self.problems and bool(self.changes)


def _match_header(cells) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _ALIASES.get(fold_header(cell).replace(" ", ""))
        if key and key not in found:
            found[key] = index
    return found


def _is_header(found: dict[str, int]) -> bool:
    return {"npsn", "latitude", "longitude"} <= set(found)


def _no_header() -> UnreadableFile:
    return UnreadableFile(
        "no_header",
        _("Baris judul kolom tidak ditemukan. Berkas harus punya kolom NPSN, Lintang dan Bujur (seperti templat)."),
    )


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_lines(data: bytes) -> list[list]:
    text = _decode(data)
    head = text.splitlines()[:HEADER_SEARCH_ROWS]
    delimiter = ","
    for candidate in (";", ",", "\t"):
        try:
            if any(_is_header(_match_header(cells)) for cells in csv.reader(head, delimiter=candidate)):
                delimiter = candidate
                break
        except csv.Error:
            continue
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableFile("corrupt", _("Berkas CSV tidak bisa dibaca (%(error)s).") % {"error": exc}) from exc


def _workbook_lines(data: bytes, kind: str) -> list[list]:
    if kind == "xlsx":
        archive = readers._check_zip(data, max_unpacked=readers.WEB_MAX_UNPACKED_BYTES)
        readers._check_sheet_extents(archive, max_rows=MAX_ROWS)
    else:
        readers.check_workbook(data, kind, max_rows=MAX_ROWS)
    workbook = readers.open_workbook(data, kind)
    try:
        for index in range(len(workbook.sheet_names)):
            lines = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False, nrows=MAX_ROWS + 100)
            if any(_is_header(_match_header(line)) for line in lines[:HEADER_SEARCH_ROWS]):
                return lines
    except UnreadableFile:
        raise
    except Exception as exc:  # calamine raises several error types for damaged sheets
        raise UnreadableFile(
            "corrupt", _("Berkas tidak bisa dibaca. Simpan sebagai CSV atau XLSX lalu unggah lagi.")
        ) from exc
    finally:
        workbook.close()
    raise _no_header()


def read_lines(data: bytes, name: str) -> list[list]:
    """The file's lines as lists of cells. Raises UnreadableFile with one message for the user."""
    if not data or not data.strip():
        raise UnreadableFile("empty", _("Berkas kosong."))
    if len(data) > MAX_BYTES:
        raise UnreadableFile(
            "too_large", _("Berkas terlalu besar (paling besar %(limit)s MB).") % {"limit": MAX_BYTES // 1048576}
        )
    kind = readers.detect_kind(data[:8192], name)
    if kind == "csv":
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise UnreadableFile("wrong_type", _("Simpan berkas sebagai CSV (UTF-8) lalu unggah lagi."))
        return _csv_lines(data)
    return _workbook_lines(data, readers.workbook_kind(data) or kind)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _npsn_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().replace(" ", "")


def judge(lines: list[list], *, schools: dict[str, tuple[int, str, Decimal | None, Decimal | None]]) -> CoordinatePlan:
    """Judge every data row against the known schools ({NPSN: (id, name, latitude, longitude)})."""
    header_index = next(
        (i for i, line in enumerate(lines[:HEADER_SEARCH_ROWS]) if _is_header(_match_header(line))), None
    )
    if header_index is None:
        raise _no_header()
    columns = _match_header(lines[header_index])
    plan = CoordinatePlan()
    seen: dict[str, int] = {}
    for offset, line in enumerate(lines[header_index + 1 :], start=header_index + 2):
        cells = {key: (line[index] if index < len(line) else None) for key, index in columns.items()}
        if all(_blank(value) for value in cells.values()):
            continue
        plan.rows += 1
        if plan.rows > MAX_ROWS:
            limit = f"{MAX_ROWS:,}".replace(",", ".")
            raise UnreadableFile("too_many_rows", _("Berkas berisi lebih dari %(n)s baris data.") % {"n": limit})
        problems = _judge_row(offset, cells, schools=schools, seen=seen)
        if problems:
            plan.problems.extend(problems)
            continue
        npsn = _npsn_text(cells["npsn"])
        latitude = parse_coordinate(cells["latitude"], kind="latitude")
        longitude = parse_coordinate(cells["longitude"], kind="longitude")
        school_id, name, old_latitude, old_longitude = schools[npsn]
        if (old_latitude, old_longitude) == (latitude, longitude):
            plan.unchanged += 1
            continue
        plan.changes.append(
            CoordinateChange(
                school_id=school_id,
                npsn=npsn,
                name=name,
                row=offset,
                old_latitude=old_latitude,
                old_longitude=old_longitude,
                latitude=latitude,
                longitude=longitude,
                outside=not in_regency(latitude, longitude),
            )
        )
    return plan


def _judge_row(number: int, cells: dict, *, schools: dict, seen: dict[str, int]) -> list[CoordinateProblem]:
    problems = []
    npsn_value = cells["npsn"]
    if _blank(npsn_value):
        problems.append(CoordinateProblem(number, "NPSN", _("NPSN kosong."), "npsn_empty"))
    else:
        npsn = _npsn_text(npsn_value)
        if not _NPSN.match(npsn):
            message = _("“%(value)s” bukan NPSN (8 angka).") % {"value": npsn[:20]}
            problems.append(CoordinateProblem(number, "NPSN", message, "npsn_invalid"))
        elif npsn in seen:
            problems.append(
                CoordinateProblem(
                    number,
                    "NPSN",
                    _("NPSN %(npsn)s sudah ada di baris %(row)s.") % {"npsn": npsn, "row": seen[npsn]},
                    "npsn_duplicate",
                )
            )
        else:
            seen[npsn] = number
            if npsn not in schools:
                problems.append(
                    CoordinateProblem(
                        number, "NPSN", _("NPSN %(npsn)s tidak terdaftar di aplikasi.") % {"npsn": npsn}, "npsn_unknown"
                    )
                )
    for kind in ("latitude", "longitude"):
        label = str(COLUMN_LABELS[kind])
        value = cells[kind]
        if _blank(value):
            message = _("%(label)s kosong.") % {"label": label}
            problems.append(CoordinateProblem(number, label, message, f"{kind}_empty"))
            continue
        try:
            parse_coordinate(value, kind=kind)
        except ValidationError as exc:
            problems.append(CoordinateProblem(number, label, exc.messages[0], exc.code or "coordinate"))
    return problems


def template_csv() -> bytes:
    """The downloadable template: the header and one example row (semicolon, comma decimals, as
    an Indonesian Excel saves it)."""
    return ("\ufeff" + ";".join(TEMPLATE_HEADERS) + "\r\n" + "10500313;-1,6956;103,2648\r\n").encode("utf-8")
