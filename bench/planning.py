"""Benchmark of the school map and the planning page at 10,000 schools (lighter than progress.py).

Loads the same synthetic season as ``bench/progress.py`` (COPY, its own database), with a smaller
student count by default, gives every school a point inside Batanghari's box (a few without one),
then measures through Django's test client (server time, query count, bytes): the dashboard and
the planning page (each loads the map after itself), the map's own fragment, the dashboard's HTMX
table fragment, and the map's read and drawing on their own.

    # standalone server at 127.0.0.1:5432 (user postgres, trust); creates and drops bench_planning
    .venv/bin/python bench/planning.py                      # 200,000 students in 10,000 schools
    .venv/bin/python bench/planning.py --students 50000 --schools 2000 --keep
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import progress as progress_bench  # noqa: E402 - bench/progress.py: the loader and the timer

DEFAULT_DB = "bench_planning"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=200_000)
    parser.add_argument("--schools", type=int, default=10_000)
    parser.add_argument("--server", default=os.environ.get("BENCH_SERVER", progress_bench.DEFAULT_SERVER))
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page (median reported)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--skip-load", action="store_true", help="reuse a kept database")
    return parser.parse_args()


def place_schools() -> None:
    """Points inside the regency's box for every school but one in 50; a road figure for a third."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # a bulk fix-up: no history rows
        cursor.execute(
            """
            UPDATE schools_school SET
                latitude = CASE WHEN id % 50 = 0 THEN NULL ELSE round((-2.1 + random() * 0.8)::numeric, 6) END,
                longitude = CASE WHEN id % 50 = 0 THEN NULL ELSE round((102.55 + random() * 1.2)::numeric, 6) END,
                distance_km = CASE WHEN id % 3 = 0 THEN round((2 + random() * 80)::numeric, 1) END
            """
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("VACUUM ANALYZE schools_school")


def measure(info: dict, *, repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from recordings.maps import map_svg, map_table_rows
    from recordings.models import Drive
    from recordings.selectors.map import drive_map

    staff = Client()
    staff.force_login(get_user_model().objects.get(username="bench-supervisor"))
    drive = Drive.objects.get(pk=info["drive_id"])
    results = []

    def run(label, url, params=None, headers=None):
        samples = [progress_bench.timed(staff, url, params, headers) for _ in range(repeat)]
        ms = [s[0] for s in samples]
        results.append((label, statistics.median(ms), min(ms), max(ms), samples[-1][1], samples[-1][2]))

    def run_call(label, call):
        samples, queries, size = [], 0, 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                value = call()
                samples.append((time.perf_counter() - start) * 1000)
            queries, size = len(captured), len(value) if isinstance(value, str) else 0
        results.append((label, statistics.median(samples), min(samples), max(samples), queries, size))

    school_map = drive_map(drive)
    print(
        f"\n{len(school_map.schools):,} schools in the drive, {len(school_map.placed):,} with a point, "
        f"{len(school_map.unplaced):,} without"
    )
    run("dashboard (the map loads after it)", reverse("progress_dashboard"))
    run(
        "map fragment (HTMX, loaded by the dashboard and planning page)",
        reverse("progress_map"),
        {"drive": drive.pk},
        {"HX-Request": "true"},
    )
    run(
        "dashboard, HTMX table fragment (no map)",
        reverse("progress_dashboard"),
        {"sort": "remaining"},
        {"HX-Request": "true", "HX-Target": "progress-results"},
    )
    run("planning page (the map loads after it)", reverse("drive_detail", args=[drive.pk]))
    run("planning page, HTMX list (no map)", reverse("drive_detail", args=[drive.pk]), None, {"HX-Request": "true"})
    run_call("map read (selector)", lambda: drive_map(drive).schools)
    run_call("map SVG drawn", lambda: map_svg(school_map, tile_url=""))
    run_call("map table rows drawn", lambda: map_table_rows(school_map))

    columns = ("median ms", "min", "max", "queries", "bytes")
    print(f"\n{'page':42} " + " ".join(f"{c:>10}" for c in columns))
    for label, median, low, high, queries, size in results:
        cells = (f"{median:.1f}", f"{low:.1f}", f"{high:.1f}", queries, f"{size:,}")
        print(f"{label:42} " + " ".join(f"{c:>10}" for c in cells))


def main() -> None:
    args = parse_args()
    os.environ["DATABASE_URL"] = f"{args.server}/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektp_drives.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("EKTP_ENV_FILE", "/dev/null")
    if not args.skip_load:
        progress_bench.create_database(args.server, args.db)
    import django

    django.setup()
    from django.core.management import call_command

    if not args.skip_load:
        call_command("migrate", verbosity=0)
        info = progress_bench.load(args.students, args.schools)
        place_schools()
    else:
        info = progress_bench.existing_info()
    try:
        measure(info, repeat=args.repeat)
    finally:
        if not args.keep:
            progress_bench.drop_database(args.server, args.db)
            print(f"dropped database {args.db}")


if __name__ == "__main__":
    main()
