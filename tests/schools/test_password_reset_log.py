"""A supervisor's reset of a school admin's password: a one-time password shown once, a forced
change at the next login, and a line in the access log (who gave which account a password)."""

import pytest
from django.test import Client
from django.urls import reverse

from schools.models import PersonalDataAccess
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_reset_is_written_to_the_access_log(client, school, supervisor, school_admin):
    client.force_login(supervisor)
    response = client.post(reverse("schools:account_reset_password", args=[school_admin.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = response.context["password"]
    entry = PersonalDataAccess.objects.get(kind=PersonalDataAccess.Kind.PASSWORD_RESET)
    assert entry.user == supervisor and entry.school == school
    assert entry.detail == f"akun {school_admin.username}"
    assert password not in entry.detail
    log = client.get(reverse("schools:access_log")).content.decode()
    assert "Memberi kata sandi sekali pakai ke akun sekolah" in log


def test_reset_password_forces_a_change_at_the_next_login(client, supervisor, school_admin):
    client.force_login(supervisor)
    password = client.post(reverse("schools:account_reset_password", args=[school_admin.pk])).context["password"]
    assert password != PASSWORD
    school_admin_client = Client()
    response = school_admin_client.post(reverse("login"), {"username": school_admin.username, "password": password})
    assert response.status_code == 302
    assert school_admin_client.get(reverse("home")).url == reverse("schools:password_first")


def test_a_refused_reset_writes_nothing(client, school_admin, operator):
    client.force_login(operator)
    assert client.post(reverse("schools:account_reset_password", args=[school_admin.pk])).status_code == 403
    assert not PersonalDataAccess.objects.filter(kind=PersonalDataAccess.Kind.PASSWORD_RESET).exists()


def test_login_page_explains_whom_to_contact(client, settings):
    settings.OFFICE_CONTACT = "0743-21234"
    page = client.get(reverse("login")).content.decode()
    forgot = page.split('data-testid="forgot-password">', 1)[1].split("</details>", 1)[0]
    assert "Lupa kata sandi?" in forgot
    assert "Operator sekolah:" in forgot and "supervisor" in forgot and "0743-21234" in forgot
    assert "Petugas Dukcapil:" in forgot and "administrator" in forgot
