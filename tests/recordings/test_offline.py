"""What a device may keep for offline recording, and the headers that say so."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import Visit
from recordings.offline import visits_to_prepare
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits():
    today = timezone.localdate()
    running, _ = factories.visit_with_students(students=2)
    drive = running.drive
    tomorrow, _ = factories.visit_with_students(
        students=1, drive=drive, date=today + datetime.timedelta(days=1), status=Visit.Status.PLANNED
    )
    later, _ = factories.visit_with_students(
        students=1, drive=drive, date=today + datetime.timedelta(days=2), status=Visit.Status.PLANNED
    )
    done, _ = factories.visit_with_students(students=1, drive=drive, status=Visit.Status.DONE)
    return {"running": running, "tomorrow": tomorrow, "later": later, "done": done}


def test_staff_prepare_today_tomorrow_and_running_visits(visits, operator, supervisor):
    today = timezone.localdate()
    expected = [visits["running"], visits["tomorrow"]]
    assert visits_to_prepare(operator, today=today) == expected
    assert visits_to_prepare(supervisor, today=today) == expected


def test_school_admins_and_operators_outside_an_active_drive_prepare_nothing(visits, operator, supervisor):
    admin = factories.SchoolAdminUserFactory(username="sekolah", school=visits["running"].school)
    today = timezone.localdate()
    assert visits_to_prepare(admin, today=today) == []
    drive = visits["running"].drive
    drive.start_date, drive.end_date = today - datetime.timedelta(days=60), today - datetime.timedelta(days=30)
    drive.save()
    assert visits_to_prepare(operator, today=today) == []  # operators record in an active drive only
    assert visits["running"] in visits_to_prepare(supervisor, today=today)


def test_visit_page_may_be_kept_only_for_those_who_record(client, visits, operator):
    url = reverse("visit_detail", args=[visits["running"].pk])
    client.force_login(operator)
    response = client.get(url)
    assert response["Cache-Control"] == "private, no-cache"
    html = response.content.decode()
    assert 'data-copyable="1"' in html
    student = visits["running"].school.students.first()
    assert student.nik not in html and student.nik[-4:] in html  # never the full NIK in the copy
    assert client.get(url, {"q": "a"})["Cache-Control"] == "private, no-store"  # the search stays out
    assert client.get(url, headers={"HX-Request": "true"})["Cache-Control"] == "private, no-store"
    admin = factories.SchoolAdminUserFactory(username="sekolah", school=visits["running"].school)
    client.force_login(admin)
    response = client.get(url)
    assert response["Cache-Control"] == "private, no-store"
    assert 'data-copyable=""' in response.content.decode()


def test_home_and_visit_list_list_the_visits_to_prepare(client, visits, operator):
    client.force_login(operator)
    for name in ("home", "visit_list"):
        response = client.get(reverse(name))
        html = response.content.decode()
        assert html.count("data-offline-visit=") == 2, name
        assert f'data-url="{reverse("visit_detail", args=[visits["tomorrow"].pk])}"' in html
        assert "Siapkan luring" in html
    admin = factories.SchoolAdminUserFactory(username="sekolah", school=visits["running"].school)
    client.force_login(admin)
    assert "data-offline-visit=" not in client.get(reverse("visit_list")).content.decode()


def test_prepared_list_is_one_query_after_the_role(visits, operator, django_assert_num_queries):
    with django_assert_num_queries(2):  # the role, then the visits with their drive and school
        visits_to_prepare(operator, today=timezone.localdate())


def test_service_worker_script_names_the_release_and_its_shell(client, settings):
    settings.APP_VERSION = "1.2.3"
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    config = json.loads(body.split("self.EKTP_SW = ", 1)[1].split(";\n", 1)[0])
    assert config["version"] == "1.2.3"
    assert "/static/vendor/htmx/htmx.min.js" in config["shell"]
    assert config["offlineUrl"] == reverse("offline_page")
    assert 'importScripts("/static/js/offline/queue.js"' in body and body.rstrip().endswith(
        '"/static/js/offline/sw.js");'
    )


def test_offline_page_is_indonesian_and_carries_no_user_data(client, operator):
    client.force_login(operator)
    response = client.get(reverse("offline_page"))
    html = response.content.decode()
    assert "Tidak ada sambungan internet" in html
    assert operator.username not in html and "csrf" not in html.lower()


def test_footer_shows_the_version(client, operator, settings):
    settings.APP_VERSION = "4.5.6"
    client.force_login(operator)
    assert "versi 4.5.6" in client.get(reverse("visit_list")).content.decode()
