"""Error pages: Indonesian, in the app's layout (menu, footer), each with a way back. DEBUG is off in
tests, so Django uses the handlers as on a server."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from ektp_drives import views_errors
from tests.factories import VisitFactory

pytestmark = pytest.mark.django_db


def test_debug_is_off_in_these_tests():
    assert settings.DEBUG is False


def test_404_for_a_logged_in_user_keeps_the_menu_and_links_home(client, operator):
    client.force_login(operator)
    response = client.get("/tidak-ada-halaman-ini/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Halaman tidak ditemukan" in page
    assert 'aria-label="Navigasi utama"' in page  # base.html's layout
    assert f'href="{reverse("home")}"' in page and "Kembali ke beranda" in page
    assert "Not Found" not in page


def test_404_for_anonymous_links_to_login(client):
    response = client.get("/tidak-ada-halaman-ini/")
    assert response.status_code == 404
    assert "Ke halaman masuk" in response.content.decode()


def test_403_is_indonesian_not_bare_forbidden(client, school_admin):
    client.force_login(school_admin)
    response = client.get(reverse("drive_list"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Akses ditolak" in page and "403 Forbidden" not in page
    assert "Kembali ke beranda" in page


def test_a_school_admin_gets_the_404_page_for_another_schools_visit(client, school_admin):
    other_visit = VisitFactory()
    client.force_login(school_admin)
    response = client.get(reverse("visit_detail", args=[other_visit.pk]))
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.content.decode()


def test_csrf_failure_page_offers_the_form_again(operator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    response = client.post(reverse("logout"), HTTP_REFERER="http://testserver/kunjungan/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Formulir kedaluwarsa" in page
    assert 'href="http://testserver/kunjungan/"' in page and "Muat ulang halaman" in page


def test_csrf_failure_never_links_to_another_site(operator):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x"}, HTTP_REFERER="https://evil.example/")
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


def test_500_page_renders_without_the_database_context():
    """The 500 page must not depend on the request (its session or user may be what failed)."""
    request = RequestFactory().get("/")
    response = views_errors.server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "Terjadi kesalahan" in page and "Ke halaman masuk" in page
    assert "Dinas Kependudukan" in page  # the footer of base.html


@pytest.mark.urls("tests.ektp_drives.urls_broken")
def test_500_handler_is_used_for_an_uncaught_error(client):
    client.raise_request_exception = False
    response = client.get("/rusak/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Terjadi kesalahan" in page and "a failure the user must not see" not in page


def test_handlers_are_wired():
    from ektp_drives import urls

    assert urls.handler400 == "ektp_drives.views_errors.bad_request"
    assert urls.handler403 == "ektp_drives.views_errors.permission_denied"
    assert urls.handler404 == "ektp_drives.views_errors.page_not_found"
    assert urls.handler500 == "ektp_drives.views_errors.server_error"
    assert settings.CSRF_FAILURE_VIEW == "ektp_drives.views_errors.csrf_failure"


def test_an_oversized_form_gets_the_indonesian_400_page(operator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = Client(enforce_csrf_checks=True)  # the CSRF check reads the body, as in a browser
    client.force_login(operator)
    client.get(reverse("home"))  # the CSRF cookie, so the check goes on to read the body
    response = client.post(reverse("visit_list"), {"catatan": "x" * 20_000})
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
    assert "terlalu besar" in response.content.decode()
