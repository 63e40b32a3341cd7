"""Writes for notices to schools: after a planning change, the daily reminders, a WhatsApp tap.

E-mails go out after the planning change commits (``transaction.on_commit``), one row per address
in ``VisitNotice``; a failure is written on that row and logged, never raised into the planning
action. Reminders are claimed in the database before they are sent (the partial unique constraint
``visit_notice_reminder_once``), so two overlapping runs never send one twice.
See docs/adr/0029-notices-to-schools.md.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ektp_drives.phones import normalize_phone
from recordings.models import Visit, VisitNotice
from recordings.notices import (
    email_configured,
    notice_message,
    notice_subject,
    reminder_due,
    whatsapp_possible,
    whatsapp_url,
)
from recordings.selectors.notices import (
    notice_facts,
    school_email_recipients,
    visit_notices,
    visits_due_reminders,
    whatsapp_options,
)

logger = logging.getLogger(__name__)
Kind = VisitNotice.Kind
Status = VisitNotice.Status
Channel = VisitNotice.Channel
ERROR_LENGTH = 500


def visit_notice_after_commit(
    *, visit: Visit, kind: str, by, previous_date: datetime.date | None = None, previous_time=None
) -> None:
    """Tell the school about a planning change once the transaction commits.

    A planned visit that replaces a postponed one is told as a change of date. For a change of date
    ("rescheduled") call this before changing the visit: its date and start time now are the old
    ones the notice names (and nothing is sent when neither changed).
    """
    if kind == Kind.PLANNED and visit.replaces_id:
        # The new visit of a postponed one: the school hears old → new.
        kind, previous_date, previous_time = Kind.RESCHEDULED, visit.replaces.date, visit.replaces.start_time
    elif kind == Kind.RESCHEDULED and previous_date is None:
        previous_date, previous_time = visit.date, visit.start_time
    visit_id, by_id = visit.pk, getattr(by, "pk", None)

    def send() -> None:
        try:
            visit_notice_send(visit_id=visit_id, kind=kind, by_id=by_id, previous=(previous_date, previous_time))
        except Exception:  # noqa: BLE001 - a notice must never break the planning action
            logger.exception("notice %s for visit %s could not be prepared", kind, visit_id)

    transaction.on_commit(send, robust=True)


def visit_notice_send(*, visit_id: int, kind: str, by_id: int | None, previous=(None, None)) -> list[VisitNotice]:
    """E-mail a notice about a visit to its school admins now; return the notices logged."""
    visit = Visit.objects.select_related("school", "drive", "created_by").get(pk=visit_id)
    previous_date, previous_time = previous
    if kind == Kind.RESCHEDULED and (previous_date, previous_time) == (visit.date, visit.start_time):
        return []  # team, kits or notes changed: nothing the school needs to hear
    if not email_configured():
        return []
    addresses = school_email_recipients([visit.school_id]).get(visit.school_id, [])
    if not addresses:
        return []
    by = get_user_model().objects.filter(pk=by_id).first() if by_id is not None else None
    today = timezone.localdate()
    facts = notice_facts(visit, by=by, previous_date=previous_date, previous_time=previous_time, today=today)
    message = notice_message(visit=visit, kind=kind, facts=facts, today=today)
    notices = VisitNotice.objects.bulk_create(
        [
            VisitNotice(
                visit=visit,
                kind=kind,
                channel=Channel.EMAIL,
                recipient=address,
                visit_date=visit.date,
                previous_date=previous_date if kind == Kind.RESCHEDULED else None,
                message=message,
                by=by,
            )
            for address in addresses
        ]
    )
    return notices_deliver(notices)


def notices_deliver(notices: list[VisitNotice]) -> list[VisitNotice]:
    """Send claimed e-mail notices one address at a time; write sent or failed (with the error) on each."""
    for notice in notices:
        try:
            EmailMessage(
                subject=notice_subject(notice.message),
                body=notice.message,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[notice.recipient],
            ).send(fail_silently=False)
        except Exception as exc:  # noqa: BLE001 - every failure is written on the notice
            notice.status = Status.FAILED
            notice.error = (f"{type(exc).__name__}: {exc}")[:ERROR_LENGTH] or type(exc).__name__
            logger.warning("notice %s to school of visit %s failed: %s", notice.pk, notice.visit_id, notice.error)
        else:
            notice.status = Status.SENT
            notice.sent_at = timezone.now()
        VisitNotice.objects.filter(pk=notice.pk).update(
            status=notice.status, error=notice.error, sent_at=notice.sent_at
        )
    return notices


def visit_reminders_claim(*, today: datetime.date) -> list[VisitNotice]:
    """Claim today's due reminders: one row per visit, kind and address, or none when already claimed.

    Each row is inserted in its own savepoint; a row another run has claimed (even one not yet
    committed: the insert waits for it) breaks the unique constraint and is skipped.
    """
    if not email_configured():
        return []
    visits = list(visits_due_reminders(today=today))
    addresses = school_email_recipients({v.school_id for v in visits})
    claimed = []
    for visit in visits:
        kind = reminder_due(visit.date, today)
        targets = addresses.get(visit.school_id, [])
        if kind is None or not targets:
            continue
        taken = set(
            VisitNotice.objects.filter(
                visit=visit, kind=kind, channel=Channel.EMAIL, recipient__in=targets
            ).values_list("recipient", flat=True)
        )
        todo = [address for address in targets if address not in taken]
        if not todo:
            continue
        message = notice_message(visit=visit, kind=kind, facts=notice_facts(visit, today=today), today=today)
        for address in todo:
            try:
                with transaction.atomic():
                    claimed.append(
                        VisitNotice.objects.create(
                            visit=visit,
                            kind=kind,
                            channel=Channel.EMAIL,
                            recipient=address,
                            visit_date=visit.date,
                            message=message,
                        )
                    )
            except IntegrityError:
                continue  # claimed by another run
    return claimed


def visit_reminders_send(*, today: datetime.date | None = None) -> list[VisitNotice]:
    """Claim (committed at once), then send today's reminders by e-mail. Returns the notices sent or failed."""
    today = today or timezone.localdate()
    with transaction.atomic():
        claimed = visit_reminders_claim(today=today)
    return notices_deliver(claimed)


@transaction.atomic
def visit_notice_whatsapp(
    *, visit: Visit, kind: str, by, today: datetime.date | None = None
) -> tuple[VisitNotice, str]:
    """Log a staff member's tap on a click-to-chat button and return the wa.me address to open."""
    today = today or timezone.localdate()
    visit = Visit.objects.select_related("school", "drive", "created_by", "replaces").get(pk=visit.pk)
    phone = visit.school.contact_phone.strip()
    if not whatsapp_possible(phone):
        raise ValidationError(
            _("Nomor telepon sekolah bukan nomor HP (WhatsApp); hubungi sekolah langsung."), code="phone"
        )
    option = next((o for o in whatsapp_options(visit, visit_notices(visit), today=today) if o.kind == kind), None)
    if option is None:
        raise ValidationError(_("Pemberitahuan ini tidak berlaku untuk kunjungan ini sekarang."), code="kind")
    facts = notice_facts(
        visit, by=by, previous_date=option.previous_date, previous_time=option.previous_time, today=today
    )
    message = notice_message(visit=visit, kind=kind, facts=facts, today=today)
    url = whatsapp_url(phone, message)
    notice = VisitNotice.objects.create(
        visit=visit,
        kind=kind,
        channel=Channel.WHATSAPP,
        recipient=normalize_phone(phone),
        status=Status.SENT,
        visit_date=visit.date,
        previous_date=option.previous_date,
        message=message,
        by=by,
        sent_at=timezone.now(),
    )
    return notice, url
