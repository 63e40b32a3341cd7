"""In headless Chromium, one browser for several checks: an operator finds a student from the top
bar (the query never reaches the URL) and opens the student's page; the 404 and 403 pages are in
Indonesian in the app's layout with a way back; the lock-out page offers the way back to login."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import login_in_browser, logout_in_browser
from tests.factories import (
    DriveFactory,
    OperatorFactory,
    SchoolAdminUserFactory,
    SchoolFactory,
    StudentFactory,
    VisitFactory,
    birth_date_for_age,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_search_error_pages_and_lockout(browser_page, settings):
    settings.AXES_FAILURE_LIMIT = 2
    page = browser_page
    school = SchoolFactory(name="SMA Negeri Cari Satu")
    drive = DriveFactory(schools=[school])
    student = StudentFactory(
        school=school,
        name="Dédé Ñoviantï",
        class_name="XII IPS 2",
        birth_date=birth_date_for_age(17, drive.reference_date),
    )
    OperatorFactory(username="petugas")
    SchoolAdminUserFactory(username="sekolah-cari", school=school)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    # Search from the top bar: accents and case ignored, POST only.
    login_in_browser(page, "petugas")
    page.wait_for_url(page.live_server_url + "/")
    box = page.get_by_test_id("nav-search").get_by_label("Cari peserta didik")
    box.fill("DEDE noviant")
    box.press("Enter")
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text("SMA Negeri Cari Satu")
    expect(results).to_contain_text("XII IPS 2")
    expect(results).to_contain_text("Belum dilayani")
    assert "dede" not in page.url.lower() and "?" not in page.url
    page.get_by_role("link", name="Dédé Ñoviantï").click()
    page.wait_for_url(f"**/sekolah/{school.npsn}/peserta-didik/{student.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dédé Ñoviantï")

    # The finish question names the students still unmarked, as the live tally counts them.
    visit = VisitFactory(drive=drive, school=school, started_at=timezone.now())
    StudentFactory(school=school, name="Eka Kedua", birth_date=birth_date_for_age(17, drive.reference_date))
    page.goto(f"{page.live_server_url}/kunjungan/{visit.pk}/")
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_role("button", name="Selesaikan kunjungan").click()
    page.evaluate("document.querySelector('[data-tally=\"none\"]').textContent = '1'")  # as after a tap
    page.get_by_role("button", name="Selesaikan kunjungan").click()
    page.remove_listener("dialog", answer)
    assert [q.split(" Hasil")[0] for q in questions] == [
        "Selesaikan kunjungan ini? 2 peserta didik belum ditandai.",
        "Selesaikan kunjungan ini? 1 peserta didik belum ditandai.",
    ]
    visit.refresh_from_db()
    assert visit.status == "in_progress"

    # 404: Indonesian, the menu stays, one click back home.
    page.goto(page.live_server_url + "/tidak-ada-halaman-ini/")
    expect(page.get_by_test_id("error-title")).to_have_text("Halaman tidak ditemukan")
    expect(page.get_by_role("navigation", name="Navigasi utama")).to_be_visible()
    page.get_by_role("link", name="Kembali ke beranda").click()
    page.wait_for_url(page.live_server_url + "/")
    logout_in_browser(page)

    # 403 for a school admin on a staff page.
    login_in_browser(page, "sekolah-cari")
    page.wait_for_url("**/")
    page.goto(page.live_server_url + "/kegiatan/")
    expect(page.get_by_test_id("error-title")).to_have_text("Akses ditolak")
    expect(page.get_by_text("403 Forbidden")).to_have_count(0)
    logout_in_browser(page)

    # Lock-out after repeated failures: Indonesian, with the way back to the login page.
    for _attempt in range(3):
        login_in_browser(page, "petugas", "salah-sekali")
    expect(page.get_by_role("heading", name="Akun dikunci sementara")).to_be_visible()
    page.get_by_role("link", name="Kembali ke halaman masuk").click()
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    expect(page.get_by_text("Lupa kata sandi?")).to_be_visible()
    assert problems == []
