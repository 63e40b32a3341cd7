"""Find a student: by name ignoring case and accents, NISN, NIPD or the last 4+ NIK digits; a full
NIK is logged; school admins search their own school; the query never travels in a URL."""

import datetime
import logging

import pytest
from django.urls import reverse

from recordings import search
from recordings.models import Recording
from schools.models import PersonalDataAccess
from tests.factories import (
    DriveFactory,
    RecordingFactory,
    SchoolFactory,
    StudentFactory,
    UserFactory,
    VisitFactory,
    birth_date_for_age,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(school, other_school):
    drive = DriveFactory(schools=[school])
    adult = birth_date_for_age(17, drive.reference_date)
    young = birth_date_for_age(15, drive.reference_date)
    students = {
        "dede": StudentFactory(school=school, name="Dédé Ñoviantï", birth_date=adult, nipd="2024.117"),
        "nuraini": StudentFactory(school=school, name="Nur'aini Siti", birth_date=adult),
        "young": StudentFactory(school=school, name="Budi Muda", birth_date=young),
        "nonik": StudentFactory(school=school, name="Budi Tanpa NIK", birth_date=adult, nik=""),
        "left": StudentFactory(
            school=school, name="Budi Keluar", birth_date=adult, is_active=False, left_on=datetime.date(2026, 7, 1)
        ),
        "elsewhere": StudentFactory(school=other_school, name="Budi Sekolah Lain", birth_date=adult),
    }
    visit = VisitFactory(drive=drive, school=school)
    RecordingFactory(visit=visit, student=students["nuraini"], outcome=Recording.Outcome.ABSENT)
    return drive, students


def names(hits):
    return [hit.student.name for hit in hits]


@pytest.mark.parametrize("typed", ["dede", "DÉDÉ", "  dédé   ñovianti ", "noviant"])
def test_name_ignores_case_and_accents(world, operator, typed):
    _drive, s = world
    _query, hits, _more = search.student_search(operator, typed)
    assert names(hits) == [s["dede"].name]


def test_apostrophes_do_not_matter(world, operator):
    _query, hits, _more = search.student_search(operator, "nuraini")
    assert names(hits) == ["Nur'aini Siti"]


def test_numbers_nisn_nipd_and_last_nik_digits(world, operator):
    _drive, s = world
    dede = s["dede"]
    assert names(search.student_search(operator, dede.nisn)[1]) == [dede.name]
    assert names(search.student_search(operator, "2024.117")[1]) == [dede.name]
    last4 = search.student_search(operator, dede.nik[-4:])[1]
    assert dede.name in names(last4) and all(
        h.student.nik.endswith(dede.nik[-4:]) or h.student.nisn.startswith(dede.nik[-4:]) for h in last4
    )


@pytest.mark.parametrize(("typed", "message"), [("", "Ketik nama"), ("a", "2 huruf"), ("123", "4 angka")])
def test_too_short_queries_say_what_to_type(world, operator, typed, message):
    query, hits, _more = search.student_search(operator, typed)
    assert hits == [] and message in search.query_problem(query)


def test_status_in_the_current_drive(world, operator):
    _drive, s = world
    status = {h.student.name: (h.status, h.status_label) for h in search.student_search(operator, "budi")[1]}
    assert status == {
        "Budi Muda": ("too_young", "Belum 16 tahun"),
        "Budi Tanpa NIK": ("needs_nik", "Perlu NIK"),
        "Budi Sekolah Lain": ("not_in_drive", "Sekolah tidak ikut kegiatan"),
        "Budi Keluar": ("left", "Keluar"),
    }
    nuraini = search.student_search(operator, "nuraini")[1][0]
    assert (nuraini.status, nuraini.status_label) == ("absent", "Tidak hadir")
    dede = search.student_search(operator, "dede")[1][0]
    assert dede.status == "waiting"


def test_school_admin_searches_only_own_school(world, school_admin):
    found = names(search.student_search(school_admin, "budi")[1])
    assert "Budi Sekolah Lain" not in found and "Budi Muda" in found


def test_results_are_bounded(school, operator):
    for i in range(search.MAX_RESULTS + 3):
        StudentFactory(school=school, name=f"Sari Banyak {i}")
    _query, hits, more = search.student_search(operator, "sari")
    assert len(hits) == search.MAX_RESULTS and more


def test_page_uses_post_and_links_to_the_student(client, world, operator):
    _drive, s = world
    client.force_login(operator)
    home = client.get(reverse("home")).content.decode()
    nav = home.split('data-testid="nav-search"', 1)[1].split("</form>", 1)[0]
    assert 'name="q"' in nav and "csrfmiddlewaretoken" in nav
    assert home.split('data-testid="nav-search"', 1)[0].rsplit("<form", 1)[1].count('method="post"') == 1
    response = client.post(reverse("student_search"), {"q": "dede"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    dede = s["dede"]
    assert reverse("schools:student_detail", args=[dede.school.npsn, dede.pk]) in page
    assert dede.school.name in page and dede.class_name in page and "Belum dilayani" in page
    assert dede.nik not in page and dede.nik_masked in page
    # A GET with the query in the URL does not search.
    assert "Dédé" not in client.get(reverse("student_search") + "?q=dede").content.decode()


def test_full_nik_search_is_logged_without_the_number(client, world, operator, caplog):
    _drive, s = world
    dede = s["dede"]
    client.force_login(operator)
    with caplog.at_level(logging.DEBUG):
        page = client.post(reverse("student_search"), {"q": dede.nik}).content.decode()
    assert dede.name in page
    entry = PersonalDataAccess.objects.get(kind=PersonalDataAccess.Kind.STUDENT_SEARCH)
    assert entry.user == operator and entry.school == dede.school
    assert dede.nik not in entry.detail and dede.name in entry.detail
    assert all(dede.nik not in record.getMessage() for record in caplog.records)


def test_partial_number_search_is_not_logged(client, world, operator):
    client.force_login(operator)
    client.post(reverse("student_search"), {"q": world[1]["dede"].nik[-6:]})
    assert not PersonalDataAccess.objects.filter(kind=PersonalDataAccess.Kind.STUDENT_SEARCH).exists()


def test_full_nik_of_another_school_finds_nothing_for_a_school_admin(client, world, school_admin):
    other = world[1]["elsewhere"]
    client.force_login(school_admin)
    page = client.post(reverse("student_search"), {"q": other.nik}).content.decode()
    assert other.name not in page and "0 hasil" in page
    assert PersonalDataAccess.objects.get(kind=PersonalDataAccess.Kind.STUDENT_SEARCH).user == school_admin


def test_user_without_a_role_cannot_search(client):
    client.force_login(UserFactory())
    assert client.post(reverse("student_search"), {"q": "budi"}).status_code == 403


def test_search_queries_are_bounded(client, world, operator, django_assert_max_num_queries):
    for i in range(30):
        StudentFactory(school=SchoolFactory(), name=f"Budi Banyak {i}")
    client.force_login(operator)
    with django_assert_max_num_queries(8):
        response = client.post(reverse("student_search"), {"q": "budi"})
    assert response.content.decode().count('data-testid="search-hit"') == search.MAX_RESULTS
