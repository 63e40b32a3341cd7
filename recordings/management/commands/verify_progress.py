"""Recount every progress figure from the raw outcomes and students and compare with the read model.

Prints each difference and exits 1 when there is one, so it can run from cron:
``python manage.py verify_progress [--drive N] [--fix]``. ``--fix`` recounts the read model from the
raw rows afterwards (for writes that bypass the triggers: TRUNCATE, a restore, replica mode).
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from recordings.models import Drive
from recordings.selectors.progress import FIGURES, drive_progress, figure_text, progress_differences, progress_rebuild


class Command(BaseCommand):
    help = "Periksa angka progres (rekap) terhadap hitungan ulang dari hasil perekaman dan data peserta didik."

    def add_arguments(self, parser):
        parser.add_argument("--drive", type=int, help="id kegiatan (bawaan: semua)")
        parser.add_argument("--fix", action="store_true", help="hitung ulang rekap bila ada selisih")

    def handle(self, *args, **options):
        translation.activate("id")
        drives = Drive.objects.order_by("pk")
        if options["drive"] is not None:
            drives = drives.filter(pk=options["drive"])
            if not drives.exists():
                raise CommandError(f"Kegiatan {options['drive']} tidak ada.")
        found = 0
        for drive in drives:
            differences = progress_differences(drive)
            progress = drive_progress(drive)
            figures = " · ".join(f"{f.label} {figure_text(progress, f.code)}" for f in FIGURES)
            self.stdout.write(f"{drive.pk} {drive}: {figures}")
            for difference in differences:
                self.stderr.write(f"  SELISIH {difference}")
            if differences and options["fix"]:
                progress_rebuild(drive)
                self.stdout.write("  rekap dihitung ulang")
            found += len(differences)
        if found:
            self.stderr.write(f"{found} selisih ditemukan.")
            sys.exit(1)
        self.stdout.write("Tidak ada selisih.")
