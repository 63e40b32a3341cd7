"""E-mail the school admins of each planned visit a reminder 7 days and 1 day before it.

Run daily from cron (docs/operations.md): ``python manage.py send_visit_reminders``. Running it
again, or twice at the same time, sends nothing twice (each reminder is claimed in the database
first). A missed day is caught up by the next run within the reminder's window (2–7 days before
for the 7-day one, the day before for the 1-day one); a past, postponed or cancelled visit gets none.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recordings.models import VisitNotice
from recordings.notices import email_configured
from recordings.services.notices import visit_reminders_send


class Command(BaseCommand):
    help = "Kirim pengingat kunjungan (7 hari dan 1 hari sebelumnya) lewat e-mail ke admin sekolah."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Hari ini menurut perintah ini (YYYY-MM-DD); bawaan: hari ini (WIB).")

    def handle(self, *args, **options):
        today = timezone.localdate()
        if options["date"]:
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"--date: {exc}") from exc
        if not email_configured():
            self.stderr.write("E-mail belum dikonfigurasi (EMAIL_URL); tidak ada pengingat yang dikirim.")
            return
        notices = visit_reminders_send(today=today)
        sent = sum(1 for n in notices if n.status == VisitNotice.Status.SENT)
        failed = len(notices) - sent
        self.stdout.write(f"{sent} pengingat terkirim, {failed} gagal.")
        if failed:
            raise CommandError(f"{failed} pengingat gagal dikirim; lihat catatan pemberitahuan kunjungan.")
