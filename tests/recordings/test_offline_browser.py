"""In headless Chromium: the visit page prepared for offline use opens, reloads and records offline.

The service worker keeps today's visit page (prepared from the home page), serves it when the
network is gone, and an Indonesian offline page for any other page; taps wait in IndexedDB, are
still there in a new tab, and are stored once, at their tap time, when the connection returns.
Logging out deletes the offline copies; a new release's service worker takes over.
"""

from __future__ import annotations

import datetime
import os
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from recordings.models import Recording, RecordingAction, Visit
from tests.conftest import chromium_path, login_in_browser
from tests.factories import OperatorFactory, visit_with_students

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

Outcome = Recording.Outcome

QUEUE_ITEMS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("ektp-offline");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const get = open.result.transaction("queue").objectStore("queue").getAll();
    get.onsuccess = () => resolve(get.result);
  };
})"""
VISIT_CACHES = "async () => (await caches.keys()).filter((k) => k.startsWith('ektp-visits-'))"
CACHED_URLS = """async () => {
  const out = [];
  for (const key of await caches.keys()) {
    if (key.startsWith('ektp-visits-')) {
      const cache = await caches.open(key);
      (await cache.keys()).forEach((r) => out.push(new URL(r.url).pathname));
    }
  }
  return out;
}"""
CONTROLLED = "() => navigator.serviceWorker.ready.then(() => Boolean(navigator.serviceWorker.controller))"


def wait_for(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def watch(page, problems):
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "ERR_INTERNET_DISCONNECTED" not in msg.text
            else None
        ),
    )


def prepare_on_home(page):
    """Sign-in lands on the home page, which prepares today's visits; wait for the worker too."""
    page.wait_for_url(page.live_server_url + "/")
    expect(page.get_by_test_id("offline-state").first).to_contain_text("tersedia luring · disalin pukul")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def test_visit_page_reloads_and_reopens_offline_and_sends_each_tap_once(browser_page, settings):
    settings.OFFLINE_WARN_HOURS = 2 / 3600  # the 4 hours before the warning, shortened to 2 s
    page = browser_page
    context = page.context
    visit, students = visit_with_students(students=8)
    later, _ = visit_with_students(
        students=1, date=timezone.localdate() + datetime.timedelta(days=5), status=Visit.Status.PLANNED
    )
    operator = OperatorFactory(username="petugas", first_name="Rina")
    problems = []
    watch(page, problems)
    login_in_browser(page, "petugas")
    prepare_on_home(page)
    url = page.live_server_url + reverse("visit_detail", args=[visit.pk])
    assert page.evaluate(CACHED_URLS) == [reverse("visit_detail", args=[visit.pk])]  # not the visit in 5 days

    response = page.goto(url)
    assert response.headers["cache-control"] == "private, no-cache"
    expect(page.get_by_test_id("unsent")).to_have_text("belum terkirim: 0")

    def row(p, student):
        return p.locator(f"#student-{student.pk}")

    # The power goes, the phone's hotspot with it; the operator reloads.
    context.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("offline-banner")).to_contain_text("Salinan luring dari pukul")
    expect(page.get_by_test_id("offline-banner")).to_contain_text("hasil disimpan di perangkat ini")
    expect(row(page, students[7])).to_be_visible()
    expect(page.locator('[data-tally="none"]')).to_have_text("8")

    # Search and filters work on the copy.
    page.get_by_label("Cari nama, NISN atau 4 digit akhir NIK").fill(students[2].nisn)
    expect(row(page, students[2])).to_be_visible()
    expect(row(page, students[0])).to_be_hidden()
    page.get_by_label("Cari nama, NISN atau 4 digit akhir NIK").fill("")

    # Five taps (one changed, one undone and redone), all kept on the device.
    row(page, students[0]).get_by_role("button", name="Terekam", exact=True).click()
    row(page, students[1]).get_by_role("button", name="Tidak hadir").click()
    row(page, students[2]).get_by_role("button", name="Terekam", exact=True).click()
    row(page, students[3]).get_by_role("button", name="Gagal rekam").click()
    row(page, students[4]).get_by_role("button", name="Menolak").click()
    page.wait_for_timeout(50)
    row(page, students[1]).get_by_role("button", name="Sudah rekam").click()  # the later tap wins
    expect(page.get_by_test_id("unsent")).to_have_text("belum terkirim: 6")
    expect(page.locator('[data-tally="recorded"]')).to_have_text("2")
    expect(page.locator('[data-tally="already_recorded"]')).to_have_text("1")
    expect(page.locator('[data-tally="absent"]')).to_have_text("0")
    expect(page.locator('[data-tally="biometric_failure"]')).to_have_text("1")
    expect(page.locator('[data-tally="refused"]')).to_have_text("1")
    expect(page.locator('[data-tally="none"]')).to_have_text("3")
    page.get_by_label("Hasil", exact=True).select_option("refused")
    expect(row(page, students[4])).to_be_visible()
    expect(row(page, students[0])).to_be_hidden()
    page.get_by_label("Hasil", exact=True).select_option("")
    queued = page.evaluate(QUEUE_ITEMS)
    assert len(queued) == 6 and {a["queued_by"] for a in queued} == {operator.pk}
    assert Recording.objects.count() == 0

    # Close the tab; a new one at the same address, still offline, shows the 6 as unsent.
    base = page.live_server_url
    page.close()
    page = context.new_page()
    page.set_default_timeout(15000)
    page.live_server_url = base
    watch(page, problems)
    page.goto(url)
    expect(page.get_by_test_id("unsent")).to_have_text("belum terkirim: 6")
    # Unsent for longer than the limit: the banner asks to connect or use the field sheet.
    banner = page.get_by_test_id("offline-banner")
    expect(banner).to_contain_text("Ada hasil yang belum terkirim sejak pukul", timeout=20000)
    expect(banner).to_contain_text("catat di lembar lapangan")
    expect(banner).to_have_class("alert py-2 alert-warning")
    expect(row(page, students[3]).locator(".pending-badge")).to_be_visible()
    expect(row(page, students[1]).locator(".outcome-badge")).to_have_text("Sudah rekam sebelumnya")
    expect(page.locator('[data-tally="recorded"]')).to_have_text("2")

    # Signing out with unsent taps asks first; saying no keeps the user in, with the taps.
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Keluar").click()
    for _ in range(100):  # Playwright delivers the dialog while it runs, not during time.sleep
        if dialogs:
            break
        page.wait_for_timeout(100)
    assert dialogs and "Masih ada 6 hasil yang belum terkirim" in dialogs[0]
    expect(page.get_by_test_id("unsent")).to_have_text("belum terkirim: 6")
    assert len(page.evaluate(QUEUE_ITEMS)) == 6 and page.evaluate(CACHED_URLS)

    # A page that was not prepared: the Indonesian offline page, with a link to the prepared visit.
    page.goto(page.live_server_url + reverse("visit_detail", args=[later.pk]))
    expect(page.get_by_test_id("offline-title")).to_have_text("Tidak ada sambungan internet")
    expect(page.locator("#offline-visits a")).to_have_text(visit.school.name)
    page.locator("#offline-visits a").click()
    expect(page.get_by_test_id("unsent")).to_have_text("belum terkirim: 6")

    # The connection returns: each tap is stored once, at its tap time.
    context.set_offline(False)
    expect(page.get_by_test_id("unsent")).to_have_text("belum terkirim: 0", timeout=20000)
    assert wait_for(lambda: RecordingAction.objects.count() == 6)
    page.wait_for_timeout(500)
    actions = RecordingAction.objects.all()
    assert actions.count() == 6 and {str(a.client_id) for a in actions} == {a["client_id"] for a in queued}
    tapped = {a["client_id"]: a["tapped_at"] for a in queued}
    for action in actions:
        assert action.source == RecordingAction.Source.OFFLINE
        assert abs(action.tapped_at.timestamp() * 1000 - tapped[str(action.client_id)]) < 2000
    assert dict(Recording.objects.values_list("student_id", "outcome")) == {
        students[0].pk: Outcome.RECORDED,
        students[1].pk: Outcome.ALREADY_RECORDED,
        students[2].pk: Outcome.RECORDED,
        students[3].pk: Outcome.BIOMETRIC_FAILURE,
        students[4].pk: Outcome.REFUSED,
    }
    expect(page.locator('[data-tally="recorded"]')).to_have_text("2")
    assert page.evaluate(QUEUE_ITEMS) == []

    # Logging out deletes the offline copies of visit pages.
    assert page.evaluate(CACHED_URLS)
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/masuk/**")
    assert page.evaluate(CACHED_URLS) == []
    assert problems == [], problems


SHELL_CACHES = "async () => (await caches.keys()).filter((k) => k.startsWith('ektp-shell-')).sort()"


def test_a_new_release_takes_over_and_background_sync_sends_with_the_tab_closed(browser_page, settings):
    """The next release's worker installs on the next page load, takes the open page over (which
    reloads on the new JavaScript), keeps the offline copies under its own caches and drops the old.
    A tap made offline is then sent by the worker (Background Sync) after the tab is closed."""
    page = browser_page
    visit, students = visit_with_students(students=2)
    later, _ = visit_with_students(
        students=1, date=timezone.localdate() + datetime.timedelta(days=5), status=Visit.Status.PLANNED
    )
    OperatorFactory(username="petugas")
    problems = []
    watch(page, problems)
    old = settings.APP_VERSION
    login_in_browser(page, "petugas")
    prepare_on_home(page)
    expect(page.get_by_test_id("app-version")).to_have_text(f"versi {old}")
    assert page.evaluate(SHELL_CACHES) == [f"ektp-shell-{old}"]
    assert page.evaluate(VISIT_CACHES) == [f"ektp-visits-{old}"]

    settings.APP_VERSION = "9.9.9"
    page.reload()  # the browser checks /sw.js on navigation; the new worker takes over and the page reloads
    expect(page.get_by_test_id("app-version")).to_have_text("versi 9.9.9")

    def settled():
        try:  # the page reloads itself when the new worker takes over
            return page.evaluate(SHELL_CACHES) == ["ektp-shell-9.9.9"] and page.evaluate(
                "navigator.serviceWorker.controller !== null"
            )
        except PlaywrightError:
            return False

    assert wait_for(settled)
    page.wait_for_load_state("load")
    assert page.evaluate(VISIT_CACHES) == ["ektp-visits-9.9.9"]
    assert page.evaluate(CACHED_URLS) == [reverse("visit_detail", args=[visit.pk])]
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")

    # A visit page opened online without being prepared (next week's) is kept as well.
    page.goto(page.live_server_url + reverse("visit_detail", args=[later.pk]))
    assert wait_for(lambda: reverse("visit_detail", args=[later.pk]) in page.evaluate(CACHED_URLS))
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("offline-banner")).to_contain_text("Salinan luring dari pukul")
    expect(page.get_by_text("Mulai kunjungan untuk mencatat hasil.")).to_be_visible()  # planned: no taps offline either
    expect(page.locator(".outcome-form")).to_have_count(0)

    # Offline, the copy kept by the new worker opens and takes a tap.
    page.goto(page.live_server_url + reverse("visit_detail", args=[visit.pk]))
    expect(page.get_by_test_id("offline-banner")).to_contain_text("Salinan luring dari pukul")
    page.locator(f"#student-{students[0].pk}").get_by_role("button", name="Menolak").click()
    expect(page.get_by_test_id("unsent")).to_have_text("belum terkirim: 1")
    assert problems == [], problems

    # The tab is closed, then the connection returns: the service worker sends the tap.
    context = page.context
    page.close()
    context.set_offline(False)
    assert wait_for(lambda: Recording.objects.filter(student=students[0], outcome=Outcome.REFUSED).exists(), 30)
    assert RecordingAction.objects.get().source == RecordingAction.Source.OFFLINE


def test_plain_http_on_a_lan_falls_back_and_says_so_once(live_server, settings):
    """No service worker outside a secure context: the page says once that it cannot open offline,
    and taps are still kept on the device and sent (the behaviour before offline copies)."""
    path = chromium_path()
    if not path:
        pytest.skip("Chromium is not installed")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "ektp.lan"]
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # as the browser_page fixture does
    visit, students = visit_with_students(students=2)
    OperatorFactory(username="petugas")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox", "--host-resolver-rules=MAP ektp.lan 127.0.0.1"]
        )
        context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
        page = context.new_page()
        page.set_default_timeout(15000)
        page.live_server_url = live_server.url.replace("localhost", "ektp.lan")
        problems = []
        watch(page, problems)
        login_in_browser(page, "petugas")
        page.wait_for_url(page.live_server_url + "/")
        assert page.evaluate("window.isSecureContext") is False
        note = page.locator("#offline-site-note")
        expect(note).to_contain_text("tanpa HTTPS")
        expect(page.get_by_test_id("offline-state").first).to_have_text("luring tidak tersedia di alamat tanpa HTTPS")
        page.goto(page.live_server_url + reverse("visit_detail", args=[visit.pk]))
        expect(note).to_be_hidden()  # said once per device
        assert page.evaluate("navigator.serviceWorker === undefined || navigator.serviceWorker.controller === null")

        context.set_offline(True)
        page.locator(f"#student-{students[0].pk}").get_by_role("button", name="Tidak hadir").click()
        expect(page.get_by_test_id("unsent")).to_have_text("belum terkirim: 1")
        context.set_offline(False)
        expect(page.get_by_test_id("unsent")).to_have_text("belum terkirim: 0", timeout=20000)
        assert wait_for(lambda: Recording.objects.filter(student=students[0], outcome=Outcome.ABSENT).exists())
        # Chromium's own note that it ignores COOP on an untrustworthy origin is expected here.
        assert [p for p in problems if "Cross-Origin-Opener-Policy" not in p] == [], problems
        context.close()
        browser.close()
