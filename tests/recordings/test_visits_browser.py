"""In headless Chromium: an operator records a class, goes offline, keeps marking, comes back online.

Every tap made offline is kept in the browser, counted as "belum terkirim: N", and sent once
when the connection returns; re-sending the same taps records nothing twice.
"""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from recordings.models import Recording, RecordingAction, Visit
from tests.conftest import login_in_browser
from tests.factories import OperatorFactory, visit_with_students

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

QUEUE_KEY = "ektp-visit-queue-v1"  # where earlier versions of the page kept the queue
QUEUE_ITEMS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("ektp-offline");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction("queue").objectStore("queue").getAll();
    get.onsuccess = () => resolve(get.result);
  };
})"""
Outcome = Recording.Outcome


def wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def watch(page):
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "net::ERR_INTERNET_DISCONNECTED" not in msg.text
            else None
        ),
    )
    return problems


def test_operator_records_a_class_through_an_offline_period(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    visit, students = visit_with_students(students=6)
    OperatorFactory(username="petugas", first_name="Rina")
    problems = watch(page)
    login_in_browser(page, "petugas")
    page.wait_for_url(page.live_server_url + "/")
    page.goto(page.live_server_url + reverse("visit_detail", args=[visit.pk]))

    def row(student):
        return page.locator(f"#student-{student.pk}")

    unsent = page.get_by_test_id("unsent")
    expect(unsent).to_have_text("belum terkirim: 0")
    # Usable on a 360 px phone: nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Search as you type, in the page.
    page.get_by_label("Cari nama, NISN atau 4 digit akhir NIK").fill(students[2].nisn)
    expect(row(students[2])).to_be_visible()
    expect(row(students[0])).to_be_hidden()
    page.get_by_label("Cari nama, NISN atau 4 digit akhir NIK").fill("")
    expect(row(students[0])).to_be_visible()

    # Online: one tap, answered through HTMX with the new row and tallies.
    row(students[0]).get_by_role("button", name="Terekam", exact=True).click()
    expect(row(students[0]).locator(".recorded-by")).to_contain_text("Rina")
    expect(page.locator('[data-tally="recorded"]')).to_have_text("1")
    assert Recording.objects.count() == 1

    # The connection drops. Taps keep working and are kept in the browser.
    page.context.set_offline(True)
    row(students[1]).get_by_role("button", name="Tidak hadir").click()
    row(students[2]).get_by_role("button", name="Terekam", exact=True).click()
    row(students[3]).get_by_role("button", name="Gagal rekam").click()
    row(students[4]).get_by_text("Tidak memenuhi syarat…").click()
    row(students[4]).get_by_label("Alasan tidak memenuhi syarat").fill("Bukan penduduk Batanghari")
    row(students[4]).get_by_role("button", name="Simpan").click()
    page.wait_for_timeout(300)
    row(students[1]).get_by_role("button", name="Terekam", exact=True).click()  # changed her mind: came late
    expect(unsent).to_have_text("belum terkirim: 5")
    expect(row(students[3]).locator(".pending-badge")).to_be_visible()
    expect(row(students[3]).locator(".outcome-badge")).to_have_text("Gagal rekam, perlu ulang")
    expect(page.locator("#offline-note")).to_be_visible()
    queued = page.evaluate(QUEUE_ITEMS)
    kept = json.dumps(queued)
    assert len(queued) == 5 and len({a["client_id"] for a in queued}) == 5
    assert all(a["tapped_at"] > 0 for a in queued)
    assert Recording.objects.count() == 1  # nothing reached the server

    # Finishing the visit is refused while taps are unsent.
    page.get_by_role("button", name="Selesaikan kunjungan").click()
    expect(page.locator("#visit-notice")).to_contain_text("belum terkirim")
    visit.refresh_from_db()
    assert visit.status == Visit.Status.IN_PROGRESS

    # Back online: everything is sent, exactly once, with the time of the tap.
    page.context.set_offline(False)
    expect(unsent).to_have_text("belum terkirim: 0", timeout=20000)
    assert wait_for(lambda: RecordingAction.objects.count() == 6)
    expect(row(students[3]).locator(".pending-badge")).to_be_hidden()
    outcomes = dict(Recording.objects.values_list("student_id", "outcome"))
    assert outcomes == {
        students[0].pk: Outcome.RECORDED,
        students[1].pk: Outcome.RECORDED,  # the later tap wins
        students[2].pk: Outcome.RECORDED,
        students[3].pk: Outcome.BIOMETRIC_FAILURE,
        students[4].pk: Outcome.NOT_ELIGIBLE,
    }
    offline = RecordingAction.objects.filter(source=RecordingAction.Source.OFFLINE)
    assert offline.count() == 5
    assert {str(a.client_id) for a in offline} == {a["client_id"] for a in queued}
    assert all(a.tapped_at < a.received_at for a in offline)
    assert Recording.objects.get(student=students[4]).reason == "Bukan penduduk Batanghari"

    # The answer got lost and the phone sends the same taps again (here from a queue an earlier
    # version of the page kept in localStorage, moved to IndexedDB on load): nothing is recorded twice.
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [QUEUE_KEY, kept])
    page.reload()
    expect(unsent).to_have_text("belum terkirim: 0", timeout=20000)
    page.wait_for_timeout(300)
    assert RecordingAction.objects.count() == 6 and Recording.objects.count() == 5
    expect(row(students[1]).locator(".outcome-badge")).to_have_text("Terekam")

    # Filter by outcome, in the page.
    page.get_by_label("Hasil", exact=True).select_option("biometric_failure")
    expect(row(students[3])).to_be_visible()
    expect(row(students[0])).to_be_hidden()

    # With the keyboard: the answer replaces the row and the focus stays on the same button.
    page.get_by_label("Hasil", exact=True).select_option("")
    row(students[5]).get_by_role("button", name="Menolak").focus()
    page.keyboard.press("Enter")
    expect(row(students[5]).locator(".outcome-badge")).to_have_text("Menolak")
    expect(row(students[5]).get_by_role("button", name="Menolak")).to_be_focused()
    expect(row(students[5]).get_by_role("button", name="Menolak")).to_have_attribute("aria-pressed", "true")

    # Now the visit can be finished.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Selesaikan kunjungan").click()
    page.wait_for_load_state("load")
    assert wait_for(lambda: Visit.objects.get(pk=visit.pk).status == Visit.Status.DONE)
    assert problems == [], problems


RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_supervisor_plans_and_pages_run_without_csp_violations(browser_page):
    """Plan a visit on the planning list (HTMX filters) and open every visit page: no CSP or script errors."""
    page = browser_page
    visit, students = visit_with_students(students=3)
    unvisited, _ = visit_with_students(students=2, drive=visit.drive, status=Visit.Status.CANCELLED)
    from tests.factories import KitFactory, SupervisorFactory

    SupervisorFactory(username="kabid")
    kits = [KitFactory(name="Alat Bebas 1"), KitFactory(name="Alat Bebas 2")]
    problems = watch(page)
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
    page.context.add_init_script(RECORD_CSP_VIOLATIONS)
    login_in_browser(page, "kabid")
    page.wait_for_url(page.live_server_url + "/")

    page.goto(page.live_server_url + reverse("drive_detail", args=[visit.drive_id]))
    page.get_by_label("Status").select_option("not_visited")  # HTMX swaps the table
    rows = page.get_by_test_id("planning-row")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name="Jadwalkan").click()
    page.get_by_label("Tanggal kunjungan").fill(visit.date.isoformat())  # HTMX: the kits free that day
    expect(page.get_by_test_id("kit-choices")).to_contain_text("siap dan bebas pada")
    for kit in kits:
        page.get_by_label(kit.name).check()
    page.get_by_role("button", name="Jadwalkan").click()
    page.wait_for_load_state("load")
    planned = Visit.objects.get(school=unvisited.school, status=Visit.Status.PLANNED)
    assert set(planned.kits.all()) == set(kits)

    for name in ("visit_detail", "visit_history", "visit_attendance", "field_sheet_upload", "visit_list"):
        args = [] if name == "visit_list" else [visit.pk]
        page.goto(page.live_server_url + reverse(name, args=args))
        page.wait_for_load_state("load")
        page.wait_for_timeout(100)
        problems.extend(f"{name}: {v}" for v in page.evaluate("window.__cspViolations"))
    assert problems == [], problems
