"""In headless Chromium: a supervisor sends the visit's notice to the school by WhatsApp.

The wa.me request is answered inside the browser (Playwright route), so nothing leaves the machine.
"""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from recordings.models import Visit, VisitNotice
from tests.conftest import login_in_browser
from tests.factories import DriveFactory, SchoolFactory, StudentFactory, SupervisorFactory, VisitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_supervisor_sends_the_schedule_by_whatsapp_and_the_log_shows_it(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    school = SchoolFactory(name="SMA Negeri 2 Uji", contact_name="Pak Joko", contact_phone="0813 1111 2222")
    drive = DriveFactory(schools=[school])
    for _ in range(3):
        StudentFactory(school=school)
    date = timezone.localdate() + datetime.timedelta(days=10)
    visit = VisitFactory(drive=drive, school=school, date=date, status=Visit.Status.PLANNED)
    SupervisorFactory(username="kabid", first_name="Sari", last_name="Dewi")

    opened = []

    def fake_whatsapp(route):
        opened.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>WhatsApp (uji)</title><p>wa.me</p>")

    page.context.route("https://wa.me/**", fake_whatsapp)
    page.context.route("https://api.whatsapp.com/**", lambda route: route.abort())
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    login_in_browser(page, "kabid")
    page.wait_for_url(page.live_server_url + "/")
    page.goto(page.live_server_url + reverse("visit_detail", args=[visit.pk]))
    panel = page.get_by_test_id("visit-notices")
    expect(panel).to_contain_text("Ke Pak Joko, 0813 1111 2222")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    with page.context.expect_page() as new_tab:
        panel.get_by_role("button", name="Kirim lewat WhatsApp: Jadwal kunjungan").click()
    tab = new_tab.value
    tab.wait_for_load_state()
    expect(tab).to_have_title("WhatsApp (uji)")
    parts = urlsplit(tab.url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/6281311112222")
    text = parse_qs(parts.query)["text"][0]
    assert text.startswith("Jadwal perekaman KTP-el di SMA Negeri 2 Uji: ")
    assert "Peserta didik yang akan direkam: 3 orang" in text and "Narahubung: Sari Dewi" in text
    assert opened == [tab.url]

    # The visit page (still open in the first tab) shows the tap in its log, with who sent it.
    row = page.get_by_test_id("notice-row").first
    page.get_by_text("Catatan pemberitahuan (1)").click()
    expect(row).to_contain_text("WhatsApp")
    expect(row).to_contain_text("+6281311112222")
    expect(row).to_contain_text("Sari Dewi")
    notice = VisitNotice.objects.get(visit=visit)
    assert notice.by.username == "kabid" and notice.message == text
    assert problems == []
