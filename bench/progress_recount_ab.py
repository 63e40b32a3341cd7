"""What the kecamatan tally adds to a write: one school's commit-time recount, with and without it.

On a database kept by ``bench/progress.py --keep`` (its bench drive), interleaved, each recount in a
rolled-back transaction: 0005's figures only (``recordings_progress_recount_counts`` with the tally's
kecamatan trigger switched off) against 0009's ``recordings_progress_recount`` (figures, the visit
flags and the school's kecamatan row).

    .venv/bin/python bench/progress_recount_ab.py [--server postgres://postgres@127.0.0.1:5432] [--runs 40]
"""

import argparse
import os
import random
import statistics
import time

import psycopg2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=os.environ.get("BENCH_SERVER", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db", default="bench_progress")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    conn = psycopg2.connect(f"{args.server}/{args.db}")
    cur = conn.cursor()
    cur.execute("SELECT id FROM recordings_drive WHERE name = 'Perekaman KTP-el Sekolah (bench)'")
    drive = cur.fetchone()[0]
    cur.execute("SELECT school_id FROM recordings_driveschool WHERE drive_id = %s", [drive])
    schools = [r[0] for r in cur.fetchall()]
    conn.rollback()
    rng = random.Random(3)
    samples = {"old": [], "new": []}
    for i in range(args.runs):
        school = rng.choice(schools)
        for kind in ("old", "new") if i % 2 else ("new", "old"):
            function = "recordings_progress_recount"
            if kind == "old":
                cur.execute("ALTER TABLE recordings_driveschooltally DISABLE TRIGGER progress_kecamatan_update")
                function = "recordings_progress_recount_counts"
            start = time.perf_counter()
            cur.execute(f"SELECT {function}(ARRAY[%s]::bigint[], ARRAY[%s]::bigint[])", [drive, school])
            samples[kind].append((time.perf_counter() - start) * 1000)
            conn.rollback()
    for kind, label in (("old", "0005: figures only"), ("new", "0009: figures, visit flags, kecamatan row")):
        ms = samples[kind]
        print(f"{label:45} median {statistics.median(ms):6.1f} ms  min {min(ms):6.1f}  max {max(ms):6.1f}  n={len(ms)}")
    print(f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
