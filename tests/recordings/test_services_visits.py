"""Services for drives, visits and outcomes: rules, history, idempotency and the tap-time rule."""

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from recordings import services
from recordings.models import Drive, DriveSchool, Recording, RecordingAction, Visit
from recordings.selectors import drive_progress, drive_target, visit_roster, visit_roster_filter
from recordings.services import ActionStatus
from tests.factories import (
    DriveFactory,
    KitFactory,
    OperatorFactory,
    SchoolFactory,
    StudentFactory,
    VisitFactory,
    birth_date_for_age,
    visit_with_students,
)

pytestmark = pytest.mark.django_db

Outcome = Recording.Outcome


def test_drive_create_and_update_schools(supervisor):
    a, b, c = SchoolFactory(), SchoolFactory(), SchoolFactory()
    today = timezone.localdate()
    drive = services.drive_create(
        name=" Perekaman 2027 ",
        start_date=today,
        end_date=today + datetime.timedelta(days=60),
        reference_date=today + datetime.timedelta(days=60),
        schools=[a, b],
        by=supervisor,
    )
    assert drive.name == "Perekaman 2027"
    assert drive.students_per_kit_per_day == 60
    assert set(drive.schools.all()) == {a, b}
    services.drive_update(
        drive=drive,
        name="Perekaman 2027",
        start_date=drive.start_date,
        end_date=drive.end_date,
        reference_date=drive.reference_date,
        students_per_kit_per_day=50,
        schools=[b, c],
        by=supervisor,
    )
    drive.refresh_from_db()
    assert set(drive.schools.all()) == {b, c}
    assert drive.students_per_kit_per_day == 50


def test_drive_update_keeps_school_with_visits(supervisor):
    school = SchoolFactory()
    drive = DriveFactory(schools=[school])
    VisitFactory(drive=drive, school=school, status=Visit.Status.PLANNED)
    with pytest.raises(ValidationError, match="sudah punya kunjungan"):
        services.drive_update(
            drive=drive,
            name=drive.name,
            start_date=drive.start_date,
            end_date=drive.end_date,
            reference_date=drive.reference_date,
            students_per_kit_per_day=60,
            schools=[],
            by=supervisor,
        )
    assert DriveSchool.objects.filter(drive=drive, school=school).exists()


def test_drive_dates_checked(supervisor):
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        services.drive_create(
            name="x", start_date=today, end_date=today - datetime.timedelta(days=1), reference_date=today,
            schools=[], by=supervisor,
        )  # fmt: skip
    assert not Drive.objects.exists()


def test_target_is_active_students_16_plus_on_reference_date():
    school = SchoolFactory()
    drive = DriveFactory(schools=[school])
    ok = StudentFactory(school=school, birth_date=birth_date_for_age(16, drive.reference_date))
    StudentFactory(school=school, birth_date=birth_date_for_age(15, drive.reference_date))
    StudentFactory(school=school, is_active=False, left_on=datetime.date(2026, 7, 1))
    assert list(drive_target(drive)) == [ok]


def test_visit_schedule_reschedule_and_rules(supervisor, operator):
    school = SchoolFactory()
    drive = DriveFactory(schools=[school])
    day = drive.start_date + datetime.timedelta(days=35)
    visit = services.visit_schedule(
        drive=drive, school=school, date=day, kits=KitFactory.create_batch(3), team=[operator], by=supervisor
    )
    assert visit.status == Visit.Status.PLANNED
    assert list(visit.team.all()) == [operator]
    with pytest.raises(ValidationError, match="sudah punya kunjungan pada tanggal itu"):
        services.visit_schedule(drive=drive, school=school, date=day, kits=[KitFactory()], by=supervisor)
    with pytest.raises(ValidationError, match="di antara"):
        services.visit_schedule(
            drive=drive,
            school=school,
            date=drive.end_date + datetime.timedelta(days=1),
            kits=[KitFactory()],
            by=supervisor,
        )
    with pytest.raises(ValidationError, match="bukan peserta"):
        services.visit_schedule(drive=drive, school=SchoolFactory(), date=day, kits=[KitFactory()], by=supervisor)
    other_operator = OperatorFactory()
    services.visit_reschedule(
        visit=visit,
        date=day + datetime.timedelta(days=1),
        kits=KitFactory.create_batch(2),
        team=[other_operator],
        notes="Aula",
        by=supervisor,
    )
    visit.refresh_from_db()
    assert (visit.date, visit.kit_count, visit.notes) == (day + datetime.timedelta(days=1), 2, "Aula")
    assert list(visit.team.all()) == [other_operator]


def test_postpone_keeps_history_and_can_plan_replacement(supervisor, operator):
    school = SchoolFactory()
    drive = DriveFactory(schools=[school])
    day = timezone.localdate() + datetime.timedelta(days=2)
    visit = services.visit_schedule(
        drive=drive, school=school, date=day, kits=KitFactory.create_batch(2), team=[operator], by=supervisor
    )
    with pytest.raises(ValidationError, match="Lainnya"):
        services.visit_postpone(visit=visit, reason=Visit.PostponementReason.OTHER, note=" ", by=supervisor)
    postponed, replacement = services.visit_postpone(
        visit=visit,
        reason=Visit.PostponementReason.POWER_CUT,
        note="PLN padam seharian",
        new_date=day + datetime.timedelta(days=7),
        by=supervisor,
    )
    assert postponed.status == Visit.Status.POSTPONED
    assert postponed.postponement_reason == Visit.PostponementReason.POWER_CUT
    assert replacement.replaces == postponed
    assert replacement.kit_count == 2 and list(replacement.team.all()) == [operator]
    assert Visit.objects.filter(school=school).count() == 2  # the postponed visit stays in history
    with pytest.raises(ValidationError):
        services.visit_postpone(visit=postponed, reason=Visit.PostponementReason.ROAD, by=supervisor)


def test_visit_life_cycle(supervisor):
    visit, _students = visit_with_students(status=Visit.Status.PLANNED, started_at=None)
    services.visit_start(visit=visit, by=supervisor)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.IN_PROGRESS and visit.started_at
    with pytest.raises(ValidationError):
        services.visit_cancel(visit=visit, by=supervisor)
    services.visit_finish(visit=visit, by=supervisor)
    visit.refresh_from_db()
    assert visit.status == Visit.Status.DONE and visit.finished_at


def test_visit_cannot_start_before_its_day(supervisor):
    visit, _ = visit_with_students(
        status=Visit.Status.PLANNED, started_at=None, date=timezone.localdate() + datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError, match="dijadwalkan"):
        services.visit_start(visit=visit, by=supervisor)


def test_set_change_undo_all_kept_in_history(operator):
    visit, (student, *_rest) = visit_with_students()
    other = OperatorFactory()
    first = services.recording_apply(visit=visit, student=student, outcome=Outcome.ABSENT, by=operator)
    assert first.status == ActionStatus.APPLIED and first.recording.outcome == Outcome.ABSENT
    second = services.recording_apply(visit=visit, student=student, outcome=Outcome.RECORDED, by=other)
    assert second.recording.pk == first.recording.pk  # one current outcome per visit and student
    assert Recording.objects.get(visit=visit, student=student).recorded_by == other
    services.recording_apply(visit=visit, student=student, outcome=None, by=operator)
    assert not Recording.objects.filter(visit=visit, student=student).exists()
    actions = list(RecordingAction.objects.filter(student=student).order_by("tapped_at"))
    assert [(a.kind, a.outcome, a.previous_outcome, a.by) for a in actions] == [
        ("set", "absent", "", operator),
        ("set", "recorded", "absent", other),
        ("undo", "", "recorded", operator),
    ]


def test_same_client_id_never_records_twice(operator):
    visit, (student, *_rest) = visit_with_students()
    client_id = uuid.uuid4()
    tapped = timezone.now() - datetime.timedelta(minutes=5)
    one = services.recording_apply(
        visit=visit, student=student, outcome=Outcome.RECORDED, by=operator, client_id=client_id, tapped_at=tapped
    )
    again = services.recording_apply(
        visit=visit, student=student, outcome=Outcome.RECORDED, by=operator, client_id=client_id, tapped_at=tapped
    )
    assert one.status == ActionStatus.APPLIED and again.status == ActionStatus.DUPLICATE
    assert again.action.pk == one.action.pk
    assert RecordingAction.objects.count() == 1 and Recording.objects.count() == 1
    with pytest.raises(ValidationError, match="peserta didik lain"):
        services.recording_apply(
            visit=visit, student=_rest[0], outcome=Outcome.ABSENT, by=operator, client_id=client_id
        )


def test_later_online_change_wins_over_older_offline_tap(operator):
    """The offline phone's tap (09:00) arrives after an online change (09:10): the online one stays."""
    visit, (student, *_rest) = visit_with_students()
    now = timezone.now()
    online = services.recording_apply(
        visit=visit,
        student=student,
        outcome=Outcome.BIOMETRIC_FAILURE,
        by=operator,
        tapped_at=now - datetime.timedelta(minutes=50),
    )
    late = services.recording_apply(
        visit=visit,
        student=student,
        outcome=Outcome.RECORDED,
        by=OperatorFactory(),
        tapped_at=now - datetime.timedelta(minutes=60),
        source=RecordingAction.Source.OFFLINE,
    )
    assert online.status == ActionStatus.APPLIED
    assert late.status == ActionStatus.SUPERSEDED
    current = Recording.objects.get(visit=visit, student=student)
    assert current.outcome == Outcome.BIOMETRIC_FAILURE
    assert current.recorded_at == now - datetime.timedelta(minutes=50)
    late.action.refresh_from_db()
    assert late.action.applied is False and late.action.tapped_at == now - datetime.timedelta(minutes=60)


def test_offline_tap_keeps_its_time_and_wins_over_older_one(operator):
    visit, (student, *_rest) = visit_with_students()
    now = timezone.now()
    services.recording_apply(
        visit=visit,
        student=student,
        outcome=Outcome.ABSENT,
        by=operator,
        tapped_at=now - datetime.timedelta(minutes=30),
    )
    offline = services.recording_apply(
        visit=visit,
        student=student,
        outcome=Outcome.RECORDED,
        by=operator,
        tapped_at=now - datetime.timedelta(minutes=10),
        source=RecordingAction.Source.OFFLINE,
    )
    assert offline.status == ActionStatus.APPLIED
    assert Recording.objects.get().recorded_at == now - datetime.timedelta(minutes=10)


def test_older_offline_set_does_not_revive_a_later_undo(operator):
    visit, (student, *_rest) = visit_with_students()
    now = timezone.now()
    services.recording_apply(
        visit=visit, student=student, outcome=Outcome.ABSENT, by=operator, tapped_at=now - datetime.timedelta(minutes=9)
    )
    services.recording_apply(
        visit=visit, student=student, outcome=None, by=operator, tapped_at=now - datetime.timedelta(minutes=5)
    )
    late = services.recording_apply(
        visit=visit,
        student=student,
        outcome=Outcome.REFUSED,
        by=operator,
        tapped_at=now - datetime.timedelta(minutes=7),
    )
    assert late.status == ActionStatus.SUPERSEDED
    assert not Recording.objects.exists()


def test_tap_time_from_client_corrects_a_wrong_phone_clock():
    now = timezone.now()
    # The phone's clock is two hours behind; the tap was 90 s before it was sent.
    phone_now = (now - datetime.timedelta(hours=2)).timestamp() * 1000
    tapped = services.tap_time_from_client(tapped_ms=int(phone_now - 90_000), sent_ms=int(phone_now), now=now)
    assert tapped == now - datetime.timedelta(seconds=90)
    assert services.tap_time_from_client(tapped_ms=None, sent_ms=None, now=now) == now
    # A tap time from the future (no sent time) is never later than now.
    future = (now + datetime.timedelta(hours=1)).timestamp() * 1000
    assert services.tap_time_from_client(tapped_ms=int(future), sent_ms=None, now=now) == now


def test_outcomes_only_on_a_visit_in_progress(operator):
    for status in (Visit.Status.PLANNED, Visit.Status.POSTPONED, Visit.Status.CANCELLED):
        extra = {"postponement_reason": Visit.PostponementReason.ROAD} if status == Visit.Status.POSTPONED else {}
        visit, (student,) = visit_with_students(students=1, status=status, **extra)
        with pytest.raises(ValidationError, match="sedang berlangsung"):
            services.recording_apply(visit=visit, student=student, outcome=Outcome.RECORDED, by=operator)
    assert not Recording.objects.exists() and not RecordingAction.objects.exists()


def test_done_visit_takes_only_taps_made_before_it_finished(operator):
    visit, (a, b) = visit_with_students(students=2)
    services.visit_finish(visit=visit, by=operator)
    visit.refresh_from_db()
    before = services.recording_apply(
        visit=visit,
        student=a,
        outcome=Outcome.RECORDED,
        by=operator,
        tapped_at=visit.finished_at - datetime.timedelta(minutes=3),
        source=RecordingAction.Source.OFFLINE,
    )
    assert before.status == ActionStatus.APPLIED
    with pytest.raises(ValidationError):
        services.recording_apply(visit=visit, student=b, outcome=Outcome.RECORDED, by=operator)


def test_not_eligible_needs_a_reason_and_student_must_be_on_the_list(operator):
    visit, (student,) = visit_with_students(students=1)
    with pytest.raises(ValidationError, match="alasan"):
        services.recording_apply(visit=visit, student=student, outcome=Outcome.NOT_ELIGIBLE, by=operator)
    services.recording_apply(
        visit=visit, student=student, outcome=Outcome.NOT_ELIGIBLE, reason="Bukan penduduk Batanghari", by=operator
    )
    assert Recording.objects.get().reason == "Bukan penduduk Batanghari"
    stranger = StudentFactory()
    with pytest.raises(ValidationError, match="tidak ada di daftar"):
        services.recording_apply(visit=visit, student=stranger, outcome=Outcome.RECORDED, by=operator)
    young = StudentFactory(school=visit.school, birth_date=birth_date_for_age(15, visit.drive.reference_date))
    with pytest.raises(ValidationError, match="belum 16"):
        services.recording_apply(visit=visit, student=young, outcome=Outcome.RECORDED, by=operator)


def test_action_log_is_append_only(operator):
    visit, (student,) = visit_with_students(students=1)
    result = services.recording_apply(visit=visit, student=student, outcome=Outcome.RECORDED, by=operator)
    with pytest.raises(Exception, match="Cannot"), transaction.atomic():
        RecordingAction.objects.filter(pk=result.action.pk).update(outcome=Outcome.ABSENT)
    with pytest.raises(Exception, match="Cannot"), transaction.atomic():
        RecordingAction.objects.filter(pk=result.action.pk).delete()


def test_database_refuses_a_second_current_outcome(operator):
    visit, (student,) = visit_with_students(students=1)
    services.recording_apply(visit=visit, student=student, outcome=Outcome.RECORDED, by=operator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Recording.objects.create(visit=visit, student=student, outcome=Outcome.ABSENT, recorded_at=timezone.now())


def test_absent_and_failed_stay_remaining_for_the_next_visit(operator):
    first, (absent, failed, recorded) = visit_with_students(
        students=3, date=timezone.localdate() - datetime.timedelta(days=7)
    )
    services.recording_apply(visit=first, student=absent, outcome=Outcome.ABSENT, by=operator)
    services.recording_apply(visit=first, student=failed, outcome=Outcome.BIOMETRIC_FAILURE, by=operator)
    services.recording_apply(visit=first, student=recorded, outcome=Outcome.RECORDED, by=operator)
    progress = drive_progress(first.drive)
    assert (progress.target, progress.done, progress.remaining) == (3, 1, 2)
    second = VisitFactory(drive=first.drive, school=first.school, status=Visit.Status.IN_PROGRESS)
    remaining = visit_roster_filter(visit_roster(second), outcome="remaining")
    assert {s.pk: s.earlier_outcome for s in remaining} == {absent.pk: "absent", failed.pk: "biometric_failure"}
    # Recorded at the second visit: the drive status follows the latest tap.
    services.recording_apply(visit=second, student=absent, outcome=Outcome.RECORDED, by=operator)
    assert drive_progress(first.drive).done == 2
