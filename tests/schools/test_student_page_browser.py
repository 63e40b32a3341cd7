"""In headless Chromium: a school admin opens a student from the list, fixes the class, sees the
change in the history; a supervisor finds that look in the access log (issue 6)."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import login_in_browser, logout_in_browser
from tests.factories import SchoolAdminUserFactory, SchoolFactory, StudentFactory, SupervisorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NIK = "1504035705089876"  # synthetic


def watch(page):
    """Script errors and console errors (CSP violations among them); a refused form's 422 is expected."""
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" and "422" not in msg.text else None,
    )
    return problems


def test_fix_a_student_and_read_the_access_log(browser_page):
    page = browser_page
    school = SchoolFactory(name="SMA Negeri Contoh Satu")
    StudentFactory(school=school, name="Ayu Pratama", gender="P", birth_date=datetime.date(2008, 5, 17), nik=NIK)
    SchoolAdminUserFactory(username="sekolah-satu", first_name="Operator Sekolah", school=school)
    SupervisorFactory(username="kadis")
    problems = watch(page)

    login_in_browser(page, "sekolah-satu")
    page.wait_for_url(page.live_server_url + "/")
    page.goto(f"{page.live_server_url}/sekolah/{school.npsn}/peserta-didik/")
    expect(page.get_by_text(NIK)).to_have_count(0)  # the list is masked
    page.get_by_role("link", name="Ayu Pratama").click()
    expect(page.get_by_test_id("nik")).to_have_text(NIK)
    assert NIK not in page.url

    page.get_by_role("link", name="Perbaiki data").click()
    page.get_by_label("NIK").fill("1504035705")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("NIK harus 16 angka, terbaca 10 angka.")).to_be_visible()
    page.get_by_label("NIK").fill(NIK)
    page.get_by_label("Rombel").fill("XII IPA 3")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Data Ayu Pratama tersimpan.")).to_be_visible()
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("XII IPA 1")
    expect(history).to_contain_text("XII IPA 3")
    expect(history).to_contain_text("Operator Sekolah")

    logout_in_browser(page)
    login_in_browser(page, "kadis")
    page.wait_for_url(page.live_server_url + "/")
    page.get_by_role("button", name="Tindak lanjut data").click()
    page.get_by_role("link", name="Log akses data pribadi").click()
    log = page.get_by_test_id("access-log")
    expect(log.locator("tbody tr")).to_have_count(3)  # the page twice and the form once
    expect(log).to_contain_text("sekolah-satu")
    page.get_by_label("Akses").select_option("student_viewed")
    page.get_by_role("button", name="Saring").click()
    expect(page).to_have_url(re.compile(r"akses=student_viewed"))
    assert NIK not in page.content()
    assert not problems, problems
