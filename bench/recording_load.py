"""Benchmark: marking outcomes under load (issue 4).

Starts gunicorn on the loopback interface against a separate PostgreSQL database, then lets N
concurrent operators (threads, each with its own session) tap outcomes through the same HTMX
endpoint the visit page uses, and then re-send a batch of offline taps through the sync
endpoint (half of them a second time, as a phone does when an answer is lost). Prints
requests per second and latency percentiles, checks that every tap was recorded exactly once,
and compares p95 with a budget.

    # standalone server at 127.0.0.1:5432 (user postgres, trust); creates and drops bench_recording
    .venv/bin/python bench/recording_load.py                       # 50 operators × 40 taps
    .venv/bin/python bench/recording_load.py --clients 100 --taps 20 --workers 5 --threads 2
    .venv/bin/python bench/recording_load.py --keep                # keep the database afterwards

Nothing to install beyond requirements.txt (gunicorn) and the standard library. The data are
invented. The client threads run on the same machine as the server and the database, so the
figures are a floor for a real server with the database on its own disk.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import signal
import statistics
import string
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_DB = "bench_recording"
P95_BUDGET_MS = 500  # an operator should see the tap answered within half a second
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
OUTCOMES = ["recorded"] * 8 + ["already_recorded", "absent", "biometric_failure", "missing_documents", "refused"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="concurrent operators (default 50)")
    parser.add_argument("--taps", type=int, default=40, help="taps per operator (default 40)")
    parser.add_argument("--offline", type=int, default=20, help="offline taps each operator syncs in one batch")
    parser.add_argument("--schools", type=int, default=10, help="schools visited at once (default 10)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=8014)
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER))
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def recreate_database(server: str, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{server}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def drop_database(server: str, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{server}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def seed(args) -> list[dict]:
    """One drive, N schools each visited now, 50 operators; each operator gets its own students."""
    import datetime

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from recordings.models import Drive, DriveSchool, Visit
    from schools.models import Desa, School, Student
    from schools.roles import OPERATOR_GROUP

    today = timezone.localdate()
    drive = Drive.objects.create(
        name="Bench",
        start_date=today - datetime.timedelta(days=10),
        end_date=today + datetime.timedelta(days=30),
        reference_date=today + datetime.timedelta(days=30),
    )
    desa = Desa.objects.order_by("code").first()
    per_school = -(-args.clients // args.schools) * (args.taps + args.offline)
    schools = School.objects.bulk_create(
        [
            School(npsn=f"{80000000 + i:08d}", name=f"SMA Bench {i}", level="SMA", status="negeri", desa=desa)
            for i in range(args.schools)
        ]
    )
    DriveSchool.objects.bulk_create([DriveSchool(drive=drive, school=s) for s in schools])
    visits = Visit.objects.bulk_create(
        [
            Visit(drive=drive, school=s, date=today, status=Visit.Status.IN_PROGRESS, started_at=timezone.now())
            for s in schools
        ]
    )
    born = datetime.date(today.year - 17, 3, 1)
    students = Student.objects.bulk_create(
        [
            Student(school=s, name=f"Siswa {s.pk}-{n}", gender="L", birth_date=born, class_name=f"XII {n % 6}")
            for s in schools
            for n in range(per_school)
        ]
    )
    by_school: dict[int, list[int]] = {}
    for st in students:
        by_school.setdefault(st.school_id, []).append(st.pk)
    group = Group.objects.get(name=OPERATOR_GROUP)
    User = get_user_model()
    operators = []
    for i in range(args.clients):
        user = User.objects.create(username=f"bench-op-{i}", first_name=f"Petugas {i}")
        user.groups.add(group)
        operators.append(user)
    clients = []
    for i, user in enumerate(operators):
        visit = visits[i % len(visits)]
        slot = i // len(visits)
        mine = by_school[visit.school_id][slot * (args.taps + args.offline) : (slot + 1) * (args.taps + args.offline)]
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = (
            MODEL_BACKEND
            if MODEL_BACKEND in settings.AUTHENTICATION_BACKENDS
            else (settings.AUTHENTICATION_BACKENDS[-1])
        )
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        clients.append(
            {
                "session": session.session_key,
                "csrf": csrf,
                "visit": visit.pk,
                "tap_students": mine[: args.taps],
                "offline_students": mine[args.taps :],
            }
        )
    return clients


def start_gunicorn(args, env) -> subprocess.Popen:
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            raise SystemExit(f"port {args.port} is in use; stop that server or pass --port")
    command = [
        str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
        "ektp_drives.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--backlog",
        "2048",
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


def request(port, method, path, *, body=None, headers=None):
    """One request on a fresh connection; (status, body, seconds). A network error is status 0."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        status, data = response.status, response.read()
    except OSError:
        status, data = 0, b""
    finally:
        conn.close()
    return status, data, time.perf_counter() - started


def run_clients(args, clients, worker):
    barrier = threading.Barrier(len(clients))
    results = [None] * len(clients)

    def run(i):
        barrier.wait()
        results[i] = worker(clients[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - started


def headers_for(client, *, htmx=False, json_body=False):
    headers = {
        "Cookie": f"sessionid={client['session']}; csrftoken={client['csrf']}",
        "X-CSRFToken": client["csrf"],
        "Referer": "http://127.0.0.1/",
    }
    if htmx:
        headers["HX-Request"] = "true"
        headers["HX-Target"] = "student"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if json_body:
        headers["Content-Type"] = "application/json"
    return headers


def tap_worker(args):
    def work(client):
        latencies, errors = [], 0
        rng = random.Random(client["visit"])
        path = f"/kunjungan/{client['visit']}/hasil/"
        for student in client["tap_students"]:
            now = int(time.time() * 1000)
            body = (
                f"student={student}&outcome={rng.choice(OUTCOMES)}&client_id={uuid.uuid4()}"
                f"&tapped_at={now}&sent_at={now}"
            )
            status, _data, elapsed = request(args.port, "POST", path, body=body, headers=headers_for(client, htmx=True))
            latencies.append(elapsed)
            errors += status != 200
        return latencies, errors

    return work


def sync_worker(args):
    def work(client):
        latencies, errors = [], 0
        now = int(time.time() * 1000)
        actions = [
            {
                "client_id": str(uuid.uuid4()),
                "visit": client["visit"],
                "student": student,
                "outcome": "recorded",
                "tapped_at": now - 60_000 + i,
                "sent_at": now,
            }
            for i, student in enumerate(client["offline_students"])
        ]
        # The phone sends its queue, loses the answer, and sends the first half again.
        for batch in (actions, actions[: len(actions) // 2]):
            status, data, elapsed = request(
                args.port,
                "POST",
                "/kunjungan/sinkron/",
                body=json.dumps({"actions": batch}),
                headers=headers_for(client, json_body=True),
            )
            latencies.append(elapsed)
            errors += status != 200 or any(r["status"] == "rejected" for r in json.loads(data)["results"])
            if status == 200:
                statuses = [r["status"] for r in json.loads(data)["results"]]
                client.setdefault("sync_statuses", []).extend(statuses)
        return latencies, errors

    return work


def summarise(name, results, duration, budget_ms=None):
    latencies = sorted(x for lat, _e in results for x in lat)
    errors = sum(e for _l, e in results)
    q = statistics.quantiles(latencies, n=100)
    p50, p95, p99 = q[49] * 1000, q[94] * 1000, q[98] * 1000
    rate = len(latencies) / duration
    print(f"\n{name}")
    print(f"  requests      {len(latencies):>8}   errors {errors}")
    print(f"  duration      {duration:>8.2f} s")
    print(f"  throughput    {rate:>8.1f} requests/s")
    print(f"  latency p50   {p50:>8.1f} ms")
    print(f"  latency p95   {p95:>8.1f} ms")
    print(f"  latency p99   {p99:>8.1f} ms")
    print(f"  latency max   {latencies[-1] * 1000:>8.1f} ms")
    if budget_ms:
        print(f"  p95 / budget  {p95 / budget_ms:>8.2f}   (budget {budget_ms} ms; below 1 is within budget)")
    return {"requests": len(latencies), "errors": errors, "rate": rate, "p50": p50, "p95": p95, "p99": p99}


def main():
    args = parse_args()
    database_url = f"{args.server}/{args.db}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "False",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "ektp_drives.settings",
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DEBUG", "CONN_MAX_AGE", "DJANGO_SETTINGS_MODULE")})
    print(f"database {database_url}; {args.clients} operators × {args.taps} taps + {args.offline} offline taps")
    recreate_database(args.server, args.db)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)
    clients = seed(args)
    proc = start_gunicorn(args, env)
    print(f"gunicorn on 127.0.0.1:{args.port}: {args.workers} workers × {args.threads} threads; cpus {os.cpu_count()}")
    print(
        "load average before: {:.2f} {:.2f} {:.2f} (other work on the machine skews the figures)".format(
            *os.getloadavg()
        )
    )
    try:
        # Warm up the workers (imports, database connections) before measuring.
        def warm_up(client):
            request(args.port, "GET", f"/kunjungan/{client['visit']}/", headers=headers_for(client))
            return [], 0

        run_clients(args, clients, warm_up)
        # Baseline: one operator alone (no queueing), the server's own time per tap.
        baseline, baseline_duration = run_clients(args, clients[:1], tap_worker(args))
        baseline_figures = summarise("Baseline: 1 operator alone, one tap after the other", baseline, baseline_duration)
        taps, taps_duration = run_clients(args, clients, tap_worker(args))
        tap_figures = summarise(
            f"Marking outcomes (HTMX, one tap = one request), {args.clients} concurrent operators",
            taps,
            taps_duration,
            P95_BUDGET_MS,
        )
        synced, sync_duration = run_clients(args, clients, sync_worker(args))
        sync_figures = summarise(
            f"Offline sync: {args.offline} queued taps per operator, then half of them re-sent",
            synced,
            sync_duration,
        )
        print(
            f"\n  throughput with {args.clients} operators / 1 operator: "
            f"{tap_figures['rate'] / baseline_figures['rate']:.2f}× "
            f"(p50 latency {tap_figures['p50'] / baseline_figures['p50']:.1f}× the baseline)"
        )
    finally:
        print("\nload average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)

    from recordings.models import Recording, RecordingAction

    expected_outcomes = args.clients * (args.taps + args.offline)
    expected_actions = expected_outcomes + args.taps  # the baseline operator tapped their students twice
    actions = RecordingAction.objects.count()
    recordings = Recording.objects.count()
    print("\nChecks")
    print(f"  actions stored {actions} (expected {expected_actions}: every tap once, re-sent ones not again)")
    print(f"  current outcomes {recordings} (expected {expected_outcomes}: one per student)")
    ok = (
        actions == expected_actions
        and recordings == expected_outcomes
        and not (tap_figures["errors"] or sync_figures["errors"] or baseline_figures["errors"])
    )
    print("  OK" if ok else "  MISMATCH")
    from django.db import connections

    connections.close_all()
    if not args.keep:
        drop_database(args.server, args.db)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
