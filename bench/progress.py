"""Benchmark of the progress pages at national scale (issue 5).

Loads synthetic data with COPY (not the ORM) into a separate PostgreSQL database, then measures
the dashboard, a school page, the chart and the exports through Django's test client (server time
and query count), next to a hand-written SQL aggregate of the same numbers as the baseline.

    # standalone server at 127.0.0.1:5432 (user postgres, trust); creates and drops bench_progress
    .venv/bin/python bench/progress.py                      # 1,000,000 students in 10,000 schools
    .venv/bin/python bench/progress.py --students 100000 --schools 1000 --keep
    .venv/bin/python bench/progress.py --skip-load          # measure again on a kept database
    .venv/bin/python bench/progress.py --skip-load --keep --only dashboard,report   # some pages only

Nothing to install beyond requirements-dev.txt. The data are invented (no real people).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_DB = "bench_progress"
JAKARTA = ZoneInfo("Asia/Jakarta")

ELIGIBLE_OUTCOMES = [
    ("recorded", 75),
    ("already_recorded", 5),
    ("absent", 7),
    ("biometric_failure", 3),
    ("missing_documents", 3),
    ("refused", 1),
    ("not_eligible", 1),
    (None, 5),  # no outcome yet (waiting)
]
FOLLOW_UP_OUTCOMES = [
    ("recorded", 60),
    ("already_recorded", 10),
    ("absent", 15),
    ("biometric_failure", 10),
    ("missing_documents", 5),
]


def weighted(rng: random.Random, table):
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1_000_000)
    parser.add_argument("--schools", type=int, default=10_000)
    parser.add_argument("--server", default=os.environ.get("BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page (median reported)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--skip-load", action="store_true", help="reuse a kept database")
    parser.add_argument(
        "--only",
        default="",
        help="measure only the pages whose label contains one of these comma-separated words (e.g. dashboard,report)",
    )
    return parser.parse_args()


def admin_connection(server: str):
    import psycopg2

    conn = psycopg2.connect(server + "/postgres")
    conn.autocommit = True
    return conn


def create_database(server: str, name: str) -> None:
    conn = admin_connection(server)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def drop_database(server: str, name: str) -> None:
    from django.db import connections

    connections.close_all()
    conn = admin_connection(server)
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def write_insert_events(cursor, table: str) -> None:
    """Fill a model's pghistory event table with an "insert" event per row."""
    from django.apps import apps

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    event = apps.get_model(model._meta.app_label, model.__name__ + "Event")
    columns = [f.column for f in model._meta.concrete_fields]
    event_columns = {f.column for f in event._meta.concrete_fields}
    columns = [c for c in columns if c in event_columns]
    cursor.execute(
        f"INSERT INTO {event._meta.db_table} (pgh_created_at, pgh_label, pgh_obj_id, {', '.join(columns)}) "
        f"SELECT now(), 'insert', id, {', '.join(columns)} FROM {table}"
    )


# --- loading -------------------------------------------------------------------------------------


class CopyFile:
    """A temporary tab-separated file fed to COPY (keeps memory flat whatever the size)."""

    def __init__(self, table: str, columns: list[str]):
        self.table = table
        self.columns = columns
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - closed in copy()
        self.rows = 0

    def write(self, *values) -> None:
        self.file.write("\t".join(r"\N" if v is None else str(v) for v in values) + "\n")
        self.rows += 1

    def copy(self, cursor) -> None:
        self.file.seek(0)
        with defaults_for_missing_columns(cursor, self.table, self.columns):
            cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", self.file)
        self.file.close()


@contextlib.contextmanager
def defaults_for_missing_columns(cursor, table: str, columns: list[str]):
    """Give NOT NULL columns this loader does not know a database default from the model, for the COPY."""
    from django.apps import apps
    from django.db import connection

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    missing = [f for f in model._meta.concrete_fields if f.column not in columns and not f.null and f.has_default()]
    for field in missing:
        value = field.get_db_prep_save(field.get_default(), connection)
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN {field.column} SET DEFAULT %s", [value])
    try:
        yield
    finally:
        for field in missing:
            cursor.execute(f"ALTER TABLE {table} ALTER COLUMN {field.column} DROP DEFAULT")


def load(students_total: int, schools_total: int) -> dict:
    """Write the synthetic data with COPY; return what the measurements need."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from schools.models import SchoolAdmin
    from schools.roles import SCHOOL_ADMIN_GROUP, SUPERVISOR_GROUP
    from tests.factories import UserFactory

    rng = random.Random(20250714)
    today = timezone.localdate()
    now = timezone.now().isoformat()
    start = today - datetime.timedelta(days=60)
    end = today + datetime.timedelta(days=30)
    old_start = today - datetime.timedelta(days=420)
    old_end = old_start + datetime.timedelta(days=90)
    t0 = time.perf_counter()

    kecamatan = CopyFile("schools_kecamatan", ["id", "code", "name"])
    desa = CopyFile("schools_desa", ["id", "code", "name", "kind", "kecamatan_id"])
    schools = CopyFile(
        "schools_school",
        ["id", "npsn", "name", "level", "status", "address", "contact_name", "contact_phone", "desa_id"],
    )
    drives = CopyFile(
        "recordings_drive",
        ["id", "name", "start_date", "end_date", "reference_date", "students_per_kit_per_day", "created_at"],
    )
    drive_schools = CopyFile("recordings_driveschool", ["id", "drive_id", "school_id"])
    visits = CopyFile(
        "recordings_visit",
        [
            "id",
            "date",
            "status",
            "postponement_reason",
            "postponement_note",
            "notes",
            "created_at",
            "drive_id",
            "school_id",
        ],
    )
    students = CopyFile(
        "schools_student",
        [
            "id", "name", "gender", "birth_place", "birth_date", "nik", "kk", "nisn", "nipd",
            "class_name", "is_active", "left_on", "created_at", "updated_at", "school_id",
        ],
    )  # fmt: skip
    recordings = CopyFile("recordings_recording", ["id", "outcome", "reason", "recorded_at", "student_id", "visit_id"])

    base = 100_000  # ids above the reference data loaded by migrations
    kec_count = max(8, schools_total // 33)
    for k in range(kec_count):
        kecamatan.write(base + k, f"98.{k // 100:02d}.{k % 100:02d}", f"Kecamatan Bench {k}")
        for d in range(4):
            desa.write(base + k * 4 + d, f"98.{k // 100:02d}.{k % 100:02d}.2{d:03d}", f"Desa {k}-{d}", "desa", base + k)
    drive_id, old_drive_id = base + 1, base + 2
    drives.write(drive_id, "Perekaman KTP-el Sekolah (bench)", start, end, end, 60, now)
    drives.write(old_drive_id, "Perekaman tahun lalu (bench)", old_start, old_end, old_end, 60, now)
    cutoff = end.replace(year=end.year - 16)

    sizes = []
    for _ in range(0, schools_total, 2):
        delta = rng.randint(-50, 50)
        mean = students_total // schools_total
        sizes += [mean + delta, mean - delta]
    sizes = sizes[:schools_total]
    sizes[-1] += students_total - sum(sizes)

    levels = ["SMA", "SMA", "SMK", "SMK", "MA", "SLB"]
    student_id = base
    visit_id = base
    recording_id = base
    link_id = base
    sample_school = None
    for i in range(schools_total):
        school_id = base + i
        schools.write(
            school_id, f"{70000000 + i:08d}", f"{levels[i % 6]} Bench {i}", levels[i % 6],
            "negeri" if i % 3 else "swasta", "", "", "", base + rng.randrange(kec_count * 4),
        )  # fmt: skip
        link_id += 1
        drive_schools.write(link_id, drive_id, school_id)
        in_old_drive = i < schools_total * 3 // 10
        if in_old_drive:
            link_id += 1
            drive_schools.write(link_id, old_drive_id, school_id)

        # Visits of the current drive.
        kind = rng.random()
        done_visits = []
        if kind < 0.88:
            first = start + datetime.timedelta(days=rng.randrange(55))
            done_visits.append(first)
            if rng.random() < 0.15:
                done_visits.append(first + datetime.timedelta(days=rng.randint(3, 4)))
        in_progress = 0.88 <= kind < 0.90
        visit_ids = []
        for day in done_visits:
            visit_id += 1
            visits.write(visit_id, day, "done", "", "", "", now, drive_id, school_id)
            visit_ids.append((visit_id, day))
        if in_progress:
            visit_id += 1
            visits.write(visit_id, today, "in_progress", "", "", "", now, drive_id, school_id)
            visit_ids.append((visit_id, today))
        if kind >= 0.90:
            if rng.random() < 0.3:
                visit_id += 1
                visits.write(
                    visit_id,
                    today - datetime.timedelta(days=5),
                    "postponed",
                    "power_cut",
                    "",
                    "",
                    now,
                    drive_id,
                    school_id,
                )
            if rng.random() < 0.4:
                visit_id += 1
                visits.write(
                    visit_id,
                    today + datetime.timedelta(days=rng.randint(1, 25)),
                    "planned",
                    "",
                    "",
                    "",
                    now,
                    drive_id,
                    school_id,
                )
        old_visit = None
        if in_old_drive:
            visit_id += 1
            old_visit = (visit_id, old_start + datetime.timedelta(days=rng.randrange(80)))
            visits.write(visit_id, old_visit[1], "done", "", "", "", now, old_drive_id, school_id)

        for _ in range(sizes[i]):
            student_id += 1
            age_days = rng.randint(int(14.8 * 365.25), int(18.9 * 365.25))
            birth = end - datetime.timedelta(days=age_days)
            active = rng.random() >= 0.04
            nik = "" if rng.random() < 0.015 else str(1500000000000000 + student_id)
            gender = "L" if rng.random() < 0.5 else "P"
            students.write(
                student_id, f"Siswa Bench {student_id}", gender, "Muara Bulian", birth, nik,
                str(2500000000000000 + student_id // 3), f"{student_id:010d}", "", f"XII IPA {student_id % 4 + 1}",
                "t" if active else "f", None if active else today - datetime.timedelta(days=rng.randint(1, 200)),
                now, now, school_id,
            )  # fmt: skip
            if old_visit and rng.random() < 0.7:
                recording_id += 1
                at = datetime.datetime.combine(old_visit[1], datetime.time(8), JAKARTA) + datetime.timedelta(
                    minutes=rng.randrange(360)
                )
                recordings.write(recording_id, "recorded", "", at.isoformat(), student_id, old_visit[0])
            if not visit_ids or birth > cutoff or (not active and rng.random() < 0.75):
                continue
            outcome = weighted(rng, ELIGIBLE_OUTCOMES)
            if visit_ids[0][1] == today and rng.random() < 0.5:
                outcome = None  # the visit in progress has reached half of the school
            history = [] if outcome is None else [(visit_ids[0], outcome)]
            if len(visit_ids) > 1 and visit_ids[1][1] != today:
                if outcome is None or outcome in ("absent", "biometric_failure", "missing_documents", "refused"):
                    history.append((visit_ids[1], weighted(rng, FOLLOW_UP_OUTCOMES)))
                elif outcome == "recorded" and rng.random() < 0.01:
                    history.append((visit_ids[1], "biometric_failure"))  # a later failure wins
            for (vid, day), out in history:
                recording_id += 1
                at = datetime.datetime.combine(day, datetime.time(8), JAKARTA) + datetime.timedelta(
                    minutes=rng.randrange(360)
                )
                reason = "Pindah domisili" if out == "not_eligible" else ""
                recordings.write(recording_id, out, reason, at.isoformat(), student_id, vid)
        if sample_school is None and len(done_visits) == 2:
            sample_school = school_id

    generated = time.perf_counter() - t0
    t1 = time.perf_counter()
    with connection.cursor() as cursor:
        # Skip the history triggers and FK checks while bulk loading (data consistent by construction).
        cursor.execute("SET session_replication_role = replica")
        for table in (kecamatan, desa, schools, drives, drive_schools, visits, students, recordings):
            table.copy(cursor)
        cursor.execute("SET session_replication_role = DEFAULT")
        # The history the triggers would have written, in one statement per table (as in production,
        # where every row has its "insert" event).
        for table in (schools, students, drives, drive_schools, visits, recordings):
            write_insert_events(cursor, table.table)
        for table in ("schools_school", "schools_student", "recordings_visit", "recordings_recording",
                      "recordings_drive", "recordings_driveschool", "schools_kecamatan", "schools_desa"):  # fmt: skip
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    copied = time.perf_counter() - t1
    t2 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    analysed = time.perf_counter() - t2
    # The load ran in replica mode (no triggers), so the read model is built once from the raw rows,
    # as after a restore (``verify_progress --fix``).
    t3 = time.perf_counter()
    from recordings.selectors.progress import progress_rebuild

    progress_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE recordings_driveschooltally")
        cursor.execute("VACUUM ANALYZE recordings_driveschoolday")
    rebuilt = time.perf_counter() - t3

    supervisor = UserFactory(username="bench-supervisor")
    supervisor.groups.add(Group.objects.get(name=SUPERVISOR_GROUP))
    school_admin = UserFactory(username="bench-sekolah")
    school_admin.groups.add(Group.objects.get(name=SCHOOL_ADMIN_GROUP))
    SchoolAdmin.objects.create(user=school_admin, school_id=sample_school)
    print(
        f"loaded {students.rows:,} students, {recordings.rows:,} recordings, {visits.rows:,} visits, "
        f"{schools_total:,} schools, {kec_count} kecamatan: generate {generated:.1f} s, COPY {copied:.1f} s, "
        f"VACUUM ANALYZE {analysed:.1f} s, read model rebuilt from the raw rows {rebuilt:.1f} s"
    )
    return {"drive_id": drive_id, "school_id": sample_school}


def main() -> None:
    args = parse_args()
    os.environ["DATABASE_URL"] = f"{args.server}/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektp_drives.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DEBUG", "False")
    if not args.skip_load:
        create_database(args.server, args.db)
    import django

    django.setup()
    from django.core.management import call_command

    if not args.skip_load:
        call_command("migrate", verbosity=0)
        info = load(args.students, args.schools)
    else:
        info = existing_info()
    try:
        measure(info, repeat=args.repeat, only=[w for w in args.only.split(",") if w])
    finally:
        if not args.keep:
            drop_database(args.server, args.db)
            print(f"dropped database {args.db}")


def existing_info() -> dict:
    from recordings.models import Drive, Visit

    drive = Drive.objects.get(name="Perekaman KTP-el Sekolah (bench)")
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="bench-sekolah")
    school_id = admin.school_links.get().school_id
    assert Visit.objects.filter(school_id=school_id).exists()
    return {"drive_id": drive.pk, "school_id": school_id}


BASELINE_SQL = """
    WITH latest AS (
        SELECT DISTINCT ON (r.student_id) r.student_id, r.outcome
        FROM recordings_recording r JOIN recordings_visit v ON v.id = r.visit_id
        WHERE v.drive_id = %(drive)s
        ORDER BY r.student_id, r.recorded_at DESC, r.id DESC
    )
    SELECT COUNT(*) FILTER (WHERE l.outcome IS DISTINCT FROM 'not_eligible') AS target,
           COUNT(*) FILTER (WHERE l.outcome IN ('recorded', 'already_recorded')) AS done
    FROM schools_student s
    JOIN recordings_driveschool ds ON ds.school_id = s.school_id AND ds.drive_id = %(drive)s
    LEFT JOIN latest l ON l.student_id = s.id
    WHERE s.is_active AND s.birth_date <= %(cutoff)s
"""

BASELINE_PER_SCHOOL_SQL = """
    WITH latest AS (
        SELECT DISTINCT ON (r.student_id) r.student_id, r.outcome
        FROM recordings_recording r JOIN recordings_visit v ON v.id = r.visit_id
        WHERE v.drive_id = %(drive)s
        ORDER BY r.student_id, r.recorded_at DESC, r.id DESC
    )
    SELECT s.school_id,
           COUNT(*) FILTER (WHERE l.outcome IS DISTINCT FROM 'not_eligible') AS target,
           COUNT(*) FILTER (WHERE l.outcome IN ('recorded', 'already_recorded')) AS done
    FROM schools_student s
    JOIN recordings_driveschool ds ON ds.school_id = s.school_id AND ds.drive_id = %(drive)s
    LEFT JOIN latest l ON l.student_id = s.id
    WHERE s.is_active AND s.birth_date <= %(cutoff)s
    GROUP BY s.school_id
"""


def timed(client, url, params=None, headers=None):
    """One request through the test client: (milliseconds, queries, status, bytes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url, params or {}, headers=headers or {})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        elapsed = (time.perf_counter() - start) * 1000
    statements = [q for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(statements), len(body)


def write_one_outcome(drive_id: int, rng: random.Random) -> None:
    """An operator's tap: a new outcome for a student still waiting, in a visited school."""
    from django.utils import timezone

    from recordings.models import Recording, Visit
    from schools.models import Student

    visit = Visit.objects.filter(drive_id=drive_id, status="done").order_by("?").first()
    student = (
        Student.objects.filter(school_id=visit.school_id, is_active=True)
        .exclude(recordings__visit=visit)
        .order_by("?")
        .first()
    )
    if student is not None:
        outcome = rng.choice(["recorded", "recorded", "absent", "biometric_failure"])
        Recording.objects.create(visit=visit, student=student, outcome=outcome, recorded_at=timezone.now())


def measure(info: dict, *, repeat: int, only: list[str] | None = None) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from recordings.models import Drive
    from recordings.selectors.progress import drive_progress
    from schools.models import eligibility_cutoff

    rng = random.Random(7)
    users = get_user_model().objects
    staff, admin = Client(), Client()
    staff.force_login(users.get(username="bench-supervisor"))
    admin.force_login(users.get(username="bench-sekolah"))
    drive = Drive.objects.get(pk=info["drive_id"])
    school_id = info["school_id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM schools_student")
        students = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM recordings_recording")
        recordings = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM recordings_driveschool WHERE drive_id = %s", [drive.pk])
        schools = cursor.fetchone()[0]
    print(f"\ndata: {students:,} students, {recordings:,} outcomes, {schools:,} schools in the drive")
    load_before = os.getloadavg()
    dashboard = reverse("progress_dashboard")
    results = []

    def run(label, client, url, params=None, *, times=repeat, before=None, headers=None):
        if only and not any(word in label for word in only):
            return
        samples = []
        for _ in range(times):
            if before:
                before()
            samples.append(timed(client, url, params, headers))
        ms = [s[0] for s in samples]
        results.append((label, statistics.median(ms), min(ms), max(ms), samples[-1][1], samples[-1][2], times))

    # Baseline: the same headline numbers in one hand-written SQL statement, no Django.
    params = {"drive": drive.pk, "cutoff": eligibility_cutoff(drive.reference_date)}
    for label, sql in (("baseline SQL: drive headline", BASELINE_SQL),
                       ("baseline SQL: per-school GROUP BY", BASELINE_PER_SCHOOL_SQL)):  # fmt: skip
        samples = []
        for _ in range(3):
            with connection.cursor() as cursor:
                start = time.perf_counter()
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                samples.append((time.perf_counter() - start) * 1000)
        results.append((label, statistics.median(samples), min(samples), max(samples), 1, len(rows), 3))
        if label.endswith("headline"):
            baseline_target, baseline_done = rows[0]

    # "First request after a restart": a new database connection (new session, empty plan and
    # function caches) before each request, the first requests this process makes to each page.
    reconnect = connection.close
    run("dashboard, first request (new connection)", staff, dashboard, before=reconnect)
    run("report, first request (new connection)", staff, reverse("progress_report"), before=reconnect)
    run("home, first request (new connection)", staff, reverse("home"), before=reconnect)
    run(
        "school page, first request (new connection)",
        staff,
        reverse("progress_school", args=[school_id]),
        before=reconnect,
    )
    run("dashboard, warm (no change since)", staff, dashboard)
    run("dashboard, after one new outcome", staff, dashboard, before=lambda: write_one_outcome(drive.pk, rng))
    run("dashboard, filtered + sorted, page 3", staff, dashboard, {"level": "SMK", "sort": "-completion", "page": 3})
    htmx = {"HX-Request": "true", "HX-Target": "progress-results"}
    run("dashboard, HTMX table fragment", staff, dashboard, {"below": "80", "sort": "remaining"}, headers=htmx)
    run("report (print view)", staff, reverse("progress_report"))
    run("home page, warm (supervisor)", staff, reverse("home"))
    run("home page (school admin)", admin, reverse("home"))
    run("dashboard, school admin (own school)", admin, dashboard)
    run("school page (school admin)", admin, reverse("progress_school", args=[school_id]))
    run("school page (supervisor)", staff, reverse("progress_school", args=[school_id]))
    run("per-school export XLSX (school admin)", admin,
        reverse("progress_export_school_students", args=[school_id, "xlsx"]))  # fmt: skip
    run(
        "per-school export CSV (supervisor)", staff, reverse("progress_export_school_students", args=[school_id, "csv"])
    )
    run("per-school summary XLSX, whole drive", staff, reverse("progress_export_summary", args=["xlsx"]), times=3)
    run("students to record CSV, whole drive", staff, reverse("progress_export_students", args=["csv"]), times=1)

    # What keeping the read model costs a write: one outcome saved, its trigger recounting the school.
    samples = []
    for _ in range(0 if only and not any(word in "one outcome written" for word in only) else repeat * 4):
        start = time.perf_counter()
        write_one_outcome(drive.pk, rng)
        samples.append((time.perf_counter() - start) * 1000)
    if samples:
        results.append(("one outcome written (incl. trigger)", statistics.median(samples), min(samples), max(samples),
                        0, 0, len(samples)))  # fmt: skip

    # The numbers are the same as the baseline's (after the writes above, recount the baseline).
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, params)
        baseline_target, baseline_done = cursor.fetchone()
    total = drive_progress(drive)
    exact = (total.target, total.done) == (baseline_target, baseline_done)

    base = results[0][1]
    columns = ("median ms", "min", "max", "queries", "bytes", "runs", "x baseline")
    print(f"\n{'page':46} " + " ".join(f"{c:>10}" for c in columns))
    for label, median, low, high, queries, size, runs in results:
        cells = (f"{median:.1f}", f"{low:.1f}", f"{high:.1f}", queries, f"{size:,}", runs, f"{median / base:.2f}")
        print(f"{label:46} " + " ".join(f"{c:>10}" for c in cells))
    load_after = os.getloadavg()
    print(
        f"\nload average (1, 5, 15 min) before the pages {' / '.join(f'{x:.2f}' for x in load_before)}, "
        f"after {' / '.join(f'{x:.2f}' for x in load_after)}"
    )
    print(
        f"\nheadline through the app: target {total.target:,}, done {total.done:,}, {total.completion} %; "
        f"baseline SQL: target {baseline_target:,}, done {baseline_done:,} -> {'identical' if exact else 'DIFFERENT'}"
    )


if __name__ == "__main__":
    main()
