"""Benchmark: reading one Dapodik list saved as .xlsx, .ods, .xls and .xlsb (no database).

Writes a synthetic Dapodik XLSX of ``--rows`` students, converts it with LibreOffice (soffice must
be installed; XLSB is skipped, LibreOffice cannot write it), and times, best of ``--repeat``:
the extent scan alone (what runs before calamine) and the whole ``read_table``.

    .venv/bin/python bench/read_formats.py --rows 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ektp_drives.settings")
    import django

    django.setup()
    from schools.importing import extents, readers, synthetic

    soffice = shutil.which("soffice")
    if soffice is None:
        sys.exit("soffice (LibreOffice) is needed to convert the list")
    rows = synthetic.students(args.rows, today=datetime.date(2026, 8, 1))
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "daftar.xlsx"
        source.write_bytes(synthetic.dapodik_xlsx(rows))
        files = {"xlsx": source.read_bytes()}
        for kind in ("ods", "xls"):
            subprocess.run(  # noqa: S603 - a fixed program on a file written here
                [soffice, "--headless", f"-env:UserInstallation=file://{folder}/lo", "--convert-to", kind, str(source)],
                cwd=folder,
                check=True,
                capture_output=True,
            )
            files[kind] = (Path(folder) / f"daftar.{kind}").read_bytes()

        def scan(kind: str, data: bytes):
            if kind == "xls":
                return extents.xls_extents(extents.xls_workbook_stream(data))
            archive = zipfile.ZipFile(io.BytesIO(data))
            if kind == "ods":
                with archive.open("content.xml") as stream:
                    return extents.ods_extents(stream)
            with archive.open("xl/worksheets/sheet1.xml") as stream:
                return readers.sheet_extent_quick(stream)

        print(f"| format | file size | extent scan | read_table ({args.rows:,} rows) | rows/s |")
        print("|---|---:|---:|---:|---:|")
        for kind, data in files.items():
            scanned = best(lambda k=kind, d=data: scan(k, d), args.repeat)
            read = best(
                lambda k=kind, d=data: readers.read_table(d, f"daftar.{k}", max_rows=None, max_bytes=len(d) + 1),
                args.repeat,
            )
            print(
                f"| {kind} | {len(data) / 1048576:.1f} MB | {scanned:.3f} s | {read:.2f} s | {args.rows / read:,.0f} |"
            )


if __name__ == "__main__":
    main()
