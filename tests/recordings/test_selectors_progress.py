"""The numbers rules of the progress pages (recordings.selectors, issue 5). One test per rule."""

import datetime
import random
from decimal import Decimal

import pytest

from recordings.models import Recording, Visit
from recordings.selectors import (
    Progress,
    cumulative_done_by_day,
    drive_candidates,
    drive_daily_changes,
    drive_progress,
    drive_school_rows,
    drive_school_visits,
    drive_tallies,
    progress_by_kecamatan,
    progress_summary,
    students_to_record,
)
from schools.models import Desa, School
from tests.factories import DriveFactory, RecordingFactory, SchoolFactory, StudentFactory, VisitFactory
from tests.recordings.season import OUTCOME, WIB, at, record

pytestmark = pytest.mark.django_db


def test_completion_is_recorded_plus_already_recorded_over_target(drive, school, visit):
    students = [StudentFactory(school=school) for _ in range(8)]
    record(visit, students[0])
    record(visit, students[1])
    record(visit, students[2], OUTCOME.ALREADY_RECORDED)
    record(visit, students[3], OUTCOME.ABSENT)
    p = drive_progress(drive)
    assert (p.target, p.recorded, p.already_recorded, p.done, p.remaining) == (8, 2, 1, 3, 5)
    assert p.completion == Decimal("37.50")


def test_completion_rounds_half_up_to_two_decimals():
    assert Progress(candidates=2100, recorded=1667).completion == Decimal("79.38")
    assert Progress(candidates=8, recorded=1).completion == Decimal("12.50")
    assert Progress(candidates=3, recorded=2).completion == Decimal("66.67")
    assert Progress(candidates=0, recorded=0).completion == Decimal("0.00")


def test_students_who_left_are_excluded_even_if_recorded(drive, school, visit):
    stays = StudentFactory(school=school)
    left = StudentFactory(school=school)
    record(visit, left)
    left.is_active, left.left_on = False, datetime.date(2026, 10, 1)
    left.save()
    p = drive_progress(drive)
    assert (p.target, p.done, p.waiting) == (1, 0, 1)
    assert [s.pk for s in students_to_record(drive)] == [stays.pk]


def test_under_16_on_the_reference_date_are_outside_the_target_and_counted_apart(drive, school):
    StudentFactory(school=school, birth_date=datetime.date(2010, 12, 31))  # 16 on the reference date
    StudentFactory(school=school, birth_date=datetime.date(2011, 1, 1))  # still 15
    StudentFactory(school=school, birth_date=datetime.date(2008, 1, 1))
    p = drive_progress(drive)
    assert (p.target, p.under_age) == (2, 1)


def test_schools_not_in_the_drive_are_excluded(drive, school, other_school, visit):
    StudentFactory(school=school)
    outsider = StudentFactory(school=other_school)
    RecordingFactory(visit=VisitFactory(drive=drive, school=other_school), student=outsider)
    tallies = drive_tallies(drive)
    assert set(tallies) == {school.pk}
    assert drive_progress(drive).target == 1


def test_a_student_recorded_twice_counts_once(drive, school, visit):
    second = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 20))
    student = StudentFactory(school=school)
    record(visit, student)
    record(second, student, when=at(20))
    p = drive_progress(drive)
    assert (p.target, p.done, p.recorded) == (1, 1, 1)


def test_later_biometric_failure_after_recorded_follows_the_latest_outcome(drive, school, visit):
    second = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 20))
    student = StudentFactory(school=school)
    record(visit, student, OUTCOME.RECORDED, when=at(10))
    record(second, student, OUTCOME.BIOMETRIC_FAILURE, when=at(20))
    p = drive_progress(drive)
    assert (p.done, p.biometric_failure, p.remaining) == (0, 1, 1)
    assert [s.latest_outcome for s in students_to_record(drive)] == [OUTCOME.BIOMETRIC_FAILURE]


def test_latest_outcome_is_by_tap_time_not_by_insertion_order(drive, school, visit):
    """An outcome synced late (inserted last) but tapped earlier does not win."""
    second = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 20))
    student = StudentFactory(school=school)
    record(second, student, OUTCOME.RECORDED, when=at(20))
    record(visit, student, OUTCOME.ABSENT, when=at(10))  # written after, tapped before
    assert drive_progress(drive).done == 1


def test_same_tap_time_falls_back_to_the_later_row(drive, school, visit):
    second = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 10))
    student = StudentFactory(school=school)
    record(visit, student, OUTCOME.ABSENT, when=at(10))
    record(second, student, OUTCOME.RECORDED, when=at(10))
    assert drive_progress(drive).done == 1


def test_not_eligible_leaves_the_target_and_a_later_outcome_brings_the_student_back(drive, school, visit):
    second = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 20))
    a, b = StudentFactory(school=school), StudentFactory(school=school)
    record(visit, a, OUTCOME.NOT_ELIGIBLE, when=at(10))
    p = drive_progress(drive)
    assert (p.candidates, p.not_eligible, p.target) == (2, 1, 1)
    record(second, a, OUTCOME.RECORDED, when=at(20))
    p = drive_progress(drive)
    assert (p.not_eligible, p.target, p.done) == (0, 2, 1)
    assert [s.pk for s in students_to_record(drive)] == [b.pk]


def test_outcomes_in_another_drive_do_not_count(drive, school):
    other = DriveFactory(schools=[school])
    student = StudentFactory(school=school)
    RecordingFactory(visit=VisitFactory(drive=other, school=school), student=student)
    assert drive_progress(drive).done == 0
    assert drive_progress(other).done == 1


def test_needs_nik_counts_students_without_nik_still_to_record(drive, school, visit):
    no_nik_waiting = StudentFactory(school=school, nik="")
    no_nik_absent = StudentFactory(school=school, nik="")
    no_nik_done = StudentFactory(school=school, nik="")
    record(visit, no_nik_absent, OUTCOME.ABSENT)
    record(visit, no_nik_done, OUTCOME.ALREADY_RECORDED)
    assert drive_progress(drive).needs_nik == 2
    assert {s.pk for s in students_to_record(drive)} == {no_nik_waiting.pk, no_nik_absent.pk}


def test_school_filter_accepts_a_queryset_or_ids(drive, school, other_school, visit):
    drive.drive_schools.create(school=other_school)
    StudentFactory(school=school)
    StudentFactory(school=other_school)
    assert set(drive_tallies(drive, schools=School.objects.filter(pk=school.pk))) == {school.pk}
    assert set(drive_tallies(drive, schools=[other_school.pk])) == {other_school.pk}
    assert drive_tallies(drive, schools=[]) == {}


def test_fast_tally_matches_the_orm_definition_on_random_data(drive, school, other_school):
    """The hand-written SQL gives the same counts as the correlated-subquery definition."""
    drive.drive_schools.create(school=other_school)
    rng = random.Random(5)
    visits = [
        VisitFactory(drive=drive, school=s, date=datetime.date(2026, 9, d))
        for s in (school, other_school)
        for d in (3, 9, 15)
    ]
    for i in range(60):
        s = school if i % 2 else other_school
        kwargs = {"birth_date": rng.choice([datetime.date(2008, 1, 1), datetime.date(2011, 6, 1)])}
        if i % 11 == 0:
            kwargs["nik"] = ""
        if i % 13 == 0:
            kwargs.update(is_active=False, left_on=datetime.date(2026, 8, 1))
        student = StudentFactory(school=s, **kwargs)
        for v in rng.sample([v for v in visits if v.school_id == s.pk], rng.randint(0, 3)):
            outcome = rng.choice(OUTCOME.values)
            RecordingFactory(visit=v, student=student, outcome=outcome, recorded_at=at(v.date.day, rng.randint(8, 14)))
    expected: dict[int, dict] = {}
    for student in drive_candidates(drive):
        row = expected.setdefault(student.school_id, {"candidates": 0, "done": 0, "not_eligible": 0, "absent": 0})
        row["candidates"] += 1
        row["done"] += student.latest_outcome in Recording.DONE_OUTCOMES
        row["not_eligible"] += student.latest_outcome == OUTCOME.NOT_ELIGIBLE
        row["absent"] += student.latest_outcome == OUTCOME.ABSENT
    got = {
        pk: {"candidates": p.candidates, "done": p.done, "not_eligible": p.not_eligible, "absent": p.absent}
        for pk, p in drive_tallies(drive).items()
        if p.candidates
    }
    assert got == expected


def test_daily_changes_follow_the_latest_outcome_each_day_and_add_up_to_done(drive, school, visit):
    second = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 20))
    a, b, c = StudentFactory(school=school), StudentFactory(school=school), StudentFactory(school=school)
    record(visit, a, when=at(10))
    record(visit, b, when=at(10))
    record(visit, c, OUTCOME.ABSENT, when=at(10))
    record(second, a, OUTCOME.BIOMETRIC_FAILURE, when=at(20, 9))  # a falls back on the 20th ...
    record(second, c, when=at(20, 10))
    changes = drive_daily_changes(drive)
    assert changes == {school.pk: {datetime.date(2026, 9, 10): 2}}  # ... and c comes in: net 0 on the 20th
    series = cumulative_done_by_day(changes, start=drive.start_date, end=datetime.date(2026, 9, 30))
    assert series[-1] == (datetime.date(2026, 9, 30), drive_progress(drive).done)


def test_daily_changes_use_local_days(drive, school, visit):
    late = StudentFactory(school=school)
    record(visit, late, when=datetime.datetime(2026, 9, 10, 23, 30, tzinfo=WIB))  # 16:30 UTC
    early = StudentFactory(school=school)
    record(visit, early, when=datetime.datetime(2026, 9, 11, 0, 30, tzinfo=WIB))  # 17:30 UTC the day before
    assert drive_daily_changes(drive)[school.pk] == {datetime.date(2026, 9, 10): 1, datetime.date(2026, 9, 11): 1}


def test_intraday_flip_counts_the_end_of_day_status(drive, school, visit):
    student = StudentFactory(school=school)
    second = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 10))
    record(visit, student, OUTCOME.RECORDED, when=at(10, 9))
    record(second, student, OUTCOME.BIOMETRIC_FAILURE, when=at(10, 11))
    assert drive_daily_changes(drive) == {}


def test_cumulative_series_clamps_changes_outside_the_period():
    changes = {1: {datetime.date(2026, 8, 30): 2, datetime.date(2026, 9, 2): 3}, 2: {datetime.date(2026, 9, 9): 1}}
    series = cumulative_done_by_day(changes, start=datetime.date(2026, 9, 1), end=datetime.date(2026, 9, 3))
    assert series == [
        (datetime.date(2026, 9, 1), 2),
        (datetime.date(2026, 9, 2), 5),
        (datetime.date(2026, 9, 3), 6),
    ]
    only_two = cumulative_done_by_day(
        changes, school_ids={2}, start=datetime.date(2026, 9, 1), end=datetime.date(2026, 9, 3)
    )
    assert only_two[-1][1] == 1


def test_school_visits_summary(drive, school):
    today = datetime.date(2026, 10, 1)
    VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 10), status=Visit.Status.DONE)
    VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 20), status=Visit.Status.DONE)
    VisitFactory(
        drive=drive, school=school, date=datetime.date(2026, 9, 25), status=Visit.Status.POSTPONED,
        postponement_reason=Visit.PostponementReason.ROAD,
    )  # fmt: skip
    VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 28), status=Visit.Status.PLANNED)  # past
    VisitFactory(drive=drive, school=school, date=datetime.date(2026, 10, 5), status=Visit.Status.PLANNED)
    VisitFactory(drive=drive, school=school, date=datetime.date(2026, 10, 2), status=Visit.Status.CANCELLED)
    visits = drive_school_visits(drive, today=today)[school.pk]
    assert visits.last_visit == datetime.date(2026, 9, 20)
    assert visits.next_visit == datetime.date(2026, 10, 5)
    assert (visits.visits_done, visits.postponed, visits.planned) == (2, 1, 1)
    assert visits.postponed_by_reason == (("road", 1),)


def test_summary_and_kecamatan_sums(drive, school, other_school, visit):
    kecamatan_b = Desa.objects.exclude(kecamatan=school.desa.kecamatan).first()
    third = SchoolFactory(desa=kecamatan_b)
    drive.drive_schools.create(school=other_school)
    drive.drive_schools.create(school=third)
    record(visit, StudentFactory(school=school))
    StudentFactory(school=other_school)
    StudentFactory(school=third)
    VisitFactory(
        drive=drive, school=third, status=Visit.Status.POSTPONED, postponement_reason=Visit.PostponementReason.POWER_CUT
    )
    rows = drive_school_rows(drive)
    assert set(rows) == {school.pk, other_school.pk, third.pk}
    summary = progress_summary(rows.values())
    assert (summary.progress.target, summary.progress.done, summary.schools_total) == (3, 1, 3)
    assert summary.schools_visited == 1
    assert [r.school_id for r in summary.schools_not_visited] == sorted(
        [other_school.pk, third.pk], key=lambda pk: rows[pk].name
    )
    assert summary.visits_postponed == 1
    assert [(code, n) for code, _label, n in summary.postponed_by_reason] == [("power_cut", 1)]
    by_kecamatan = {k.kecamatan_id: k for k in progress_by_kecamatan(rows.values())}
    assert by_kecamatan[school.desa.kecamatan_id].progress.target == 2
    assert by_kecamatan[kecamatan_b.kecamatan_id].progress.target == 1
    assert by_kecamatan[school.desa.kecamatan_id].schools_visited == 1


def test_a_drive_school_without_students_has_an_empty_row(drive, school):
    row = drive_school_rows(drive)[school.pk]
    assert (row.progress.target, row.progress.completion, row.visited) == (0, Decimal("0.00"), False)
    assert row.visit_state == "not_visited"


def test_tally_query_count_does_not_grow_with_schools(drive, django_assert_num_queries):
    for _ in range(5):
        school = SchoolFactory()
        drive.drive_schools.create(school=school)
        StudentFactory(school=school)
    with django_assert_num_queries(3):
        drive_school_rows(drive)
    with django_assert_num_queries(1):
        drive_daily_changes(drive)
