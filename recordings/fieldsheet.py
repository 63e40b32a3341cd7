"""The field sheet: a visit's roster as XLSX, filled in offline and uploaded back.

Each row carries a stable row id (``PD-<student id>``); the outcome column has a drop-down of
the outcome labels. A hidden sheet holds the visit and the moment the sheet was made, signed,
so a sheet is only accepted for its own visit and changes made in the app after the download
are noticed instead of being overwritten.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
import zipfile
from dataclasses import asdict, dataclass, field

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ektp_drives import spreadsheets
from recordings.models import Recording, Visit
from schools.importing import readers as sheet_readers

logger = logging.getLogger(__name__)

FORMAT_VERSION = "1"
SIGNING_SALT = "recordings.fieldsheet"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
ROSTER_TITLE = "Lembar lapangan"
CHOICES_TITLE = "Pilihan"
META_TITLE = "_meta"
ROW_ID_PATTERN = re.compile(r"PD-(\d{1,12})", re.ASCII)

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
    """Write text as text, exactly (the sheet comes back): a name starting with '=' is never a formula."""
    spreadsheets.set_text(cell, value, exact=True)


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

    return spreadsheets.workbook_bytes(wb)


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


# --- reading an upload (issue 6: hostile files) -----------------------------------------------
#
# The roster is read in openpyxl's read-only (streaming) mode, bounded to ROW_BOUND lines and
# MAX_COLUMNS columns: a sheet whose dimension claims a million rows is not read to its end. Before
# openpyxl sees the file, the archive is checked: no zip bomb (same limits as the student-list
# reader), no part openpyxl loads whole (shared strings, styles) beyond MAX_PART_BYTES, no worksheet
# with more than MAX_SCANNED_BYTES of XML before the row bound, and no row with more than
# MAX_CELLS_PER_ROW cells (openpyxl builds every cell of a row before dropping the columns it was
# not asked for: one row of a million cells, a 5 MB file, took ~18 s and ~900 MB).
# Formulas are read as formulas (never their cached results) and refused in the columns the upload
# uses; text is taken as written and escaped wherever it is shown.

ROW_BOUND = MAX_ROWS + 100
MAX_COLUMNS = len(COLUMNS) + 20
MAX_CELLS_PER_ROW = 1_000
MAX_CELLS = 250_000
MAX_PART_BYTES = 16 * 1024 * 1024  # unpacked, any part loaded whole (shared strings, styles)
MAX_SCANNED_BYTES = 64 * 1024 * 1024  # unpacked, a worksheet's XML up to the row bound
MAX_REASON_LENGTH = Recording._meta.get_field("reason").max_length
MAX_TEXT_KEPT = 200  # other texts kept from the sheet (name, class, a wrong row id) are cut here
READ_KEYS = ("row_id", "outcome", "reason")

_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")
# Excel writes characters XML cannot carry as _xHHHH_ (a NUL as _x0000_, a carriage return as _x000D_).
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
# C0 and C1 control characters other than tab and line breaks, and the bidirectional overrides that
# make a note read differently from what it says.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _unreadable_xlsx() -> FieldSheetUnreadable:
    return FieldSheetUnreadable(
        _("Berkas tidak bisa dibaca sebagai XLSX. Unggah lembar lapangan yang diunduh dari halaman kunjungan.")
    )


def _not_normal(detail: str) -> FieldSheetUnreadable:
    return FieldSheetUnreadable(_("Berkas XLSX tidak wajar (%(detail)s) dan ditolak.") % {"detail": detail})


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d-%m-%Y")
    return str(value).strip()


def _written_text(value) -> str:
    """A cell's text as the user wrote it: Excel's _xHHHH_ escapes decoded, line breaks as \\n."""
    text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), _cell_text(value))
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _kept(text: str, limit: int = MAX_TEXT_KEPT) -> str:
    """A text kept with the preview or quoted in a message: control characters dropped, cut to ``limit``."""
    text = _CONTROL.sub("", text)
    return text if len(text) <= limit else text[:limit] + "…"


def _is_formula(cell) -> bool:
    return getattr(cell, "data_type", None) == "f" or hasattr(cell.value, "ref")  # ArrayFormula, DataTableFormula


def _formula_text(cell) -> str:
    value = cell.value
    return str(getattr(value, "text", None) or value or "")


def _scan_worksheet(stream) -> None:
    """Count the cells of a worksheet's first ROW_BOUND + 1 rows in its raw XML (cheap: a regular
    expression, no parsing) and refuse a row or a sheet with far more cells than a field sheet has."""
    rows = cells = in_row = scanned = 0
    tail = b""
    while chunk := stream.read(1 << 20):
        scanned += len(chunk)
        if scanned > MAX_SCANNED_BYTES:  # openpyxl would parse all this before the bound, or a cell this big
            raise _not_normal(_("isinya terlalu besar untuk lembar lapangan"))
        buffer = tail + chunk
        for match in _TAG.finditer(buffer):
            if match.end() <= len(tail):
                continue  # counted with the previous chunk
            if match.group(1) == b"row":
                rows += 1
                if rows > ROW_BOUND + 1:
                    return
                in_row = 0
                continue
            in_row += 1
            cells += 1
            if in_row > MAX_CELLS_PER_ROW:
                raise _not_normal(_("satu baris berisi lebih dari %(n)s sel") % {"n": MAX_CELLS_PER_ROW})
            if cells > MAX_CELLS:
                raise _not_normal(_("lebih dari %(n)s sel terisi") % {"n": f"{MAX_CELLS:,}".replace(",", ".")})
        tail = buffer[-64:]


def _check_archive(data: bytes) -> None:
    """Refuse an XLSX that would make openpyxl take far more memory or time than a field sheet needs."""
    try:
        archive = sheet_readers._check_zip(data)
    except sheet_readers.UnreadableFile as exc:
        if exc.code == "zip_bomb":
            raise FieldSheetUnreadable(exc.message) from exc
        return  # not a zip, not a workbook: openpyxl's failure below gives the message
    try:
        for info in archive.infolist():
            name = info.filename
            # A worksheet may be long (blank rows below the list are read only to the bound); any
            # other part is loaded whole. Every XML part is scanned: a worksheet can live elsewhere.
            if not name.startswith(("xl/worksheets/", "xl/media/")) and info.file_size > MAX_PART_BYTES:
                raise _not_normal(_("isinya terlalu besar untuk lembar lapangan"))
            if name.endswith(".xml"):
                with archive.open(info) as stream:
                    _scan_worksheet(stream)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _unreadable_xlsx() from exc


def read_field_sheet(data: bytes, *, visit: Visit) -> ParsedSheet:
    """Read an uploaded field sheet. Raise FieldSheetUnreadable when the file cannot be used.

    The sheet as downloaded (XLSX) is read with openpyxl, formulas as formulas; the same sheet saved
    by LibreOffice, WPS or old Excel (.ods, .xls, .xlsb) is read with calamine after the student-list
    reader's checks, and refused whole if any cell holds a formula (calamine gives only results)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise FieldSheetUnreadable(_("Berkas terlalu besar (maksimal 5 MB)."))
    kind = sheet_readers.workbook_kind(data)
    if kind in ("xls", "xlsb", "ods"):
        return _read_other_format(data, kind, visit=visit)
    _check_archive(data)
    try:
        # data_only=False: a formula is read as a formula, never as the result Excel cached.
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise _unreadable_xlsx() from exc
    try:
        if META_TITLE not in wb.sheetnames or ROSTER_TITLE not in wb.sheetnames:
            raise _not_a_field_sheet()
        meta_rows = wb[META_TITLE].iter_rows(min_row=1, max_row=20, max_col=2, values_only=True)
        generated_at = _signed_time(meta_rows, visit)
        rows = _read_roster(wb[ROSTER_TITLE])
    except FieldSheetUnreadable:
        raise
    except Exception as exc:  # damaged XML inside the sheets (a NUL byte, an entity bomb, …)
        logger.info("Field sheet for visit %s unreadable (%s)", visit.pk, type(exc).__name__)  # no cell content
        raise _unreadable_xlsx() from exc
    finally:
        wb.close()
    return ParsedSheet(visit_id=visit.pk, generated_at=generated_at, rows=rows)


def _not_a_field_sheet() -> FieldSheetUnreadable:
    return FieldSheetUnreadable(
        _("Ini bukan lembar lapangan aplikasi. Unduh lembar lapangan dari halaman kunjungan lalu isi.")
    )


def _signed_time(meta_rows, visit: Visit) -> datetime.datetime:
    """The moment the sheet was made, from the signed token of its hidden sheet (for this visit only)."""
    meta = {}
    for row in meta_rows:
        if row and row[0]:
            meta[str(row[0])] = _cell_text(row[1] if len(row) > 1 else None)
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
    return datetime.datetime.fromisoformat(signed["at"])


class _Value:
    """A cell read by calamine, shaped like openpyxl's (a value, never a formula)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = None if value == "" else value


def _read_other_format(data: bytes, kind: str, *, visit: Visit) -> ParsedSheet:
    try:
        if sheet_readers.check_workbook(data, kind, max_rows=ROW_BOUND):
            raise FieldSheetUnreadable(
                _("Lembar berisi rumus. Tulis Hasil dan Alasan sebagai teks biasa (tanpa =), lalu unggah lagi.")
            )
        workbook = sheet_readers.open_workbook(data, kind)
    except sheet_readers.UnreadableFile as exc:
        if exc.code == "too_many_rows":  # the student list's message names the command line: not for a sheet
            raise FieldSheetUnreadable(
                _("Lembar berisi terlalu banyak baris (maksimal %(n)s).") % {"n": f"{MAX_ROWS:,}".replace(",", ".")}
            ) from exc
        raise FieldSheetUnreadable(exc.message) from exc
    try:
        if META_TITLE not in workbook.sheet_names or ROSTER_TITLE not in workbook.sheet_names:
            raise _not_a_field_sheet()
        meta_rows = workbook.get_sheet_by_name(META_TITLE).to_python(skip_empty_area=False, nrows=20)
        generated_at = _signed_time(meta_rows, visit)
        lines = workbook.get_sheet_by_name(ROSTER_TITLE).to_python(skip_empty_area=False, nrows=ROW_BOUND + 1)
        rows = _read_roster_lines([_Value(v) for v in line[:MAX_COLUMNS]] for line in lines)
    except FieldSheetUnreadable:
        raise
    except Exception as exc:  # calamine raises several error types for damaged sheets
        logger.info("Field sheet for visit %s unreadable (%s)", visit.pk, type(exc).__name__)  # no cell content
        raise FieldSheetUnreadable(
            _("Berkas %(format)s rusak atau tidak bisa dibuka.") % {"format": kind.upper()}
            + f" {sheet_readers.SAVE_AS_XLSX}"
        ) from exc
    finally:
        workbook.close()
    return ParsedSheet(visit_id=visit.pk, generated_at=generated_at, rows=rows)


def _find_header(values, line: int) -> dict[str, int] | None:
    by_header = {_normalise(header): key for key, header in HEADERS.items()}
    found: dict[str, int] = {}
    for index, cell in enumerate(values):
        text = _cell_text(getattr(cell, "value", None))
        key = by_header.get(_normalise(text)) if text else None
        if key is None:
            continue
        if key in found and key in READ_KEYS:
            raise FieldSheetUnreadable(
                _(
                    "Judul kolom '%(header)s' ada lebih dari satu (kolom %(first)s dan %(second)s, baris %(line)s). "
                    "Hapus salah satunya lalu unggah lagi."
                )
                % {
                    "header": HEADERS[key],
                    "first": get_column_letter(found[key] + 1),
                    "second": get_column_letter(index + 1),
                    "line": line,
                }
            )
        found.setdefault(key, index)
    return found if {"row_id", "outcome"} <= found.keys() else None


def _read_roster(ws) -> list[SheetRow]:
    # Bounded: a crafted file with a million blank rows or columns is not read to its end. One line
    # more than the bound is asked for, to tell the user that lines below it were not read.
    return _read_roster_lines(ws.iter_rows(max_row=ROW_BOUND + 1, max_col=MAX_COLUMNS))


def _read_roster_lines(lines) -> list[SheetRow]:
    """The roster's rows from its lines (lists of cells with a ``value``), the first line being row 1."""
    header_line = None
    columns: dict[str, int] = {}
    labels = _label_to_code()
    rows: list[SheetRow] = []
    for line, values in enumerate(lines, start=1):
        if header_line is None:
            found = _find_header(values, line)
            if found is not None:
                header_line, columns = line, found
            elif line > 20:
                break
            continue
        if line > ROW_BOUND:  # the sheet goes on below the bound: say so rather than drop it silently
            rows.append(
                SheetRow(
                    line=line,
                    row_id="",
                    student_id=None,
                    outcome_text="",
                    outcome=None,
                    reason="",
                    errors=[
                        _(
                            "Baris di bawah baris ke-%(n)s tidak dibaca (lembar lapangan paling banyak %(max)s baris). "
                            "Bila ada hasil di bawahnya, pindahkan ke atas lalu unggah lagi."
                        )
                        % {"n": ROW_BOUND, "max": MAX_ROWS}
                    ],
                )
            )
            break
        row = _read_row(values, columns, line, labels)
        if row is None:
            continue
        if len(rows) >= MAX_ROWS:
            raise FieldSheetUnreadable(_("Lembar berisi terlalu banyak baris (maksimal %(n)s).") % {"n": MAX_ROWS})
        rows.append(row)
    if header_line is None:
        raise FieldSheetUnreadable(_("Judul kolom 'ID baris' dan 'Hasil' tidak ditemukan di lembar."))
    return rows


def _read_row(values, columns: dict[str, int], line: int, labels: dict[str, str]) -> SheetRow | None:
    """One sheet line as a SheetRow (None when the columns the upload reads are all blank)."""
    errors: list[str] = []
    refused: set[str] = set()  # columns whose cell is refused whole (a formula, control characters)
    texts: dict[str, str] = {}
    for key in (*READ_KEYS, "name", "class_name"):
        index = columns.get(key)
        cell = values[index] if index is not None and index < len(values) else None
        value = getattr(cell, "value", None)
        if value is None:
            texts[key] = ""
        elif key in READ_KEYS and _is_formula(cell):
            refused.add(key)
            texts[key] = ""
            errors.append(
                _("Kolom '%(column)s' berisi rumus (%(formula)s); tulis sebagai teks biasa.")
                % {"column": HEADERS[key], "formula": _kept(_formula_text(cell), 40)}
            )
        else:
            texts[key] = _written_text(value)
            if key in READ_KEYS and _CONTROL.search(texts[key]):
                refused.add(key)
                errors.append(
                    _("Kolom '%(column)s' berisi karakter kontrol yang tidak terlihat; hapus lalu unggah lagi.")
                    % {"column": HEADERS[key]}
                )
    if not refused and not any(texts[key] for key in READ_KEYS):
        return None

    row_id, outcome_text, reason = texts["row_id"], texts["outcome"], texts["reason"]
    match = ROW_ID_PATTERN.fullmatch(row_id)
    if "row_id" not in refused:
        if not row_id:
            errors.append(_("ID baris kosong."))
        elif match is None:
            errors.append(_("ID baris '%(id)s' tidak dikenal.") % {"id": _kept(row_id, 40)})
    # A refused outcome cell is never taken as blank: blank would undo the outcome the app has.
    code = None if "outcome" in refused else (labels.get(_normalise(outcome_text)) if outcome_text else "")
    if code is None and "outcome" not in refused:
        errors.append(_("Hasil '%(text)s' tidak dikenal; pilih dari daftar.") % {"text": _kept(outcome_text, 40)})
    if len(reason) > MAX_REASON_LENGTH:
        errors.append(
            _("Kolom '%(column)s' terlalu panjang: %(n)s karakter (maksimal %(max)s).")
            % {"column": HEADERS["reason"], "n": len(reason), "max": MAX_REASON_LENGTH}
        )
    return SheetRow(
        line=line,
        row_id=_kept(row_id, 40),
        student_id=int(match.group(1)) if match else None,
        outcome_text=_kept(outcome_text, 40),
        outcome=code,
        reason=_kept(reason, MAX_REASON_LENGTH),
        name=_kept(texts["name"]),
        class_name=_kept(texts["class_name"], 40),
        errors=[str(e) for e in errors],
    )
