"""The home page's "what to do next" for each role, and student names linking to their page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings import services
from recordings.models import FieldSheetUpload, Visit
from schools.models import LeftProposal, NikConflict, StudentListUpload
from tests.factories import PASSWORD, DriveFactory, KitFactory, SchoolFactory, StudentFactory, VisitFactory

pytestmark = pytest.mark.django_db

POSTPONED = {"status": Visit.Status.POSTPONED, "postponement_reason": Visit.PostponementReason.POWER_CUT}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def drive(school, other_school, today):
    return DriveFactory(
        start_date=today - datetime.timedelta(days=10),
        end_date=today + datetime.timedelta(days=30),
        reference_date=today + datetime.timedelta(days=30),
        schools=[school, other_school],
    )


def test_operator_sees_todays_visits_running_first_and_tomorrows(client, operator, drive, school, other_school, today):
    planned = VisitFactory(drive=drive, school=school, status=Visit.Status.PLANNED, date=today)
    running = VisitFactory(drive=drive, school=other_school, status=Visit.Status.IN_PROGRESS, date=today)
    tomorrow = VisitFactory(
        drive=drive, school=school, status=Visit.Status.PLANNED, date=today + datetime.timedelta(days=1)
    )
    VisitFactory(drive=drive, school=school, date=today + datetime.timedelta(days=2), status=Visit.Status.PLANNED)
    VisitFactory(drive=drive, school=other_school, date=today, **POSTPONED)
    login(client, operator)
    response = client.get(reverse("home"))
    assert response.context["visits_today"] == [running, planned]
    assert response.context["visits_tomorrow"] == [tomorrow]
    html = response.content.decode()
    section = html[html.index('data-testid="home-operator"') :]
    assert section.index(reverse("visit_detail", args=[running.pk])) < section.index(
        reverse("visit_detail", args=[planned.pk])
    )
    assert 'id="unsent-taps"' in html
    assert "tampil bila JavaScript aktif" in html  # the text without JavaScript
    assert "offline/unsent_count.js" in html
    assert "Siapkan luring" in html  # the offline section stays


def test_operator_home_without_visits_says_so(client, operator, drive):
    login(client, operator)
    html = client.get(reverse("home")).content.decode()
    assert "Tidak ada kunjungan hari ini." in html and "Tidak ada kunjungan besok." in html


def test_supervisor_postponed_counter_drops_when_a_new_visit_is_planned(
    client, supervisor, drive, school, other_school
):
    today = timezone.localdate()
    postponed_a = VisitFactory(drive=drive, school=school, date=today - datetime.timedelta(days=2), **POSTPONED)
    VisitFactory(drive=drive, school=other_school, date=today - datetime.timedelta(days=1), **POSTPONED)
    login(client, supervisor)
    todo = client.get(reverse("home")).context["todo"]
    assert todo.postponed_without_date == 2
    services.visit_replan(
        visit=postponed_a, date=today + datetime.timedelta(days=3), kits=[KitFactory()], by=supervisor
    )
    response = client.get(reverse("home"))
    assert response.context["todo"].postponed_without_date == 1
    # The link leads to the planning list with exactly that school.
    planning = client.get(reverse("drive_detail", args=[drive.pk]), {"status": "postponed"})
    assert [row.school for row in planning.context["rows"]] == [other_school]


def test_supervisor_counts_unscheduled_schools_and_todays_visits(
    client, supervisor, drive, school, other_school, today
):
    third = SchoolFactory()
    drive.schools.add(third)
    VisitFactory(drive=drive, school=school, date=today, status=Visit.Status.PLANNED)
    VisitFactory(drive=drive, school=other_school, date=today, status=Visit.Status.CANCELLED)
    login(client, supervisor)
    response = client.get(reverse("home"))
    todo = response.context["todo"]
    assert (todo.visits_today, todo.not_scheduled) == (1, 2)  # other_school and third
    html = response.content.decode()
    for testid, url in (
        ("todo-visits-today", reverse("visit_list")),
        ("todo-postponed", reverse("drive_detail", args=[drive.pk]) + "?status=postponed"),
        ("todo-not-scheduled", reverse("drive_detail", args=[drive.pk]) + "?status=not_scheduled"),
        ("todo-left", reverse("schools:left_list")),
        ("todo-conflicts", reverse("schools:conflict_list")),
        ("todo-uploads", reverse("schools:upload_list") + "?status=previewed"),
    ):
        assert f'data-testid="{testid}" href="{url}' in html
    planning = client.get(reverse("drive_detail", args=[drive.pk]), {"status": "not_scheduled"})
    assert {row.school for row in planning.context["rows"]} == {other_school, third}


def test_supervisor_sees_lists_waiting_for_review(client, supervisor, drive, school, other_school, today):
    upload = StudentListUpload.objects.create(
        school=school, original_name="a.csv", status=StudentListUpload.Status.PREVIEWED
    )
    StudentListUpload.objects.create(
        school=school, original_name="b.csv", status="committed", committed_at=timezone.now()
    )
    leaver = StudentFactory(school=school)
    LeftProposal.objects.create(upload=upload, student=leaver)
    existing = StudentFactory(school=other_school)
    NikConflict.objects.create(upload=upload, school=school, existing_student=existing, nik=existing.nik, row_number=2)
    visit = VisitFactory(drive=drive, school=school, date=today)
    fresh = FieldSheetUpload.objects.create(
        visit=visit, original_name="l.xlsx", status="previewed", uploaded_by=supervisor
    )
    old = FieldSheetUpload.objects.create(
        visit=visit, original_name="m.xlsx", status="previewed", uploaded_by=supervisor
    )
    FieldSheetUpload.objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - datetime.timedelta(days=2))
    login(client, supervisor)
    response = client.get(reverse("home"))
    todo = response.context["todo"]
    assert (todo.left_proposals, todo.nik_conflicts, todo.list_uploads_waiting, todo.field_sheets_waiting) == (
        1,
        1,
        1,
        1,
    )
    assert reverse("field_sheet_preview", args=[visit.pk, fresh.pk]) in response.content.decode()
    assert reverse("field_sheet_preview", args=[visit.pk, old.pk]) not in response.content.decode()


@pytest.mark.parametrize("user_fixture", ["operator", "school_admin"])
def test_only_supervisors_get_the_review_counts(client, request, drive, user_fixture):
    login(client, request.getfixturevalue(user_fixture))
    response = client.get(reverse("home"))
    assert response.context["todo"] is None
    assert "Konflik NIK menunggu keputusan" not in response.content.decode()


def test_school_admin_sees_next_visit_remaining_and_an_old_list_nudge(client, school_admin, drive, school, today):
    for _ in range(3):
        StudentFactory(school=school)
    visit = VisitFactory(
        drive=drive, school=school, status=Visit.Status.PLANNED, date=today + datetime.timedelta(days=4)
    )
    upload = StudentListUpload.objects.create(
        school=school, original_name="a.csv", status="committed", committed_at=timezone.now()
    )
    StudentListUpload.objects.filter(pk=upload.pk).update(committed_at=timezone.now() - datetime.timedelta(days=45))
    login(client, school_admin)
    html = client.get(reverse("home")).content.decode()
    assert reverse("visit_detail", args=[visit.pk]) in html
    assert "fotokopi Kartu Keluarga (KK)" in html
    assert 'data-testid="todo-remaining">Peserta didik yang belum terekam: <span class="fw-semibold">3</span>' in html
    assert reverse("progress_school", args=[school.pk]) in html
    assert 'data-testid="upload-nudge"' in html
    StudentListUpload.objects.filter(pk=upload.pk).update(committed_at=timezone.now() - datetime.timedelta(days=3))
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="upload-nudge"' not in html
    assert "Daftar peserta didik terakhir diunggah" in html


def test_school_admin_without_any_list_is_nudged(client, school_admin, drive):
    login(client, school_admin)
    html = client.get(reverse("home")).content.decode()
    assert "belum pernah diunggah" in html and 'data-testid="upload-nudge"' in html


@pytest.mark.parametrize(("user_fixture", "bound"), [("operator", 16), ("supervisor", 20), ("school_admin", 18)])
def test_home_queries_are_bounded_per_role(
    client, request, drive, school, other_school, today, user_fixture, bound, django_assert_max_num_queries
):
    """A fixed number per role (the supervisor's open work is seven counts and lists)."""
    login(client, request.getfixturevalue(user_fixture))

    def add_data():
        for s in (school, other_school):
            VisitFactory(drive=drive, school=s, date=today, status=Visit.Status.PLANNED)
            VisitFactory(drive=drive, school=s, date=today - datetime.timedelta(days=1), **POSTPONED)
            VisitFactory(drive=drive, school=s, date=today + datetime.timedelta(days=1), status=Visit.Status.PLANNED)
            upload = StudentListUpload.objects.create(school=s, original_name="a.csv", status="previewed")
            for _ in range(3):
                LeftProposal.objects.create(upload=upload, student=StudentFactory(school=s))

    add_data()
    client.get(reverse("home"))
    with django_assert_max_num_queries(bound):
        client.get(reverse("home"))
    add_data()
    add_data()
    with django_assert_max_num_queries(bound):
        client.get(reverse("home"))


def _visit_page(client, visit):
    return client.get(reverse("visit_detail", args=[visit.pk])).content.decode()


@pytest.mark.parametrize("user_fixture", ["operator", "supervisor", "superuser", "school_admin"])
def test_student_names_link_to_their_page_for_roles_that_may_open_it(client, request, drive, school, user_fixture):
    student = StudentFactory(school=school)
    visit = VisitFactory(drive=drive, school=school)
    user = request.getfixturevalue(user_fixture)
    login(client, user)
    url = reverse("schools:student_detail", args=[school.npsn, student.pk])
    assert url in _visit_page(client, visit)
    assert url in client.get(reverse("progress_school", args=[school.pk])).content.decode()
    assert client.get(url).status_code == 200  # the link opens


def test_outcome_response_keeps_the_name_link(client, operator, drive, school):
    student = StudentFactory(school=school)
    visit = VisitFactory(drive=drive, school=school)
    login(client, operator)
    response = client.post(
        reverse("visit_outcome", args=[visit.pk]),
        {"student": student.pk, "outcome": "recorded"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert reverse("schools:student_detail", args=[school.npsn, student.pk]) in response.content.decode()


def test_names_are_plain_text_for_users_who_may_not_open_the_page(rf, other_school_admin, school):
    """A school admin of another school never gets the page; the rule itself says no."""
    from django.template import Context, Template

    from schools.permissions import can_open_student_page

    assert not can_open_student_page(other_school_admin, school)
    request = rf.get("/")
    request.user = other_school_admin
    student = StudentFactory(school=school)
    html = Template(
        "{% load student_links %}{% student_links_allowed school as ok %}"
        "{% if ok %}<a>{{ s.name }}</a>{% else %}{{ s.name }}{% endif %}"
    ).render(Context({"request": request, "school": school, "s": student}))
    assert html == student.name


@pytest.mark.parametrize("user_fixture", ["operator", "school_admin", "supervisor"])
def test_headline_postponed_line_drops_when_a_new_visit_is_planned(
    client, request, supervisor, drive, school, other_school, today, user_fixture
):
    postponed = VisitFactory(drive=drive, school=school, date=today - datetime.timedelta(days=1), **POSTPONED)
    VisitFactory(drive=drive, school=other_school, date=today - datetime.timedelta(days=1), **POSTPONED)
    login(client, request.getfixturevalue(user_fixture))
    expected = 1 if user_fixture == "school_admin" else 2
    response = client.get(reverse("home"))
    assert response.context["postponed_open"] == expected
    assert f"{expected} sekolah kunjungannya ditunda dan belum ada tanggal baru." in response.content.decode()
    services.visit_replan(visit=postponed, date=today + datetime.timedelta(days=2), kits=[KitFactory()], by=supervisor)
    assert client.get(reverse("home")).context["postponed_open"] == expected - 1


def test_the_drive_counts_in_one_statement_follow_the_per_school_definition(today):
    """``drive_school_visit_counts`` (one pass over the visits) = ``_drive_schools`` (per school, the ORM)."""
    import random

    from django.db.models import Count, Q

    from recordings.selectors.home import POSTPONED_WITHOUT_DATE, _drive_schools, drive_school_visit_counts

    rng = random.Random(4)
    schools = [SchoolFactory() for _ in range(14)]
    drive = DriveFactory(schools=schools)
    statuses = list(Visit.Status.values)
    for school in schools[:12]:
        for _ in range(rng.randint(0, 3)):
            status = rng.choice(statuses)
            VisitFactory(
                drive=drive,
                school=school,
                date=today + datetime.timedelta(days=rng.randint(-6, 6)),
                status=status,
                postponement_reason="power_cut" if status == Visit.Status.POSTPONED else "",
            )
    expected = _drive_schools(drive, today=today).aggregate(
        postponed=Count("pk", filter=POSTPONED_WITHOUT_DATE),
        not_scheduled=Count(
            "pk",
            filter=Q(visited=False, has_upcoming=False)
            & (Q(latest_status__isnull=True) | ~Q(latest_status=Visit.Status.POSTPONED)),
        ),
    )
    assert drive_school_visit_counts(drive, today=today) == expected
    assert expected["postponed"] and expected["not_scheduled"]  # the scenario has both kinds
