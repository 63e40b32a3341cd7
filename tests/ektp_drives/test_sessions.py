"""Session expiry after inactivity, and on browser close for the Django admin."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.factories import PASSWORD

EIGHT_HOURS = 8 * 60 * 60


def _login(client, url, username):
    response = client.post(url, {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return response


def test_defaults():
    assert settings.SESSION_COOKIE_AGE == EIGHT_HOURS
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False
    assert "ektp_drives.security.AdminSessionMiddleware" in settings.MIDDLEWARE
    names = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


@pytest.mark.django_db
def test_field_staff_session_lasts_eight_hours_from_the_last_request(client, operator):
    response = _login(client, "/masuk/", "operator")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == EIGHT_HOURS
    # Each request pushes the expiry forward (inactivity, not time since login).
    session = Session.objects.get(session_key=client.session.session_key)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + datetime.timedelta(minutes=5))
    response = client.get("/")
    assert response.status_code == 200
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == EIGHT_HOURS
    renewed = Session.objects.get(session_key=client.session.session_key).expire_date
    assert renewed > timezone.now() + datetime.timedelta(hours=7, minutes=59)


@pytest.mark.django_db
def test_session_ends_after_inactivity(client, operator):
    _login(client, "/masuk/", "operator")
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/masuk/")


@pytest.mark.django_db
def test_session_cookie_age_is_configurable(client, operator, settings):
    settings.SESSION_COOKIE_AGE = 3600
    response = _login(client, "/masuk/", "operator")
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == 3600


@pytest.mark.django_db
def test_admin_login_session_ends_when_the_browser_closes(client, superuser):
    response = _login(client, "/admin/login/?next=/admin/", "root")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()
    # Still bounded on the server by inactivity.
    expire = Session.objects.get(session_key=client.session.session_key).expire_date
    assert expire <= timezone.now() + datetime.timedelta(seconds=EIGHT_HOURS)
    response = client.get("/admin/")
    assert response.status_code == 200
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""


@pytest.mark.django_db
def test_staff_session_ends_on_browser_close_even_through_the_app_login(client, superuser):
    response = _login(client, "/masuk/", "root")
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""


@pytest.mark.django_db
def test_opening_the_admin_makes_any_session_a_browser_session(client, supervisor):
    response = _login(client, "/masuk/", "supervisor")
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == EIGHT_HOURS
    client.get("/admin/")
    assert client.session.get_expire_at_browser_close()
