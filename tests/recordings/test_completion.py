"""Completion counting rules of the foundation (recordings.selectors)."""

import datetime

import pytest
from django.utils import timezone

from recordings.models import Recording, Visit
from recordings.selectors import (
    drive_current,
    drive_headline,
    drive_progress,
    drive_progress_by_school,
    eligibility_cutoff,
    schools_with_progress,
)
from schools.models import School
from tests.factories import DriveFactory, RecordingFactory, SchoolFactory, StudentFactory, VisitFactory

pytestmark = pytest.mark.django_db

REF = datetime.date(2026, 12, 31)


@pytest.fixture
def drive(school):
    return DriveFactory(start_date=datetime.date(2026, 9, 1), end_date=REF, reference_date=REF, schools=[school])


def student(school, *, age_birth=datetime.date(2008, 5, 1), **kwargs):
    return StudentFactory(school=school, birth_date=age_birth, **kwargs)


def test_eligibility_cutoff_handles_leap_day():
    assert eligibility_cutoff(datetime.date(2026, 12, 31)) == datetime.date(2010, 12, 31)
    assert eligibility_cutoff(datetime.date(2028, 2, 29)) == datetime.date(2012, 2, 29)
    assert eligibility_cutoff(datetime.date(2027, 2, 28)) == datetime.date(2011, 2, 28)


def test_target_excludes_under_16_left_and_other_schools(drive, school, other_school):
    student(school)
    student(school, age_birth=datetime.date(2010, 12, 31))  # turns 16 on the reference date: counts
    student(school, age_birth=datetime.date(2011, 1, 1))  # 15 on the reference date
    student(school, is_active=False, left_on=datetime.date(2026, 7, 1))
    student(other_school)  # school not in the drive
    progress = drive_progress(drive)
    assert progress.target == 2
    assert progress.waiting == 2


def test_done_counts_recorded_and_already_recorded_once(drive, school):
    visit1 = VisitFactory(drive=drive, school=school)
    visit2 = VisitFactory(drive=drive, school=school)
    a, b, c = student(school), student(school), student(school)
    RecordingFactory(visit=visit1, student=a, outcome=Recording.Outcome.RECORDED)
    RecordingFactory(visit=visit2, student=a, outcome=Recording.Outcome.RECORDED)  # recorded twice
    RecordingFactory(visit=visit1, student=b, outcome=Recording.Outcome.ALREADY_RECORDED)
    RecordingFactory(visit=visit1, student=c, outcome=Recording.Outcome.ABSENT)
    progress = drive_progress(drive)
    assert (progress.target, progress.done, progress.absent, progress.remaining) == (3, 2, 1, 1)
    assert str(progress.completion) == "66.67"


def test_latest_outcome_by_tap_time_wins(drive, school):
    early, late = VisitFactory(drive=drive, school=school), VisitFactory(drive=drive, school=school)
    s = student(school)
    now = timezone.now()
    RecordingFactory(visit=early, student=s, outcome=Recording.Outcome.RECORDED, recorded_at=now)
    RecordingFactory(
        visit=late,
        student=s,
        outcome=Recording.Outcome.BIOMETRIC_FAILURE,
        recorded_at=now + datetime.timedelta(days=3),
    )
    progress = drive_progress(drive)
    assert (progress.done, progress.biometric_failure) == (0, 1)


def test_not_eligible_leaves_target(drive, school):
    visit = VisitFactory(drive=drive, school=school)
    s1, _ = student(school), student(school)
    RecordingFactory(visit=visit, student=s1, outcome=Recording.Outcome.NOT_ELIGIBLE, reason="WNA")
    progress = drive_progress(drive)
    assert (progress.candidates, progress.not_eligible, progress.target) == (2, 1, 1)


def test_outcomes_of_other_drives_do_not_count(drive, school):
    other_drive = DriveFactory(schools=[school])
    s = student(school)
    RecordingFactory(visit=VisitFactory(drive=other_drive, school=school), student=s)
    assert drive_progress(drive).done == 0
    assert drive_progress(other_drive).done == 1


def test_needs_nik_counts_students_without_outcome(drive, school):
    student(school, nik="")
    assert drive_progress(drive).needs_nik == 1


def test_progress_by_school_and_headline(drive, school):
    second = SchoolFactory()
    drive.drive_schools.create(school=second)
    student(school)
    student(second)
    visit = VisitFactory(drive=drive, school=school, status=Visit.Status.DONE)
    RecordingFactory(visit=visit, student=school.students.first())
    VisitFactory(drive=drive, school=second, status=Visit.Status.POSTPONED, postponement_reason="power_cut")
    by_school = drive_progress_by_school(drive)
    assert by_school[school.pk].done == 1
    assert by_school[second.pk].done == 0
    headline = drive_headline(drive)
    assert (headline.schools_total, headline.schools_visited, headline.schools_not_visited) == (2, 1, 1)
    assert headline.visits_postponed == 1
    annotated = {s.pk: s for s in schools_with_progress(School.objects.all(), drive)}
    assert (annotated[school.pk].drive_target, annotated[school.pk].drive_done) == (1, 1)
    assert (annotated[second.pk].drive_target, annotated[second.pk].drive_done) == (1, 0)


def test_drive_current_prefers_running_drive():
    today = datetime.date(2026, 11, 29)
    past = DriveFactory(start_date=datetime.date(2025, 8, 1), end_date=datetime.date(2025, 12, 1))
    assert drive_current(today=today) == past
    running = DriveFactory(start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2026, 12, 31))
    assert drive_current(today=today) == running
