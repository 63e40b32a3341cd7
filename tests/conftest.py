"""Shared fixtures. The database is PostgreSQL (embedded or DATABASE_URL), never SQLite."""

from __future__ import annotations

import os
import shutil

import pytest

from tests import factories


@pytest.fixture(scope="session", autouse=True)
def _close_side_connections(django_db_setup, django_db_blocker):
    """Before the test database is dropped, close the connections Django no longer tracks: those
    opened inside Playwright's sync API (it runs test code in another context, where Django keeps a
    separate connection)."""
    yield
    import psycopg2
    from django.db import connection

    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    with django_db_blocker.unblock():
        raw = psycopg2.connect(**params)
        try:
            with raw.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [connection.settings_dict["NAME"]],
                )
        finally:
            raw.close()


@pytest.fixture(autouse=True)
def _progress_recounted_per_statement(request):
    """Tests run inside a transaction that never commits: let the progress read model recount at
    the end of each statement instead of at commit (the same recount, earlier). Tests with real
    commits (``transaction=True``) keep the production timing."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    if "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        return
    request.getfixturevalue("db")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS recordings_progress_flush IMMEDIATE")


@pytest.fixture
def school(db):
    return factories.SchoolFactory()


@pytest.fixture
def other_school(db):
    return factories.SchoolFactory()


@pytest.fixture
def supervisor(db):
    return factories.SupervisorFactory(username="supervisor")


@pytest.fixture
def operator(db):
    return factories.OperatorFactory(username="operator")


@pytest.fixture
def superuser(db):
    return factories.SuperuserFactory(username="root")


@pytest.fixture
def school_admin(school):
    return factories.SchoolAdminUserFactory(username="sekolah-a", school=school)


@pytest.fixture
def other_school_admin(other_school):
    return factories.SchoolAdminUserFactory(username="sekolah-b", school=other_school)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def browser_page(live_server):
    """A Playwright page in the system Chromium (headless); skip when Chromium is missing."""
    path = chromium_path()
    if not path:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI for browser tests")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
        page = context.new_page()
        page.set_default_timeout(15000)
        page.live_server_url = live_server.url
        yield page
        context.close()
        browser.close()


def login_in_browser(page, username: str, password: str = factories.PASSWORD) -> None:
    page.goto(page.live_server_url + "/masuk/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def logout_in_browser(page) -> None:
    """Log out and wait for the login page: the logout first clears the device's offline copies,
    so the next navigation must not race it."""
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/masuk/**")
