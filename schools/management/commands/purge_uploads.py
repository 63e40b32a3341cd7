"""Delete stored student-list files older than 30 days; the upload records (who, when, counts) stay.

Run daily, e.g. from cron: ``python manage.py purge_uploads``.
"""

from django.core.management.base import BaseCommand

from schools import services


class Command(BaseCommand):
    help = "Hapus berkas unggahan daftar peserta didik yang lebih dari 30 hari (catatannya tetap)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=services.UPLOAD_RETENTION_DAYS)

    def handle(self, *args, **options):
        purged = services.uploads_purge(days=options["days"])
        self.stdout.write(f"{purged} berkas dihapus.")
