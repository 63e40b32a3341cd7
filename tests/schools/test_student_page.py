"""The student page for staff (data, outcomes, change history) and fixing a student (issue 6)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from pghistory.models import Events

from ektp_drives.history import event_changes
from schools import services
from schools.models import PersonalDataAccess, Student, mask_number
from tests.factories import RecordingFactory, StudentFactory, make_kk, make_nik, visit_with_students

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(2008, 5, 17)


def detail_url(student, school=None):
    return reverse("schools:student_detail", args=[(school or student.school).npsn, student.pk])


def edit_url(student, school=None):
    return reverse("schools:student_edit", args=[(school or student.school).npsn, student.pk])


def form_data(student, **changes):
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
    data.update(changes)
    return data


@pytest.fixture
def student(school):
    return StudentFactory(school=school, name="Ayu Pratama", birth_date=BIRTH, gender="P")


# --- scope ----------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, student):
    for url in (detail_url(student), edit_url(student)):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_school_admin_of_another_school_gets_404(client, student, other_school, other_school_admin):
    client.force_login(other_school_admin)
    # The student's own school in the URL (not theirs), and their own school with the other's student id.
    urls = (detail_url(student), edit_url(student), detail_url(student, other_school), edit_url(student, other_school))
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(edit_url(student, other_school), form_data(student, name="Diubah")).status_code == 404
    student.refresh_from_db()
    assert student.name == "Ayu Pratama"
    assert not PersonalDataAccess.objects.exists()


def test_npsn_and_student_must_match_for_staff_too(client, student, other_school, supervisor):
    client.force_login(supervisor)
    assert client.get(detail_url(student, other_school)).status_code == 404
    assert client.get(detail_url(student)).status_code == 200
    missing = reverse("schools:student_detail", args=[student.school.npsn, student.pk + 10_000])
    assert client.get(missing).status_code == 404


def test_list_rows_link_to_the_student_page(client, student, school_admin):
    client.force_login(school_admin)
    body = client.get(reverse("schools:school_students", args=[student.school.npsn])).content.decode()
    assert f'href="{detail_url(student)}"' in body
    assert student.nik not in body  # the list stays masked


# --- what each role sees ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["school_admin", "operator", "supervisor", "superuser"])
def test_staff_of_the_school_see_full_numbers_and_the_look_is_logged(client, student, role, request):
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.get(detail_url(student))
    assert response.status_code == 200
    body = response.content.decode()
    assert student.nik in body and student.kk in body
    assert 'data-testid="personal-note"' in body
    assert response["Cache-Control"].count("no-store")
    entry = PersonalDataAccess.objects.get()
    assert (entry.user, entry.school, entry.kind) == (user, student.school, PersonalDataAccess.Kind.STUDENT_VIEWED)
    assert student.name in entry.detail and student.nik not in entry.detail


def test_viewer_without_personal_data_right_sees_masked_numbers_everywhere(client, student, supervisor, monkeypatch):
    """Whoever sees the school but not its personal data gets masked NIK / KK, in the history too."""
    services.student_update(student=student, by=supervisor, nik=make_nik(birth_date=BIRTH, gender="P", serial=4321))
    student.refresh_from_db()
    monkeypatch.setattr("schools.views_students.can_view_personal_data", lambda user, school: False)
    client.force_login(supervisor)
    body = client.get(detail_url(student)).content.decode()
    assert student.nik not in body and student.kk not in body
    assert mask_number(student.nik) in body and mask_number(student.kk) in body
    history = body.split('data-testid="history"', 1)[1]
    assert "NIK" in history and "****" in history
    assert "personal-note" not in body
    assert not PersonalDataAccess.objects.exists()


def test_page_shows_outcomes_and_history_newest_first(client, school, supervisor, school_admin):
    visit, (student,) = visit_with_students(students=1, school=school)
    RecordingFactory(visit=visit, student=student, recorded_by=supervisor)
    services.student_update(student=student, by=school_admin, class_name="XII IPA 9")
    services.student_update(student=student, by=supervisor, name="Nama Baru Sekali")
    client.force_login(supervisor)
    body = client.get(detail_url(student)).content.decode()
    assert "Terekam" in body and visit.drive.name in body
    history = body.split('data-testid="history"', 1)[1]
    newest, older = history.index("Nama Baru Sekali"), history.index("XII IPA 9")
    assert newest < older
    assert school_admin.get_full_name() in history and supervisor.get_full_name() in history
    assert "Ditambahkan ke daftar" in history
    assert "Rombel" in history and "XII IPA 1" in history  # label: old → new


def test_history_names_warning_codes(client, student, supervisor):
    services.student_update(student=student, by=supervisor, data_warnings=["nik_empty", "kk_empty"])
    client.force_login(supervisor)
    history = client.get(detail_url(student)).content.decode().split('data-testid="history"', 1)[1]
    assert "NIK kosong, No KK kosong" in history and "nik_empty" not in history


def test_history_times_are_shown_in_jakarta_time(client, student, supervisor):
    client.force_login(supervisor)
    event = Events.objects.tracks(student).get()
    body = client.get(detail_url(student)).content.decode()
    jakarta = event.pgh_created_at.astimezone(datetime.timezone(datetime.timedelta(hours=7)))
    assert jakarta.strftime("%H.%M.%S") in body


def test_student_page_queries_do_not_grow_with_history_or_outcomes(
    client, school, supervisor, django_assert_max_num_queries
):
    visit, (student,) = visit_with_students(students=1, school=school)
    RecordingFactory(visit=visit, student=student, recorded_by=supervisor)
    for number in range(40):
        services.student_update(student=student, by=supervisor, class_name=f"XII IPA {number}")
    for _ in range(5):
        other_visit, _students = visit_with_students(students=0, school=school, drive=visit.drive)
        RecordingFactory(visit=other_visit, student=student, recorded_by=supervisor)
    client.force_login(supervisor)
    client.get(detail_url(student))  # warm caches (content types, session)
    # session, user, role, school, student, the log INSERT (in a savepoint), history events, their
    # users, outcomes, the session save: 14, whatever the number of events and outcomes.
    with django_assert_max_num_queries(15):
        response = client.get(detail_url(student))
    assert response.status_code == 200
    assert response.content.decode().count("XII IPA 3") >= 1


# --- fixing a student ---------------------------------------------------------------------------


def test_operator_may_not_fix_a_student(client, student, operator):
    client.force_login(operator)
    assert client.get(edit_url(student)).status_code == 403
    assert client.post(edit_url(student), form_data(student, name="Diubah")).status_code == 403
    student.refresh_from_db()
    assert student.name == "Ayu Pratama"
    body = client.get(detail_url(student)).content.decode()
    assert edit_url(student) not in body


def test_school_admin_fixes_a_student_and_history_names_them(client, student, school_admin):
    client.force_login(school_admin)
    assert client.get(edit_url(student)).status_code == 200
    response = client.post(edit_url(student), form_data(student, name="  Ayu   Pratiwi ", class_name="XII IPS 2"))
    assert response.status_code == 302 and response.url == detail_url(student)
    student.refresh_from_db()
    assert (student.name, student.class_name) == ("Ayu Pratiwi", "XII IPS 2")  # cleaned as an import cleans
    update = Events.objects.tracks(student).filter(pgh_label="update").get()
    assert update.pgh_context["user"] == school_admin.pk
    labels = {change.label: (change.old, change.new) for change in event_changes(update, show_personal=True)}
    assert labels == {"nama": ("Ayu Pratama", "Ayu Pratiwi"), "rombel": ("XII IPA 1", "XII IPS 2")}
    page = client.get(response.url).content.decode()
    assert "Data Ayu Pratiwi tersimpan." in page
    assert "Ayu Pratama" in page.split('data-testid="history"', 1)[1]


def test_supervisor_fixes_any_school_and_dates_in_dapodik_forms_are_read(client, student, supervisor):
    client.force_login(supervisor)
    response = client.post(edit_url(student), form_data(student, birth_date="17/05/2008"))
    assert response.status_code == 302
    response = client.post(edit_url(student), form_data(student, birth_date="18 Mei 2008"))
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.birth_date == datetime.date(2008, 5, 18)
    assert student.data_warnings == ["nik_birth_date_mismatch"]


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("15040357050812", "NIK harus 16 angka, terbaca 14 angka."),
        ("0504035705080001", "NIK tidak pernah diawali angka 0."),
        ("1504035713080001", "Bulan lahir di NIK (angka ke-9 dan ke-10: 13) harus 01–12."),
        ("1504031.705E+15", "notasi ilmiah"),
        ("15O4035705080001", "NIK hanya boleh berisi angka"),
    ],
)
def test_a_bad_nik_gets_the_import_rules_message(client, student, school_admin, nik, message):
    client.force_login(school_admin)
    before = student.nik
    response = client.post(edit_url(student), form_data(student, nik=nik))
    assert response.status_code == 422
    assert message in response.content.decode()
    student.refresh_from_db()
    assert student.nik == before
    assert not Events.objects.tracks(student).filter(pgh_label="update").exists()


def test_the_field_with_an_error_is_marked_and_described(client, student, school_admin):
    """Screen readers hear the message with the field: aria-invalid, and every id the widget names
    in aria-describedby (help text, error) exists on the page."""
    import re

    client.force_login(school_admin)
    page = client.post(edit_url(student), form_data(student, nik="15040357050812")).content.decode()
    widget = re.search(r'<input[^>]*id="id_nik"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in widget
    described = re.search(r'aria-describedby="([^"]+)"', widget).group(1).split()
    assert "id_nik_error" in described
    for element_id in described:
        assert f'id="{element_id}"' in page
    error = re.search(r'id="id_nik_error">(.*?)</div></div>', page, re.S).group(1)
    assert "NIK harus 16 angka" in error


def test_nik_typed_with_spaces_or_dots_is_cleaned(client, student, school_admin):
    client.force_login(school_admin)
    nik = make_nik(birth_date=BIRTH, gender="P", serial=777)
    spaced = f"{nik[:4]} {nik[4:8]}.{nik[8:12]}-{nik[12:]}"
    assert client.post(edit_url(student), form_data(student, nik=spaced)).status_code == 302
    student.refresh_from_db()
    assert student.nik == nik


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "   "}, "Nama kosong."),
        ({"name": "A" * 201}, "Nama terlalu panjang"),
        ({"birth_date": "31/02/2008"}, "bukan tanggal yang ada di kalender"),
        ({"birth_date": "2020-01-01"}, "kurang dari 10"),
        ({"gender": ""}, "JK kosong"),
        ({"birth_date": ""}, "Tanggal Lahir kosong."),
        ({"kk": "12345"}, "bukan 16 angka"),
        ({"nisn": "123"}, "bukan 10 angka"),
    ],
)
def test_other_fields_follow_the_import_rules(client, student, school_admin, changes, message):
    client.force_login(school_admin)
    response = client.post(edit_url(student), form_data(student, **changes))
    assert response.status_code == 422
    assert message in response.content.decode()


def test_nik_equal_to_kk_is_refused(client, student, school_admin):
    client.force_login(school_admin)
    response = client.post(edit_url(student), form_data(student, kk=student.nik))
    assert response.status_code == 422
    assert "NIK sama dengan No KK" in response.content.decode()


def test_duplicate_nik_at_the_same_school_names_the_student(client, student, school, school_admin):
    other = StudentFactory(school=school, name="Budi Santoso", class_name="XII IPS 1")
    client.force_login(school_admin)
    response = client.post(edit_url(student), form_data(student, nik=other.nik))
    assert response.status_code == 422
    body = response.content.decode()
    assert "NIK ini sudah dipakai Budi Santoso (rombel XII IPS 1) di sekolah ini." in body
    student.refresh_from_db()
    assert student.nik != other.nik


def test_duplicate_nik_at_another_school_does_not_name_it_to_a_school_admin(
    client, student, other_school, school_admin, supervisor
):
    other = StudentFactory(school=other_school)
    client.force_login(school_admin)
    response = client.post(edit_url(student), form_data(student, nik=other.nik))
    assert response.status_code == 422
    body = response.content.decode()
    assert "sekolah lain" in body and other_school.name not in body and other_school.npsn not in body
    client.force_login(supervisor)
    response = client.post(edit_url(student), form_data(student, nik=other.nik))
    assert response.status_code == 422
    assert other_school.name in response.content.decode()


def test_a_left_student_may_keep_a_nik_now_used_by_an_active_one(student, school, supervisor):
    """Only active students must have distinct NIKs: a student who left can be fixed freely."""
    student.is_active = False
    student.left_on = datetime.date(2025, 7, 1)
    student.save()
    active = StudentFactory(school=school)
    assert services.student_update(student=student, by=supervisor, nik=active.nik) == ["nik"]


def test_service_reports_the_constraint_when_a_concurrent_write_took_the_nik(student, school, supervisor, monkeypatch):
    other = StudentFactory(school=school)
    real_filter = Student.objects.filter

    def blind_filter(*args, **kwargs):  # the pre-check misses the other student, as under a race
        if kwargs.get("nik") == other.nik:
            return Student.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Student.objects, "filter", blind_filter)
    with pytest.raises(services.StudentNikTaken) as caught:
        services.student_update(student=student, by=supervisor, nik=other.nik)
    assert caught.value.other is None
    student.refresh_from_db()
    assert student.nik != other.nik


def test_service_refuses_fields_it_does_not_edit(student, supervisor):
    with pytest.raises(TypeError):
        services.student_update(student=student, by=supervisor, school_id=1)
    with pytest.raises(TypeError):
        services.student_update(student=student, by=supervisor, is_active=False)


def test_emptying_the_nik_is_allowed_with_a_warning(client, student, school_admin):
    client.force_login(school_admin)
    response = client.post(edit_url(student), form_data(student, nik=""), follow=True)
    assert response.status_code == 200
    assert "NIK kosong; peserta didik perlu NIK sebelum perekaman." in response.content.decode()
    student.refresh_from_db()
    assert student.nik == "" and student.data_warnings == ["nik_empty"]


def test_fixing_clears_the_upload_warnings(client, school, school_admin):
    student = StudentFactory(school=school, nik="", kk="", data_warnings=["nik_empty", "kk_empty"])
    client.force_login(school_admin)
    nik = make_nik(birth_date=student.birth_date, serial=55)
    response = client.post(edit_url(student), form_data(student, nik=nik, kk=make_kk(55)))
    assert response.status_code == 302
    student.refresh_from_db()
    assert (student.nik, student.data_warnings) == (nik, [])


def test_saving_unchanged_data_writes_no_history(client, student, school_admin):
    client.force_login(school_admin)
    response = client.post(edit_url(student), form_data(student), follow=True)
    assert "Tidak ada yang berubah." in response.content.decode()
    assert not Events.objects.tracks(student).filter(pgh_label="update").exists()


def test_edit_form_shows_full_numbers_and_is_logged(client, student, school_admin):
    client.force_login(school_admin)
    body = client.get(edit_url(student)).content.decode()
    assert f'value="{student.nik}"' in body
    entry = PersonalDataAccess.objects.get()
    assert entry.kind == PersonalDataAccess.Kind.STUDENT_VIEWED and "formulir" in entry.detail
