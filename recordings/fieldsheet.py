"""The field sheet: a visit's roster as XLSX, filled in offline and uploaded back.

Each row carries a stable row id (``PD-<student id>``); the outcome column has a drop-down of
the outcome labels. A hidden sheet holds the visit and the moment the sheet was made, signed,
so a sheet is only accepted for its own visit and changes made in the app after the download
are noticed instead of being overwritten.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import asdict, dataclass, field

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from recordings.models import Recording, Visit

FORMAT_VERSION = "1"
SIGNING_SALT = "recordings.fieldsheet"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
ROSTER_TITLE = "Lembar lapangan"
CHOICES_TITLE = "Pilihan"
META_TITLE = "_meta"
ROW_ID_PATTERN = re.compile(r"^PD-(\d{1,12})$")

# (key, header, width). The keys the upload reads are row_id, outcome and reason; the others
# are there to find the student and are checked only for the row id.
COLUMNS = [
    ("row_id", "ID baris", 12),
    ("number", "No", 5),
    ("class_name", "Rombel", 14),
    ("name", "Nama", 32),
    ("gender", "L/P", 5),
    ("birth_date", "Tanggal lahir", 13),
    ("nisn", "NISN", 13),
    ("nik_last4", "NIK (4 digit akhir)", 10),
    ("earlier", "Hasil kunjungan sebelumnya", 26),
    ("outcome", "Hasil", 28),
    ("reason", "Alasan / catatan", 34),
]
HEADERS = {key: header for key, header, _width in COLUMNS}
EDITABLE = {"outcome", "reason"}


def row_id_for(student_id: int) -> str:
    return f"PD-{student_id}"


def outcome_labels() -> dict[str, str]:
    """Map outcome code -> label (as shown in the drop-down)."""
    return {code: str(label) for code, label in Recording.Outcome.choices}


def _label_to_code() -> dict[str, str]:
    mapping = {}
    for code, label in outcome_labels().items():
        mapping[_normalise(label)] = code
        mapping[_normalise(code)] = code
    return mapping


def _normalise(value: str) -> str:
    return " ".join(str(value).split()).casefold()


def _text(cell, value) -> None:
    """Write text as text: a name starting with '=' must never become a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        cell.number_format = "@"


@dataclass
class RosterRow:
    student_id: int
    class_name: str
    name: str
    gender: str
    birth_date: datetime.date
    nisn: str
    nik_last4: str
    earlier: str
    outcome: str  # code, or "" for none
    reason: str


def build_field_sheet(*, visit: Visit, rows: list[RosterRow], generated_at: datetime.datetime | None = None) -> bytes:
    """Return the XLSX bytes of a visit's field sheet."""
    generated_at = generated_at or timezone.now()
    labels = outcome_labels()
    wb = Workbook()
    ws = wb.active
    ws.title = ROSTER_TITLE

    title = _("Lembar lapangan %(school)s — %(date)s") % {
        "school": visit.school.name,
        "date": visit.date.strftime("%d-%m-%Y"),
    }
    _text(ws.cell(row=1, column=1), title)
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    _text(
        ws.cell(row=2, column=1),
        _("Isi kolom Hasil dari daftar pilihan. Jangan ubah kolom ID baris. Unggah kembali di halaman kunjungan."),
    )
    header_row = 4
    header_fill = PatternFill("solid", fgColor="0B3D6E")
    editable_fill = PatternFill("solid", fgColor="FFF7D6")
    for index, (_key, header, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=header_row, column=index)
        _text(cell, header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = width
    column_of = {key: index for index, (key, _h, _w) in enumerate(COLUMNS, start=1)}

    for number, row in enumerate(rows, start=1):
        r = header_row + number
        values = {
            "row_id": row_id_for(row.student_id),
            "number": number,
            "class_name": row.class_name,
            "name": row.name,
            "gender": row.gender,
            "birth_date": row.birth_date,
            "nisn": row.nisn,
            "nik_last4": row.nik_last4,
            "earlier": row.earlier,
            "outcome": labels.get(row.outcome, ""),
            "reason": row.reason,
        }
        for key, value in values.items():
            cell = ws.cell(row=r, column=column_of[key])
            if isinstance(value, datetime.date):
                cell.value = value
                cell.number_format = "DD-MM-YYYY"
            elif isinstance(value, int):
                cell.value = value
            else:
                _text(cell, value)
            if key in EDITABLE:
                cell.fill = editable_fill

    last_row = header_row + max(len(rows), 1)
    choices = wb.create_sheet(CHOICES_TITLE)
    for index, label in enumerate(labels.values(), start=1):
        _text(choices.cell(row=index, column=1), label)
    choices.sheet_state = "hidden"
    outcome_col = get_column_letter(column_of["outcome"])
    validation = DataValidation(
        type="list",
        formula1=f"='{CHOICES_TITLE}'!$A$1:$A${len(labels)}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Hasil tidak dikenal"),
        error=_("Pilih hasil dari daftar."),
        promptTitle=_("Hasil"),
        prompt=_("Pilih hasil dari daftar; kosongkan bila belum ada."),
        showInputMessage=True,
    )
    validation.add(f"{outcome_col}{header_row + 1}:{outcome_col}{last_row}")
    ws.add_data_validation(validation)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=column_of["name"] + 1)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(COLUMNS))}{last_row}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1

    meta = wb.create_sheet(META_TITLE)
    token = signing.dumps(
        {"visit": visit.pk, "at": generated_at.isoformat(), "v": FORMAT_VERSION}, salt=SIGNING_SALT, compress=True
    )
    meta_rows = [
        ("format", FORMAT_VERSION),
        ("visit", str(visit.pk)),
        ("generated_at", generated_at.isoformat()),
        ("token", token),
    ]
    for index, (key, value) in enumerate(meta_rows, start=1):
        _text(meta.cell(row=index, column=1), key)
        _text(meta.cell(row=index, column=2), value)
    meta.sheet_state = "veryHidden"

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


class FieldSheetUnreadable(Exception):
    """The file cannot be used at all; the message says why in the user's words."""


@dataclass
class SheetRow:
    """One filled-in row as read from the file, before it is judged against the database."""

    line: int
    row_id: str
    student_id: int | None
    outcome_text: str
    outcome: str | None  # code, "" for blank, None when the text is not an outcome
    reason: str
    name: str = ""
    class_name: str = ""
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ParsedSheet:
    visit_id: int
    generated_at: datetime.datetime
    rows: list[SheetRow]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d-%m-%Y")
    return str(value).strip()


def _refuse_zip_bomb(data: bytes) -> None:
    """Refuse an XLSX whose parts unpack far beyond their size before openpyxl reads them (it loads
    the shared strings whole: a 300 KB file could take ~1 GB of memory). Same limits as the
    student-list reader (issue 6)."""
    from schools.importing.readers import UnreadableFile, _check_zip

    try:
        _check_zip(data)
    except UnreadableFile as exc:
        if exc.code == "zip_bomb":
            raise FieldSheetUnreadable(exc.message) from exc
        # Other problems (not a zip, not a workbook) get openpyxl's own message below.


def read_field_sheet(data: bytes, *, visit: Visit) -> ParsedSheet:
    """Read an uploaded field sheet. Raise FieldSheetUnreadable when the file cannot be used."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise FieldSheetUnreadable(_("Berkas terlalu besar (maksimal 5 MB)."))
    _refuse_zip_bomb(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise FieldSheetUnreadable(
            _("Berkas tidak bisa dibaca sebagai XLSX. Unggah lembar lapangan yang diunduh dari halaman kunjungan.")
        ) from exc
    try:
        if META_TITLE not in wb.sheetnames or ROSTER_TITLE not in wb.sheetnames:
            raise FieldSheetUnreadable(
                _("Ini bukan lembar lapangan aplikasi. Unduh lembar lapangan dari halaman kunjungan lalu isi.")
            )
        meta = {}
        for row in wb[META_TITLE].iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
            if row and row[0]:
                meta[str(row[0])] = _cell_text(row[1])
        try:
            signed = signing.loads(meta.get("token", ""), salt=SIGNING_SALT)
        except signing.BadSignature as exc:
            raise FieldSheetUnreadable(
                _("Tanda lembar lapangan rusak. Unduh ulang lembar dari halaman kunjungan.")
            ) from exc
        if signed.get("visit") != visit.pk:
            raise FieldSheetUnreadable(
                _(
                    "Lembar ini untuk kunjungan lain. Unggah di halaman kunjungan yang sesuai, "
                    "atau unduh lembar kunjungan ini."
                )
            )
        generated_at = datetime.datetime.fromisoformat(signed["at"])
        rows = _read_roster(wb[ROSTER_TITLE])
    finally:
        wb.close()
    return ParsedSheet(visit_id=visit.pk, generated_at=generated_at, rows=rows)


def _read_roster(ws) -> list[SheetRow]:
    header_line = None
    columns: dict[str, int] = {}
    by_header = {_normalise(header): key for key, header in HEADERS.items()}
    labels = _label_to_code()
    rows: list[SheetRow] = []
    # Bounded: a crafted file with a million blank rows or columns is not read to its end.
    bounded = ws.iter_rows(max_row=MAX_ROWS + 100, max_col=len(COLUMNS) + 20, values_only=True)
    for line, values in enumerate(bounded, start=1):
        if header_line is None:
            found = {by_header[_normalise(v)]: i for i, v in enumerate(values) if v and _normalise(v) in by_header}
            if {"row_id", "outcome"} <= found.keys():
                header_line, columns = line, found
            elif line > 20:
                break
            continue

        def get(key, values=values, columns=columns):
            index = columns.get(key)
            return _cell_text(values[index]) if index is not None and index < len(values) else ""

        row_id, outcome_text, reason = get("row_id"), get("outcome"), get("reason")
        if not (row_id or outcome_text or reason):
            continue
        if len(rows) >= MAX_ROWS:
            raise FieldSheetUnreadable(_("Lembar berisi terlalu banyak baris (maksimal %(n)s).") % {"n": MAX_ROWS})
        match = ROW_ID_PATTERN.match(row_id)
        code = labels.get(_normalise(outcome_text)) if outcome_text else ""
        row = SheetRow(
            line=line,
            row_id=row_id,
            student_id=int(match.group(1)) if match else None,
            outcome_text=outcome_text,
            outcome=code,
            reason=reason,
            name=get("name"),
            class_name=get("class_name"),
        )
        if not row_id:
            row.errors.append(_("ID baris kosong."))
        elif match is None:
            row.errors.append(_("ID baris '%(id)s' tidak dikenal.") % {"id": row_id})
        if code is None:
            row.errors.append(_("Hasil '%(text)s' tidak dikenal; pilih dari daftar.") % {"text": outcome_text})
        rows.append(row)
    if header_line is None:
        raise FieldSheetUnreadable(_("Judul kolom 'ID baris' dan 'Hasil' tidak ditemukan di lembar."))
    return rows
