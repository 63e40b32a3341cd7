"""The kecamatan tally and the schools' visit flags (migration 0011) stay equal to a recount from the raw rows.

``verify_progress`` compares them with the raw rows (each school's kecamatan read through its desa,
visited / in progress from the visits, the figures from ``progress_recount``): it reports a stale
row and ``--fix`` rebuilds it. Every kind of write that changes them is checked: visits planned,
started, finished, postponed, moved to another drive and removed; taps; a school moving to another
kecamatan; a kecamatan renamed; a school leaving the drive. The last test runs two writers in the
same kecamatan in real, overlapping transactions: the kecamatan row must count both.
"""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from recordings import services
from recordings.models import DriveKecamatanTally, DriveSchool, DriveSchoolTally, Recording, Visit
from recordings.selectors.progress import progress_flush
from schools.models import Desa, Kecamatan
from tests.factories import (
    DriveFactory,
    OperatorFactory,
    RecordingFactory,
    SchoolFactory,
    StudentFactory,
    VisitFactory,
    visit_with_students,
)
from tests.recordings.test_read_model import verified

pytestmark = pytest.mark.django_db

Outcome = Recording.Outcome


def flags(drive, school) -> tuple[bool, bool]:
    return tuple(DriveSchoolTally.objects.values_list("visited", "in_progress").get(drive=drive, school=school))


def kecamatan_row(drive, school) -> DriveKecamatanTally:
    return DriveKecamatanTally.objects.get(drive=drive, kecamatan_id=school.desa.kecamatan_id)


def test_verify_progress_reports_stale_kecamatan_rows_and_flags_and_fix_rebuilds(capsys):
    visit, (a, _b) = visit_with_students(students=2)
    RecordingFactory(visit=visit, student=a)
    drive, school = visit.drive, visit.school
    kecamatan_id = school.desa.kecamatan_id
    DriveSchoolTally.objects.filter(drive=drive).update(in_progress=False)  # its kecamatan row follows
    DriveKecamatanTally.objects.filter(drive=drive).update(recorded=9)
    with pytest.raises(SystemExit) as exc:
        call_command("verify_progress", "--drive", str(drive.pk), "--fix")
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert f"SELISIH school {school.pk} in_progress: read model False, recount True" in err
    assert f"SELISIH kecamatan {kecamatan_id} recorded: read model 9, recount 1" in err
    assert f"SELISIH kecamatan {kecamatan_id} schools_in_progress: read model 0, recount 1" in err
    assert "Tidak ada selisih." in verified(drive)
    # A lost kecamatan row is reported and rebuilt too.
    DriveKecamatanTally.objects.filter(drive=drive).delete()
    with pytest.raises(SystemExit):
        call_command("verify_progress", "--drive", str(drive.pk), "--fix", stdout=io.StringIO(), stderr=io.StringIO())
    assert kecamatan_row(drive, school).recorded == 1
    verified(drive)


def test_visits_planned_started_finished_postponed_moved_and_removed_keep_the_flags_exact():
    school, other = SchoolFactory(), SchoolFactory()  # the same kecamatan
    for s in (school, other):
        StudentFactory(school=s)
    drive, other_drive = DriveFactory(schools=[school, other]), DriveFactory(schools=[school])
    visit = VisitFactory(drive=drive, school=school, status=Visit.Status.PLANNED)
    assert flags(drive, school) == (False, False)
    verified()
    visit.status = Visit.Status.IN_PROGRESS
    visit.save()
    assert flags(drive, school) == (True, True)
    row = kecamatan_row(drive, school)
    assert (row.schools, row.schools_visited, row.schools_in_progress, row.candidates) == (2, 1, 1, 2)
    verified()
    visit.status = Visit.Status.DONE
    visit.save()
    assert flags(drive, school) == (True, False)
    postponed = VisitFactory(
        drive=drive, school=other, status=Visit.Status.POSTPONED, postponement_reason=Visit.PostponementReason.ROAD
    )
    assert flags(drive, other) == (False, False)
    Visit.objects.filter(pk=postponed.pk).update(status=Visit.Status.DONE, postponement_reason="")  # bulk update
    assert flags(drive, other) == (True, False)
    assert kecamatan_row(drive, school).schools_visited == 2
    verified()
    Visit.objects.filter(pk=visit.pk).update(drive=other_drive)  # moved to another drive
    assert (flags(drive, school), flags(other_drive, school)) == ((False, False), (True, False))
    verified()
    Visit.objects.filter(pk=postponed.pk).delete()
    assert flags(drive, other) == (False, False)
    assert kecamatan_row(drive, school).schools_visited == 0
    verified()


def test_taps_and_a_school_moving_leaving_or_its_kecamatan_renamed_keep_the_kecamatan_rows_exact():
    visit, (a, b) = visit_with_students(students=2)
    drive, school = visit.drive, visit.school
    by = OperatorFactory()
    services.recording_apply(visit=visit, student=a, outcome=Outcome.RECORDED, by=by)
    services.recording_apply(visit=visit, student=b, outcome=Outcome.ABSENT, by=by)
    row = kecamatan_row(drive, school)
    assert (row.recorded, row.absent, row.waiting, row.candidates) == (1, 1, 0, 2)
    verified()
    old_kecamatan = school.desa.kecamatan_id
    school.desa = Desa.objects.exclude(kecamatan_id=old_kecamatan).order_by("code").first()
    school.save()
    assert not DriveKecamatanTally.objects.filter(drive=drive, kecamatan_id=old_kecamatan).exists()
    row = kecamatan_row(drive, school)
    assert (row.schools, row.schools_visited, row.recorded, row.candidates) == (1, 1, 1, 2)
    verified()
    Kecamatan.objects.filter(pk=school.desa.kecamatan_id).update(name="Kecamatan Baru")
    assert kecamatan_row(drive, school).kecamatan_name == "Kecamatan Baru"
    verified()
    DriveSchool.objects.filter(drive=drive, school=school).delete()
    assert not DriveKecamatanTally.objects.filter(drive=drive).exists()
    verified()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_writers_in_one_kecamatan_at_once_are_both_counted():
    """A holds the kecamatan row (its recount ran, it has not committed); B's commit waits, then sums A's row.

    Summing with a snapshot taken before A committed would miss A's outcome (a lost update): the
    recount waits for the kecamatan row first and sums in a later statement, which sees A's commit.
    """
    from tests.recordings.test_recording_concurrency import backend_pid_waiting_on_lock, run_together

    visit_a, (student_a,) = visit_with_students(students=1)
    visit_b, (student_b,) = visit_with_students(students=1, drive=visit_a.drive)  # same kecamatan (factory desa)
    drive = visit_a.drive
    op_a, op_b = OperatorFactory(), OperatorFactory()
    a_holds = threading.Event()

    def writer_a():
        with transaction.atomic():
            services.recording_apply(visit=visit_a, student=student_a, outcome=Outcome.RECORDED, by=op_a)
            progress_flush()  # recount now: A holds its school's and its kecamatan's rows until commit
            a_holds.set()
            for _ in range(100):  # keep the lock until B waits for it
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_stat_clear_snapshot()")  # activity is read once per transaction
                if backend_pid_waiting_on_lock():
                    return True
                threading.Event().wait(0.05)
            return False

    def writer_b():
        a_holds.wait(timeout=10)
        return services.recording_apply(visit=visit_b, student=student_b, outcome=Outcome.RECORDED, by=op_b)

    b_waited, result = run_together(writer_a, writer_b)
    assert b_waited is True, result
    connection.close()
    row = kecamatan_row(drive, visit_a.school)
    assert (row.schools, row.recorded, row.schools_in_progress) == (2, 2, 2)
    verified(drive)
