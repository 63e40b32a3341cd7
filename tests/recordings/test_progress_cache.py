"""The drive-wide progress cache stays exact: every read equals a direct count (real transactions)."""

import datetime
import random

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recordings.models import Drive, Recording, Visit
from recordings.progress_cache import drive_snapshot, progress_cache_clear
from recordings.selectors import drive_daily_changes, drive_school_rows
from schools.models import Desa, Kecamatan
from tests.factories import DriveFactory, RecordingFactory, SchoolFactory, StudentFactory, VisitFactory

pytestmark = pytest.mark.django_db(transaction=True)

REF = datetime.date(2026, 12, 31)
OUTCOME = Recording.Outcome


@pytest.fixture(autouse=True)
def empty_cache(transactional_db):
    # An earlier transactional test may have emptied the reference tables (no serialized_rollback:
    # reloading ~7,500 rows per test is slow); make the one village the factories need.
    if not Desa.objects.exists():
        kecamatan, _ = Kecamatan.objects.get_or_create(code="15.04.03", defaults={"name": "Muara Bulian"})
        Desa.objects.create(code="15.04.03.1001", name="Rengas Condong", kind=Desa.Kind.KELURAHAN, kecamatan=kecamatan)
    progress_cache_clear()
    yield
    progress_cache_clear()


@pytest.fixture
def season():
    schools = [SchoolFactory() for _ in range(3)]
    drive = DriveFactory(start_date=datetime.date(2026, 9, 1), end_date=REF, reference_date=REF, schools=schools)
    for school in schools:
        visit = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 10), status=Visit.Status.DONE)
        for outcome in (OUTCOME.RECORDED, OUTCOME.ABSENT, None):
            student = StudentFactory(school=school)
            if outcome:
                RecordingFactory(visit=visit, student=student, outcome=outcome)
    drive.all_schools = schools
    return drive


def assert_exact(drive):
    """Read through the cache and compare with a direct count (outside any transaction)."""
    snapshot = drive_snapshot(drive)
    assert snapshot.rows == drive_school_rows(drive)
    assert snapshot.changes == drive_daily_changes(drive)
    return snapshot


def test_first_read_counts_then_hits(season):
    assert assert_exact(season).source == "full"
    assert assert_exact(season).source == "hit"


def test_a_hit_costs_two_queries(season):
    drive_snapshot(season)
    with CaptureQueriesContext(connection) as queries:
        assert drive_snapshot(season).source == "hit"
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    assert len(statements) == 2  # SET TRANSACTION and the marks


def test_new_outcome_recounts_only_that_school(season):
    drive_snapshot(season)
    school = season.all_schools[0]
    visit = Visit.objects.get(drive=season, school=school)
    student = StudentFactory(school=school)
    RecordingFactory(visit=visit, student=student, outcome=OUTCOME.RECORDED)
    snapshot = assert_exact(season)
    assert snapshot.source == "incremental"
    assert snapshot.stats["touched"] == 1
    assert snapshot.rows[school.pk].progress.done == 2


def test_later_failure_and_deleted_outcome(season):
    drive_snapshot(season)
    school = season.all_schools[1]
    recorded = Recording.objects.get(visit__school=school, outcome=OUTCOME.RECORDED)
    later = VisitFactory(drive=season, school=school, date=datetime.date(2026, 9, 20), status=Visit.Status.DONE)
    RecordingFactory(visit=later, student=recorded.student, outcome=OUTCOME.BIOMETRIC_FAILURE)
    assert assert_exact(season).rows[school.pk].progress.done == 0
    Recording.objects.filter(visit=later).delete()  # an undo
    assert assert_exact(season).rows[school.pk].progress.done == 1


def test_student_moving_school_updates_both_schools(season):
    drive_snapshot(season)
    a, b = season.all_schools[0], season.all_schools[1]
    student = Recording.objects.get(visit__school=a, outcome=OUTCOME.RECORDED).student
    student.school = b
    student.save()
    snapshot = assert_exact(season)
    assert snapshot.source == "incremental"
    assert snapshot.rows[a.pk].progress.done == 0
    assert snapshot.rows[b.pk].progress.done == 2


def test_student_leaving_and_bulk_update(season):
    drive_snapshot(season)
    school = season.all_schools[2]
    school.students.update(is_active=False, left_on=datetime.date(2026, 10, 1))  # bulk: triggers still fire
    snapshot = assert_exact(season)
    assert snapshot.rows[school.pk].progress.target == 0


def test_school_joining_and_leaving_the_drive(season):
    drive_snapshot(season)
    newcomer = SchoolFactory()
    StudentFactory(school=newcomer)
    season.drive_schools.create(school=newcomer)
    assert newcomer.pk in assert_exact(season).rows
    season.drive_schools.filter(school=newcomer).delete()
    assert newcomer.pk not in assert_exact(season).rows


def test_visit_planned_and_postponed(season):
    drive_snapshot(season)
    school = season.all_schools[0]
    planned = VisitFactory(
        drive=season, school=school, date=timezone.localdate() + datetime.timedelta(days=3), status=Visit.Status.PLANNED
    )
    assert assert_exact(season).rows[school.pk].visits.next_visit == planned.date
    planned.status, planned.postponement_reason = Visit.Status.POSTPONED, Visit.PostponementReason.ROAD
    planned.save()
    row = assert_exact(season).rows[school.pk]
    assert (row.visits.next_visit, row.visits.postponed) == (None, 1)


def test_school_renamed(season):
    drive_snapshot(season)
    school = season.all_schools[0]
    school.name = "SMA Nama Baru"
    school.save()
    assert assert_exact(season).rows[school.pk].name == "SMA Nama Baru"


def test_changing_the_drive_counts_everything_again(season):
    drive_snapshot(season)
    Drive.objects.filter(pk=season.pk).update(reference_date=datetime.date(2024, 12, 31))
    season.refresh_from_db()
    snapshot = assert_exact(season)
    assert snapshot.source == "full"


def test_other_drives_do_not_disturb(season):
    drive_snapshot(season)
    other = DriveFactory(schools=[SchoolFactory()])
    assert assert_exact(season).source == "incremental"
    assert assert_exact(season).source == "hit"
    assert other.pk != season.pk


def test_snapshot_with_a_writer_in_flight_is_exact_but_not_stored(season):
    drive_snapshot(season)
    school = season.all_schools[0]
    visit = Visit.objects.get(drive=season, school=school)
    student = StudentFactory(school=school)
    writer = connections.create_connection("default")
    try:
        writer.set_autocommit(False)
        with writer.cursor() as cursor:
            cursor.execute(
                "INSERT INTO recordings_recording (outcome, reason, recorded_at, student_id, visit_id) "
                "VALUES ('recorded', '', now(), %s, %s)",
                [student.pk, visit.pk],
            )
        snapshot = assert_exact(season)  # the uncommitted outcome is not seen ...
        assert snapshot.stats["clean"] is False  # ... and the result is not kept
        assert snapshot.rows[school.pk].progress.done == 1
        writer.commit()
    finally:
        writer.close()
    snapshot = assert_exact(season)  # recounted from the last clean entry: the late commit is there
    assert snapshot.rows[school.pk].progress.done == 2


def test_inside_a_transaction_it_counts_directly(season):
    with transaction.atomic():
        assert drive_snapshot(season).source == "direct"


def test_random_writes_never_show_stale_numbers(season):
    rng = random.Random(11)
    schools = season.all_schools
    for _step in range(25):
        school = rng.choice(schools)
        action = rng.choice(["record", "record", "update", "delete", "move", "leave", "visit"])
        students = list(school.students.filter(is_active=True))
        if action == "record" and students:
            visit = VisitFactory(drive=season, school=school, status=Visit.Status.DONE)
            RecordingFactory(visit=visit, student=rng.choice(students), outcome=rng.choice(OUTCOME.values))
        elif action == "update":
            Recording.objects.filter(visit__school=school).update(outcome=rng.choice(OUTCOME.values), reason="x")
        elif action == "delete":
            Recording.objects.filter(pk__in=Recording.objects.filter(visit__school=school).values("pk")[:1]).delete()
        elif action == "move" and students:
            moved = rng.choice(students)
            moved.school = rng.choice(schools)
            moved.save()
        elif action == "leave" and students:
            StudentFactory(school=school)
            gone = rng.choice(students)
            gone.is_active, gone.left_on = False, datetime.date(2026, 10, 1)
            gone.save()
        elif action == "visit":
            VisitFactory(drive=season, school=school, status=Visit.Status.IN_PROGRESS)
        assert_exact(season)


def test_derived_figures_live_and_die_with_their_entry(season):
    drive_snapshot(season).memoized("summary", lambda: "first")
    assert drive_snapshot(season).memoized("summary", lambda: "again") == "first"
    school = season.all_schools[0]
    RecordingFactory(visit=Visit.objects.get(drive=season, school=school), student=StudentFactory(school=school))
    assert drive_snapshot(season).memoized("summary", lambda: "after a change") == "after a change"
