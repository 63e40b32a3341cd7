"""A NIK or No KK from a number cell ending in 0 flags the student ("perlu dicek: mungkin
dibulatkan") until an upload from a text cell or a fix on the student page clears it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import Visit
from schools import services
from schools.importing import synthetic
from schools.models import Student
from tests.factories import DriveFactory, StudentFactory, VisitFactory

pytestmark = pytest.mark.django_db

FLAG = "perlu dicek: mungkin dibulatkan"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def people():
    rows = synthetic.students(3, today=timezone.localdate(), serial_offset=8100)
    rows[0]["No KK"] = rows[0]["No KK"][:-1] + "0"  # as a spreadsheet rounds a 16-digit number
    rows[1]["No KK"] = rows[1]["No KK"][:-1] + "7"
    rows[2]["No KK"] = rows[2]["No KK"][:-1] + "3"
    return rows


def upload_and_commit(school, data, name):
    record, preview = services.student_list_upload(school=school, data=data, name=name, by=None)
    assert preview is not None, record.failure_message
    services.student_list_commit(upload=record, by=None)
    return record


def flagged(school):
    return {s.name: s.needs_number_check for s in Student.objects.filter(school=school)}


def test_no_kk_from_a_number_cell_ending_in_0_flags_row_and_student(school):
    rows = people()
    record = upload_and_commit(school, synthetic.dapodik_xlsx(rows, numeric_numbers=True), "dapodik.xlsx")
    assert [p[3] for p in record.problems if p[3].endswith("_excel_rounded")] == ["kk_excel_rounded"]
    assert flagged(school) == {rows[0]["Nama"]: True, rows[1]["Nama"]: False, rows[2]["Nama"]: False}
    student = Student.objects.get(name=rows[0]["Nama"])
    assert student.kk == rows[0]["No KK"] and "kk_excel_rounded" in student.data_warnings


def test_a_later_upload_from_text_cells_clears_the_flag_an_empty_cell_keeps_it(school):
    rows = people()
    upload_and_commit(school, synthetic.dapodik_xlsx(rows, numeric_numbers=True), "dapodik.xlsx")
    emptied = [dict(rows[0], **{"No KK": ""}), *rows[1:]]
    upload_and_commit(school, synthetic.to_csv(emptied), "tanpa-kk.csv")
    assert flagged(school)[rows[0]["Nama"]] is True  # the stored number was kept, so was its flag
    upload_and_commit(school, synthetic.to_csv(rows), "teks.csv")  # the same numbers as text
    assert not any(flagged(school).values())


def test_a_fix_on_the_student_page_clears_the_flag(client, school, school_admin):
    student = StudentFactory(school=school, data_warnings=["nik_excel_rounded"])
    client.force_login(school_admin)
    url = reverse("schools:student_edit", args=[school.npsn, student.pk])
    page = client.get(url).content.decode()
    assert "mungkin dibulatkan spreadsheet" in page
    data = {
        "name": student.name,
        "gender": student.gender,
        "birth_place": student.birth_place,
        "birth_date": student.birth_date.isoformat(),
        "nik": student.nik,
        "kk": student.kk,
        "nisn": student.nisn,
        "nipd": student.nipd,
        "class_name": student.class_name,
    }
    assert client.post(url, data).status_code == 302
    student.refresh_from_db()
    assert not student.needs_number_check


def test_flag_shows_on_the_student_page_and_in_the_school_list_with_a_filter(client, school, supervisor):
    marked = StudentFactory(school=school, name="Ayu Dibulatkan", data_warnings=["kk_excel_rounded"])
    StudentFactory(school=school, name="Budi Biasa", data_warnings=["kk_empty"])
    client.force_login(supervisor)
    page = client.get(reverse("schools:student_detail", args=[school.npsn, marked.pk])).content.decode()
    assert "No KK perlu dicek: mungkin dibulatkan" in page
    url = reverse("schools:school_students", args=[school.npsn])
    listing = client.get(url).content.decode()
    assert "No KK perlu dicek: mungkin dibulatkan" in listing and "Budi Biasa" in listing
    only = client.get(url, {"mungkin_dibulatkan": "1"}).content.decode()
    assert "Ayu Dibulatkan" in only and "Budi Biasa" not in only


def test_staff_filter_in_the_admin(client, school, superuser):
    StudentFactory(school=school, name="Ayu Dibulatkan", data_warnings=["nik_excel_rounded"])
    StudentFactory(school=school, name="Budi Biasa")
    client.force_login(superuser)
    page = client.get(reverse("admin:schools_student_changelist"), {"mungkin_dibulatkan": "1"}).content.decode()
    assert "Ayu Dibulatkan" in page and "Budi Biasa" not in page


def test_flag_shows_on_the_visit_roster(client, school, operator):
    today = timezone.localdate()
    drive = DriveFactory(schools=[school], reference_date=today + datetime.timedelta(days=30))
    visit = VisitFactory(drive=drive, school=school, date=today, status=Visit.Status.IN_PROGRESS)
    StudentFactory(school=school, name="Ayu Dibulatkan", data_warnings=["kk_excel_rounded"])
    StudentFactory(school=school, name="Budi Biasa")
    client.force_login(operator)
    page = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert "Ayu Dibulatkan" in page and "Budi Biasa" in page
    assert page.count(FLAG) == 1
