"""Pages of logged-in users carry ``Cache-Control: private, no-store`` (personal data stays out of
browser and proxy caches), walked over every URL of the URL matrix for every logged-in role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse

from ektp_drives.middleware import PrivateNoStoreMiddleware
from tests import test_url_matrix as matrix

pytestmark = pytest.mark.django_db

world = matrix.world

# Pages that show students or other personal data: each must answer 200 with the header for a
# role that may open it (the walk below checks every other answer too).
PERSONAL_DATA_PAGES = {
    "home": "supervisor",
    "schools:school_students": "admin_a",
    "schools:student_detail": "admin_a",
    "schools:upload_list": "supervisor",
    "visit_list": "operator",
    "visit_detail": "operator",
    "visit_attendance": "admin_a",
    "visit_history": "operator",
    "progress_school": "admin_a",
    "progress_export_school_students": "admin_a",
    "progress_export_students": "supervisor",
    "progress_export_visit": "operator",
    "schools:access_log": "supervisor",
    "schools:account_list": "supervisor",
}

# Pages the service worker may keep for offline use set their own header (``private, no-cache``
# when the user may record the visit); they must still be private.
SERVICE_WORKER_PAGES = {"visit_detail"}
# The worker's script and the offline page hold no personal data (the offline page lists the
# prepared visits from the device, not from the server): revalidated on every load, never stale.
APP_SHELL = {"service_worker", "offline_page"}


def acceptable(name: str, header: str) -> bool:
    if name in SERVICE_WORKER_PAGES:
        return "private" in header and "public" not in header
    if name in APP_SHELL:
        return "no-cache" in header or "no-store" in header
    return "no-store" in header  # views that set their own (exports, one-time password) use no-store


def test_every_answer_to_a_logged_in_user_is_private_and_not_stored(client, world):
    names = matrix.all_url_names()
    for page in PERSONAL_DATA_PAGES:
        assert page in names, page
    missing = []
    seen_ok = set()
    for role in matrix.ROLES[1:]:
        client.force_login(world["users"][role])
        for name in matrix.EXPECTED:
            for key in ("A", "B"):
                url = matrix.url_for(name, names[name], world, key)
                response = client.get(url)
                header = response.get("Cache-Control", "")
                if not acceptable(name, header):
                    missing.append((role, name, response.status_code, header))
                if response.status_code == 200 and PERSONAL_DATA_PAGES.get(name) == role:
                    seen_ok.add(name)
    assert not missing, "(role, URL name, status, Cache-Control) that may be stored: " + "\n".join(map(str, missing))
    assert seen_ok == set(PERSONAL_DATA_PAGES)


def answer_of(request, view_header: str | None = None):
    def view(_request):
        response = HttpResponse("x")
        if view_header:
            response["Cache-Control"] = view_header
        return response

    return PrivateNoStoreMiddleware(view)(request).get("Cache-Control")


def test_a_header_set_by_the_view_is_kept(rf, operator):
    """The contract with the service worker: a view that sets its own header keeps it."""
    request = rf.get("/kunjungan/1/")
    request.user = operator
    assert answer_of(request) == "private, no-store"
    assert answer_of(request, "private, max-age=0") == "private, max-age=0"


def test_anonymous_answers_and_static_files_are_left_alone(rf, operator):
    request = rf.get("/masuk/")
    request.user = AnonymousUser()
    assert answer_of(request) is None
    request = rf.get("/static/css/app.css")
    request.user = operator
    assert answer_of(request) is None
