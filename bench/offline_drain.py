"""Benchmark: a day's offline backlog on one device, drained when the connection returns.

3 kits × 150 students = 450 taps made offline on one visit page (real clicks in headless
Chromium, queued in IndexedDB by the page), then the connection returns and the queue is sent
to gunicorn on the loopback interface by the code the operators run:

1. **page open**: the visit page's own retry (``online`` event → static/js/offline/drain.js);
2. **tab closed** (``--closed``): the tab is closed before the connection returns, and the
   service worker's Background Sync sends the queue (Chromium).

Prints the time from "connection back" to "last tap stored", the sync requests used (from
gunicorn's access log) and checks exactly-once: 450 actions for 450 client ids, each tap time kept.

    # standalone server at 127.0.0.1:5432 (user postgres, trust); creates and drops bench_offline
    .venv/bin/python bench/offline_drain.py
    .venv/bin/python bench/offline_drain.py --closed      # Background Sync with the tab closed
    .venv/bin/python bench/offline_drain.py --kits 3 --per-kit 150 --workers 3

Needs the system Chromium and Playwright (requirements-dev.txt). The data are invented.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import secrets
import signal
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.recording_load import MODEL_BACKEND, drop_database, recreate_database  # noqa: E402

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
TARGET_S = 5.0
# Outcome codes (the buttons' values): the labels on a phone are short, the accessible names long.
OUTCOMES = ["recorded", "recorded", "recorded", "absent", "already_recorded", "biometric_failure", "refused"]
QUEUE_LENGTH = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("ektp-offline");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const count = open.result.transaction("queue").objectStore("queue").count();
    count.onsuccess = () => resolve(count.result);
  };
})"""
QUEUE_TIMES = QUEUE_LENGTH.replace(".count()", ".getAll()").replace(
    "resolve(count.result)", "resolve(count.result.map((a) => [a.client_id, a.tapped_at]))"
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kits", type=int, default=3)
    parser.add_argument("--per-kit", type=int, default=150)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (2 threads each)")
    parser.add_argument("--port", type=int, default=8022)
    parser.add_argument("--closed", action="store_true", help="close the tab first (Background Sync sends)")
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER))
    parser.add_argument("--db", default="bench_offline")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def seed(args) -> dict:
    """One drive, one school visited today with kits × per-kit students, one operator signed in."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from recordings.models import Drive, DriveSchool, Visit
    from schools.models import Desa, School, Student
    from schools.roles import OPERATOR_GROUP

    today = timezone.localdate()
    drive = Drive.objects.create(
        name="Bench luring",
        start_date=today - datetime.timedelta(days=10),
        end_date=today + datetime.timedelta(days=30),
        reference_date=today + datetime.timedelta(days=30),
    )
    school = School.objects.create(
        npsn="81000000",
        name="SMA Bench Luring",
        level="SMA",
        status="negeri",
        desa=Desa.objects.order_by("code").first(),
    )
    DriveSchool.objects.create(drive=drive, school=school)
    visit = Visit.objects.create(
        drive=drive,
        school=school,
        date=today,
        status=Visit.Status.IN_PROGRESS,
        started_at=timezone.now(),
    )
    born = datetime.date(today.year - 17, 3, 1)
    students = Student.objects.bulk_create(
        [
            Student(
                school=school, name=f"Siswa {n:03d}", gender="L", birth_date=born, class_name=f"XII {n % args.kits}"
            )
            for n in range(args.kits * args.per_kit)
        ]
    )
    user = get_user_model().objects.create(username="bench-luring", first_name="Petugas")
    user.groups.add(Group.objects.get(name=OPERATOR_GROUP))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = MODEL_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return {"visit": visit.pk, "students": [s.pk for s in students], "session": session.session_key, "csrf": csrf}


def start_gunicorn(args, env, access_log: Path) -> subprocess.Popen:
    import http.client

    command = [
        str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
        "ektp_drives.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        "gthread",  # the browser keeps connections open; sync workers would sit on them
        "--threads",
        "2",
        "--access-logfile",
        str(access_log),
        "--access-logformat",
        '%(h)s "%(r)s" %(s)s %(L)s',  # the time each request took on the server, in seconds
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            conn.request("GET", "/masuk/")
            if conn.getresponse().status == 200:
                return proc
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def run_browser(args, data, base_url, count_actions) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.conftest import chromium_path

    figures = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
        context.add_cookies(
            [
                {"name": "sessionid", "value": data["session"], "url": base_url},
                {"name": "csrftoken", "value": data["csrf"], "url": base_url},
            ]
        )
        page = context.new_page()
        page.set_default_timeout(60000)
        page.goto(base_url + "/")  # prepares today's visit for offline use
        page.wait_for_selector('[data-testid="offline-state"].text-bg-success')
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        visit_url = f"{base_url}/kunjungan/{data['visit']}/"
        page.goto(visit_url)
        context.set_offline(True)
        page.reload()
        page.wait_for_selector('[data-testid="offline-banner"]:not([hidden])')
        started = time.perf_counter()
        for i, student in enumerate(data["students"]):
            page.locator(f'#student-{student} button[name="outcome"][value="{OUTCOMES[i % len(OUTCOMES)]}"]').click()
        page.wait_for_function(f"document.getElementById('unsent').textContent.endsWith(': {len(data['students'])}')")
        figures["tapping_s"] = time.perf_counter() - started
        figures["queued"] = page.evaluate(QUEUE_LENGTH)
        figures["tap_times"] = dict(page.evaluate(QUEUE_TIMES))
        if args.closed:
            page.close()
        started = time.perf_counter()
        context.set_offline(False)
        deadline = time.monotonic() + 120
        while count_actions() < len(data["students"]) and time.monotonic() < deadline:
            time.sleep(0.02)
        figures["drain_s"] = time.perf_counter() - started
        if not args.closed:
            page.wait_for_function("document.getElementById('unsent').textContent.endsWith(': 0')")
            figures["queue_after"] = page.evaluate(QUEUE_LENGTH)
        else:
            page = context.new_page()
            page.goto(base_url + "/luring/")
            time.sleep(0.5)
            figures["queue_after"] = page.evaluate(QUEUE_LENGTH)
        context.close()
        browser.close()
    return figures


def main():
    args = parse_args()
    database_url = f"{args.server}/{args.db}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "ektp_drives.settings",
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DEBUG", "CONN_MAX_AGE", "DJANGO_SETTINGS_MODULE")})
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the ORM counts rows between Playwright's sync calls
    taps = args.kits * args.per_kit
    print(f"database {database_url}; {args.kits} kits × {args.per_kit} = {taps} offline taps on one device")
    recreate_database(args.server, args.db)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True
    )
    data = seed(args)
    access_log = Path(tempfile.mkstemp(prefix="offline-drain-", suffix=".log")[1])
    proc = start_gunicorn(args, env, access_log)
    print(f"gunicorn on 127.0.0.1:{args.port}: {args.workers} workers; cpus {os.cpu_count()}")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    from recordings.models import Recording, RecordingAction

    def count_actions():
        return RecordingAction.objects.count()

    try:
        figures = run_browser(args, data, f"http://127.0.0.1:{args.port}", count_actions)
    finally:
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    syncs = [line for line in access_log.read_text().splitlines() if '"POST /kunjungan/sinkron/' in line]
    access_log.unlink()
    actions = list(RecordingAction.objects.values_list("client_id", "tapped_at", "source"))
    tap_times = figures["tap_times"]
    # The server takes its clock at each item minus the browser's (sent_at - tapped_at), so a stored
    # tap time is later than the browser's by at most the request's time on the server.
    lags = [at.timestamp() * 1000 - tap_times.get(str(cid), -1e12) for cid, at, _ in actions]
    times_kept = bool(lags) and all(-1000 < lag < figures["drain_s"] * 1000 + 1000 for lag in lags)
    max_lag = max(lags, default=0) / 1000
    once = len(actions) == taps and {str(cid) for cid, _, _ in actions} == set(tap_times)
    outcomes = Recording.objects.count()
    sender = "service worker (Background Sync, tab closed)" if args.closed else "visit page (its own retry)"
    print(f"\nSent by: {sender}")
    print(f"  taps made offline: {figures['queued']} in {figures['tapping_s']:.1f} s of clicking")
    print(
        f"  time to drain (connection back → last tap stored): {figures['drain_s']:.2f} s (target < {TARGET_S:.0f} s)"
    )
    answers = [line.split('"')[2].split() for line in syncs]
    statuses = ", ".join(f"HTTP {status} in {float(took):.2f} s" for status, took in answers)
    print(f"  sync requests: {len(syncs)} ({statuses} on the server)")
    left = figures["queue_after"]
    print(f"  actions stored {len(actions)} for {taps} taps; current outcomes {outcomes}; queue left {left}")
    kept = "yes" if times_kept else "NO"
    print(f"  exactly once: {'yes' if once else 'NO'}; tap times kept: {kept} (max {max_lag:.2f} s later)")
    ok = once and times_kept and outcomes == taps and figures["queue_after"] == 0
    print("  OK" if ok and figures["drain_s"] < TARGET_S else ("  OK (over target)" if ok else "  MISMATCH"))
    from django.db import connections

    connections.close_all()
    if not args.keep:
        drop_database(args.server, args.db)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
