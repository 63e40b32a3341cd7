"""Brute-force protection (django-axes) on the app login and the Django admin login."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.utils import timezone

from tests.factories import PASSWORD

LOGIN_URL = "/masuk/"
ADMIN_LOGIN_URL = "/admin/login/"
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def users(supervisor, operator, superuser, settings):
    """The users, with password hashes that are quick to check (each test checks passwords ~7 times).

    PBKDF2 stays the default hasher; MD5 is only accepted, for these hashes.
    """
    settings.PASSWORD_HASHERS = [*settings.PASSWORD_HASHERS, "django.contrib.auth.hashers.MD5PasswordHasher"]
    get_user_model().objects.update(password=make_password(PASSWORD, hasher="md5"))


def _post(client, url, username, password, ip="10.1.1.1", **extra):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def _fail_until_locked(client, url, username, ip="10.1.1.1"):
    responses = [_post(client, url, username, "salah-terus", ip=ip) for _ in range(LIMIT)]
    return responses


def _logged_in(client) -> bool:
    return SESSION_KEY in client.session


def test_settings_lock_per_username_and_ip():
    assert LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert datetime.timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    assert settings.AUTHENTICATION_BACKENDS[0] == "ektp_drives.security.AxesBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


@pytest.mark.django_db
def test_app_login_locks_after_repeated_failures(client, users):
    responses = _fail_until_locked(client, LOGIN_URL, "supervisor")
    assert [r.status_code for r in responses[:-1]] == [200] * (LIMIT - 1)
    locked = responses[-1]
    assert locked.status_code == 429
    content = locked.content.decode()
    assert "Akun dikunci sementara" in content
    assert "Coba lagi setelah 30 menit" in content
    assert "registration/locked_out.html" in [t.name for t in locked.templates]


@pytest.mark.django_db
def test_correct_password_refused_during_lockout(client, users):
    _fail_until_locked(client, LOGIN_URL, "supervisor")
    response = _post(client, LOGIN_URL, "supervisor", PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)
    # The admin login is refused too for the same username and IP.
    response = _post(client, ADMIN_LOGIN_URL, "supervisor", PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)


@pytest.mark.django_db
def test_admin_login_locks_after_repeated_failures(client, users):
    responses = _fail_until_locked(client, ADMIN_LOGIN_URL, "root")
    assert responses[-1].status_code == 429
    assert "Akun dikunci sementara" in responses[-1].content.decode()
    response = _post(client, ADMIN_LOGIN_URL, "root", PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)


@pytest.mark.django_db
def test_lock_is_per_username_and_ip(client, users):
    _fail_until_locked(client, LOGIN_URL, "supervisor", ip="10.1.1.1")
    # Same username from another device: not locked.
    response = _post(client, LOGIN_URL, "supervisor", PASSWORD, ip="10.2.2.2")
    assert response.status_code == 302
    client.logout()
    # Another user behind the same IP (a school's shared connection): not locked.
    response = _post(client, LOGIN_URL, "operator", PASSWORD, ip="10.1.1.1")
    assert response.status_code == 302


@pytest.mark.django_db
def test_success_before_the_limit_resets_the_count(client, users):
    for _ in range(LIMIT - 1):
        _post(client, LOGIN_URL, "supervisor", "salah")
    assert _post(client, LOGIN_URL, "supervisor", PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert _post(client, LOGIN_URL, "supervisor", "salah").status_code == 200
    assert _post(client, LOGIN_URL, "supervisor", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_lock_ends_after_cool_off(client, users):
    _fail_until_locked(client, LOGIN_URL, "supervisor")
    assert _post(client, LOGIN_URL, "supervisor", PASSWORD).status_code == 429
    # 31 minutes pass without attempts.
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=31))
    response = _post(client, LOGIN_URL, "supervisor", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


@pytest.mark.django_db
def test_attempts_during_lockout_extend_it(client, users):
    _fail_until_locked(client, LOGIN_URL, "supervisor")
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=29))
    assert _post(client, LOGIN_URL, "supervisor", "salah").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=20))
    assert _post(client, LOGIN_URL, "supervisor", PASSWORD).status_code == 429


@pytest.mark.django_db
@pytest.mark.parametrize("command", [("axes_reset",), ("axes_reset_username", "supervisor")])
def test_unlock_by_command(client, users, command):
    _fail_until_locked(client, LOGIN_URL, "supervisor")
    assert _post(client, LOGIN_URL, "supervisor", PASSWORD).status_code == 429
    call_command(*command, stdout=None)
    response = _post(client, LOGIN_URL, "supervisor", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


@pytest.mark.django_db
def test_spoofed_x_real_ip_is_ignored_without_a_proxy(client, users):
    for n in range(LIMIT):
        _post(client, LOGIN_URL, "supervisor", "salah", HTTP_X_REAL_IP=f"192.0.2.{n + 1}")
    # A new X-Real-IP on each try does not escape the lock when no proxy is trusted.
    response = _post(client, LOGIN_URL, "supervisor", PASSWORD, HTTP_X_REAL_IP="192.0.2.99")
    assert response.status_code == 429


@pytest.mark.django_db
def test_x_real_ip_from_the_proxy_identifies_the_client(client, users, settings):
    settings.TRUST_X_REAL_IP = True
    for _ in range(LIMIT):
        _post(client, LOGIN_URL, "supervisor", "salah", ip="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"
    locked = _post(client, LOGIN_URL, "supervisor", PASSWORD, ip="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert locked.status_code == 429
    # Another client behind the same nginx is not locked out.
    other = _post(client, LOGIN_URL, "supervisor", PASSWORD, ip="127.0.0.1", HTTP_X_REAL_IP="203.0.113.8")
    assert other.status_code == 302


@pytest.mark.django_db
def test_client_login_without_request_still_works(client, users):
    """Test helpers (Client.login) authenticate without a request; they are not throttled."""
    assert client.login(username="supervisor", password=PASSWORD)


@pytest.mark.django_db
def test_login_form_keeps_its_labels(client):
    content = client.get(LOGIN_URL).content.decode()
    for text in ("Nama pengguna", "Kata sandi", "Masuk"):
        assert text in content
