"""The student-list preview names the new students and warns before "Simpan" (then a second step)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from schools import selectors, services
from schools.importing import synthetic
from schools.importing.title import download_date_in_title
from schools.models import Student
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def preview(school, rows, **kwargs):
    record, _preview = services.student_list_upload(
        school=school, data=synthetic.to_csv(rows), name="daftar.csv", by=None, **kwargs
    )
    return record


def test_download_date_is_read_from_the_dapodik_title():
    assert download_date_in_title(["Daftar Peserta Didik", "Tanggal Unduh: 2026-08-03 09:14:22"]) == datetime.date(
        2026, 8, 3
    )
    assert download_date_in_title(["Daftar Peserta Didik"]) is None
    assert download_date_in_title(["Tanggal Unduh: 2026-02-31"]) is None


def test_preview_lists_new_students_by_name(client, school, supervisor):
    people = synthetic.students(3, today=TODAY)
    record = preview(school, people)
    client.force_login(supervisor)
    html = client.get(reverse("schools:upload_detail", args=[record.pk])).content.decode()
    assert 'data-testid="new-students"' in html
    for person in people:
        assert person["Nama"] in html
    assert 'data-testid="upload-warnings"' not in html  # a CSV without a title, nobody leaving


def test_many_leavers_warn_and_saving_is_a_second_step(client, school, supervisor):
    staying = [StudentFactory(school=school) for _ in range(3)]
    for _ in range(2):
        StudentFactory(school=school)  # missing from the file: 2 of 5 = 40 %
    rows = [{"Nama": s.name, "JK": s.gender, "Tanggal Lahir": s.birth_date, "NIK": s.nik} for s in staying]
    record = preview(school, rows)
    warnings = selectors.upload_warnings(record)
    assert [w.code for w in warnings] == ["many_left"]
    assert "2 dari 5 peserta didik aktif (40 %)" in warnings[0].message
    client.force_login(supervisor)
    url = reverse("schools:upload_commit", args=[record.pk])
    client.post(url)
    record.refresh_from_db()
    assert record.status == "previewed"
    client.post(url, {"warnings_checked": "1"})
    record.refresh_from_db()
    assert record.status == "committed"
    assert Student.objects.filter(school=school, left_proposals__status="pending").count() == 2


def test_few_leavers_do_not_warn(school):
    staying = [StudentFactory(school=school) for _ in range(9)]
    StudentFactory(school=school)  # 1 of 10 = 10 %
    rows = [{"Nama": s.name, "JK": s.gender, "Tanggal Lahir": s.birth_date, "NIK": s.nik} for s in staying]
    assert selectors.upload_warnings(preview(school, rows)) == []


def test_an_old_dapodik_download_and_another_schools_title_warn(school):
    record, _preview = services.student_list_upload(
        school=school,
        data=synthetic.dapodik_xlsx(synthetic.students(2, today=TODAY), school_name="SMK SWASTA LAIN"),
        name="daftar.xlsx",
        by=None,
    )
    codes = {w.code for w in selectors.upload_warnings(record, today=datetime.date(2026, 9, 10))}
    assert codes == {"title_school", "old_download"}
    recent = {w.code for w in selectors.upload_warnings(record, today=datetime.date(2026, 8, 20))}
    assert recent == {"title_school"}
