"""The follow-up lists of the exports (recordings.selectors.exports)."""

import datetime

import pytest

from recordings.selectors.exports import students_to_record, students_to_record_rows
from schools.models import LeftProposal, StudentListUpload
from tests.factories import StudentFactory, SupervisorFactory, VisitFactory
from tests.recordings.season import OUTCOME, WIB, at, record

pytestmark = pytest.mark.django_db


def test_students_to_record_carry_the_latest_outcome_and_time(drive, school, visit):
    student = StudentFactory(school=school)
    record(visit, student, OUTCOME.MISSING_DOCUMENTS, when=at(10, 11))
    row = students_to_record(drive).get()
    assert row.latest_outcome == OUTCOME.MISSING_DOCUMENTS
    assert row.latest_at == at(10, 11)


def test_export_rows_match_the_students_to_record(drive, school, other_school, visit):
    drive.drive_schools.create(school=other_school)
    second = VisitFactory(drive=drive, school=school, date=datetime.date(2026, 9, 20))
    for i, outcome in enumerate([None, *OUTCOME.values]):
        student = StudentFactory(school=school if i % 2 else other_school, **({"nik": ""} if i == 3 else {}))
        if outcome:
            record(visit if i % 2 else VisitFactory(drive=drive, school=other_school), student, outcome, when=at(10))
    late = StudentFactory(school=school)
    record(visit, late, OUTCOME.RECORDED, when=at(10))
    record(second, late, OUTCOME.BIOMETRIC_FAILURE, when=at(20))
    expected = [(s.name, s.latest_outcome, s.latest_at) for s in students_to_record(drive)]
    got = [(r.name, r.latest_outcome, r.latest_at) for r in students_to_record_rows(drive, chunk=2)]
    assert got == expected
    assert len(got) == 6  # one waiting, four follow-up outcomes, the later failure; not the done or not eligible
    only = [r.name for r in students_to_record_rows(drive, schools=[school.pk])]
    assert only == [s.name for s in students_to_record(drive, schools=[school.pk])]


def test_a_student_proposed_as_left_is_not_on_the_follow_up_list(drive, school):
    stays, leaving = StudentFactory(school=school), StudentFactory(school=school)
    upload = StudentListUpload.objects.create(
        school=school,
        uploaded_by=SupervisorFactory(),
        original_name="daftar.csv",
        status="cancelled",
        cancelled_at=datetime.datetime(2026, 9, 1, tzinfo=WIB),
    )
    proposal = LeftProposal.objects.create(upload=upload, student=leaving)
    assert [s.pk for s in students_to_record(drive)] == [stays.pk]
    assert [r.name for r in students_to_record_rows(drive)] == [stays.name]
    proposal.status = LeftProposal.Status.DISMISSED  # rejected: back on the list
    proposal.save()
    assert {s.pk for s in students_to_record(drive)} == {stays.pk, leaving.pk}
