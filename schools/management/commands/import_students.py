"""Import a school's student list from the command line (same service as the web upload).

    python manage.py import_students --school NPSN FILE [--commit] [--json]

Without ``--commit`` the file is only previewed. ``--json`` prints one JSON object with the
counts and every problem. Exit status 0 when the file was read, 2 when it could not be read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schools import services
from schools.importing.readers import CLI_MAX_BYTES
from schools.models import School, StudentListUpload

EXIT_UNREADABLE = 2


class Command(BaseCommand):
    help = "Pratinjau (dan dengan --commit, simpan) daftar peserta didik sebuah sekolah dari berkas XLSX/CSV."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Berkas Dapodik XLSX, templat XLSX, atau CSV")
        parser.add_argument("--school", required=True, metavar="NPSN", help="NPSN sekolah")
        parser.add_argument("--commit", action="store_true", help="Simpan ke basis data (tanpa ini hanya pratinjau)")
        parser.add_argument("--json", action="store_true", help="Cetak satu objek JSON")
        parser.add_argument(
            "--partial",
            action="store_true",
            help="Berkas bukan daftar lengkap: jangan usulkan peserta didik yang tidak ada sebagai keluar",
        )

    def handle(self, *args, **options):
        school = School.objects.filter(npsn=options["school"]).first()
        if school is None:
            raise CommandError(f"Sekolah dengan NPSN {options['school']} tidak ditemukan.")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            return self._unreadable(options, "not_found", f"Berkas tidak bisa dibuka: {exc.strerror}.")

        upload, preview = services.student_list_upload(
            school=school,
            data=data,
            name=path.name,
            by=None,
            source=StudentListUpload.Source.CLI,
            whole_list=not options["partial"],
            max_rows=None,
            max_bytes=CLI_MAX_BYTES,
        )
        if preview is None:
            return self._unreadable(options, upload.failure_code, upload.failure_message)

        if options["commit"]:
            outcome = services.student_list_commit(upload=upload, by=None, preview=preview)
            if not outcome.committed:  # the database changed while reading: report the fresh plan
                raise CommandError("Data berubah selama impor; jalankan ulang.")

        plan = preview.plan
        counts = plan.counts
        if options["json"]:
            result = {
                "rows": counts["rows"],
                "new": counts["new"],
                "updated": counts["updated"],
                "unchanged": counts["unchanged"],
                "not_imported": counts["not_imported"],
                "conflicts": counts["conflicts"],
                "warnings": counts["warnings"],
                "not_yet_eligible": counts["not_yet_eligible"],
                "problems": [p.as_dict() for p in plan.problems],
            }
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        verb = "disimpan" if options["commit"] else "pratinjau (belum disimpan; tambahkan --commit)"
        self.stdout.write(f"{school.name} ({school.npsn}) — {path.name}: {verb}")
        labels = [
            ("rows", "baris data"),
            ("new", "baru"),
            ("updated", "diubah"),
            ("unchanged", "tetap"),
            ("not_imported", "tidak diimpor"),
            ("conflicts", "konflik NIK"),
            ("warnings", "baris dengan peringatan"),
            ("not_yet_eligible", "belum cukup umur"),
            ("left", "diusulkan keluar"),
        ]
        for key, label in labels:
            self.stdout.write(f"  {label}: {counts[key]}")
        for problem in plan.problems:
            self.stdout.write(f"  [{problem.severity}] {problem.message}")

    def _unreadable(self, options, code: str, message: str):
        if options["json"]:
            self.stdout.write(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
        self.stderr.write(message)
        sys.exit(EXIT_UNREADABLE)
