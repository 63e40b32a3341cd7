"""Upload → preview → commit against the database: matching, re-uploads, left, conflicts, history, locking."""

import datetime
import threading

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from schools import services
from schools.importing import synthetic
from schools.models import LeftProposal, NikConflict, Student, StudentListUpload
from tests.factories import DriveFactory, StudentFactory, make_nik

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(school, data, name="daftar.csv", by=None, **kwargs):
    return services.student_list_upload(school=school, data=data, name=name, by=by, **kwargs)


def commit(upload_obj, by=None, **kwargs):
    return services.student_list_commit(upload=upload_obj, by=by, **kwargs)


def people(count=5, **kwargs):
    return synthetic.students(count, today=TODAY, **kwargs)


def test_preview_writes_nothing_and_commit_creates_students(school, supervisor):
    data = synthetic.dapodik_xlsx(people(5))
    record, preview = upload(school, data, name="daftar.xlsx", by=supervisor)
    assert record.status == StudentListUpload.Status.PREVIEWED
    assert record.file_format == "dapodik"
    assert (record.rows, record.new_count, record.updated_count, record.unchanged_count) == (5, 5, 0, 0)
    assert record.has_file
    assert Student.objects.count() == 0
    outcome = commit(record, by=supervisor)
    assert outcome.committed
    record.refresh_from_db()
    assert record.status == StudentListUpload.Status.COMMITTED
    assert record.committed_by == supervisor
    students = Student.objects.filter(school=school)
    assert students.count() == 5
    first = people(1)[0]
    stored = students.get(nik=first["NIK"])
    assert stored.name == first["Nama"]
    assert stored.kk == first["No KK"]
    assert stored.nisn == first["NISN"]
    assert stored.class_name == first["Rombel Saat Ini"]
    assert stored.is_active and stored.data_warnings == []


def test_reuploading_the_same_file_changes_nothing(school):
    data = synthetic.dapodik_xlsx(people(8))
    commit(upload(school, data, name="a.xlsx")[0])
    before = list(Student.objects.order_by("pk").values())
    events = apps.get_model("schools", "StudentEvent").objects.count()
    second, _preview = upload(school, data, name="a.xlsx")
    assert (second.new_count, second.updated_count, second.unchanged_count, second.left_count) == (0, 0, 8, 0)
    assert commit(second).committed
    assert list(Student.objects.order_by("pk").values()) == before
    assert apps.get_model("schools", "StudentEvent").objects.count() == events


def test_match_by_nik_then_nisn_then_name_and_birth_date(school):
    by_nik = StudentFactory(school=school, name="Lama Satu", nisn="")
    by_nisn = StudentFactory(school=school, nik="", nisn="0011223344", name="Lama Dua")
    by_name = StudentFactory(
        school=school, nik="", nisn="", name="Rina  Wulandari", birth_date=datetime.date(2009, 3, 4)
    )
    rows = [
        {"Nama": "Baru Satu", "JK": "L", "Tanggal Lahir": by_nik.birth_date, "NIK": by_nik.nik},
        {
            "Nama": "Baru Dua",
            "JK": "L",
            "Tanggal Lahir": by_nisn.birth_date,
            "NIK": make_nik(birth_date=by_nisn.birth_date),
            "NISN": "0011223344",
        },
        {"Nama": "rina wulandari", "JK": "L", "Tanggal Lahir": "04/03/2009", "NIK": "", "Rombel Saat Ini": "XI IPS 9"},
    ]
    record, preview = upload(school, synthetic.to_csv(rows))
    assert (record.new_count, record.updated_count) == (0, 3)
    commit(record)
    by_nik.refresh_from_db()
    by_nisn.refresh_from_db()
    by_name.refresh_from_db()
    assert by_nik.name == "Baru Satu"
    assert by_nisn.name == "Baru Dua" and by_nisn.nik == rows[1]["NIK"]
    assert by_name.class_name == "XI IPS 9"
    assert by_name.name == "rina wulandari"
    assert Student.objects.filter(school=school).count() == 3


def test_empty_cell_never_erases_a_stored_value(school):
    student = StudentFactory(school=school, class_name="XII IPA 1", birth_place="Jambi")
    row = {"Nama": student.name, "JK": "L", "Tanggal Lahir": student.birth_date, "NIK": student.nik}
    record, _preview = upload(school, synthetic.to_csv([row]))  # no No KK, NISN, class, place
    assert (record.updated_count, record.unchanged_count) == (0, 1)
    # The empty No KK is no warning: the stored one fills the gap.
    assert record.warning_count == 0
    commit(record)
    student.refresh_from_db()
    assert (student.kk, student.nisn, student.class_name, student.birth_place) != ("", "", "", "")
    assert student.class_name == "XII IPA 1"


def test_invalid_kk_is_not_stored_and_does_not_erase(school):
    student = StudentFactory(school=school)
    kk = student.kk
    row = {"Nama": student.name, "JK": "L", "Tanggal Lahir": student.birth_date, "NIK": student.nik, "No KK": "12"}
    record, _preview = upload(school, synthetic.to_csv([row]))
    assert record.warning_count == 1
    commit(record)
    student.refresh_from_db()
    assert student.kk == kk
    assert student.data_warnings == ["kk_invalid"]


def test_warnings_flag_the_student(school):
    rows = people(2)
    rows[0]["NIK"] = ""
    rows[1]["No KK"] = ""
    record, _preview = upload(school, synthetic.to_csv(rows))
    assert record.warning_count == 2 and record.new_count == 2
    commit(record)
    flagged = dict(Student.objects.values_list("name", "data_warnings"))
    assert flagged[rows[0]["Nama"]] == ["nik_empty"]
    assert flagged[rows[1]["Nama"]] == ["kk_empty"]


def test_errors_are_not_imported_and_the_rest_is(school):
    rows = people(4)
    rows[1]["JK"] = "X"
    rows[2]["NIK"] = "1504031713090001"
    record, preview = upload(school, synthetic.to_csv(rows))
    assert (record.new_count, record.not_imported_count) == (2, 2)
    assert [p[0] for p in record.problems] == [3, 4]
    commit(record)
    assert Student.objects.count() == 2


def test_students_missing_from_a_whole_list_are_proposed_as_left(school, supervisor):
    stays = StudentFactory(school=school)
    gone = StudentFactory(school=school, name="Sudah Pindah")
    row = {"Nama": stays.name, "JK": "L", "Tanggal Lahir": stays.birth_date, "NIK": stays.nik}
    record, _preview = upload(school, synthetic.to_csv([row]))
    assert record.left_count == 1 and record.left_student_ids == [gone.pk]
    commit(record)
    proposal = LeftProposal.objects.get()
    assert proposal.student == gone and proposal.status == LeftProposal.Status.PENDING
    gone.refresh_from_db()
    assert gone.is_active  # nothing is deleted or changed until confirmed
    # A second upload does not propose twice.
    commit(upload(school, synthetic.to_csv([row]))[0])
    assert LeftProposal.objects.filter(status="pending").count() == 1
    services.left_proposals_decide(proposals=[proposal], by=supervisor, confirm=True)
    gone.refresh_from_db()
    assert not gone.is_active and gone.left_on == TODAY
    assert Student.objects.filter(pk=gone.pk).exists()


def test_partial_list_proposes_nobody_as_left(school):
    StudentFactory(school=school)
    record, _preview = upload(school, synthetic.to_csv(people(1)), whole_list=False)
    assert record.left_count == 0


def test_student_back_in_the_list_dismisses_the_left_proposal(school):
    student = StudentFactory(school=school)
    commit(upload(school, synthetic.to_csv(people(1)))[0])
    assert LeftProposal.objects.filter(student=student, status="pending").exists()
    row = {"Nama": student.name, "JK": "L", "Tanggal Lahir": student.birth_date, "NIK": student.nik}
    commit(upload(school, synthetic.to_csv([row]), whole_list=False)[0])
    assert LeftProposal.objects.get(student=student).status == LeftProposal.Status.DISMISSED


def test_nik_of_active_student_elsewhere_is_a_conflict_resolved_by_moving(school, other_school, supervisor):
    elsewhere = StudentFactory(school=other_school)
    row = {"Nama": elsewhere.name, "JK": "L", "Tanggal Lahir": elsewhere.birth_date, "NIK": elsewhere.nik}
    record, preview = upload(school, synthetic.to_csv([row, *people(1)]))
    assert (record.conflict_count, record.new_count) == (1, 1)
    assert ["conflict", "nik_other_school"] in [p[2:4] for p in record.problems]
    commit(record)
    conflict = NikConflict.objects.get()
    assert conflict.status == NikConflict.Status.PENDING and conflict.existing_student == elsewhere
    assert not Student.objects.filter(school=school, nik=elsewhere.nik).exists()
    # The same file again keeps one pending conflict.
    commit(upload(school, synthetic.to_csv([row]), whole_list=False)[0])
    assert NikConflict.objects.filter(status="pending").count() == 1

    services.nik_conflict_resolve(conflict=conflict, by=supervisor, move=True)
    elsewhere.refresh_from_db()
    assert not elsewhere.is_active and elsewhere.left_on == TODAY
    moved = Student.objects.get(school=school, nik=elsewhere.nik, is_active=True)
    conflict.refresh_from_db()
    assert conflict.status == NikConflict.Status.MOVED and conflict.student == moved
    with pytest.raises(services.AlreadyDecided):
        services.nik_conflict_resolve(conflict=conflict, by=supervisor, move=False)


def test_conflict_rejected_leaves_students_alone(school, other_school, supervisor):
    elsewhere = StudentFactory(school=other_school)
    row = {"Nama": elsewhere.name, "JK": "L", "Tanggal Lahir": elsewhere.birth_date, "NIK": elsewhere.nik}
    commit(upload(school, synthetic.to_csv([row]))[0])
    conflict = NikConflict.objects.get()
    services.nik_conflict_resolve(conflict=conflict, by=supervisor, move=False)
    elsewhere.refresh_from_db()
    assert elsewhere.is_active
    assert conflict.__class__.objects.get().status == NikConflict.Status.REJECTED


def test_student_who_left_comes_back_is_reactivated(school):
    student = StudentFactory(school=school, is_active=False, left_on=datetime.date(2026, 1, 2))
    row = {"Nama": student.name, "JK": "L", "Tanggal Lahir": student.birth_date, "NIK": student.nik}
    record, _preview = upload(school, synthetic.to_csv([row]))
    assert record.updated_count == 1
    commit(record)
    student.refresh_from_db()
    assert student.is_active and student.left_on is None


def test_not_yet_eligible_counted_on_drive_reference_date(school):
    DriveFactory(schools=[school], reference_date=TODAY + datetime.timedelta(days=10))
    young = {
        "Nama": "Muda",
        "JK": "L",
        "Tanggal Lahir": TODAY.replace(year=TODAY.year - 16) + datetime.timedelta(days=20),
    }
    old = {
        "Nama": "Cukup",
        "JK": "L",
        "Tanggal Lahir": TODAY.replace(year=TODAY.year - 16) + datetime.timedelta(days=5),
    }
    for person in (young, old):
        person["NIK"] = make_nik(birth_date=person["Tanggal Lahir"])
    record, _preview = upload(school, synthetic.to_csv([young, old]))
    assert record.not_yet_eligible_count == 1
    assert record.reference_date == TODAY + datetime.timedelta(days=10)


def test_unreadable_file_is_recorded_failed_and_nothing_stored(school):
    record, preview = upload(school, b"", name="kosong.csv")
    assert preview is None
    assert record.status == StudentListUpload.Status.FAILED
    assert record.failure_message == "Berkas kosong."
    assert not record.file


def test_history_is_recorded_for_bulk_writes_with_the_upload_as_context(school, supervisor):
    existing = StudentFactory(school=school)
    rows = people(3)
    rows.append({"Nama": "Ganti Nama", "JK": "L", "Tanggal Lahir": existing.birth_date, "NIK": existing.nik})
    record, _preview = upload(school, synthetic.to_csv(rows))
    commit(record, by=supervisor)
    event_model = apps.get_model("schools", "StudentEvent")
    inserts = event_model.objects.filter(pgh_label="insert", pgh_context__metadata__student_list_upload=record.pk)
    assert inserts.count() == 3
    update = event_model.objects.get(pgh_label="update", pgh_obj_id=existing.pk)
    assert update.name == "Ganti Nama"
    assert update.pgh_context.metadata["student_list_upload"] == record.pk
    # Each new student has exactly one insert event mirroring the stored row.
    new = Student.objects.exclude(pk=existing.pk)
    assert sorted(inserts.values_list("pgh_obj_id", flat=True)) == sorted(new.values_list("pk", flat=True))
    assert {e.nik for e in inserts} == set(new.values_list("nik", flat=True))
    # The row triggers still record every other write afterwards.
    student = new.first()
    student.class_name = "XII IPS 9"
    student.save()
    assert event_model.objects.filter(pgh_obj_id=student.pk, pgh_label="update", class_name="XII IPS 9").exists()


def test_commit_only_once_and_not_after_cancel(school):
    record, _preview = upload(school, synthetic.to_csv(people(1)))
    commit(record)
    with pytest.raises(services.UploadNotOpen):
        commit(record)
    other, _preview = upload(school, synthetic.to_csv(people(1, serial_offset=5)))
    services.student_list_cancel(upload=other, by=None)
    with pytest.raises(services.UploadNotOpen):
        commit(other)
    assert Student.objects.count() == 1


def test_stale_preview_is_refreshed_instead_of_committed(school):
    first, _p = upload(school, synthetic.to_csv(people(3)))
    second, _p = upload(school, synthetic.to_csv(people(3)))
    assert commit(first).committed
    outcome = commit(second)
    assert not outcome.committed
    second.refresh_from_db()
    assert second.status == StudentListUpload.Status.PREVIEWED
    assert (second.new_count, second.unchanged_count) == (0, 3)
    assert commit(second).committed
    assert Student.objects.count() == 3


def test_purged_file_cannot_be_committed(school):
    record, _p = upload(school, synthetic.to_csv(people(1)))
    StudentListUpload.objects.filter(pk=record.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    assert services.uploads_purge() == 1
    record.refresh_from_db()
    assert record.file_purged_at and not record.file and record.rows == 1
    with pytest.raises(services.UploadFileGone):
        commit(record)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_commits_for_one_school_cannot_interleave(school):
    first, _p = upload(school, synthetic.to_csv(people(300)), whole_list=False)
    second, _p = upload(school, synthetic.to_csv(people(300)), whole_list=False)
    outcomes, errors = [], []
    barrier = threading.Barrier(2)

    def run(record):
        try:
            barrier.wait()
            outcomes.append(commit(record).committed)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(r,)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes) == [False, True]
    assert Student.objects.filter(school=school).count() == 300


def test_dapodik_numeric_nik_cells_are_stored_exactly(school):
    rows = people(4)
    rows[0]["NIK"] = rows[0]["NIK"][:-2] + "10"  # ends in 0, as a number rounded by Excel would
    record, preview = upload(school, synthetic.dapodik_xlsx(rows, numeric_numbers=True), name="d.xlsx")
    assert record.new_count == 4
    rounded_kk = ["kk_excel_rounded" for r in rows if r["No KK"].endswith("0")]  # number cells ending in 0
    assert sorted(p[3] for p in record.problems) == sorted(["nik_excel_rounded", *rounded_kk])
    commit(record)
    assert set(Student.objects.values_list("nik", flat=True)) == {r["NIK"] for r in rows}
    assert set(Student.objects.values_list("kk", flat=True)) == {r["No KK"] for r in rows}


def test_text_with_backslash_and_quotes_survives_copy(school):
    rows = people(2)
    rows[0]["Nama"] = 'Budi \\ "Santoso"'
    rows[1]["Rombel Saat Ini"] = "XII\\IPA;1"
    commit(upload(school, synthetic.to_csv(rows))[0])
    assert Student.objects.filter(name='Budi \\ "Santoso"').exists()
    assert Student.objects.filter(class_name="XII\\IPA;1").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_schools_committing_the_same_niks_at_once(school, other_school):
    rows = people(200)
    first, _p = upload(school, synthetic.to_csv(rows), whole_list=False)
    second, _p = upload(other_school, synthetic.to_csv(rows), whole_list=False)
    outcomes, errors = {}, []
    barrier = threading.Barrier(2)

    def run(record):
        try:
            barrier.wait()
            outcomes[record.school_id] = commit(record).committed
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(r,)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(outcomes.values()) == [False, True]
    loser = StudentListUpload.objects.get(pk=second.pk if outcomes[school.pk] else first.pk)
    assert loser.status == StudentListUpload.Status.PREVIEWED and loser.conflict_count == 200
    assert Student.objects.count() == 200
