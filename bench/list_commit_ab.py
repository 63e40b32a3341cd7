"""A/B benchmark of the student-list commit: this checkout against another one, runs interleaved.

The machine is shared, so one figure per version measured hours apart says little. This script
runs the same commit (``schools.services.student_list_commit`` after the preview, a new list of
synthetic students into a school that takes part in an active drive) alternately with two
checkouts, each in its own database and process, and reports every run, the best of each and
their ratio. Both versions see the same load at nearly the same time.

    git worktree add /tmp/before <commit>              # e.g. the commit before the read model
    .venv/bin/python bench/list_commit_ab.py --other /tmp/before --rows 100000 --rounds 3

One round = one process per version, each timing ``--repeat`` commits. The data are invented.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", help="path of the other checkout (the A side); this checkout is B")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1, help="commits timed per process")
    parser.add_argument("--server", default=os.environ.get("BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--worker", metavar="CODE_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--db", default="bench_list_commit", help=argparse.SUPPRESS)
    return parser.parse_args()


def admin(server: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(server + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(sql)
    conn.close()


def worker(args) -> None:
    """Time the commit with the code in ``args.worker``; print one JSON line."""
    sys.path.insert(0, args.worker)
    os.chdir(args.worker)
    admin(args.server, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    admin(args.server, f'CREATE DATABASE "{args.db}"')
    os.environ["DATABASE_URL"] = f"{args.server}/{args.db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "ektp_drives.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.utils import timezone

    try:
        call_command("migrate", verbosity=0)
        from recordings.models import Drive, DriveSchool
        from schools import services
        from schools.importing import synthetic
        from schools.models import Desa, School

        today = timezone.localdate()
        school = School.objects.create(
            npsn="99990001", name="SMA Bench", level="SMA", status="negeri", desa=Desa.objects.order_by("code").first()
        )
        drive = Drive.objects.create(
            name="Bench", start_date=today, end_date=today, reference_date=today, students_per_kit_per_day=60
        )
        DriveSchool.objects.create(drive=drive, school=school)
        data = synthetic.to_csv(synthetic.students(args.rows, today=today))
        times = []
        for _ in range(args.repeat):
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE schools_leftproposal, schools_leftproposalevent, schools_nikconflict, "
                    "schools_nikconflictevent, schools_studentevent, schools_student RESTART IDENTITY CASCADE"
                )
            upload, preview = services.student_list_upload(
                school=school, data=data, name="daftar.csv", by=None, max_rows=None, max_bytes=10**10
            )
            gc.collect()
            start = time.perf_counter()
            outcome = services.student_list_commit(upload=upload, by=None, preview=preview)
            times.append(time.perf_counter() - start)
            assert outcome.committed
        print(json.dumps({"times": times, "load": os.getloadavg()[0]}))
    finally:
        connections.close_all()
        admin(args.server, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


def run_side(args, code_dir: str, db: str) -> dict:
    command = [sys.executable, __file__, "--worker", code_dir, "--db", db, "--server", args.server]
    command += ["--rows", str(args.rows), "--repeat", str(args.repeat)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    if args.worker:
        worker(args)
        return
    sides = {"A (other)": str(Path(args.other).resolve()), "B (this)": str(BASE_DIR)}
    print(f"{args.rows:,} rows, {args.rounds} rounds × {args.repeat} commits, load {os.getloadavg()[0]:.2f}")
    best: dict[str, float] = {}
    for round_no in range(1, args.rounds + 1):
        order = list(sides.items()) if round_no % 2 else list(reversed(sides.items()))
        for label, code_dir in order:
            result = run_side(args, code_dir, f"bench_list_commit_{label[0].lower()}")
            fastest = min(result["times"])
            best[label] = min(best.get(label, fastest), fastest)
            runs = ", ".join(f"{t:.2f}" for t in result["times"])
            print(f"round {round_no} {label:<10} {runs} s (load {result['load']:.2f})", flush=True)
    a, b = best["A (other)"], best["B (this)"]
    print(f"\nbest A {a:.2f} s · best B {b:.2f} s · B/A = {b / a:.2f}")


if __name__ == "__main__":
    main()
