"""In headless Chromium: the progress dashboard for each role, filtering with HTMX, and an export download.

The downloaded XLSX opens with openpyxl with every NIK whole (16 digits, text cell).
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import expect

from recordings.models import Recording, Visit
from schools.models import School
from tests.conftest import login_in_browser
from tests.factories import (
    DriveFactory,
    RecordingFactory,
    SchoolAdminUserFactory,
    SchoolFactory,
    StudentFactory,
    SupervisorFactory,
    VisitFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NIK = "1504034101089876"  # synthetic


def season():
    visited = SchoolFactory(name="SMA Negeri Contoh Satu")
    waiting = SchoolFactory(name="SMK Negeri Contoh Dua", level=School.Level.SMK)
    today = datetime.date.today()
    drive = DriveFactory(
        name="Perekaman uji",
        start_date=today - datetime.timedelta(days=20),
        end_date=today + datetime.timedelta(days=20),
        reference_date=today + datetime.timedelta(days=20),
        schools=[visited, waiting],
    )
    visit = VisitFactory(drive=drive, school=visited, date=today - datetime.timedelta(days=3), status=Visit.Status.DONE)
    for _ in range(3):
        RecordingFactory(visit=visit, student=StudentFactory(school=visited))
    absent = StudentFactory(school=visited, name="Siswi Tidak Hadir", nik=NIK, gender="P")
    RecordingFactory(visit=visit, student=absent, outcome=Recording.Outcome.ABSENT)
    for _ in range(4):
        StudentFactory(school=waiting)
    return drive, visited, waiting


def watch(page):
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    return problems


def test_supervisor_reads_the_dashboard_filters_and_downloads_the_list(browser_page):
    page = browser_page
    drive, visited, waiting = season()
    SupervisorFactory(username="kadis")
    problems = watch(page)
    login_in_browser(page, "kadis")
    page.wait_for_url(page.live_server_url + "/")
    page.get_by_role("link", name="Progres").first.click()
    page.wait_for_url("**/progres/")

    expect(page.get_by_test_id("target")).to_have_text("8")
    expect(page.get_by_test_id("completion")).to_contain_text("37,50")
    expect(page.get_by_test_id("schools-not-visited")).to_have_text("1")
    expect(page.get_by_test_id("headline-sentence")).to_contain_text("SMK Negeri Contoh Dua")
    expect(page.locator("svg.progress-chart").first).to_be_visible()
    expect(page.get_by_test_id("school-row")).to_have_count(2)

    # Filter with HTMX: only the table is replaced, the URL follows.
    page.get_by_label("Kunjungan").select_option("not_visited_any")
    expect(page.get_by_test_id("school-row")).to_have_count(1)
    expect(page.get_by_test_id("school-row")).to_contain_text("SMK Negeri Contoh Dua")
    assert "visit=not_visited_any" in page.url
    page.get_by_label("Kunjungan").select_option("")
    expect(page.get_by_test_id("school-row")).to_have_count(2)

    # Sort by completion, highest first (a header link, also through HTMX).
    page.get_by_role("link", name="Capaian").first.click()
    expect(page.get_by_test_id("school-row").first).to_contain_text("SMA Negeri Contoh Satu")

    with page.expect_download() as download_info:
        page.get_by_test_id("export-students-xlsx").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    nik_column = header.index("NIK") + 1
    niks = [sheet.cell(row=r, column=nik_column) for r in range(2, sheet.max_row + 1)]
    cell = next(c for c in niks if c.value == NIK)
    assert cell.data_type == "s" and len(cell.value) == 16
    assert sheet.max_row == 1 + 5  # one absent student + four not yet served

    # The school page lists who is missing and why.
    page.goto(page.live_server_url + reverse("progress_school", args=[visited.pk]))
    expect(page.get_by_test_id("student-row")).to_have_count(1)
    expect(page.get_by_test_id("student-row")).to_contain_text("Tidak hadir")
    expect(page.get_by_test_id("student-row")).not_to_contain_text(NIK)  # masked in lists

    # The printable report fits the headline, chart and table.
    page.goto(page.live_server_url + reverse("progress_report"))
    expect(page.get_by_test_id("report-row")).to_have_count(2)
    assert problems == []


def test_school_admin_sees_only_own_school_on_a_phone(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    drive, visited, waiting = season()
    SchoolAdminUserFactory(username="operator-sekolah", school=visited)
    problems = watch(page)
    login_in_browser(page, "operator-sekolah")
    page.wait_for_url(page.live_server_url + "/")
    page.goto(page.live_server_url + reverse("progress_dashboard"))
    expect(page.get_by_test_id("target")).to_have_text("4")
    expect(page.get_by_test_id("completion")).to_contain_text("75,00")
    expect(page.get_by_test_id("school-row")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    with page.expect_download() as download_info:
        page.get_by_test_id("export-summary-xlsx").click()
    with open(download_info.value.path(), "rb") as handle:
        rows = list(load_workbook(io.BytesIO(handle.read())).worksheets[0].iter_rows(values_only=True))
    assert [row[0] for row in rows[1:-1]] == [visited.npsn]
    response = page.goto(page.live_server_url + reverse("progress_school", args=[waiting.pk]))
    assert response.status == 404
    assert problems == [] or all("404" in p for p in problems)
