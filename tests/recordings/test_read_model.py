"""The progress read model stays equal to a recount from the raw rows after every kind of write.

``verify_progress`` (the cron check) is run after each write path: taps, undo, offline taps that
arrive late, field sheets, student-list commits (new, updated, moved, left), left proposals
confirmed and rejected, the student fix form, schools joining and leaving a drive, the drive's
reference date, Django admin edits and bulk writes; then after 200 random writes.
"""

import datetime
import io
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from recordings import services
from recordings.models import DriveSchool, DriveSchoolTally, Recording
from recordings.selectors.progress import (
    drive_progress,
    drive_tallies,
    progress_differences,
    progress_rebuild,
    progress_recount,
)
from schools import services as school_services
from schools.importing import synthetic
from schools.models import Desa, Kecamatan, LeftProposal, Student, StudentListUpload
from tests.factories import (
    DriveFactory,
    RecordingFactory,
    SchoolFactory,
    StudentFactory,
    SuperuserFactory,
    SupervisorFactory,
    VisitFactory,
    birth_date_for_age,
    visit_with_students,
)
from tests.recordings.test_field_sheet import download, fill, upload

pytestmark = pytest.mark.django_db

Outcome = Recording.Outcome
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def verified(drive=None) -> str:
    """Run the cron check; fail the test with its output when it finds a difference."""
    out = io.StringIO()
    args = ["--drive", str(drive.pk)] if drive else []
    try:
        call_command("verify_progress", *args, stdout=out, stderr=out)
    except SystemExit as exc:
        pytest.fail(f"verify_progress exited {exc.code}:\n{out.getvalue()}")
    return out.getvalue()


def test_verify_progress_reports_a_difference_and_exits_1(capsys):
    visit, (a, _b) = visit_with_students(students=2)
    RecordingFactory(visit=visit, student=a)
    DriveSchoolTally.objects.filter(drive=visit.drive).update(recorded=7)
    with pytest.raises(SystemExit) as exc:
        call_command("verify_progress", "--drive", str(visit.drive.pk), "--fix")
    assert exc.value.code == 1
    captured = capsys.readouterr()
    assert f"SELISIH school {visit.school_id} recorded: read model 7, recount 1" in captured.err  # cron mails it
    assert "rekap dihitung ulang" in captured.out
    assert "Tidak ada selisih." in verified(visit.drive)


def test_command_line_prints_the_figures_by_their_names():
    visit, (a, b, _c) = visit_with_students(students=3)
    operator = SupervisorFactory()
    services.recording_apply(visit=visit, student=a, outcome=Outcome.RECORDED, by=operator)
    services.recording_apply(visit=visit, student=b, outcome=Outcome.ABSENT, by=operator)
    out = verified(visit.drive)
    assert "Sasaran 3 · Selesai 1 · Terekam 1 · Rekam sebelumnya 0 · Capaian 33,33 %" in out
    assert "Sisa 2 · Belum didata 1 · Tidak hadir 1" in out


def test_taps_undo_and_late_offline_taps_keep_the_read_model_exact():
    visit, (a, b, c) = visit_with_students(students=3)
    by = SupervisorFactory()
    services.recording_apply(visit=visit, student=a, outcome=Outcome.RECORDED, by=by)
    services.recording_apply(visit=visit, student=b, outcome=Outcome.BIOMETRIC_FAILURE, by=by)
    assert drive_progress(visit.drive).done == 1
    verified()
    services.recording_apply(visit=visit, student=a, outcome=None, by=by)  # undo
    assert drive_progress(visit.drive).done == 0
    verified()
    # An offline tap made earlier arrives after a newer one: it changes nothing.
    now = timezone.now()
    services.recording_apply(visit=visit, student=b, outcome=Outcome.RECORDED, by=by, tapped_at=now)
    services.recording_apply(
        visit=visit, student=b, outcome=Outcome.ABSENT, by=by, tapped_at=now - datetime.timedelta(minutes=5)
    )
    services.recording_apply(
        visit=visit, student=c, outcome=Outcome.NOT_ELIGIBLE, reason="Pindah", by=by, source="offline"
    )
    progress = drive_progress(visit.drive)
    assert (progress.target, progress.done, progress.recorded_today, progress.not_eligible) == (2, 1, 1, 1)
    verified()


def test_field_sheet_commit_keeps_the_read_model_exact(client, operator):
    visit, (a, b, _c) = visit_with_students(students=3)
    client.force_login(operator)
    filled = fill(download(client, visit), {f"PD-{a.pk}": ("Terekam", ""), f"PD-{b.pk}": ("Menolak", "")})
    up = upload(client, visit, filled)
    client.post(reverse("field_sheet_confirm", args=[visit.pk, up.pk]))
    progress = drive_progress(visit.drive)
    assert (progress.recorded, progress.refused, progress.waiting) == (1, 1, 1)
    verified()


def _row(student, **changes):
    row = {
        "Nama": student.name,
        "JK": student.gender,
        "Tanggal Lahir": student.birth_date,
        "NIK": student.nik,
        "Rombel Saat Ini": student.class_name,
    }
    row.update(changes)
    return row


def test_student_list_commits_and_left_proposals_keep_the_read_model_exact(supervisor):
    school, other = SchoolFactory(), SchoolFactory()
    drive = DriveFactory(schools=[school, other], reference_date=TODAY)
    stays, older, gone = (StudentFactory(school=school) for _ in range(3))
    visit = VisitFactory(drive=drive, school=school, status="in_progress", started_at=timezone.now())
    services.recording_apply(visit=visit, student=gone, outcome=Outcome.RECORDED, by=supervisor)
    newcomers = synthetic.students(2, today=TODAY, seed=7)
    for person in newcomers:
        person["Tanggal Lahir"] = birth_date_for_age(17, TODAY)
    rows = [_row(stays), _row(older, **{"Tanggal Lahir": birth_date_for_age(15, TODAY)}), *newcomers]
    record, _preview = school_services.student_list_upload(
        school=school, data=synthetic.to_csv(rows), name="daftar.csv", by=supervisor
    )
    school_services.student_list_commit(upload=record, by=supervisor)
    progress = drive_progress(drive)
    # Two new 17-year-olds count; the one now under 16 leaves the target; the missing one is pending.
    assert (progress.target, progress.under_age, progress.proposed_left, progress.done) == (3, 1, 1, 0)
    verified()
    proposal = LeftProposal.objects.get(student=gone)
    school_services.left_proposals_decide(proposals=[proposal], by=supervisor, confirm=False)  # rejected
    progress = drive_progress(drive)
    assert (progress.target, progress.proposed_left, progress.done) == (4, 0, 1)
    verified()
    # Proposed again by the next upload, then confirmed as left.
    record, _preview = school_services.student_list_upload(
        school=school, data=synthetic.to_csv(rows), name="daftar.csv", by=supervisor
    )
    school_services.student_list_commit(upload=record, by=supervisor)
    school_services.left_proposals_decide(
        proposals=list(LeftProposal.objects.filter(status="pending")), by=supervisor, confirm=True
    )
    progress = drive_progress(drive)
    assert (progress.target, progress.proposed_left, progress.done) == (3, 0, 0)
    verified()
    # A partial list at the other school names a student of this one: a NIK conflict, moved by a supervisor.
    record, _preview = school_services.student_list_upload(
        school=other, data=synthetic.to_csv([_row(stays)]), name="daftar.csv", by=supervisor, whole_list=False
    )
    school_services.student_list_commit(upload=record, by=supervisor)
    for conflict in record.nik_conflicts.all():
        school_services.nik_conflict_resolve(conflict=conflict, by=supervisor, move=True)
    verified()


def test_student_fix_form_keeps_the_read_model_exact(client, supervisor):
    visit, (a, _b) = visit_with_students(students=2)
    school_services.student_update(student=a, by=supervisor, birth_date=birth_date_for_age(14, TODAY))
    assert drive_progress(visit.drive).under_age == 1
    school_services.student_update(student=a, by=supervisor, nik="")
    verified()
    client.force_login(supervisor)
    verified()


def test_schools_joining_leaving_and_reference_date_keep_the_read_model_exact():
    visit, students = visit_with_students(students=2)
    drive = visit.drive
    newcomer = SchoolFactory()
    StudentFactory(school=newcomer)
    link = DriveSchool.objects.create(drive=drive, school=newcomer)
    assert drive_progress(drive).target == 3
    verified()
    link.delete()
    assert drive_progress(drive).target == 2
    assert not DriveSchoolTally.objects.filter(school=newcomer).exists()
    verified()
    students[0].birth_date = drive.reference_date.replace(year=drive.reference_date.year - 16)
    students[0].save()
    drive.reference_date -= datetime.timedelta(days=1)
    drive.save()
    assert drive_progress(drive).under_age == 1
    verified()


def test_admin_edits_and_bulk_writes_keep_the_read_model_exact(client):
    visit, (a, b, c) = visit_with_students(students=3)
    admin = SuperuserFactory()
    client.force_login(admin)
    url = reverse("admin:recordings_drive_change", args=[visit.drive.pk])
    response = client.get(url)
    assert response.status_code == 200
    Student.objects.filter(pk=a.pk).update(is_active=False, left_on=TODAY)
    Recording.objects.bulk_create(
        [Recording(visit=visit, student=s, outcome=Outcome.RECORDED, recorded_at=timezone.now()) for s in (b, c)]
    )
    verified()
    Recording.objects.filter(student=b).update(outcome=Outcome.ABSENT)
    Recording.objects.filter(student=c).delete()
    other_drive = DriveFactory(schools=[visit.school])
    VisitFactory(drive=other_drive, school=visit.school)
    type(visit).objects.filter(pk=visit.pk).update(drive=other_drive)  # a visit moved to another drive
    verified()


def test_the_read_model_is_rebuilt_after_writes_that_bypass_triggers():
    visit, (a, _b) = visit_with_students(students=2)
    RecordingFactory(visit=visit, student=a)
    DriveSchoolTally.objects.all().delete()
    assert progress_differences(visit.drive)
    progress_rebuild(visit.drive)
    assert not progress_differences(visit.drive)


def test_two_hundred_random_writes_keep_the_read_model_exact(supervisor):
    rng = random.Random(20261201)
    schools = [SchoolFactory() for _ in range(3)]
    drive = DriveFactory(schools=schools[:2], reference_date=TODAY)
    students = [StudentFactory(school=rng.choice(schools)) for _ in range(12)]
    base = timezone.now() - datetime.timedelta(days=3)
    visits = [  # started before the earliest tap (a tap before the visit started is refused)
        VisitFactory(drive=drive, school=school, status="in_progress", started_at=base) for school in schools[:2]
    ]
    outcomes = [*Outcome.values, None]
    rejected = 0
    for step in range(200):
        kind = rng.choice(["tap", "tap", "tap", "tap", "student", "left", "join", "reference"])
        if kind == "tap":
            visit = rng.choice(visits)
            student = rng.choice([s for s in students if s.school_id == visit.school_id] or students)
            outcome = rng.choice(outcomes)
            try:
                services.recording_apply(
                    visit=visit,
                    student=student,
                    outcome=outcome,
                    reason="Alasan" if outcome == Outcome.NOT_ELIGIBLE else "",
                    by=supervisor,
                    tapped_at=base + datetime.timedelta(minutes=rng.randint(0, 4000)),
                )
            except ValidationError:
                rejected += 1
        elif kind == "student":
            student = rng.choice(students)
            change = rng.choice(["school", "age", "active", "nik"])
            if change == "school":
                student.school = rng.choice(schools)
            elif change == "age":
                student.birth_date = birth_date_for_age(rng.choice([14, 15, 16, 17]), TODAY)
            elif change == "active":
                student.is_active = not student.is_active
                student.left_on = None if student.is_active else TODAY
            else:
                student.nik = ""
            student.save()
        elif kind == "left":
            student = rng.choice(students)
            pending = LeftProposal.objects.filter(student=student, status="pending").first()
            if pending:
                pending.status = rng.choice(["confirmed", "dismissed"])
                pending.save()
            else:
                LeftProposal.objects.create(upload=_upload_for(student.school, supervisor), student=student)
        elif kind == "join":
            school = rng.choice(schools)
            link = DriveSchool.objects.filter(drive=drive, school=school).first()
            if link:
                link.delete()
            else:
                DriveSchool.objects.create(drive=drive, school=school)
        else:
            drive.reference_date = TODAY + datetime.timedelta(days=rng.randint(-400, 400))
            drive.save()
        if step % 50 == 49:
            verified()
    verified()
    assert progress_recount(drive) == drive_tallies(drive)
    assert rejected < 100  # most taps were applied
    assert Recording.objects.count() > 10


def _upload_for(school, by):
    return StudentListUpload.objects.create(
        school=school, uploaded_by=by, original_name="x.csv", status="cancelled", cancelled_at=timezone.now()
    )


def test_tally_rows_follow_their_school_desa_and_kecamatan():
    school = SchoolFactory(name="SMA Lama")
    drive = DriveFactory(schools=[school])
    tally = DriveSchoolTally.objects.get(drive=drive, school=school)
    assert (tally.school_name, tally.npsn, tally.kecamatan_id) == ("SMA Lama", school.npsn, school.desa.kecamatan_id)

    school.name, school.level, school.status = "SMA Baru", "SMK", "swasta"
    school.save()
    other = Kecamatan.objects.exclude(pk=school.desa.kecamatan_id).first()
    Desa.objects.filter(pk=school.desa_id).update(kecamatan=other)
    Kecamatan.objects.filter(pk=other.pk).update(name="Kecamatan Baru")
    tally.refresh_from_db()
    assert (tally.school_name, tally.level, tally.school_status) == ("SMA Baru", "SMK", "swasta")
    assert (tally.kecamatan_id, tally.kecamatan_name) == (other.pk, "Kecamatan Baru")
    assert not progress_differences(drive)


def test_stale_school_fields_are_reported_and_rebuilt():
    school = SchoolFactory(name="SMA Satu")
    drive = DriveFactory(schools=[school])
    DriveSchoolTally.objects.filter(drive=drive).update(school_name="lama", kecamatan_name="lama")
    assert {d.code for d in progress_differences(drive)} == {"school_name", "kecamatan_name"}
    progress_rebuild(drive)
    assert not progress_differences(drive)
