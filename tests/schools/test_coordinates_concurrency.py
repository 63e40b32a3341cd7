"""A supervisor edits a school's point while another confirms a coordinate import that covers it,
in two real transactions: the import waits for the edit's lock, then sees the point changed and
writes nothing (no school half-saved, the edit kept)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from schools import services
from tests.factories import SchoolFactory, SupervisorFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_an_edit_during_the_import_wins_and_the_import_writes_nothing():
    first = SchoolFactory(npsn="10500313")
    second = SchoolFactory(npsn="10500327")
    editor, importer = SupervisorFactory(), SupervisorFactory()
    plan = services.school_coordinates_preview(
        data=b"NPSN;Lintang;Bujur\n10500313;-1,70;103,27\n10500327;-1,80;103,30\n", name="k.csv"
    )
    assert len(plan.changes) == 2
    edit_holds_lock, results = threading.Event(), {}

    def edit():
        try:
            with transaction.atomic():
                services.school_profile_update(
                    school=second, by=editor, latitude=Decimal("-1.650000"), longitude=Decimal("103.200000")
                )
                edit_holds_lock.set()
                deadline = time.monotonic() + 10
                while not _someone_waits_on_a_lock() and time.monotonic() < deadline:
                    time.sleep(0.05)  # keep the lock until the import is blocked on it
        finally:
            connections.close_all()

    def run_import():
        edit_holds_lock.wait(10)
        try:
            results["import"] = services.school_coordinates_import(changes=plan.changes, by=importer)
        except services.CoordinatesChanged as exc:
            results["import"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit), threading.Thread(target=run_import)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(results["import"], services.CoordinatesChanged)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.latitude is None  # not half-saved
    assert second.latitude == Decimal("-1.650000")  # the edit kept
