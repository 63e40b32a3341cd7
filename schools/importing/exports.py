"""Files the school downloads: the app's template (XLSX, CSV) and the problem rows of an upload."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from ektp_drives import spreadsheets
from schools.importing.columns import COLUMNS, TEMPLATE_HEADERS
from schools.importing.readers import NUMBER_FIELDS, Table

TEXT_FORMAT = spreadsheets.TEXT_FORMAT
DATE_FORMAT = "yyyy-mm-dd"
HEADER_FONT = Font(bold=True)
SEVERITY_LABELS = {"error": "Galat", "warning": "Peringatan", "conflict": "Konflik"}


def template_xlsx() -> bytes:
    """An empty list in the app's layout (number columns formatted as text) and a help sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Daftar Peserta Didik"
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        spreadsheets.set_text(cell, column.label)
        cell.font = HEADER_FONT
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.label) + 4)
        if column.field in NUMBER_FIELDS or column.field in ("nipd", "birth_date"):
            # Text cells keep 16-digit numbers and leading zeros exactly; pre-format the first rows.
            for row in range(2, 2002):
                sheet.cell(row=row, column=index).number_format = TEXT_FORMAT
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet("Petunjuk")
    lines = [[_("Kolom"), _("Wajib"), _("Keterangan"), _("Contoh")]]
    lines += [[c.label, _("Ya") if c.required else _("Tidak"), str(c.help), c.example] for c in COLUMNS]
    for row, line in enumerate(lines, start=1):
        for column, value in enumerate(line, start=1):
            spreadsheets.set_text(help_sheet.cell(row=row, column=column), value)
    for cell in help_sheet[1]:
        cell.font = HEADER_FONT
    help_sheet.column_dimensions["A"].width = 18
    help_sheet.column_dimensions["C"].width = 90
    help_sheet.column_dimensions["D"].width = 20
    return spreadsheets.workbook_bytes(workbook)


def template_csv() -> bytes:
    """The note line and the header line, as Excel in Indonesia saves CSV (semicolons, a BOM)."""
    return spreadsheets.csv_bytes([list(TEMPLATE_HEADERS)])


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()[:10]
    return str(value)


def problem_rows_xlsx(table: Table, problems: list[list]) -> bytes:
    """The rows of the file that have problems, unchanged, with two columns in front: the row number
    in the original file and what is wrong. Fix the cells and upload the file again."""
    by_row: dict[int, list[list]] = defaultdict(list)
    for problem in problems:
        by_row[problem[0]].append(problem)
    number_columns = {table.columns[f] for f in NUMBER_FIELDS if f in table.columns}
    date_column = table.columns.get("birth_date")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Baris bermasalah")
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = 10
    sheet.column_dimensions["B"].width = 70
    header = [_("Baris asal"), _("Masalah"), *[_text(h).replace("\n", " ") for h in table.header]]
    sheet.append([spreadsheets.text_cell(sheet, title, exact=True, bold=True) for title in header])
    error_fill = PatternFill("solid", fgColor="FDE2E1")
    wrap = Alignment(wrap_text=True, vertical="top")
    rows_by_number = {row.number: row for row in table.rows}
    for number in sorted(by_row):
        raw = rows_by_number.get(number)
        if raw is None:
            continue
        explanation = "\n".join(f"{SEVERITY_LABELS.get(p[2], p[2])}: {p[4].split(': ', 1)[-1]}" for p in by_row[number])
        first = WriteOnlyCell(sheet, value=number)
        note = spreadsheets.text_cell(sheet, explanation, exact=True)
        note.alignment = wrap
        if any(p[2] in ("error", "conflict") for p in by_row[number]):
            note.fill = error_fill
        cells = [first, note]
        for index, value in enumerate(raw.values[: len(table.header)]):
            # The file is sent back to the app: text is kept exactly, as text cells (never a formula).
            if index in number_columns:
                cell = spreadsheets.text_cell(sheet, _text(value), exact=True)
            elif index == date_column and isinstance(value, datetime.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = DATE_FORMAT
            else:
                cell = WriteOnlyCell(sheet)
                spreadsheets.set_value(cell, value if isinstance(value, int | float) else _text(value), exact=True)
            cells.append(cell)
        sheet.append(cells)
    return spreadsheets.workbook_bytes(workbook)
