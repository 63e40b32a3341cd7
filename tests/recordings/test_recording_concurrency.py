"""Two operators marking the same student at the same moment, in two real transactions.

Each thread has its own database connection (transaction=True tests commit for real). The
first transaction holds the student's lock until the other has tried to start, so the two
really overlap; the outcome must be one current Recording and both actions in the history.
"""

import datetime
import threading
import uuid

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from recordings import services
from recordings.models import Recording, RecordingAction
from recordings.services import ActionStatus
from tests.factories import OperatorFactory, visit_with_students

# serialized_rollback: the flush after a transactional test re-creates content types, which
# would break the next test that restores the reference data (browser tests) if not restored here.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

Outcome = Recording.Outcome


def run_together(*calls):
    """Run callables in threads started at the same moment; return their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # collected and checked by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def backend_pid_waiting_on_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_two_operators_same_student_at_once_one_outcome_both_in_history():
    visit, (student,) = visit_with_students(students=1)
    op_a, op_b = OperatorFactory(), OperatorFactory()
    now = timezone.now()
    a_holds_lock = threading.Event()
    b_waiting = threading.Event()

    def operator_a():
        # Take the student's lock and keep it until B is blocked on it: a real overlap.
        with transaction.atomic():
            result = services.recording_apply(
                visit=visit,
                student=student,
                outcome=Outcome.ABSENT,
                by=op_a,
                tapped_at=now - datetime.timedelta(seconds=2),
            )
            a_holds_lock.set()
            b_waiting.wait(timeout=10)
            return result

    def operator_b():
        a_holds_lock.wait(timeout=10)
        return services.recording_apply(
            visit=visit,
            student=student,
            outcome=Outcome.RECORDED,
            by=op_b,
            tapped_at=now - datetime.timedelta(seconds=1),
        )

    def watcher():
        a_holds_lock.wait(timeout=10)
        for _ in range(200):
            if backend_pid_waiting_on_lock():
                break
            threading.Event().wait(0.02)
        waited = backend_pid_waiting_on_lock()
        b_waiting.set()
        return waited

    result_a, result_b, b_was_blocked = run_together(operator_a, operator_b, watcher)
    assert not isinstance(result_a, Exception), result_a
    assert not isinstance(result_b, Exception), result_b
    assert b_was_blocked is True  # B really waited for A's transaction
    assert result_a.status == result_b.status == ActionStatus.APPLIED
    current = Recording.objects.get(visit=visit, student=student)
    assert current.outcome == Outcome.RECORDED and current.recorded_by == op_b  # the later tap
    actions = RecordingAction.objects.filter(visit=visit, student=student).order_by("tapped_at")
    assert [(a.outcome, a.by) for a in actions] == [(Outcome.ABSENT, op_a), (Outcome.RECORDED, op_b)]


def test_simultaneous_first_marks_never_create_two_outcomes():
    """No Recording row exists yet (nothing to lock on it): the student lock still orders the two."""
    visit, students = visit_with_students(students=5)
    ops = [OperatorFactory(), OperatorFactory()]
    outcomes = [Outcome.RECORDED, Outcome.BIOMETRIC_FAILURE]
    for student in students:  # five rounds, each a fresh race
        taps = [timezone.now() - datetime.timedelta(seconds=1), timezone.now()]
        results = run_together(
            *[
                (
                    lambda i=i, student=student, taps=taps: services.recording_apply(
                        visit=visit, student=student, outcome=outcomes[i], by=ops[i], tapped_at=taps[i]
                    )
                )
                for i in range(2)
            ]
        )
        assert all(not isinstance(r, Exception) for r in results), results
        assert Recording.objects.filter(visit=visit, student=student).count() == 1
        # The later tap stands, whichever transaction got the lock first.
        assert Recording.objects.get(student=student).outcome == Outcome.BIOMETRIC_FAILURE
        assert RecordingAction.objects.filter(student=student).count() == 2


def test_same_offline_action_resent_twice_at_once_counts_once():
    visit, (student,) = visit_with_students(students=1)
    operator = OperatorFactory()
    client_id = uuid.uuid4()
    tapped = timezone.now() - datetime.timedelta(minutes=3)

    def send():
        return services.recording_apply(
            visit=visit, student=student, outcome=Outcome.RECORDED, by=operator, client_id=client_id, tapped_at=tapped
        )

    results = run_together(send, send, send)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.status for r in results) == [ActionStatus.APPLIED, ActionStatus.DUPLICATE, ActionStatus.DUPLICATE]
    assert RecordingAction.objects.filter(client_id=client_id).count() == 1
    assert Recording.objects.count() == 1


def test_operators_at_the_same_school_do_not_wait_for_each_other():
    """The lock is the student's row only: marking another student of the school goes straight through."""
    visit, (first, second) = visit_with_students(students=2)
    op_a, op_b = OperatorFactory(), OperatorFactory()
    a_holds_lock = threading.Event()
    b_done = threading.Event()

    def operator_a():
        with transaction.atomic():
            services.recording_apply(visit=visit, student=first, outcome=Outcome.ABSENT, by=op_a)
            a_holds_lock.set()
            return b_done.wait(timeout=5)  # B finished while A still held its locks

    def operator_b():
        a_holds_lock.wait(timeout=10)
        result = services.recording_apply(visit=visit, student=second, outcome=Outcome.RECORDED, by=op_b)
        b_done.set()
        return result

    b_finished_first, result_b = run_together(operator_a, operator_b)
    assert b_finished_first is True
    assert result_b.status == ActionStatus.APPLIED
    assert Recording.objects.count() == 2
