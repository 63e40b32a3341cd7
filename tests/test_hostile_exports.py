"""Every file the app writes, with formula text in every field a user typed or uploaded: no cell
of any XLSX is a formula, no field of any CSV starts like one (each goes through one writer)."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ektp_drives.spreadsheets import DANGEROUS_PREFIXES
from recordings.models import Recording, Visit
from schools import services
from schools.importing import synthetic
from tests.factories import DriveFactory, OperatorFactory, RecordingFactory, SchoolFactory, StudentFactory, VisitFactory

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://contoh.invalid","klik")', "+62 812 1", "-2+3", "@SUM(A1:A9)", '=cmd|" /C calc"!A0']
FORMULA_TAG = re.compile(rb"<(?:[A-Za-z]+:)?f[\s>/]")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def assert_no_formula_in_xlsx(data: bytes) -> int:
    """No formula cell in any sheet (openpyxl's view and the raw XML); returns how many text cells hold
    formula text (as written, or after the apostrophe of a report)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not FORMULA_TAG.search(archive.read(name)), name
    workbook = load_workbook(io.BytesIO(data), data_only=False)
    formula_like = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if not isinstance(cell.value, str):
                    continue
                if cell.value.startswith(DANGEROUS_PREFIXES):  # kept exactly: a quoted text cell
                    assert cell.data_type == "s" and cell.quotePrefix, (sheet.title, cell.coordinate)
                if cell.value.lstrip("'").startswith(DANGEROUS_PREFIXES):
                    formula_like += 1
    return formula_like


def assert_no_formula_in_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    for row in rows:
        for value in row:
            assert not value.startswith(DANGEROUS_PREFIXES), value
    return rows


def body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def poisoned():
    """A drive whose every user-typed text starts like a formula."""
    recorder = OperatorFactory(username="op-rumus", first_name=FORMULAS[0], last_name=FORMULAS[3])
    school = SchoolFactory(name=FORMULAS[4])
    drive = DriveFactory(name=FORMULAS[1], schools=[school])
    visit = VisitFactory(drive=drive, school=school, status=Visit.Status.IN_PROGRESS)
    students = []
    for index, formula in enumerate(FORMULAS):
        student = StudentFactory(
            school=school, name=formula, birth_place=formula, nipd=formula[:30], class_name=formula[:50]
        )
        students.append(student)
        if index % 2:
            RecordingFactory(
                visit=visit, student=student, outcome=Recording.Outcome.ABSENT, reason=formula, recorded_by=recorder
            )
    return drive, visit, school, students


def test_progress_exports_carry_no_formula(client, supervisor, poisoned):
    drive, visit, school, _students = poisoned
    client.force_login(supervisor)
    urls = (
        [reverse("progress_export_summary", args=[fmt]) for fmt in ("xlsx", "csv")]
        + [reverse("progress_export_students", args=[fmt]) for fmt in ("xlsx", "csv")]
        + [reverse("progress_export_school_students", args=[school.pk, fmt]) for fmt in ("xlsx", "csv")]
        + [reverse("progress_export_visit", args=[visit.pk, fmt]) for fmt in ("xlsx", "csv")]
    )
    for url in urls:
        data = body(client.get(url, {"drive": drive.pk}))
        if url.endswith(".csv"):
            rows = assert_no_formula_in_csv(data)
            assert any(value.startswith("'=") for row in rows for value in row), url  # the text is there
        else:
            assert assert_no_formula_in_xlsx(data) > 0, url  # formula-like text present, as text


def test_field_sheet_carries_no_formula_and_keeps_the_text(client, poisoned):
    _drive, visit, _school, _students = poisoned
    client.force_login(OperatorFactory())
    data = body(client.get(reverse("field_sheet_download", args=[visit.pk])))
    assert assert_no_formula_in_xlsx(data) > 0
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    texts = {cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)}
    assert set(FORMULAS) <= texts  # written exactly: the sheet comes back to the app


def test_problem_rows_file_carries_no_formula(client, school, school_admin):
    rows = synthetic.students(len(FORMULAS), today=timezone.localdate(), serial_offset=7000)
    for row, formula in zip(rows, FORMULAS, strict=True):
        row["Nama"] = formula
        row["Tempat Lahir"] = formula
        row["Rombel Saat Ini"] = formula
        row["NIPD"] = formula
        row["NIK"] = "1504031713090001"  # a month 13 in the NIK: every row has a problem
    headers = list(synthetic.TEMPLATE_HEADERS)
    for data, name in (
        (synthetic.to_csv(rows), "rumus.csv"),
        (synthetic.dapodik_xlsx(rows), "rumus.xlsx"),
        (synthetic.template_xlsx(rows), "templat.xlsx"),
        (synthetic.ods_bytes([headers] + [[row[h] for h in headers] for row in rows]), "libreoffice.ods"),
    ):
        record, _preview = services.student_list_upload(school=school, data=data, name=name, by=None)
        client.force_login(school_admin)
        content = body(client.get(reverse("schools:upload_problem_rows", args=[record.pk])))
        assert assert_no_formula_in_xlsx(content) >= len(FORMULAS) * 4, name
        sheet = load_workbook(io.BytesIO(content)).active
        names = [r[2 + list(synthetic.TEMPLATE_HEADERS).index("Nama")] for r in sheet.iter_rows(values_only=True)]
        if name in ("templat.xlsx", "libreoffice.ods"):
            assert set(FORMULAS) <= set(names)  # kept exactly, to fix and upload again


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_list_templates_carry_no_formula(client, school_admin, fmt):
    client.force_login(school_admin)
    data = body(client.get(reverse("schools:template_download", args=[fmt])))
    if fmt == "csv":
        assert_no_formula_in_csv(data)
    else:
        assert assert_no_formula_in_xlsx(data) == 0


def test_csv_exports_write_identity_numbers_as_text(client, supervisor, poisoned):
    drive, visit, _school, students = poisoned
    client.force_login(supervisor)
    rows = assert_no_formula_in_csv(body(client.get(reverse("progress_export_visit", args=[visit.pk, "csv"]))))
    assert rows[0][0].startswith("# Catatan:") and "XLSX" in rows[0][0]
    header = rows[1]
    recorded = [s for i, s in enumerate(students) if i % 2]
    assert sorted(r[header.index("NIK")] for r in rows[2:]) == sorted("'" + s.nik for s in recorded)
    assert sorted(r[header.index("NISN")] for r in rows[2:]) == sorted("'" + s.nisn for s in recorded)


def test_csv_buttons_say_that_the_xlsx_keeps_numbers_exact(client, supervisor, school_admin, poisoned):
    drive, _visit, school, _students = poisoned
    client.force_login(supervisor)
    help_text = "Unduh XLSX agar NIK, No KK dan NISN tersimpan tepat."
    for url in (reverse("progress_dashboard"), reverse("progress_school", args=[school.pk])):
        page = client.get(url, {"drive": drive.pk}).content.decode()
        assert page.count(".csv") and page.count(help_text) == page.count(".csv"), url  # one per CSV link
    client.force_login(school_admin)
    assert help_text in client.get(reverse("schools:upload_new")).content.decode()
