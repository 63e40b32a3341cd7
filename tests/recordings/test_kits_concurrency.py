"""Two supervisors planning at once, in two real transactions (one connection per thread).

The first holds its transaction open until the second is waiting on it, so the two really
overlap. A kit is settled by the kit's row lock (the second then sees the first's booking); an
operator by the partial unique index on (user, date) where active (the second's insert waits for
the first to commit, then fails and is told which visit has the operator). Either way: one visit.
"""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from recordings import services
from recordings.models import Visit, VisitKit, VisitTeamMember
from tests.factories import DriveFactory, KitFactory, OperatorFactory, SchoolFactory, SupervisorFactory
from tests.recordings.test_recording_concurrency import backend_pid_waiting_on_lock, run_together

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def race(first_call, second_call):
    """Run ``first_call`` in a transaction kept open until ``second_call`` waits on a lock."""
    first_done = threading.Event()
    second_blocked = threading.Event()

    def first():
        with transaction.atomic():
            result = first_call()
            first_done.set()
            second_blocked.wait(timeout=10)
            return result

    def second():
        first_done.wait(timeout=10)
        return second_call()

    def watcher():
        first_done.wait(timeout=10)
        for _ in range(200):
            if backend_pid_waiting_on_lock():
                break
            threading.Event().wait(0.02)
        waited = backend_pid_waiting_on_lock()
        second_blocked.set()
        return waited

    return run_together(first, second, watcher)


@pytest.fixture
def setting():
    a, b = SchoolFactory(name="SMA Balap A"), SchoolFactory(name="SMA Balap B")
    drive = DriveFactory(schools=[a, b])
    day = timezone.localdate() + datetime.timedelta(days=1)
    return drive, a, b, day, SupervisorFactory(), SupervisorFactory()


def test_two_supervisors_book_the_same_kit_at_once(setting):
    drive, a, b, day, sup_1, sup_2 = setting
    kit = KitFactory(name="Alat Rebutan")
    first, second, blocked = race(
        lambda: services.visit_schedule(drive=drive, school=a, date=day, kits=[kit], by=sup_1),
        lambda: services.visit_schedule(drive=drive, school=b, date=day, kits=[kit, KitFactory()], by=sup_2),
    )
    assert blocked is True  # the second really waited for the first
    assert isinstance(first, Visit), first
    assert isinstance(second, ValidationError), second
    assert second.messages[0].startswith("Alat ‘Alat Rebutan’ sudah dipakai kunjungan ke SMA Balap A")
    assert list(VisitKit.objects.filter(kit=kit, active=True).values_list("visit__school__name", flat=True)) == [
        "SMA Balap A"
    ]
    assert Visit.objects.count() == 1


def test_two_supervisors_put_the_same_operator_on_two_visits_at_once(setting):
    drive, a, b, day, sup_1, sup_2 = setting
    budi = OperatorFactory(first_name="Budi", last_name="Balap")
    first, second, blocked = race(
        lambda: services.visit_schedule(drive=drive, school=a, date=day, kits=[KitFactory()], team=[budi], by=sup_1),
        lambda: services.visit_schedule(drive=drive, school=b, date=day, kits=[KitFactory()], team=[budi], by=sup_2),
    )
    assert blocked is True  # the second insert waited on the unique index
    assert isinstance(first, Visit), first
    assert isinstance(second, ValidationError), second
    (message,) = second.messages
    assert message.startswith("Petugas ‘Budi Balap’ sudah bertugas di kunjungan ke SMA Balap A pada ")
    assert VisitTeamMember.objects.filter(user=budi).count() == 1
    assert Visit.objects.count() == 1  # the second visit was rolled back with its booking
