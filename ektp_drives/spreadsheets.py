"""The one writer of every XLSX and CSV file the app hands out (exports, templates, field sheets,
problem rows). It imports no app, so every app can use it.

Rules, whatever the content:
- Text is never a formula. In XLSX a text cell is typed as a string (``t="s"``), formatted as Text
  and marked with Excel's quote prefix, so a name such as ``=HYPERLINK(…)`` shows as written and
  stays text when edited. Reports (read, not sent back) also get a leading apostrophe on text that
  starts like a formula, so a copy saved as CSV by a spreadsheet stays inert; files the app reads
  back (field sheet, problem rows) keep the text exactly (``exact=True``), so a round trip changes
  nothing.
- NIK, No KK and NISN (``IDENTITY``) are text in XLSX: all 16 digits and the leading zeros stay.
- CSV is the kind Excel set to Indonesian opens with a double click: UTF-8 with a byte-order mark,
  ``;`` between fields, a decimal comma. Its first line says that the XLSX keeps numbers exact; NIK,
  No KK and NISN are written after an apostrophe (``'1504…``), so a spreadsheet keeps them as text
  (the app's own reader drops the apostrophe). Text starting like a formula gets the apostrophe too.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"
TEXT_FORMAT = "@"

TEXT, IDENTITY, INT, DECIMAL, DATE, DATETIME = "text", "identity", "int", "decimal", "date", "datetime"

CSV_NOTE = gettext_lazy(
    "# Catatan: CSV ini untuk Excel berbahasa Indonesia (pemisah titik koma, desimal koma). "
    "NIK, No KK dan NISN diawali tanda ' agar tetap teks. Unduh XLSX agar angka tersimpan tepat."
)


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable
    kind: str = TEXT
    width: int = 14


def starts_like_formula(value: str) -> bool:
    return bool(value) and value.startswith(DANGEROUS_PREFIXES)


def neutralise(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would read as a formula."""
    if starts_like_formula(value):
        return "'" + value
    return value


def safe_filename(*parts: str, extension: str) -> str:
    """An ASCII file name from parts (never a NIK: callers pass names, codes and dates)."""
    text = "_".join(p for p in parts if p)
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:120] or "ekspor"
    return f"{text}.{extension}"


# --- XLSX ------------------------------------------------------------------------------------


def set_text(cell, value, *, exact: bool = False) -> None:
    """Make a cell (of a normal or a write-only sheet) a text cell holding ``value``; never a formula."""
    text = "" if value is None else str(value)
    cell.value = text if exact else neutralise(text)
    cell.data_type = "s"  # openpyxl makes any string starting with "=" a formula; this undoes it
    cell.number_format = TEXT_FORMAT
    if starts_like_formula(text):
        cell.quotePrefix = True


def text_cell(sheet, value, *, exact: bool = False, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=None)
    set_text(cell, value, exact=exact)
    if bold:
        cell.font = BOLD
    return cell


def set_value(cell, value, *, exact: bool = False) -> None:
    """A cell from a value read from a spreadsheet: strings as text, numbers, dates and booleans as such."""
    if isinstance(value, str):
        set_text(cell, value, exact=exact)
    elif isinstance(value, datetime.datetime):
        cell.value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        cell.number_format = "DD-MM-YYYY HH:MM"
    elif isinstance(value, datetime.date):
        cell.value = value
        cell.number_format = "DD-MM-YYYY"
    elif isinstance(value, Decimal):
        cell.value = float(value)
    elif value is None or isinstance(value, bool | int | float):
        cell.value = value
    else:
        set_text(cell, value, exact=exact)


def value_cell(sheet, value, kind: str = TEXT, *, bold: bool = False):
    """A cell for a write-only sheet. Numbers go in bare (styling every cell is slow); text and
    identity numbers are text cells; dates get a day-month-year format."""
    if value is None or value == "":
        return None
    if kind in (INT, DECIMAL) and not bold:
        return float(value) if isinstance(value, Decimal) else value
    if kind in (TEXT, IDENTITY):
        return text_cell(sheet, value, bold=bold)
    cell = WriteOnlyCell(sheet, value=None)
    if kind in (INT, DECIMAL):
        cell.value = float(value) if isinstance(value, Decimal) else value
    elif kind == DATE:
        cell.value = value
        cell.number_format = "DD-MM-YYYY"
    else:
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).replace(tzinfo=None)
        cell.value = value
        cell.number_format = "DD-MM-YYYY HH:MM"
    if bold:
        cell.font = BOLD
    return cell


BOLD = Font(bold=True)


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    filename: str,
    *,
    title: str,
    columns: list[Column],
    rows: Iterable,
    info: list[tuple[str, str]] = (),
    totals: list | None = None,
) -> FileResponse:
    """Write one data sheet (header row frozen, text columns as text) plus a "Keterangan" sheet.
    Written in write-only mode into a temporary file: memory stays flat for a whole drive's list."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "Data")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    header = []
    for column in columns:
        cell = text_cell(sheet, column.header, bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([value_cell(sheet, c.value(row), c.kind) for c in columns])
    if totals is not None:
        sheet.append([value_cell(sheet, v, c.kind, bold=True) for v, c in zip(totals, columns, strict=True)])
    about = workbook.create_sheet(title="Keterangan")
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 80
    for label, value in info:
        about.append([text_cell(about, label, bold=True), text_cell(about, value)])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    workbook.save(handle)
    handle.seek(0)
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    response["Cache-Control"] = "no-store"
    return response


# --- CSV -------------------------------------------------------------------------------------


def csv_value(value, kind: str = TEXT) -> str:
    """A cell's text in the Indonesian-Excel CSV."""
    if value is None:
        return ""
    if kind == IDENTITY:
        text = str(value)
        return "'" + text if text else ""
    if kind == TEXT:
        return neutralise(str(value))
    if kind == DECIMAL or isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    if kind == DATETIME and isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()[:10]
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


class _Echo:
    def write(self, value):
        return value


def csv_writer(target=None):
    return csv.writer(target or _Echo(), delimiter=CSV_DELIMITER, lineterminator="\r\n")


def csv_note_line() -> str:
    return csv_writer().writerow([str(CSV_NOTE)])


def csv_bytes(rows: Iterable[list], *, kinds: list[str] | None = None, note: bool = True) -> bytes:
    """A whole small CSV (a template) as bytes: byte-order mark, note line, rows."""
    writer = csv_writer()
    lines = [csv_note_line()] if note else []
    for row in rows:
        row_kinds = kinds or [TEXT] * len(row)
        lines.append(writer.writerow([csv_value(v, k) for v, k in zip(row, row_kinds, strict=False)]))
    return ("\ufeff" + "".join(lines)).encode("utf-8")


def csv_response(filename: str, columns: list[Column], rows: Iterable) -> StreamingHttpResponse:
    """Stream the Indonesian-Excel CSV: byte-order mark, the note line, the header, the rows."""
    writer = csv_writer()

    def lines():
        yield "\ufeff" + csv_note_line()
        yield writer.writerow([csv_value(c.header) for c in columns])
        for row in rows:
            yield writer.writerow([csv_value(c.value(row), c.kind) for c in columns])

    response = StreamingHttpResponse(lines(), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def export_response(
    fmt: str,
    *,
    name: str,
    title: str,
    columns: list[Column],
    rows: Iterable,
    info: list[tuple[str, str]] = (),
    totals: list | None = None,
):
    """Answer with an XLSX file (the default) or a CSV stream (no info sheet; totals become a last row)."""
    if fmt == "csv":
        all_rows = rows if totals is None else [*rows, _TotalsRow(totals)]
        return csv_response(safe_filename(name, extension="csv"), _with_totals(columns), all_rows)
    return xlsx_response(
        safe_filename(name, extension="xlsx"), title=title, columns=columns, rows=rows, info=info, totals=totals
    )


class _TotalsRow:
    def __init__(self, values):
        self.values = values


def _with_totals(columns: list[Column]) -> list[Column]:
    """Columns that print a totals row's own values instead of asking the row."""

    def wrap(index: int, column: Column) -> Column:
        def value(row):
            return row.values[index] if isinstance(row, _TotalsRow) else column.value(row)

        return Column(column.header, value, column.kind, column.width)

    return [wrap(i, c) for i, c in enumerate(columns)]
