"""Upload pages: scope per role, preview → confirm, problem rows download, stored file access."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from schools import services
from schools.importing import synthetic
from schools.models import LeftProposal, NikConflict, Student, StudentListUpload
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def people(count=3, **kwargs):
    return synthetic.students(count, today=timezone.localdate(), **kwargs)


def make_upload(school, rows=None, name="daftar.csv", data=None):
    data = data if data is not None else synthetic.to_csv(rows if rows is not None else people())
    record, _preview = services.student_list_upload(school=school, data=data, name=name, by=None)
    return record


def post_file(client, school, data, name="daftar.xlsx", whole_list=True):
    upload = io.BytesIO(data)
    upload.name = name
    payload = {"school": school.pk, "file": upload}
    if whole_list:
        payload["whole_list"] = "on"
    return client.post(reverse("schools:upload_new"), payload)


def test_anonymous_is_sent_to_login(client, school):
    record = make_upload(school)
    for url in (
        reverse("schools:upload_new"),
        reverse("schools:upload_list"),
        reverse("schools:upload_detail", args=[record.pk]),
        reverse("schools:upload_problem_rows", args=[record.pk]),
        reverse("schools:upload_file", args=[record.pk]),
        reverse("schools:conflict_list"),
        reverse("schools:left_list"),
        reverse("schools:school_students", args=[school.npsn]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_school_admin_uploads_previews_and_confirms(client, school, school_admin):
    client.force_login(school_admin)
    page = client.get(reverse("schools:upload_new"))
    assert page.status_code == 200
    assert school.name in page.content.decode()
    response = post_file(client, school, synthetic.dapodik_xlsx(people(4)))
    assert response.status_code == 302
    record = StudentListUpload.objects.get()
    assert response.url == reverse("schools:upload_detail", args=[record.pk])
    assert record.uploaded_by == school_admin
    preview = client.get(response.url)
    body = preview.content.decode()
    assert "Belum ada yang disimpan" in body
    assert 'data-testid="count-new">4<' in body
    assert Student.objects.count() == 0
    # The synthetic Dapodik file was downloaded on 3 August 2026: saving it takes a second, deliberate step.
    assert 'data-warning="old_download"' in body and 'name="warnings_checked"' in body
    refused = client.post(reverse("schools:upload_commit", args=[record.pk]), follow=True)
    assert "Centang bahwa peringatan sudah diperiksa" in refused.content.decode()
    assert Student.objects.count() == 0
    done = client.post(reverse("schools:upload_commit", args=[record.pk]), {"warnings_checked": "1"}, follow=True)
    assert "Tersimpan: 4 baru" in done.content.decode()
    assert Student.objects.filter(school=school).count() == 4


def test_school_admin_cannot_upload_for_another_school(client, school, other_school, school_admin):
    client.force_login(school_admin)
    response = post_file(client, other_school, synthetic.to_csv(people()), name="x.csv")
    assert response.status_code == 422  # not a choice for this user
    assert not StudentListUpload.objects.exists()
    record = make_upload(other_school)
    for name in ("upload_detail", "upload_problem_rows", "upload_file"):
        assert client.get(reverse(f"schools:{name}", args=[record.pk])).status_code == 404
    for name in ("upload_commit", "upload_cancel"):
        assert client.post(reverse(f"schools:{name}", args=[record.pk])).status_code == 404
    assert Student.objects.count() == 0
    assert client.get(reverse("schools:school_students", args=[other_school.npsn])).status_code == 404
    listing = client.get(reverse("schools:upload_list")).content.decode()
    assert other_school.name not in listing


def test_operator_reads_but_does_not_upload(client, school, operator):
    record = make_upload(school)
    client.force_login(operator)
    assert client.get(reverse("schools:upload_new")).status_code == 403
    assert client.get(reverse("schools:upload_detail", args=[record.pk])).status_code == 200
    assert client.post(reverse("schools:upload_commit", args=[record.pk])).status_code == 404
    assert client.get(reverse("schools:conflict_list")).status_code == 403
    assert client.get(reverse("schools:left_list")).status_code == 403


def test_supervisor_uploads_for_any_school(client, school, supervisor):
    client.force_login(supervisor)
    response = post_file(client, school, synthetic.to_csv(people()), name="x.csv")
    assert response.status_code == 302
    assert StudentListUpload.objects.get().school == school


def test_bad_file_shows_one_message_and_stores_nothing(client, school, school_admin, settings):
    client.force_login(school_admin)
    response = post_file(client, school, b"%PDF-1.4 not a list", name="surat.pdf")
    assert response.status_code == 422
    body = response.content.decode()
    assert "Jenis berkas tidak didukung" in body
    record = StudentListUpload.objects.get()
    assert record.status == StudentListUpload.Status.FAILED and not record.file
    media = settings.MEDIA_ROOT
    assert not any(media.rglob("*.*")) if media.exists() else True


def test_preview_lists_first_100_problems_with_total(client, school, school_admin):
    rows = people(130)
    for row in rows:
        row["JK"] = "?"
    record = make_upload(school, rows)
    client.force_login(school_admin)
    body = client.get(reverse("schools:upload_detail", args=[record.pk])).content.decode()
    assert "130 masalah" in body
    assert "Menampilkan 100 pertama dari 130 masalah" in body
    assert body.count('<span class="badge text-bg-danger">Galat</span>') == 100


def test_preview_page_queries_are_bounded(client, school, school_admin, django_assert_max_num_queries):
    for _i in range(30):
        StudentFactory(school=school)
    rows = people(40)
    rows[0]["JK"] = "?"
    record = make_upload(school, rows)
    client.force_login(school_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("schools:upload_detail", args=[record.pk]))
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("schools:upload_list")).status_code == 200


def test_problem_rows_download_can_be_fixed_and_reuploaded(client, school, school_admin):
    rows = people(5)
    rows[1]["NIK"] = "1504031713090001"
    rows[3]["Tanggal Lahir"] = "31/02/2009"
    record = make_upload(school, name="daftar.xlsx", data=synthetic.dapodik_xlsx(rows))
    client.force_login(school_admin)
    response = client.get(reverse("schools:upload_problem_rows", args=[record.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][:3] == ("Baris asal", "Masalah", "No")
    assert [v[0] for v in values[1:]] == [8, 10]
    assert "Bulan lahir di NIK" in values[1][1]
    assert values[1][2 + 7] == "1504031713090001"  # NIK kept as exact text
    # Fix the cells and upload the file again: it is read as a partial list.
    fixed = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = fixed.active
    sheet.cell(row=2, column=3 + 7).value = "1504031705090001"
    sheet.cell(row=3, column=3 + 6).value = "2009-02-28"
    buffer = io.BytesIO()
    fixed.save(buffer)
    again, _preview = services.student_list_upload(school=school, data=buffer.getvalue(), name="fix.xlsx", by=None)
    assert again.whole_list is False and again.left_count == 0
    assert again.rows == 2


def test_stored_file_readable_by_staff_and_own_school_admin(client, school, school_admin, operator):
    data = synthetic.to_csv(people())
    record = make_upload(school, data=data)
    for user in (school_admin, operator):
        client.force_login(user)
        response = client.get(reverse("schools:upload_file", args=[record.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == data


def test_cancel_and_commit_twice(client, school, school_admin):
    record = make_upload(school)
    client.force_login(school_admin)
    client.post(reverse("schools:upload_cancel", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == StudentListUpload.Status.CANCELLED
    page = client.post(reverse("schools:upload_commit", args=[record.pk]), follow=True).content.decode()
    assert "sudah disimpan atau dibatalkan" in page
    assert Student.objects.count() == 0


def test_templates_download(client, school_admin):
    client.force_login(school_admin)
    xlsx = client.get(reverse("schools:template_download", args=["xlsx"]))
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert [c.value for c in workbook.worksheets[0][1]] == list(synthetic.TEMPLATE_HEADERS)
    assert workbook.worksheets[1].title == "Petunjuk"
    csv = client.get(reverse("schools:template_download", args=["csv"]))
    note, header = csv.content.decode("utf-8").splitlines()
    assert note.startswith("\ufeff# Catatan:") and "XLSX" in note
    assert header.startswith("Nama;JK;")


def test_filled_in_csv_template_with_its_note_line_is_accepted(client, school, school_admin):
    client.force_login(school_admin)
    data = client.get(reverse("schools:template_download", args=["csv"])).content
    person = people(1)[0]
    values = [person[h] for h in synthetic.TEMPLATE_HEADERS]
    line = ";".join(
        v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else f"'{v}" if str(v).isdigit() else v for v in values
    )
    response = post_file(client, school, data + line.encode() + b"\r\n", name="templat.csv")
    record = StudentListUpload.objects.get()
    assert response.status_code == 302, record.failure_message
    assert (record.file_format, record.rows, record.new_count, record.warning_count) == ("csv", 1, 1, 0)


def test_supervisor_resolves_conflicts_and_left_in_the_ui(client, school, other_school, supervisor):
    elsewhere = StudentFactory(school=other_school)
    missing = StudentFactory(school=school)
    row = {"Nama": elsewhere.name, "JK": "L", "Tanggal Lahir": elsewhere.birth_date, "NIK": elsewhere.nik}
    services.student_list_commit(upload=make_upload(school, [row]), by=None)
    conflict = NikConflict.objects.get()
    proposal = LeftProposal.objects.get()
    assert proposal.student == missing
    client.force_login(supervisor)
    page = client.get(reverse("schools:conflict_list")).content.decode()
    assert elsewhere.nik not in page  # masked
    assert conflict.nik_masked in page
    client.post(reverse("schools:conflict_decide", args=[conflict.pk]), {"action": "move"})
    assert Student.objects.get(nik=elsewhere.nik, is_active=True).school == school
    assert school.name in client.get(reverse("schools:left_list")).content.decode()
    client.post(reverse("schools:left_decide"), {"action": "confirm", "proposal": [proposal.pk]})
    missing.refresh_from_db()
    assert not missing.is_active


def test_school_students_page_shows_flags_and_masks_numbers(client, school, school_admin):
    flagged = StudentFactory(school=school, data_warnings=["kk_empty"], kk="")
    StudentFactory(school=school)
    client.force_login(school_admin)
    body = client.get(reverse("schools:school_students", args=[school.npsn]), {"perlu_diperiksa": "1"}).content
    body = body.decode()
    assert flagged.name in body and "No KK kosong" in body
    assert flagged.nik not in body and flagged.nik_masked in body
    assert "1 peserta didik" in body


def test_follow_up_pages_queries_are_bounded(client, school, other_school, supervisor, django_assert_max_num_queries):
    for index in range(6):
        elsewhere = StudentFactory(school=other_school)
        StudentFactory(school=school)
        row = {"Nama": f"Pindahan {index}", "JK": "L", "Tanggal Lahir": elsewhere.birth_date, "NIK": elsewhere.nik}
        services.student_list_commit(upload=make_upload(school, [row]), by=None)
    assert NikConflict.objects.count() == 6 and LeftProposal.objects.count() == 6
    client.force_login(supervisor)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("schools:conflict_list")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("schools:left_list")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("schools:school_students", args=[school.npsn])).status_code == 200


def test_htmx_fragments(client, school, school_admin):
    make_upload(school)
    StudentFactory(school=school, name="Cari Saya")
    client.force_login(school_admin)
    fragment = client.get(reverse("schools:upload_list"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "daftar.csv" in fragment
    found = client.get(reverse("schools:school_students", args=[school.npsn]), {"q": "cari"}, HTTP_HX_REQUEST="true")
    assert "<html" not in found.content.decode() and "Cari Saya" in found.content.decode()


def test_file_over_the_size_limit_is_refused_before_reading(client, school, school_admin, monkeypatch):
    monkeypatch.setattr("schools.forms.WEB_MAX_BYTES", 1000)
    client.force_login(school_admin)
    response = post_file(client, school, synthetic.to_csv(people(40)), name="besar.csv")
    assert response.status_code == 422
    assert "Berkas terlalu besar" in response.content.decode()
    assert not StudentListUpload.objects.exists()


def test_filled_in_template_is_accepted(client, school, school_admin):
    client.force_login(school_admin)
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("schools:template_download", args=["xlsx"])).content)
    )
    sheet = workbook.worksheets[0]
    person = people(1)[0]
    for column, header in enumerate(synthetic.TEMPLATE_HEADERS, start=1):
        value = person[header]
        sheet.cell(row=2, column=column).value = value.isoformat() if hasattr(value, "isoformat") else value
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = post_file(client, school, buffer.getvalue(), name="templat.xlsx")
    record = StudentListUpload.objects.get()
    assert response.status_code == 302, record.failure_message
    assert (record.file_format, record.rows, record.new_count, record.warning_count) == ("xlsx", 1, 1, 0)


def test_preview_shows_the_title_lines_of_the_file(client, school, school_admin):
    data = synthetic.dapodik_xlsx(people(2), school_name="SMA NEGERI LAIN")
    record = make_upload(school, name="d.xlsx", data=data)
    client.force_login(school_admin)
    body = client.get(reverse("schools:upload_detail", args=[record.pk])).content.decode()
    assert "Judul di berkas:" in body and "SMA NEGERI LAIN" in body
    assert f"Pastikan ini daftar {school.name}" in body


def test_preview_warns_when_the_title_names_another_school(client, school, school_admin):
    school.name = "SMAN 1 BATANG HARI"
    school.save(update_fields=["name"])
    client.force_login(school_admin)
    other = make_upload(school, name="d.xlsx", data=synthetic.dapodik_xlsx(people(2), school_name="SMKN 5 BATANGHARI"))
    body = client.get(reverse("schools:upload_detail", args=[other.pk])).content.decode()
    assert 'data-testid="title-school"' in body and "SMKN 5 BATANGHARI" in body
    # The same school written the Dapodik way ("SMA Negeri", other spacing) is no warning.
    same = make_upload(
        school, name="d.xlsx", data=synthetic.dapodik_xlsx(people(2), school_name="SMA NEGERI 1 BATANGHARI")
    )
    body = client.get(reverse("schools:upload_detail", args=[same.pk])).content.decode()
    assert 'data-testid="title-school"' not in body
