"""Field sheets: XLSX round trip, drop-down, preview / row errors / confirm, idempotent re-upload."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from recordings import services
from recordings.fieldsheet import COLUMNS, ROSTER_TITLE, read_field_sheet
from recordings.models import FieldSheetUpload, Recording, RecordingAction, Visit
from tests.factories import OperatorFactory, StudentFactory, visit_with_students

pytestmark = pytest.mark.django_db

Outcome = Recording.Outcome
HEADER_ROW = 4
COL = {key: index for index, (key, _h, _w) in enumerate(COLUMNS, start=1)}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def download(client, visit) -> bytes:
    response = client.get(reverse("field_sheet_download", args=[visit.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "no-store"
    return response.content


def fill(data: bytes, outcomes: dict[str, tuple[str, str]]) -> bytes:
    """Fill the sheet as an operator would in a spreadsheet: {row id: (outcome label, reason)}."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[ROSTER_TITLE]
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        row_id = ws.cell(row=row, column=COL["row_id"]).value
        if row_id in outcomes:
            label, reason = outcomes[row_id]
            ws.cell(row=row, column=COL["outcome"]).value = label
            ws.cell(row=row, column=COL["reason"]).value = reason
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, visit, data: bytes, name="lembar.xlsx"):
    response = client.post(
        reverse("field_sheet_upload", args=[visit.pk]), {"file": SimpleUploadedFile(name, data)}, follow=False
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return FieldSheetUpload.objects.latest("pk")


@pytest.fixture
def visit_and_students():
    visit, students = visit_with_students(students=4)
    # Names and numbers that break careless spreadsheets: apostrophes, accents, a leading "=", leading zeros.
    students[0].name = "Nur'aini Siti"
    students[0].nisn = "0012345678"
    students[1].name = '=HYPERLINK("http://x")'
    students[2].name = "Dédé Ñoviantï"
    for s in students[:3]:
        s.save()
    return visit, students


def test_round_trip_is_lossless_and_changes_nothing(client, operator, visit_and_students):
    visit, students = visit_and_students
    client.force_login(operator)
    data = download(client, visit)
    wb = load_workbook(io.BytesIO(data))
    ws = wb[ROSTER_TITLE]
    by_id = {ws.cell(row=r, column=COL["row_id"]).value: r for r in range(HEADER_ROW + 1, ws.max_row + 1)}
    for s in students:
        row = by_id[f"PD-{s.pk}"]
        assert ws.cell(row=row, column=COL["name"]).value == s.name
        assert ws.cell(row=row, column=COL["name"]).data_type == "s"  # never a formula
        assert ws.cell(row=row, column=COL["nisn"]).value == s.nisn
        assert ws.cell(row=row, column=COL["nik_last4"]).value == s.nik[-4:]
        assert ws.cell(row=row, column=COL["birth_date"]).value.date() == s.birth_date
    assert all(s.nik not in str(c.value) for row in ws.iter_rows() for c in row for s in students)
    # The outcome column offers the outcomes in a drop-down.
    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list" and "Pilihan" in validation.formula1
    letter = ws.cell(row=1, column=COL["outcome"]).column_letter
    assert f"{letter}{HEADER_ROW + 1}" in str(validation.sqref)
    assert [c.value for c in wb["Pilihan"]["A"]] == [str(label) for _c, label in Outcome.choices]

    parsed = read_field_sheet(data, visit=visit)
    assert {r.student_id for r in parsed.rows} == {s.pk for s in students}
    assert {r.name for r in parsed.rows} == {s.name for s in students}
    up = upload(client, visit, data)
    assert (up.status, up.rows_total, up.rows_changed, up.rows_error) == ("previewed", 0, 0, 0)  # no Hasil filled in
    client.post(reverse("field_sheet_confirm", args=[visit.pk, up.pk]))
    assert not RecordingAction.objects.exists() and not Recording.objects.exists()


def test_filled_sheet_records_all_outcomes_and_reupload_changes_nothing(client, operator, visit_and_students):
    visit, (a, b, c, d) = visit_and_students
    client.force_login(operator)
    filled = fill(
        download(client, visit),
        {
            f"PD-{a.pk}": ("Terekam", ""),
            f"PD-{b.pk}": ("gagal rekam, perlu ulang", ""),  # any case
            f"PD-{c.pk}": ("Tidak memenuhi syarat", "Bukan penduduk Batanghari"),
        },
    )
    up = upload(client, visit, filled)
    assert (up.rows_total, up.rows_changed, up.rows_unchanged, up.rows_error) == (3, 3, 0, 0)
    preview = client.get(reverse("field_sheet_preview", args=[visit.pk, up.pk])).content.decode()
    assert "Simpan 3 perubahan" in preview and "Bukan penduduk Batanghari" in preview
    assert not Recording.objects.exists()  # nothing until confirmed

    response = client.post(reverse("field_sheet_confirm", args=[visit.pk, up.pk]))
    assert response.status_code == 302
    up.refresh_from_db()
    assert (up.status, up.rows_applied, up.decided_by) == ("committed", 3, operator)
    assert dict(Recording.objects.values_list("student_id", "outcome")) == {
        a.pk: Outcome.RECORDED,
        b.pk: Outcome.BIOMETRIC_FAILURE,
        c.pk: Outcome.NOT_ELIGIBLE,
    }
    assert set(RecordingAction.objects.values_list("source", flat=True)) == {RecordingAction.Source.FIELD_SHEET}

    # Confirming twice does nothing; re-uploading the same sheet changes nothing.
    client.post(reverse("field_sheet_confirm", args=[visit.pk, up.pk]))
    again = upload(client, visit, filled)
    assert (again.rows_changed, again.rows_error) == (0, 0)
    client.post(reverse("field_sheet_confirm", args=[visit.pk, again.pk]))
    assert RecordingAction.objects.count() == 3
    # A fresh download carries the recorded outcomes, and round-trips unchanged too.
    fresh = download(client, visit)
    rows = {r.student_id: r for r in read_field_sheet(fresh, visit=visit).rows}
    assert rows[a.pk].outcome == Outcome.RECORDED and rows[c.pk].reason == "Bukan penduduk Batanghari"
    assert upload(client, visit, fresh).rows_changed == 0


def test_row_errors_are_listed_and_skipped(client, operator, visit_and_students):
    visit, (a, b, c, d) = visit_and_students
    client.force_login(operator)
    data = download(client, visit)
    wb = load_workbook(io.BytesIO(data))
    ws = wb[ROSTER_TITLE]
    rows = {ws.cell(row=r, column=COL["row_id"]).value: r for r in range(HEADER_ROW + 1, ws.max_row + 1)}
    ws.cell(row=rows[f"PD-{a.pk}"], column=COL["outcome"]).value = "Hadir"  # not an outcome
    ws.cell(row=rows[f"PD-{b.pk}"], column=COL["outcome"]).value = "Tidak memenuhi syarat"  # no reason
    ws.cell(row=rows[f"PD-{c.pk}"], column=COL["row_id"]).value = "PD-999999"  # unknown student
    ws.cell(row=rows[f"PD-{c.pk}"], column=COL["outcome"]).value = "Terekam"
    extra = ws.max_row + 1
    ws.cell(row=extra, column=COL["row_id"]).value = f"PD-{d.pk}"  # duplicate row id
    ws.cell(row=extra, column=COL["outcome"]).value = "Menolak"
    ws.cell(row=rows[f"PD-{d.pk}"], column=COL["outcome"]).value = "Tidak hadir"
    out = io.BytesIO()
    wb.save(out)
    up = upload(client, visit, out.getvalue())
    assert (up.rows_error, up.rows_changed) == (5, 0)
    html = client.get(reverse("field_sheet_preview", args=[visit.pk, up.pk])).content.decode()
    assert "Hasil &#x27;Hadir&#x27; tidak dikenal" in html
    assert "Tuliskan alasan" in html
    assert "tidak ada di daftar kunjungan ini" in html
    assert "ID baris ganda" in html
    client.post(reverse("field_sheet_confirm", args=[visit.pk, up.pk]))
    assert not Recording.objects.exists()


def test_change_made_in_the_app_after_download_is_not_overwritten(client, operator, visit_and_students):
    visit, (a, b, c, d) = visit_and_students
    client.force_login(operator)
    sheet = download(client, visit)
    services.recording_apply(visit=visit, student=a, outcome=Outcome.ABSENT, by=OperatorFactory())
    services.recording_apply(visit=visit, student=d, outcome=Outcome.RECORDED, by=operator)
    filled = fill(sheet, {f"PD-{a.pk}": ("Terekam", ""), f"PD-{b.pk}": ("Menolak", "")})
    up = upload(client, visit, filled)
    assert (up.rows_error, up.rows_changed) == (1, 1)  # a conflicts; d blank in the sheet stays as is
    client.post(reverse("field_sheet_confirm", args=[visit.pk, up.pk]))
    assert dict(Recording.objects.values_list("student_id", "outcome")) == {
        a.pk: Outcome.ABSENT,
        b.pk: Outcome.REFUSED,
        d.pk: Outcome.RECORDED,
    }


def test_clearing_a_printed_outcome_undoes_it(client, operator, visit_and_students):
    visit, (a, *_rest) = visit_and_students
    services.recording_apply(
        visit=visit,
        student=a,
        outcome=Outcome.ABSENT,
        by=operator,
        tapped_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    client.force_login(operator)
    filled = fill(download(client, visit), {f"PD-{a.pk}": ("", "")})
    up = upload(client, visit, filled)
    assert up.rows_changed == 1
    assert [r["change"] for r in up.rows if r["student_id"] == a.pk] == ["undo"]
    client.post(reverse("field_sheet_confirm", args=[visit.pk, up.pk]))
    assert not Recording.objects.exists()
    assert RecordingAction.objects.latest("pk").kind == RecordingAction.Kind.UNDO


def test_unusable_files_fail_with_one_message(client, operator, visit_and_students):
    visit, _ = visit_and_students
    other_visit, _ = visit_with_students(students=1)
    client.force_login(operator)
    bad = upload(client, visit, b"not a spreadsheet at all")
    assert bad.status == FieldSheetUpload.Status.FAILED and "tidak bisa dibaca" in bad.error
    wrong = upload(client, visit, download(client, other_visit))
    assert wrong.status == FieldSheetUpload.Status.FAILED and "kunjungan lain" in wrong.error
    page = client.get(reverse("field_sheet_preview", args=[visit.pk, wrong.pk])).content.decode()
    assert "kunjungan lain" in page
    response = client.post(reverse("field_sheet_confirm", args=[visit.pk, wrong.pk]))
    assert response.status_code == 302
    assert not Recording.objects.exists()
    form = client.post(reverse("field_sheet_upload", args=[visit.pk]), {"file": SimpleUploadedFile("a.csv", b"x")})
    assert "Unggah berkas .xlsx" in form.content.decode()


def test_cancel_records_nothing(client, operator, visit_and_students):
    visit, (a, *_rest) = visit_and_students
    client.force_login(operator)
    up = upload(client, visit, fill(download(client, visit), {f"PD-{a.pk}": ("Terekam", "")}))
    client.post(reverse("field_sheet_cancel", args=[visit.pk, up.pk]))
    up.refresh_from_db()
    assert up.status == FieldSheetUpload.Status.CANCELLED
    client.post(reverse("field_sheet_confirm", args=[visit.pk, up.pk]))
    assert not Recording.objects.exists()


def test_field_sheet_upload_works_on_a_finished_visit_not_a_planned_one(client, operator):
    done, (student,) = visit_with_students(students=1, status=Visit.Status.DONE, finished_at=timezone.now())
    planned, _ = visit_with_students(students=1, status=Visit.Status.PLANNED)
    client.force_login(operator)
    up = upload(client, done, fill(download(client, done), {f"PD-{student.pk}": ("Menolak", "")}))
    client.post(reverse("field_sheet_confirm", args=[done.pk, up.pk]))
    assert Recording.objects.get().outcome == Outcome.REFUSED
    sheet = download(client, planned)  # can be prepared before the day
    response = client.post(
        reverse("field_sheet_upload", args=[planned.pk]), {"file": SimpleUploadedFile("a.xlsx", sheet)}
    )
    assert response.status_code == 200 and "sedang berlangsung atau selesai" in response.content.decode()


def test_purge_keeps_the_record_and_drops_the_file(client, operator, visit_and_students):
    visit, _ = visit_and_students
    client.force_login(operator)
    up = upload(client, visit, download(client, visit))
    path = up.file.path
    assert services.field_sheet_purge_files(now=timezone.now() + datetime.timedelta(days=31)) == 1
    up.refresh_from_db()
    assert not up.file and up.file_purged_at and up.rows_total == 0 and len(up.rows) == 4
    import os

    assert not os.path.exists(path)


def test_student_added_after_download_is_not_in_the_sheet_but_others_still_apply(client, operator, visit_and_students):
    visit, (a, *_rest) = visit_and_students
    client.force_login(operator)
    sheet = download(client, visit)
    StudentFactory(school=visit.school)
    up = upload(client, visit, fill(sheet, {f"PD-{a.pk}": ("Sudah rekam sebelumnya", "")}))
    assert (up.rows_changed, up.rows_error) == (1, 0)


def test_purge_command(client, operator, visit_and_students):
    from django.core.management import call_command

    visit, _ = visit_and_students
    client.force_login(operator)
    upload(client, visit, download(client, visit))
    out = io.StringIO()
    call_command("purge_field_sheets", "--days", "0", stdout=out)
    assert "1 berkas dihapus" in out.getvalue()
