"""XLSX and CSV exports of the progress pages: text cells, formula injection, scope per role (issue 5)."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from recordings.exports import neutralise
from recordings.models import Recording, Visit
from tests.factories import DriveFactory, RecordingFactory, StudentFactory, VisitFactory

pytestmark = pytest.mark.django_db

REF = datetime.date(2026, 12, 31)
OUTCOME = Recording.Outcome
NIK = "1504031705089991"  # synthetic, 16 digits (more than Excel's 15 significant digits)


@pytest.fixture
def season(school, other_school):
    drive = DriveFactory(
        start_date=datetime.date(2026, 9, 1), end_date=REF, reference_date=REF, schools=[school, other_school]
    )
    visit = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 10), status=Visit.Status.DONE)
    RecordingFactory(visit=visit, student=StudentFactory(school=school, name="Sudah Rekam"))
    RecordingFactory(
        visit=visit,
        student=StudentFactory(school=school, name='=HYPERLINK("http://contoh.invalid","klik")', nik=NIK),
        outcome=OUTCOME.ABSENT,
    )
    StudentFactory(school=school, name="+62 Tanpa NIK", nik="", class_name="@XII IPS")
    StudentFactory(school=other_school, name="-Siswa Sekolah Lain")
    drive.visit = visit
    return drive


def xlsx(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert response["Content-Disposition"].startswith("attachment;")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def csv_rows(response):
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff# Catatan:")  # Indonesian Excel: BOM, then the note on XLSX
    assert "XLSX" in body.splitlines()[0]
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))[1:]


def sheet_rows(workbook, title=None):
    sheet = workbook[title] if title else workbook.worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()], sheet


@pytest.mark.parametrize("value", ["=1+2", "+62812", "-5", "@SUM(A1)", "\t=1", "\r=1"])
def test_neutralise_prefixes_formula_starts(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Siti Aisyah", "1504031705089991", "", "a=b", "XII IPA 1"])
def test_neutralise_leaves_plain_text(value):
    assert neutralise(value) == value


def test_students_xlsx_keeps_nik_as_text_and_neutralises_formulas(client, supervisor, season):
    client.force_login(supervisor)
    workbook = xlsx(client.get(reverse("progress_export_students", args=["xlsx"])))
    rows, sheet = sheet_rows(workbook)
    header = rows[0]
    nik_col, name_col, class_col = header.index("NIK"), header.index("Nama"), header.index("Rombel")
    by_nik = {row[nik_col]: row for row in rows[1:]}
    assert NIK in by_nik  # all 16 digits, as a string
    cell = sheet.cell(row=[r[nik_col] for r in rows].index(NIK) + 1, column=nik_col + 1)
    assert cell.data_type == "s" and cell.number_format == "@"
    names = [row[name_col] for row in rows[1:]]
    assert '\'=HYPERLINK("http://contoh.invalid","klik")' in names
    assert "'+62 Tanpa NIK" in names
    assert "'-Siswa Sekolah Lain" in names
    assert "'@XII IPS" in [row[class_col] for row in rows[1:]]
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert "Sudah Rekam" not in names  # done students are not on the follow-up list
    reasons = {row[name_col]: row[header.index("Alasan belum terekam")] for row in rows[1:]}
    assert reasons["'+62 Tanpa NIK"] == "Belum didata"
    notes = {row[name_col]: row[header.index("Catatan data")] for row in rows[1:]}
    assert notes["'+62 Tanpa NIK"] == "NIK kosong"
    about, _ = sheet_rows(workbook, "Keterangan")
    assert about[0] == ["Kegiatan", season.name]


def test_students_csv_keeps_nik_and_neutralises(client, supervisor, season):
    client.force_login(supervisor)
    rows = csv_rows(client.get(reverse("progress_export_students", args=["csv"])))
    header = rows[0]
    assert header[:4] == ["NPSN", "Sekolah", "Rombel", "Nama"]
    niks = [row[header.index("NIK")] for row in rows[1:]]
    assert "'" + NIK in niks  # an apostrophe keeps it text in a spreadsheet
    names = [row[header.index("Nama")] for row in rows[1:]]
    assert '\'=HYPERLINK("http://contoh.invalid","klik")' in names
    assert len(rows) == 4  # header + 3 students still to record


def test_summary_xlsx_has_one_row_per_school_and_totals(client, supervisor, season, school, other_school):
    client.force_login(supervisor)
    rows, sheet = sheet_rows(xlsx(client.get(reverse("progress_export_summary", args=["xlsx"]))))
    header = rows[0]
    assert header[:2] == ["NPSN", "Nama sekolah"]
    body = {row[0]: row for row in rows[1:-1]}
    assert set(body) == {school.npsn, other_school.npsn}
    assert sheet.cell(row=2, column=1).data_type == "s"  # NPSN as text
    target, done, completion = (
        header.index("Sasaran"),
        header.index("Selesai"),
        header.index("Capaian"),
    )
    assert (body[school.npsn][target], body[school.npsn][done], body[school.npsn][completion]) == (3, 1, 33.33)
    totals = rows[-1]
    assert totals[1] == "Jumlah (2 sekolah)"
    assert (totals[target], totals[done], totals[completion]) == (4, 1, 25.0)


def test_summary_csv_follows_the_dashboard_filters(client, supervisor, season, school, other_school):
    client.force_login(supervisor)
    rows = csv_rows(client.get(reverse("progress_export_summary", args=["csv"]), {"visit": "not_visited_any"}))
    assert [row[0] for row in rows[1:-1]] == [other_school.npsn]
    assert rows[-1][1] == "Jumlah (1 sekolah)"


def test_summary_csv_writes_decimal_commas(client, supervisor, season, school):
    client.force_login(supervisor)
    rows = csv_rows(client.get(reverse("progress_export_summary", args=["csv"])))
    header = rows[0]
    by_npsn = {row[0]: row for row in rows[1:-1]}
    assert by_npsn[school.npsn][header.index("Capaian")] == "33,33"
    assert rows[-1][header.index("Capaian")] == "25,00"


def test_school_admin_exports_only_their_school(client, season, school, other_school, school_admin):
    client.force_login(school_admin)
    summary = csv_rows(client.get(reverse("progress_export_summary", args=["csv"])))
    assert [row[0] for row in summary[1:-1]] == [school.npsn]
    students = csv_rows(client.get(reverse("progress_export_students", args=["csv"])))
    assert {row[0] for row in students[1:]} == {school.npsn}
    own = client.get(reverse("progress_export_school_students", args=[school.pk, "xlsx"]))
    assert own.status_code == 200
    assert client.get(reverse("progress_export_school_students", args=[other_school.pk, "xlsx"])).status_code == 404
    assert client.get(reverse("progress_export_visit", args=[season.visit.pk, "csv"])).status_code == 200
    foreign_visit = VisitFactory(drive=season, school=other_school)
    assert client.get(reverse("progress_export_visit", args=[foreign_visit.pk, "csv"])).status_code == 404


def test_school_students_export(client, operator, season, school):
    client.force_login(operator)
    response = client.get(reverse("progress_export_school_students", args=[school.pk, "csv"]))
    rows = csv_rows(response)
    assert {row[0] for row in rows[1:]} == {school.npsn}
    assert len(rows) == 3
    assert school.npsn in response["Content-Disposition"]


def test_school_outside_the_drive_has_no_list(client, supervisor, season):
    from tests.factories import SchoolFactory

    client.force_login(supervisor)
    outsider = SchoolFactory()
    assert client.get(reverse("progress_export_school_students", args=[outsider.pk, "csv"])).status_code == 404


def test_visit_outcomes_export(client, supervisor, season):
    client.force_login(supervisor)
    rows, sheet = sheet_rows(xlsx(client.get(reverse("progress_export_visit", args=[season.visit.pk, "xlsx"]))))
    header = rows[0]
    outcomes = {row[header.index("Nama")]: row[header.index("Hasil")] for row in rows[1:]}
    assert outcomes == {"Sudah Rekam": "Terekam", '\'=HYPERLINK("http://contoh.invalid","klik")': "Tidak hadir"}
    assert NIK in [row[header.index("NIK")] for row in rows[1:]]
    when = rows[1][header.index("Waktu")]
    assert isinstance(when, datetime.datetime) and when.tzinfo is None  # local time, Excel date cell


def test_unknown_format_is_404(client, supervisor, season):
    client.force_login(supervisor)
    assert client.get("/progres/ekspor/belum-terekam.pdf").status_code == 404


def test_export_filenames_carry_no_personal_numbers(client, supervisor, season, school):
    client.force_login(supervisor)
    response = client.get(reverse("progress_export_school_students", args=[school.pk, "xlsx"]))
    disposition = response["Content-Disposition"]
    assert NIK not in disposition
    assert disposition.endswith('.xlsx"')


def test_export_query_count_does_not_grow_with_rows(client, supervisor, season, school, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(supervisor)
    url = reverse("progress_export_students", args=["xlsx"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            b"".join(response.streaming_content)
        return len(queries)

    small = count()
    for _ in range(30):
        StudentFactory(school=school)
    assert count() == small
    with django_assert_max_num_queries(12):
        b"".join(client.get(url).streaming_content)
