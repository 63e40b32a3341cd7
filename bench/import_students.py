"""Benchmark of the student-list import (issue 3): preview and commit, rows per second.

Generates synthetic lists (CSV and the Dapodik XLSX layout, 66 columns) of 2,000 and 100,000
students, and measures in one run, on a separate PostgreSQL database:

- preview: read + normalise + judge every row + match against the school (nothing written);
- commit: the same service the web and CLI use (school lock, re-plan, COPY / UPDATE, history
  triggers), after the preview;
- baselines on the same rows: PostgreSQL COPY of the CSV into a scratch table (the physical
  limit), and django-import-export importing the same CSV into the same model, in its default
  configuration and in its fastest tuned one (use_bulk, skip_diff, force_init_instance, the school
  as a plain id).

    # standalone server at 127.0.0.1:5432 (user postgres, trust); creates and drops bench_import_students
    .venv/bin/pip install django-import-export   # benchmark only, not in requirements
    .venv/bin/python bench/import_students.py
    .venv/bin/python bench/import_students.py --sizes 2000 --repeat 5

The figures are the best of ``--repeat`` runs (the machine is shared; the best run is the least
disturbed one). The data are invented (no real people).
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_DB = "bench_import_students"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,100000", help="comma-separated row counts")
    parser.add_argument("--server", default=os.environ.get("BENCH_SERVER", DEFAULT_SERVER))
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (best reported)")
    parser.add_argument(
        "--ie-default-rows",
        type=int,
        default=5000,
        help="rows for django-import-export's default configuration (one query and one save per row)",
    )
    parser.add_argument(
        "--trigger-baseline-max",
        type=int,
        default=20000,
        help="largest list for the COPY-with-row-triggers baseline (slow: ~1 ms per row)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def admin_connection(server: str):
    import psycopg2

    conn = psycopg2.connect(server + "/postgres")
    conn.autocommit = True
    return conn


def recreate_database(server: str, name: str) -> None:
    conn = admin_connection(server)
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def drop_database(server: str, name: str) -> None:
    conn = admin_connection(server)
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def best(times: list[float]) -> float:
    return min(times)


def timed(function, repeat: int, before=None):
    """Run ``before`` (untimed) then ``function`` (timed) ``repeat`` times; return (best seconds, last result)."""
    times, result = [], None
    for _ in range(repeat):
        if before:
            before()
        gc.collect()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return best(times), result


def empty_students() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE schools_leftproposal, schools_leftproposalevent, schools_nikconflict, "
            "schools_nikconflictevent, schools_studentevent, schools_student RESTART IDENTITY CASCADE"
        )


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:>12,.0f}".replace(",", ".")


def secs(seconds: float) -> str:
    return f"{seconds:>8.3f}".replace(".", ",")


def main() -> None:
    args = parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    recreate_database(args.server, args.db)
    os.environ["DATABASE_URL"] = f"{args.server}/{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektp_drives.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    try:
        call_command("migrate", verbosity=0)
        run(args, sizes)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.server, args.db)


def run(args, sizes: list[int]) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from schools import services
    from schools.importing import synthetic
    from schools.importing.readers import read_table
    from schools.models import Desa, School, Student

    school = School.objects.create(
        npsn="99990001", name="SMA Bench", level="SMA", status="negeri", desa=Desa.objects.order_by("code").first()
    )
    today = timezone.localdate()
    huge = 10**10
    stamp = timezone.now().isoformat()
    results: list[tuple[int, str, int, float]] = []  # (list size, case, rows measured, seconds)

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0].split(",")[0])
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU, load average {os.getloadavg()[0]:.2f}")
    print(f"best of {args.repeat} runs; rows/s = data rows / seconds\n")
    header = f"{'case':<52}{'rows':>9}{'seconds':>9}{'rows/s':>13}"
    print(header)
    print("-" * len(header))

    def report(case: str, rows: int, seconds: float):
        results.append((current["size"], case, rows, seconds))
        print(f"{case:<52}{rows:>9}{secs(seconds)}{rate(rows, seconds)}", flush=True)

    current = {}
    for size in sizes:
        current["size"] = size
        rows = synthetic.students(size, today=today)
        files = {
            "CSV": (synthetic.to_csv(rows), "daftar.csv"),
            "Dapodik XLSX": (synthetic.dapodik_xlsx(rows), "daftar_pd.xlsx"),
        }
        for label, (data, name) in files.items():
            # Reading alone (calamine for XLSX, csv for CSV).
            seconds, _table = timed(lambda d=data, n=name: read_table(d, n, max_rows=None, max_bytes=huge), args.repeat)
            report(f"read {label}", size, seconds)
            # Preview against an empty school (all rows new).
            empty_students()
            seconds, preview = timed(
                lambda d=data, n=name: services.student_list_preview(
                    school=school, data=d, name=n, max_rows=None, max_bytes=huge
                ),
                args.repeat,
            )
            assert preview.plan.counts["new"] == size, preview.plan.counts
            report(f"preview {label} (new list)", size, seconds)

            # Commit after the preview (school lock, re-plan, COPY, history triggers).
            def prepare(d=data, n=name):
                empty_students()
                prepare.upload, prepare.preview = services.student_list_upload(
                    school=school, data=d, name=n, by=None, max_rows=None, max_bytes=huge
                )

            seconds, outcome = timed(
                lambda: services.student_list_commit(upload=prepare.upload, by=None, preview=prepare.preview),
                args.repeat,
                before=prepare,
            )
            assert outcome.committed and Student.objects.count() == size
            report(f"commit {label} (new list)", size, seconds)
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM schools_studentevent")
                events = cursor.fetchone()[0]
            assert events == size, events  # one history row per inserted student

            # Re-upload of the same file: preview finds every row unchanged.
            seconds, again = timed(
                lambda d=data, n=name: services.student_list_preview(
                    school=school, data=d, name=n, max_rows=None, max_bytes=huge
                ),
                args.repeat,
            )
            assert again.plan.counts["unchanged"] == size
            report(f"preview {label} (same list again)", size, seconds)

        # Baseline 1: COPY of the same CSV into a scratch table (no checks, no triggers, no indexes).
        csv_data = files["CSV"][0].decode("utf-8-sig")

        def copy_scratch(text=csv_data):
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS bench_scratch")
                cursor.execute(
                    "CREATE TABLE bench_scratch (name text, gender text, nisn text, nipd text, birth_place text, "
                    "birth_date date, nik text, kk text, class_name text)"
                )
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.copy_expert("COPY bench_scratch FROM STDIN WITH (FORMAT csv, HEADER true)", io.StringIO(text))
            return time.perf_counter() - start

        copy_times = [copy_scratch() for _ in range(args.repeat)]
        report("baseline: COPY CSV into a scratch table", size, best(copy_times))

        # The same rows as the commit writes them, COPY'd into a replica of schools_student: same
        # indexes, checks and foreign key, no triggers (what the table itself costs).
        lines = "".join(
            f"{services._copy_line_new(row, [])}\t{school.pk}\tt\t\\N\t{stamp}\t{stamp}\n" for row in preview.rows
        )
        columns = "name, gender, birth_place, birth_date, nik, kk, nisn, nipd, class_name, data_warnings, " + (
            "school_id, is_active, left_on, created_at, updated_at"
        )

        def copy_replica(text=lines, triggers=False, columns=columns):
            table = "schools_student" if triggers else "bench_student_replica"
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS bench_student_replica")
                cursor.execute("CREATE TABLE bench_student_replica (LIKE schools_student INCLUDING ALL)")
                cursor.execute(
                    "ALTER TABLE bench_student_replica ADD FOREIGN KEY (school_id) REFERENCES schools_school (id) "
                    "DEFERRABLE INITIALLY DEFERRED"
                )
            empty_students()
            start = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                if triggers:  # history context as in a request, so the triggers take their usual path
                    cursor.execute(
                        "SELECT set_config('pghistory.context_id', gen_random_uuid()::text, true), "
                        "set_config('pghistory.context_metadata', '{}', true)"
                    )
                cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(text))
            return time.perf_counter() - start

        report(
            "baseline: COPY into a replica of the student table",
            size,
            best([copy_replica() for _ in range(args.repeat)]),
        )
        if size <= args.trigger_baseline_max:
            report("baseline: COPY into the student table, row triggers", size, copy_replica(triggers=True))

        # Baseline 2: django-import-export, same CSV, same model.
        ie = import_export_baselines(school, csv_data, size, args)
        for case, count, seconds in ie:
            report(case, count, seconds)
        empty_students()

    print()
    summarise(results, sizes)


def import_export_baselines(school, csv_text: str, size: int, args) -> list[tuple[str, int, float]]:
    try:
        import tablib
        from import_export import fields, resources, widgets
    except ImportError:
        print("  (django-import-export not installed: .venv/bin/pip install django-import-export)")
        return []

    from schools.models import Student

    class StudentResource(resources.ModelResource):
        """What a Django team would write: the Dapodik headers mapped to the model, matched by NIK."""

        name = fields.Field(attribute="name", column_name="Nama")
        gender = fields.Field(attribute="gender", column_name="JK")
        nisn = fields.Field(attribute="nisn", column_name="NISN")
        nipd = fields.Field(attribute="nipd", column_name="NIPD")
        birth_place = fields.Field(attribute="birth_place", column_name="Tempat Lahir")
        birth_date = fields.Field(
            attribute="birth_date", column_name="Tanggal Lahir", widget=widgets.DateWidget(format="%Y-%m-%d")
        )
        nik = fields.Field(attribute="nik", column_name="NIK")
        kk = fields.Field(attribute="kk", column_name="No KK")
        class_name = fields.Field(attribute="class_name", column_name="Rombel Saat Ini")
        school_id = fields.Field(attribute="school_id", column_name="school")

        class Meta:
            model = Student
            import_id_fields = ["nik"]
            fields = (
                "name",
                "gender",
                "nisn",
                "nipd",
                "birth_place",
                "birth_date",
                "nik",
                "kk",
                "class_name",
                "school_id",
            )

    class TunedStudentResource(StudentResource):
        class Meta(StudentResource.Meta):
            use_bulk = True
            skip_diff = True
            force_init_instance = True
            batch_size = 2000

    def dataset(limit: int):
        data = tablib.Dataset().load(csv_text, format="csv")
        if limit < len(data):
            data = tablib.Dataset(*data[:limit], headers=data.headers)
        data.append_col([school.pk] * len(data), header="school")
        return data

    results = []
    for label, resource_class, rows in (
        ("baseline: django-import-export, default", StudentResource, min(size, args.ie_default_rows)),
        ("baseline: django-import-export, tuned", TunedStudentResource, size),
    ):
        times = []
        for _ in range(args.repeat if rows <= 20000 else 1):
            empty_students()
            data = dataset(rows)
            gc.collect()
            start = time.perf_counter()
            result = resource_class().import_data(data, dry_run=False, raise_errors=True)
            times.append(time.perf_counter() - start)
            assert not result.has_errors() and Student.objects.count() == rows
        results.append((label, rows, best(times)))
    return results


def summarise(results, sizes: list[int]) -> None:
    table = {(size, case): (rows, seconds) for size, case, rows, seconds in results}

    def rows_per_second(size: int, case: str):
        if (size, case) not in table:
            return None
        rows, seconds = table[(size, case)]
        return rows / seconds

    def number(value: float) -> str:
        return f"{value:,.0f}".replace(",", ".")

    print("Targets")
    if 2000 in sizes:
        _rows, seconds = table[(2000, "preview Dapodik XLSX (new list)")]
        print(f"- 2.000-row Dapodik XLSX previewed in {secs(seconds).strip()} s (target < 1 s)")
    big = max(sizes)
    commit = rows_per_second(big, "commit CSV (new list)")
    preview = rows_per_second(big, "preview CSV (new list)")
    end_to_end = 1 / (1 / commit + 1 / preview)
    copy = rows_per_second(big, "baseline: COPY CSV into a scratch table")
    replica = rows_per_second(big, "baseline: COPY into a replica of the student table")
    ie_default = rows_per_second(big, "baseline: django-import-export, default")
    ie_tuned = rows_per_second(big, "baseline: django-import-export, tuned")
    print(f"- {number(big)} CSV rows: commit {number(commit)} rows/s; preview + commit {number(end_to_end)} rows/s")
    print(
        f"  vs COPY into a scratch table {number(copy)} rows/s: commit {commit / copy:.2f}x, "
        f"preview + commit {end_to_end / copy:.2f}x (target: commit >= 0.33x)"
    )
    print(f"  vs COPY into a replica of the student table {number(replica)} rows/s: commit {commit / replica:.2f}x")
    if ie_default and ie_tuned:
        print(
            f"  vs django-import-export default {number(ie_default)} rows/s: commit {commit / ie_default:.0f}x, "
            f"preview + commit {end_to_end / ie_default:.0f}x (target >= 20x)"
        )
        print(
            f"  vs django-import-export tuned {number(ie_tuned)} rows/s: commit {commit / ie_tuned:.1f}x, "
            f"preview + commit {end_to_end / ie_tuned:.1f}x (target >= 3x)"
        )


if __name__ == "__main__":
    main()
