"""In headless Chromium: the supervisor's home links lead to their lists, and on a 360 px phone a
student's card on the visit page stays about 120 px tall."""

from __future__ import annotations

import datetime
import os

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from recordings.models import Visit
from schools.models import LeftProposal, StudentListUpload
from tests.conftest import login_in_browser
from tests.factories import (
    OperatorFactory,
    SchoolFactory,
    StudentFactory,
    SupervisorFactory,
    VisitFactory,
    visit_with_students,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CARD_MAX_PX = 125


def test_supervisor_home_links_and_compact_roster_cards(browser_page, tmp_path):
    page = browser_page
    today = timezone.localdate()
    visit, students = visit_with_students(students=4, date=today)
    drive = visit.drive
    students[0].name = "MUHAMMAD RIZKY ARDIANSYAH PUTRA PRATAMA"
    students[0].save()
    postponed_school, unscheduled = SchoolFactory(name="SMKN 5 Muara Bulian"), SchoolFactory(name="SDN 9 Durian")
    drive.schools.add(postponed_school, unscheduled)
    VisitFactory(
        drive=drive,
        school=postponed_school,
        date=today - datetime.timedelta(days=1),
        status=Visit.Status.POSTPONED,
        postponement_reason=Visit.PostponementReason.ROAD,
    )
    upload = StudentListUpload.objects.create(school=visit.school, original_name="daftar.csv", status="previewed")
    LeftProposal.objects.create(upload=upload, student=StudentFactory(school=visit.school))
    SupervisorFactory(username="kabid", first_name="Rina")
    login_in_browser(page, "kabid")
    page.wait_for_url(page.live_server_url + "/")
    home = page.live_server_url + "/"

    expect(page.get_by_test_id("todo-visits-today")).to_contain_text("Kunjungan hari ini: 1")
    expect(page.get_by_test_id("todo-postponed")).to_contain_text("1")
    for testid, expected in (
        ("todo-visits-today", visit.school.name),
        ("todo-postponed", "SMKN 5 Muara Bulian"),
        ("todo-not-scheduled", "SDN 9 Durian"),
        ("todo-left", students[0].school.name),
        ("todo-uploads", "daftar.csv"),
        ("todo-conflicts", "Konflik NIK"),
    ):
        page.goto(home)
        page.get_by_test_id(testid).click()
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text(expected)
    page.goto(home + f"?drive={drive.pk}")
    page.get_by_test_id("todo-not-scheduled").click()
    expect(page.locator("#planning")).not_to_contain_text("SMKN 5 Muara Bulian")  # postponed is its own list

    # A new date for the postponed school: the counter drops.
    postponed = Visit.objects.get(school=postponed_school)
    page.goto(page.live_server_url + reverse("visit_reschedule", args=[postponed.pk]))
    page.get_by_label("Tanggal").fill((today + datetime.timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Simpan").click()
    page.wait_for_url(lambda url: "jadwal-ulang" not in url)
    page.goto(home)
    expect(page.get_by_test_id("todo-postponed")).to_contain_text(": 0 sekolah")

    # The visit page on a phone.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(page.live_server_url + reverse("visit_detail", args=[visit.pk]))
    card = page.locator(f"#student-{students[1].pk}")
    card.get_by_role("button", name="Terekam", exact=True).click()
    expect(card.locator(".recorded-by")).to_contain_text("Rina")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    heights = {s.name: page.locator(f"#student-{s.pk}").bounding_box()["height"] for s in students}
    shot = os.environ.get("ROSTER_SCREENSHOT") or str(tmp_path / "roster-360.png")
    page.screenshot(path=shot, full_page=True)
    assert max(heights.values()) <= CARD_MAX_PX, heights
    buttons = page.locator(f"#student-{students[0].pk} .outcome-buttons button")
    assert buttons.count() == 6
    boxes = [buttons.nth(i).bounding_box() for i in range(6)]
    assert len({round(b["y"]) for b in boxes}) == 1  # one row
    assert all(b["width"] >= 24 and b["height"] >= 24 for b in boxes)
    # The name links to the student's page.
    link = page.locator(f"#student-{students[0].pk}").get_by_role("link", name=students[0].name)
    assert link.get_attribute("href") == reverse("schools:student_detail", args=[visit.school.npsn, students[0].pk])

    # An operator on another device: today's visit one tap away, and the unsent count filled in.
    OperatorFactory(username="petugas")
    other = page.context.browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
    phone = other.new_page()
    phone.set_default_timeout(15000)
    phone.set_viewport_size({"width": 360, "height": 740})
    phone.live_server_url = page.live_server_url
    login_in_browser(phone, "petugas")
    phone.wait_for_url(page.live_server_url + "/")
    expect(phone.locator("#unsent-taps")).to_have_text("Semua hasil di perangkat ini sudah terkirim.")
    today_link = phone.get_by_test_id("today-visit").first
    expect(today_link).to_contain_text(visit.school.name)
    today_link.click()
    phone.wait_for_url(page.live_server_url + reverse("visit_detail", args=[visit.pk]))
    other.close()
