"""Two runs of send_visit_reminders at the same time, in two real transactions: each reminder goes once.

Each thread has its own database connection (transaction=True tests commit for real), as in
``test_recording_concurrency.py``.
"""

import datetime
import threading

import pytest
from django.core import mail
from django.db import transaction

from recordings.models import Visit, VisitNotice
from recordings.services import notices as notice_services
from tests.factories import DriveFactory, SchoolAdminUserFactory, SchoolFactory, VisitFactory
from tests.recordings.test_recording_concurrency import backend_pid_waiting_on_lock, run_together

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TODAY = datetime.date(2026, 12, 7)


def planned_visits(n: int) -> list[Visit]:
    """``n`` schools, each with two school admins with e-mail, a visit tomorrow and one in 5 days."""
    schools = [SchoolFactory() for _ in range(n)]
    drive = DriveFactory(start_date=datetime.date(2026, 11, 1), end_date=datetime.date(2026, 12, 31), schools=schools)
    visits = []
    for i, school in enumerate(schools):
        SchoolAdminUserFactory(school=school, email=f"a{i}@sekolah.sch.id")
        SchoolAdminUserFactory(school=school, email=f"b{i}@sekolah.sch.id")
        for days in (1, 5):
            visits.append(
                VisitFactory(drive=drive, school=school, date=TODAY + datetime.timedelta(days=days), status="planned")
            )
    return visits


def test_two_overlapping_claims_never_take_the_same_reminder():
    """Run A claims and holds its transaction open until run B is blocked on A's rows: B gets none."""
    visits = planned_visits(3)
    a_claimed = threading.Event()
    b_waiting = threading.Event()

    def run_a():
        with transaction.atomic():
            claimed = notice_services.visit_reminders_claim(today=TODAY)
            a_claimed.set()
            b_waiting.wait(timeout=10)
        return notice_services.notices_deliver(claimed)

    def run_b():
        a_claimed.wait(timeout=10)
        with transaction.atomic():
            claimed = notice_services.visit_reminders_claim(today=TODAY)
        return notice_services.notices_deliver(claimed)

    def watcher():
        a_claimed.wait(timeout=10)
        for _ in range(200):
            if backend_pid_waiting_on_lock():
                break
            threading.Event().wait(0.02)
        waited = backend_pid_waiting_on_lock()
        b_waiting.set()
        return waited

    sent_a, sent_b, b_was_blocked = run_together(run_a, run_b, watcher)
    assert not isinstance(sent_a, Exception), sent_a
    assert not isinstance(sent_b, Exception), sent_b
    assert b_was_blocked is True  # B really waited on A's uncommitted claim
    assert len(sent_a) == len(visits) * 2 and sent_b == []
    assert len(mail.outbox) == len(visits) * 2
    rows = VisitNotice.objects.filter(channel="email")
    assert rows.count() == len(visits) * 2 and not rows.exclude(status="sent").exists()
    kinds = sorted(set(rows.values_list("kind", flat=True)))
    assert kinds == ["reminder_1", "reminder_7"]


def test_two_commands_started_together_send_each_reminder_once():
    visits = planned_visits(4)
    results = run_together(
        lambda: notice_services.visit_reminders_send(today=TODAY),
        lambda: notice_services.visit_reminders_send(today=TODAY),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(len(r) for r in results) == len(visits) * 2
    recipients = [(m.to[0], m.subject) for m in mail.outbox]
    assert len(recipients) == len(set(recipients)) == len(visits) * 2
