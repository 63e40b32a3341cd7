"""Delete stored field-sheet files older than 30 days; the upload records (who, when, counts) stay.

Run daily next to ``purge_uploads``, e.g. from cron: ``python manage.py purge_field_sheets``.
"""

from django.core.management.base import BaseCommand

from recordings import services


class Command(BaseCommand):
    help = "Hapus berkas lembar lapangan yang lebih dari 30 hari (catatan unggahannya tetap)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=services.FIELD_SHEET_RETENTION_DAYS)

    def handle(self, *args, **options):
        purged = services.field_sheet_purge_files(days=options["days"])
        self.stdout.write(f"{purged} berkas dihapus.")
