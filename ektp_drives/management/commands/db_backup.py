"""``manage.py db_backup``: dump the database to BACKUP_DIR (for cron / a systemd timer)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ektp_drives import backup


class Command(BaseCommand):
    help = (
        "Back up the database (embedded or DATABASE_URL) with pg_dump -Fc into BACKUP_DIR, "
        "then delete this app's dumps there older than BACKUP_KEEP_DAYS."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Write the dump to this file instead of BACKUP_DIR.")
        parser.add_argument(
            "--keep-days",
            type=int,
            default=settings.BACKUP_KEEP_DAYS,
            help="Delete dumps in BACKUP_DIR older than this many days (0 keeps all). Default: %(default)s.",
        )

    def handle(self, *args, output=None, keep_days, **options):
        target = output or backup.default_backup_path(settings.BACKUP_DIR)
        try:
            path = backup.backup(output=target)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        size_mb = path.stat().st_size / 1_000_000
        self.stdout.write(f"Backup written: {path} ({size_mb:.1f} MB)")
        if output is None and keep_days > 0:
            for old in backup.prune(directory=settings.BACKUP_DIR, keep_days=keep_days):
                self.stdout.write(f"Deleted old backup: {old}")
