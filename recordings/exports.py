"""Spreadsheet exports (XLSX and CSV) of progress figures and follow-up lists.

Rules, whatever the content:
- Names and numbers (NIK, No KK, NISN, NPSN, class) are text cells: a 16-digit NIK keeps all its
  digits in Excel (a number cell keeps only 15 significant digits).
- A text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is neutralised
  with a leading apostrophe, so no spreadsheet runs it as a formula (CSV/formula injection).
- XLSX is written in openpyxl's write-only mode into a temporary file, CSV is streamed: memory stays
  flat for a whole drive's list.
"""

from __future__ import annotations

import csv
import datetime
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("xlsx", "csv")
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

TEXT, INT, DECIMAL, DATE, DATETIME = "text", "int", "decimal", "date", "datetime"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable
    kind: str = TEXT
    width: int = 14


def neutralise(value: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would read as a formula."""
    if value and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def _plain(value, kind: str):
    """A cell's value for CSV (text, ISO dates, dot decimals)."""
    if value is None:
        return ""
    if kind == TEXT:
        return neutralise(str(value))
    if kind == DATETIME and isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if kind == DATE and isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def safe_filename(*parts: str, extension: str) -> str:
    """An ASCII file name from parts (never a NIK: callers pass names, codes and dates)."""
    text = "_".join(p for p in parts if p)
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:120] or "ekspor"
    return f"{text}.{extension}"


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, columns: list[Column], rows: Iterable) -> StreamingHttpResponse:
    """Stream UTF-8 CSV (with a byte-order mark so Excel reads the accents), comma-separated."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([neutralise(c.header) for c in columns])
        for row in rows:
            yield writer.writerow([_plain(c.value(row), c.kind) for c in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _xlsx_cell(sheet, value, kind: str, *, bold: bool = False):
    """A cell for openpyxl's write-only sheet. Numbers go in bare (styling every cell is slow);
    text gets the Text format and never becomes a formula; dates get a day-month-year format."""
    if value is None or value == "":
        return None
    if kind in (INT, DECIMAL) and not bold:
        return float(value) if isinstance(value, Decimal) else value
    if kind in (DATE, DATETIME) and isinstance(value, datetime.datetime):
        value = timezone.localtime(value).replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=None)
    if kind == TEXT:
        cell.value = neutralise(str(value))
        cell.data_type = "s"  # never a formula, whatever the first character
        cell.number_format = "@"
    elif kind in (INT, DECIMAL):
        cell.value = float(value) if isinstance(value, Decimal) else value
    elif kind == DATE:
        cell.value = value
        cell.number_format = "DD-MM-YYYY"
    else:
        cell.value = value
        cell.number_format = "DD-MM-YYYY HH:MM"
    if bold:
        cell.font = _BOLD
    return cell


_BOLD = Font(bold=True)


def xlsx_response(
    filename: str,
    *,
    title: str,
    columns: list[Column],
    rows: Iterable,
    info: list[tuple[str, str]] = (),
    totals: list | None = None,
) -> FileResponse:
    """Write one data sheet (header row frozen, text columns as text) plus an "Keterangan" sheet."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "Data")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    header = []
    for column in columns:
        cell = _xlsx_cell(sheet, column.header, TEXT, bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, c.value(row), c.kind) for c in columns])
    if totals is not None:
        sheet.append([_xlsx_cell(sheet, v, c.kind, bold=True) for v, c in zip(totals, columns, strict=True)])
    about = workbook.create_sheet(title="Keterangan")
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 80
    for label, value in info:
        about.append([_xlsx_cell(about, label, TEXT, bold=True), _xlsx_cell(about, value, TEXT)])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    workbook.save(handle)
    handle.seek(0)
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
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
    """Answer with an XLSX file or a CSV stream (CSV has no info sheet; totals become a last row)."""
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
