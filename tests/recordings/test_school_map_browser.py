"""In headless Chromium at 360 px: a supervisor opens the dashboard's school map, clicks a school
not yet visited, lands on its progress page and opens its profile. The map scales to the phone
(no sideways scrolling) and works offline (no request leaves the app); axe-core finds no WCAG
2.1 AA violation on the map's pages, the profile, its form and the coordinate import."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from recordings.models import Visit
from tests.conftest import login_in_browser
from tests.ektp_drives.test_accessibility_browser import AXE, RUN_AXE, WIDTHS
from tests.factories import (
    DriveFactory,
    RecordingFactory,
    SchoolFactory,
    StudentFactory,
    SupervisorFactory,
    VisitFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOT_DIR = os.environ.get("MAP_SCREENSHOT_DIR", "")


def test_supervisor_clicks_a_school_on_the_map_and_lands_on_its_page(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 800})
    today = datetime.date.today()
    visited = SchoolFactory(name="SMAN Peta Satu", latitude=Decimal("-1.70"), longitude=Decimal("103.27"))
    waiting = SchoolFactory(
        name="SMKN Peta Dua",
        latitude=Decimal("-1.53"),
        longitude=Decimal("102.90"),
        contact_name="Pak Budi",
        contact_phone="+6281234567890",
    )
    postponed = SchoolFactory(name="MAN Peta Tiga", latitude=Decimal("-1.83"), longitude=Decimal("103.35"))
    unplaced = SchoolFactory(name="SMA Tanpa Titik")
    drive = DriveFactory(schools=[visited, waiting, postponed, unplaced])
    visit = VisitFactory(drive=drive, school=visited, date=today - datetime.timedelta(days=1), status=Visit.Status.DONE)
    RecordingFactory(visit=visit, student=StudentFactory(school=visited))
    StudentFactory(school=visited)
    reason = Visit.PostponementReason.POWER_CUT
    VisitFactory(drive=drive, school=postponed, status=Visit.Status.POSTPONED, postponement_reason=reason)
    SupervisorFactory(username="kadis-peta")
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(page.live_server_url) else None)

    login_in_browser(page, "kadis-peta")
    page.wait_for_url(page.live_server_url + "/")
    page.goto(page.live_server_url + reverse("progress_dashboard"))
    svg = page.get_by_test_id("school-map-svg")
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box["width"] <= 360 and box["height"] > 100
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    expect(page.get_by_test_id("school-map-table").locator("tbody tr")).to_have_count(4)
    expect(page.get_by_test_id("school-map-summary")).to_contain_text("1 sekolah belum punya koordinat")
    svg.scroll_into_view_if_needed()
    if SCREENSHOT_DIR:
        page.get_by_test_id("school-map").screenshot(path=os.path.join(SCREENSHOT_DIR, "map-360.png"))

    marker = reverse("progress_school", args=[waiting.pk])
    page.get_by_test_id("school-map-svg").locator(f'a[href^="{marker}"]').click()
    page.wait_for_url(f"**{reverse('progress_school', args=[waiting.pk])}?drive={drive.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("SMKN Peta Dua")
    page.get_by_test_id("school-profile-link").click()
    page.wait_for_url(f"**{reverse('schools:school_profile', args=[waiting.npsn])}")
    expect(page.get_by_test_id("profile-contact")).to_contain_text("Pak Budi")
    expect(page.get_by_test_id("profile-distance")).to_contain_text("garis lurus")
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, "profile-360.png"), full_page=True)
    assert outside == []

    # axe-core (WCAG 2.1 AA) on the map, the profile, its form and the import, at both widths; the
    # injected script needs a context that bypasses the CSP (as the accessibility test does).
    context = page.context.browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", bypass_csp=True)
    checker = context.new_page()
    checker.live_server_url = page.live_server_url
    login_in_browser(checker, "kadis-peta")
    checker.wait_for_url(page.live_server_url + "/")
    problems = []
    paths = [
        reverse("progress_dashboard"),
        reverse("drive_detail", args=[drive.pk]),
        reverse("schools:school_profile", args=[waiting.npsn]),
        reverse("schools:school_profile_edit", args=[waiting.npsn]),
        reverse("schools:coordinates_import"),
    ]
    for path in paths:
        for width in WIDTHS:
            checker.set_viewport_size({"width": width, "height": 900})
            checker.goto(page.live_server_url + path)
            checker.add_script_tag(path=str(AXE))
            problems += [f"{path} @{width}px: {v}" for v in checker.evaluate(RUN_AXE)]
    context.close()
    assert not problems, "\n".join(problems)
