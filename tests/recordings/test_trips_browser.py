"""In headless Chromium, on the demo season: the supervisor turns the "Belum dikunjungi" suggestion
(SMKN 5 Batanghari and SMAN 9 Batang Hari, two kecamatan) into one trip with free kits, in one submit,
sees both visits on the planning list and on the offline school map, and sends the first school its
notice by WhatsApp (the wa.me request is answered inside the browser: nothing leaves the machine)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from recordings.demo import DEMO_PASSWORD, UNVISITED_NPSN
from recordings.models import Visit, VisitKit, VisitNotice
from recordings.selectors import drive_current
from tests.conftest import login_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_supervisor_plans_the_unvisited_schools_as_one_trip(browser_page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    drive = drive_current()
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 800})
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    login_in_browser(page, "dukcapil", DEMO_PASSWORD)
    page.wait_for_url(page.live_server_url + "/")
    page.goto(page.live_server_url + reverse("drive_detail", args=[drive.pk]))

    suggestion = page.locator('[data-testid="trip-suggestion"][data-key="unvisited"]')
    expect(suggestion).to_contain_text("SMKN 5 Batanghari")
    expect(suggestion).to_contain_text("SMAN 9 BATANG HARI")
    suggestion.get_by_role("button", name="Rencanakan perjalanan").click()

    page.get_by_label("Alat per kunjungan").fill("2")  # two kits: each school in one day
    page.get_by_role("button", name="Hitung ulang hari dan alat").click()
    rows = page.get_by_test_id("trip-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("SMKN 5 Batanghari")  # Muara Bulian: nearer the office
    for index in range(2):  # two free, ready kits already ticked on each row; the broken one is not offered
        box = rows.nth(index).get_by_test_id("kit-choices")
        expect(box.locator("input:checked")).to_have_count(2)
        expect(box).to_contain_text("Alat rekam 5 (rusak)")
    rows.nth(1).get_by_label("Jam mulai").fill("09:00")
    page.get_by_role("button", name="Jadwalkan semua kunjungan").click()

    expect(page.get_by_text("Perjalanan dijadwalkan: 2 kunjungan")).to_be_visible()
    for npsn in UNVISITED_NPSN:
        row = page.locator(f'[data-testid="planning-row"][data-npsn="{npsn}"]')
        expect(row.get_by_role("link", name="Jadwalkan")).to_have_count(0)  # scheduled now
        expect(row).to_contain_text("2 alat")  # the next visit, with its kits
    visits = list(Visit.objects.filter(school__npsn__in=UNVISITED_NPSN, status=Visit.Status.PLANNED).order_by("date"))
    assert [v.school.npsn for v in visits] == list(UNVISITED_NPSN)
    assert [v.start_time.strftime("%H:%M") for v in visits] == ["08:00", "09:00"]
    assert all(VisitKit.objects.filter(visit=v).count() == 2 for v in visits)

    # The map (drawn on the server, loaded after the page) shows both schools, still not visited.
    expect(page.get_by_test_id("school-map-svg")).to_be_visible()
    map_table = page.get_by_test_id("school-map-table")
    for visit in visits:
        row = map_table.locator("tr", has_text=visit.school.name)
        expect(row).to_contain_text("Dijadwalkan")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # The first school hears of its visit by WhatsApp, with one tap on the visit page: the app logs
    # the tap and redirects the new tab to wa.me. The redirect's target is read from the tab's request
    # (the test machine has no internet, so that tab ends on the browser's error page).
    page.goto(page.live_server_url + reverse("visit_detail", args=[visits[0].pk]))
    panel = page.get_by_test_id("visit-notices")
    with page.context.expect_event("request", lambda request: request.url.startswith("https://wa.me/")) as whatsapp:
        panel.get_by_role("button", name="Kirim lewat WhatsApp: Jadwal kunjungan").click()
    parts = urlsplit(whatsapp.value.url)
    assert parts.path == "/" + visits[0].school.contact_phone.lstrip("+")
    text = parse_qs(parts.query)["text"][0]
    assert text.startswith("Jadwal perekaman KTP-el di SMKN 5 Batanghari: ") and "fotokopi" in text
    notice = VisitNotice.objects.get(visit=visits[0], channel=VisitNotice.Channel.WHATSAPP)
    assert notice.by.username == "dukcapil" and notice.message == text
    assert problems == [], problems
