import datetime

import pytest
from django.urls import reverse

from recordings.models import Recording
from tests.factories import (
    PASSWORD,
    DriveFactory,
    RecordingFactory,
    StudentFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def season(school, other_school):
    drive = DriveFactory(reference_date=datetime.date(2026, 12, 31), schools=[school, other_school])
    visit = VisitFactory(drive=drive, school=school)
    for _ in range(3):
        RecordingFactory(visit=visit, student=StudentFactory(school=school), outcome=Recording.Outcome.RECORDED)
    StudentFactory(school=school)
    for _ in range(4):
        StudentFactory(school=other_school)
    return drive


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_in_indonesian(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Nama pengguna" in response.content.decode()


@pytest.mark.parametrize("user_fixture", ["supervisor", "operator", "superuser"])
def test_staff_home_shows_whole_drive(client, season, request, user_fixture):
    login(client, request.getfixturevalue(user_fixture))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    headline = response.context["headline"]
    assert (headline.progress.target, headline.progress.done) == (8, 3)
    html = response.content.decode()
    assert "37,50\u00a0%" in html  # Indonesian decimal comma


def test_school_admin_home_shows_only_own_school(client, season, school_admin, school):
    login(client, school_admin)
    response = client.get(reverse("home"))
    headline = response.context["headline"]
    assert (headline.progress.target, headline.progress.done, headline.schools_total) == (4, 3, 1)
    assert "75,00\u00a0%" in response.content.decode()
    assert school.name in response.content.decode()


def test_other_school_admin_sees_other_numbers(client, season, other_school_admin):
    login(client, other_school_admin)
    headline = client.get(reverse("home")).context["headline"]
    assert (headline.progress.target, headline.progress.done) == (4, 0)


def test_school_admin_cannot_select_a_drive_of_another_school(client, season, school_admin):
    foreign = DriveFactory()
    login(client, school_admin)
    assert client.get(reverse("home"), {"drive": foreign.pk}).status_code == 404


def test_user_without_role_sees_explanation(client, season):
    user = UserFactory()
    login(client, user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["headline"] is None
    assert "belum diberi peran" in response.content.decode()


def test_home_queries_do_not_grow_with_data(client, season, supervisor, school, django_assert_max_num_queries):
    login(client, supervisor)
    with django_assert_max_num_queries(17):
        client.get(reverse("home"))
    for _ in range(30):
        StudentFactory(school=school)
    with django_assert_max_num_queries(17):
        client.get(reverse("home"))


def test_demo_home_reads_2100_and_79_38(client):
    from django.core.management import call_command

    call_command("seed_demo", i_know_this_is_not_production=True)
    assert client.login(username="dukcapil", password="demo-ektp")
    html = client.get(reverse("home")).content.decode()
    assert "2.100" in html
    assert "79,38\u00a0%" in html


def test_indonesian_even_when_browser_asks_for_english(client, season, supervisor):
    login(client, supervisor)
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Sekolah sudah dikunjungi" in html and ">Sisa<" in html
    assert "37,50\u00a0%" in html


def test_english_when_chosen(client, season, supervisor):
    login(client, supervisor)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in html
    assert "37.50\u00a0%" in html


def test_school_admin_home_lists_upcoming_visits_and_what_to_bring(client, season, school_admin, school, other_school):
    from django.utils import timezone

    from recordings.models import Visit

    VisitFactory(drive=season, school=school, status=Visit.Status.PLANNED, date=timezone.localdate())
    VisitFactory(drive=season, school=other_school, status=Visit.Status.PLANNED, date=timezone.localdate())
    login(client, school_admin)
    response = client.get(reverse("home"))
    visits = response.context["upcoming_visits"]
    assert {v.school for v in visits} == {school}  # the other school's visit is not listed
    assert "Fotokopi Kartu Keluarga (KK)." in response.content.decode()


def test_demo_home_for_a_school_admin_in_a_fresh_database(client):
    """Tables filled inside the test's transaction have no planner statistics: the tally query
    must not re-run its latest-outcome part per student (it once took minutes here)."""
    from django.core.management import call_command

    call_command("seed_demo", i_know_this_is_not_production=True)
    assert client.login(username="sekolah-10500313", password="demo-ektp")
    headline = client.get(reverse("home")).context["headline"]
    assert headline.schools_total == 1
    assert 0 < headline.progress.done <= headline.progress.target


@pytest.mark.parametrize("user_fixture", ["supervisor", "school_admin"])
def test_home_headline_agrees_with_the_dashboard_and_the_direct_count(client, season, request, user_fixture):
    """Home reads the same (cached) school rows as the dashboard; both equal a direct count."""
    from recordings.models import Visit
    from recordings.selectors import drive_headline
    from schools.permissions import schools_visible_to

    user = request.getfixturevalue(user_fixture)
    for school in season.schools.all():
        VisitFactory(
            drive=season,
            school=school,
            status=Visit.Status.POSTPONED,
            postponement_reason=Visit.PostponementReason.values[0],
            date=datetime.date(2026, 11, 2),
        )
    login(client, user)
    headline = client.get(reverse("home")).context["headline"]
    summary = client.get(reverse("progress_dashboard")).context["summary"]
    scope = None if user_fixture == "supervisor" else schools_visible_to(user)
    direct = drive_headline(season, schools=scope)
    for figures in (summary, direct):
        assert headline.progress == figures.progress
        assert (headline.schools_visited, headline.visits_postponed) == (
            figures.schools_visited,
            figures.visits_postponed,
        )
    assert headline.schools_not_visited == direct.schools_not_visited
    assert headline.visits_postponed == (2 if user_fixture == "supervisor" else 1)
    assert headline.progress.done == 3
