"""The personal-data access log: every view that shows full NIK / No KK or exports students' data
writes one entry; supervisors read it (issue 6)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from schools import services
from schools.importing import synthetic
from schools.models import PersonalDataAccess
from tests.factories import OperatorFactory, SchoolFactory, visit_with_students

pytestmark = pytest.mark.django_db

Kind = PersonalDataAccess.Kind
SIXTEEN_DIGITS = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def visit(school):
    visit, _students = visit_with_students(students=3, school=school)
    return visit


def upload_for(school):
    rows = synthetic.students(3, today=timezone.localdate())
    rows[0]["nik"] = "12"  # one problem row, so the problem-rows download has something
    record, _preview = services.student_list_upload(
        school=school, data=synthetic.to_csv(rows), name="daftar 1504031705080001.csv", by=None
    )
    return record


def only_entry():
    entry = PersonalDataAccess.objects.get()
    assert not SIXTEEN_DIGITS.search(entry.detail), entry.detail
    return entry


# --- each logging view --------------------------------------------------------------------------


def test_stored_file_download_is_logged_without_the_number_in_its_name(client, school, school_admin):
    upload = upload_for(school)
    client.force_login(school_admin)
    response = client.get(reverse("schools:upload_file", args=[upload.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = only_entry()
    assert (entry.user, entry.school, entry.kind) == (school_admin, school, Kind.UPLOAD_FILE)
    assert f"#{upload.pk}" in entry.detail and "****************" in entry.detail


def test_problem_rows_download_is_logged(client, school, operator):
    upload = upload_for(school)
    client.force_login(operator)
    assert client.get(reverse("schools:upload_problem_rows", args=[upload.pk])).status_code == 200
    entry = only_entry()
    assert (entry.user, entry.school, entry.kind) == (operator, school, Kind.PROBLEM_ROWS)


def test_refused_download_is_not_logged(client, school, other_school_admin):
    upload = upload_for(school)
    client.force_login(other_school_admin)
    assert client.get(reverse("schools:upload_file", args=[upload.pk])).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_field_sheet_download_is_logged(client, visit, operator):
    client.force_login(operator)
    assert client.get(reverse("field_sheet_download", args=[visit.pk])).status_code == 200
    entry = only_entry()
    assert (entry.user, entry.school, entry.kind) == (operator, visit.school, Kind.FIELD_SHEET)
    assert "3 peserta didik" in entry.detail


def test_visit_export_is_logged(client, visit, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("progress_export_visit", kwargs={"visit_id": visit.pk, "fmt": "csv"}))
    assert response.status_code == 200
    entry = only_entry()
    assert (entry.school, entry.kind) == (visit.school, Kind.VISIT_EXPORTED)
    assert "CSV" in entry.detail


def test_school_students_export_is_logged(client, visit, school_admin):
    client.force_login(school_admin)
    url = reverse("progress_export_school_students", kwargs={"school_id": visit.school.pk, "fmt": "xlsx"})
    assert client.get(url).status_code == 200
    entry = only_entry()
    assert (entry.user, entry.school, entry.kind) == (school_admin, visit.school, Kind.STUDENTS_EXPORTED)


def test_drive_wide_export_by_staff_has_no_school(client, visit, operator):
    client.force_login(operator)
    assert client.get(reverse("progress_export_students", kwargs={"fmt": "csv"})).status_code == 200
    entry = only_entry()
    assert entry.school is None and entry.kind == Kind.STUDENTS_EXPORTED
    assert visit.drive.name in entry.detail


def test_drive_wide_export_by_a_school_admin_names_their_school(client, visit, school_admin):
    client.force_login(school_admin)
    assert client.get(reverse("progress_export_students", kwargs={"fmt": "xlsx"})).status_code == 200
    assert only_entry().school == visit.school


def test_summary_export_has_no_personal_data_and_is_not_logged(client, visit, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("progress_export_summary", kwargs={"fmt": "csv"})).status_code == 200
    assert not PersonalDataAccess.objects.exists()


def test_log_is_append_only(school, operator):
    entry = services.personal_data_access_record(user=operator, school=school, kind=Kind.STUDENT_VIEWED)
    with pytest.raises(Exception, match="Cannot"), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=entry.pk).update(detail="x")
    with pytest.raises(Exception, match="Cannot"), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=entry.pk).delete()


def test_service_masks_numbers_and_refuses_unknown_kinds(school, operator):
    entry = services.personal_data_access_record(
        user=operator, school=school, kind="student_viewed", detail="NIK 1504031705080001 lihat"
    )
    assert entry.detail == "NIK **************** lihat"
    with pytest.raises(ValueError):
        services.personal_data_access_record(user=operator, school=school, kind="peeked")


# --- the supervisor page --------------------------------------------------------------------------


def test_log_page_permissions(client, school_admin, operator, supervisor, superuser):
    url = reverse("schools:access_log")
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    for user, status in ((school_admin, 403), (operator, 403), (supervisor, 200), (superuser, 200)):
        client.force_login(user)
        assert client.get(url).status_code == status, user


def test_log_link_is_in_the_supervisor_menu_only(client, operator, supervisor):
    url = reverse("schools:access_log")
    client.force_login(supervisor)
    assert f'href="{url}"' in client.get(reverse("home")).content.decode()
    client.force_login(operator)
    assert f'href="{url}"' not in client.get(reverse("home")).content.decode()


def test_log_page_lists_newest_first_and_filters(client, school, other_school, operator, supervisor, school_admin):
    now = timezone.now()
    entries = [
        (operator, school, Kind.STUDENT_VIEWED, "Siswa Satu (#1)", now - datetime.timedelta(hours=3)),
        (school_admin, school, Kind.UPLOAD_FILE, "Unggahan #7: daftar.xlsx", now - datetime.timedelta(hours=2)),
        (operator, other_school, Kind.FIELD_SHEET, "Kunjungan 01-09-2026", now - datetime.timedelta(hours=1)),
        (operator, None, Kind.STUDENTS_EXPORTED, "Semua sekolah kegiatan", now),
    ]
    for user, entry_school, kind, detail, at in entries:
        PersonalDataAccess.objects.create(user=user, school=entry_school, kind=kind, detail=detail, at=at)
    client.force_login(supervisor)
    url = reverse("schools:access_log")

    body = client.get(url).content.decode()
    positions = [body.index(detail) for _u, _s, _k, detail, _at in entries]
    assert positions == sorted(positions, reverse=True)  # newest first
    assert "Beberapa sekolah" in body

    body = client.get(url, {"sekolah": school.npsn}).content.decode()
    assert "Siswa Satu" in body and "Unggahan #7" in body
    assert "Kunjungan 01-09-2026" not in body and "Semua sekolah kegiatan" not in body

    body = client.get(url, {"pengguna": school_admin.pk}).content.decode()
    assert "Unggahan #7" in body and "Siswa Satu" not in body

    body = client.get(url, {"akses": Kind.FIELD_SHEET}).content.decode()
    assert "Kunjungan 01-09-2026" in body and "Siswa Satu" not in body

    # Nonsense filters are ignored, not an error.
    response = client.get(url, {"pengguna": "abc", "akses": "peeked", "halaman": "999"})
    assert response.status_code == 200


def test_log_page_is_paginated_and_its_queries_are_bounded(client, school, supervisor, django_assert_max_num_queries):
    users = [OperatorFactory() for _ in range(5)]
    schools = [school, *(SchoolFactory() for _ in range(4))]
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            user=users[n % 5], school=schools[n % 5], kind=Kind.STUDENT_VIEWED, detail=f"Siswa Nomor {n} (#{n})"
        )
        for n in range(130)
    )
    client.force_login(supervisor)
    url = reverse("schools:access_log")
    client.get(url)
    with django_assert_max_num_queries(10):
        response = client.get(url, {"halaman": 2})
    body = response.content.decode()
    assert "Halaman 2 dari 3" in body
    assert body.count("Siswa Nomor ") == 50
    with django_assert_max_num_queries(10):
        body = client.get(url, {"sekolah": school.npsn, "akses": Kind.STUDENT_VIEWED}).content.decode()
    assert body.count("Siswa Nomor ") == 26
    body = client.get(url, {"akses": Kind.STUDENT_VIEWED, "halaman": 2}).content.decode()
    assert "akses=student_viewed&amp;halaman=3" in body  # filters kept in the page links


def test_admin_lists_the_log_read_only(client, superuser, school, operator):
    services.personal_data_access_record(user=operator, school=school, kind=Kind.FIELD_SHEET, detail="x")
    client.force_login(superuser)
    assert client.get(reverse("admin:schools_personaldataaccess_changelist")).status_code == 200
    assert client.get(reverse("admin:schools_personaldataaccess_add")).status_code == 403
