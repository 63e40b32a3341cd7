import datetime

import pytest
from django.urls import reverse

from recordings.models import Recording
from tests.factories import (
    PASSWORD,
    DriveFactory,
    RecordingFactory,
    SchoolFactory,
    StudentFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged(client, superuser):
    assert client.login(username=superuser.username, password=PASSWORD)
    return client


def make_schools(n, drive):
    for _ in range(n):
        school = SchoolFactory()
        drive.drive_schools.create(school=school)
        visit = VisitFactory(drive=drive, school=school)
        RecordingFactory(visit=visit, student=StudentFactory(school=school), outcome=Recording.Outcome.RECORDED)
        StudentFactory(school=school)


def test_school_changelist_shows_completion_with_bounded_queries(admin_client_logged, django_assert_max_num_queries):
    drive = DriveFactory(reference_date=datetime.date(2026, 12, 31))
    make_schools(3, drive)
    url = reverse("admin:schools_school_changelist")
    with django_assert_max_num_queries(15):
        response = admin_client_logged.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "50,00" in html
    make_schools(12, drive)
    with django_assert_max_num_queries(15):
        response = admin_client_logged.get(url, {"o": "-8"})  # sort by completion
    assert response.status_code == 200


def test_student_changelist_masks_numbers_change_form_shows_them(admin_client_logged, school):
    student = StudentFactory(school=school, nik="1504031705080001", kk="1504030101090002")
    listing = admin_client_logged.get(reverse("admin:schools_student_changelist")).content.decode()
    assert "1504********0001" in listing
    assert "1504031705080001" not in listing
    assert "1504030101090002" not in listing
    form = admin_client_logged.get(reverse("admin:schools_student_change", args=[student.pk])).content.decode()
    assert "1504031705080001" in form


def test_admin_search_by_nik_and_npsn(admin_client_logged, school):
    student = StudentFactory(school=school, nik="1504031705080001")
    StudentFactory(school=school)
    response = admin_client_logged.get(reverse("admin:schools_student_changelist"), {"q": student.nik})
    assert list(response.context["cl"].result_list) == [student]
    response = admin_client_logged.get(reverse("admin:schools_school_changelist"), {"q": school.npsn})
    assert list(response.context["cl"].result_list) == [school]


@pytest.mark.parametrize(
    "name",
    [
        "schools_kecamatan",
        "schools_desa",
        "schools_nikregion",
        "schools_school",
        "schools_student",
        "schools_schooladmin",
        "recordings_drive",
        "recordings_visit",
        "recordings_recording",
        "recordings_recordingaction",
        "recordings_fieldsheetupload",
        "schools_studentlistupload",
        "schools_nikconflict",
        "schools_leftproposal",
        "schools_accountprofile",
        "pghistory_events",
    ],
)
def test_every_admin_changelist_renders(admin_client_logged, name):
    RecordingFactory()
    assert admin_client_logged.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_history_records_changes_with_user(admin_client_logged, school):
    from pghistory.models import Events

    student = StudentFactory(school=school, name="Nama Lama")
    response = admin_client_logged.post(
        reverse("admin:schools_student_change", args=[student.pk]),
        {
            "school": school.pk,
            "name": "Nama Baru",
            "gender": "L",
            "birth_place": student.birth_place,
            "birth_date": "17-05-2008",
            "nik": student.nik,
            "kk": student.kk,
            "nisn": student.nisn,
            "nipd": "",
            "class_name": student.class_name,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    update = Events.objects.filter(
        pgh_obj_model="schools.Student", pgh_obj_id=str(student.pk), pgh_label="update"
    ).get()
    assert update.pgh_diff["name"] == ["Nama Lama", "Nama Baru"]
    assert update.pgh_context["user"] is not None
    assert (
        admin_client_logged.get(
            reverse("admin:pghistory_events_changelist"), {"obj": f"schools.Student:{student.pk}"}
        ).status_code
        == 200
    )


def test_bulk_writes_are_recorded_in_history(school):
    from pghistory.models import Events

    from schools.models import Student

    Student.objects.bulk_create([StudentFactory.build(school=school) for _ in range(3)])
    Student.objects.filter(school=school).update(class_name="XII IPS 9")
    assert Events.objects.filter(pgh_obj_model="schools.Student", pgh_label="insert").count() == 3
    assert Events.objects.filter(pgh_obj_model="schools.Student", pgh_label="update").count() == 3
