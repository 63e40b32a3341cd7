"""Every URL the app exposes, walked as every role, for objects of school A and of school B (issue 6).

The URL list comes from the resolver, so a new view cannot be forgotten: a URL name without an
entry in ``EXPECTED`` fails the test. Each request is a GET; POST-only views answer 405 to a
logged-in user (their POST scope is tested in the views' own tests) and 302 to the login page for
anonymous users, except where ``require_POST`` wraps ``login_required`` (405 first: nothing about
the object is revealed either way).

Roles: ``anon`` (not logged in), ``admin_a`` / ``admin_b`` (school admins of school A / B),
``operator``, ``supervisor``, ``superuser``. For a URL with an object in it, the expected value is a
pair ``(status for school A's object, status for school B's object)``; a single number means the
same answer for both (or that the URL has no object). 302 for a logged-in user is a redirect back
to a page (e.g. a school admin with one school sent to it); for anonymous users every 302 must go to
the login page, which the test checks.

Handled as a group (names not in ``EXPECTED``):
- ``admin:*`` (Django admin): anonymous and every non-staff role → 302 to the admin login; the
  superuser → 200 on the index. Checked on the admin index only (model pages are Django's own).
- ``set_language`` (``i18n/``): the language switch, no data; a GET changes nothing and redirects
  back (302) for everyone.
- ``login`` / ``logout``: login answers 200 to anonymous and 302 (already logged in) otherwise;
  logout is POST-only (405 on GET).
"""

# ruff: noqa: E501  (the role table reads best one URL per line)
from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from recordings.models import FieldSheetUpload
from schools import services
from schools.importing import synthetic
from schools.models import NikConflict
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("anon", "admin_a", "admin_b", "operator", "supervisor", "superuser")

# Shorthands for the table.
A_ONLY = (200, 404)  # a school admin of A: A's object yes, B's no
B_ONLY = (404, 200)
A_DENIED = (403, 404)  # a school admin of A: wrong role on A's object, and B's is not found
B_DENIED = (404, 403)

# fmt: off
EXPECTED: dict[str, dict[str, int | tuple[int, int]]] = {
    # --- home, progress ---------------------------------------------------------------------
    "home": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    "student_search": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    "progress_dashboard": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    "progress_report": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    "progress_map": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    "progress_school": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    "progress_export_summary": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    "progress_export_students": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    "progress_export_school_students": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    "progress_export_visit": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    # --- service worker and offline page (no data of anyone: served to everyone) ---------------
    "service_worker": {"anon": 200, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    "offline_page": {"anon": 200, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    # --- drives and visits ------------------------------------------------------------------
    "drive_list": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 200, "supervisor": 200, "superuser": 200},
    "drive_create": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "drive_detail": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 200, "supervisor": 200, "superuser": 200},
    "drive_edit": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "visit_plan": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "drive_trip": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 302, "superuser": 302},
    "drive_kits_free": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 200, "supervisor": 200, "superuser": 200},
    # --- kits registry (Dukcapil staff only; a school admin never sees it) ------------------
    "kit_list": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 200, "supervisor": 200, "superuser": 200},
    "kit_create": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "kit_detail": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 200, "supervisor": 200, "superuser": 200},
    "kit_edit": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "kit_status": {"anon": 405, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "visit_list": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    "visit_sync": {"anon": 405, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "visit_detail": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    "visit_outcome": {"anon": 405, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "visit_start": {"anon": 405, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "visit_finish": {"anon": 405, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "visit_reschedule": {"anon": 302, "admin_a": A_DENIED, "admin_b": B_DENIED, "operator": 403, "supervisor": 200, "superuser": 200},
    "visit_postpone": {"anon": 302, "admin_a": A_DENIED, "admin_b": B_DENIED, "operator": 403, "supervisor": 200, "superuser": 200},
    "visit_cancel": {"anon": 405, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "visit_history": {"anon": 302, "admin_a": A_DENIED, "admin_b": B_DENIED, "operator": 200, "supervisor": 200, "superuser": 200},
    "visit_outcome_correct": {"anon": 405, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "visit_notice_whatsapp": {"anon": 405, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "visit_attendance": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    "field_sheet_download": {"anon": 302, "admin_a": A_DENIED, "admin_b": B_DENIED, "operator": 200, "supervisor": 200, "superuser": 200},
    "field_sheet_upload": {"anon": 302, "admin_a": A_DENIED, "admin_b": B_DENIED, "operator": 200, "supervisor": 200, "superuser": 200},
    "field_sheet_preview": {"anon": 302, "admin_a": A_DENIED, "admin_b": B_DENIED, "operator": 200, "supervisor": 200, "superuser": 200},
    "field_sheet_confirm": {"anon": 405, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "field_sheet_cancel": {"anon": 405, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    # --- student lists (schools app) --------------------------------------------------------
    "schools:upload_new": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:template_download": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:upload_list": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
    "schools:upload_detail": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    "schools:upload_commit": {"anon": 302, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "schools:upload_cancel": {"anon": 302, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "schools:upload_problem_rows": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    "schools:upload_file": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    "schools:conflict_list": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:conflict_decide": {"anon": 302, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "schools:left_list": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:left_decide": {"anon": 302, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "schools:school_students": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    "schools:student_detail": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    "schools:student_edit": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:school_profile": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 200, "supervisor": 200, "superuser": 200},
    "schools:school_profile_edit": {"anon": 302, "admin_a": A_ONLY, "admin_b": B_ONLY, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:coordinates_import": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:coordinates_template": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:access_log": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:account_list": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:account_create": {"anon": 302, "admin_a": 403, "admin_b": 403, "operator": 403, "supervisor": 200, "superuser": 200},
    "schools:account_reset_password": {"anon": 302, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "schools:account_deactivate": {"anon": 302, "admin_a": 405, "admin_b": 405, "operator": 405, "supervisor": 405, "superuser": 405},
    "schools:password_first": {"anon": 302, "admin_a": 200, "admin_b": 200, "operator": 200, "supervisor": 200, "superuser": 200},
}
# fmt: on

GROUPED_NAMESPACES = {"admin"}
GROUPED_NAMES = {"set_language", "login", "logout"}


def all_url_names() -> dict[str, list[str]]:
    """Every named URL pattern (with its namespace) and the names of its arguments, recursively."""
    found: dict[str, list[str]] = {}

    def walk(patterns, namespace: str = "") -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                found[namespace + entry.name] = sorted(entry.pattern.regex.groupindex)

    walk(get_resolver().url_patterns)
    return found


def grouped(name: str) -> bool:
    return name in GROUPED_NAMES or name.split(":", 1)[0] in GROUPED_NAMESPACES and ":" in name


@pytest.fixture
def world(settings, tmp_path):
    """Two schools in one drive, students, a visit with recordings, a student-list upload, a
    field-sheet upload and a NIK conflict per school, and one user per role."""
    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    school_a = factories.SchoolFactory(name="SMA Matriks Alfa")
    school_b = factories.SchoolFactory(name="SMK Matriks Beta")
    drive = factories.DriveFactory(schools=[school_a, school_b])
    users = {
        "admin_a": factories.SchoolAdminUserFactory(username="matrix-a", school=school_a),
        "admin_b": factories.SchoolAdminUserFactory(username="matrix-b", school=school_b),
        "operator": factories.OperatorFactory(username="matrix-operator"),
        "supervisor": factories.SupervisorFactory(username="matrix-supervisor"),
        "superuser": factories.SuperuserFactory(username="matrix-root"),
    }
    objects = {}
    for key, school in (("A", school_a), ("B", school_b)):
        visit, students = factories.visit_with_students(students=3, school=school, drive=drive)
        factories.RecordingFactory(visit=visit, student=students[0])
        upload, _preview = services.student_list_upload(
            school=school,
            data=synthetic.to_csv(synthetic.students(2, today=today)),
            name="daftar.csv",
            by=users["supervisor"],
        )
        sheet = FieldSheetUpload.objects.create(
            visit=visit,
            original_name="lembar.xlsx",
            status=FieldSheetUpload.Status.PREVIEWED,
            uploaded_by=users["operator"],
            generated_at=timezone.now(),
        )
        objects[key] = {"school": school, "visit": visit, "upload": upload, "sheet": sheet, "student": students[0]}
    for key, school, other in (("A", school_a, school_b), ("B", school_b, school_a)):
        existing = other.students.first()
        objects[key]["conflict"] = NikConflict.objects.create(
            upload=objects[key]["upload"],
            school=school,
            existing_student=existing,
            nik=existing.nik,
            row_number=2,
            data={"name": "Siswa Konflik"},
        )
    objects["A"]["account"], objects["B"]["account"] = users["admin_a"], users["admin_b"]
    kit = factories.KitFactory(name="Alat Matriks")
    return {"drive": drive, "users": users, "objects": objects, "kit": kit}


def url_for(name: str, args: list[str], world, key: str) -> str:
    """The URL of ``name`` for school ``key``'s objects."""
    obj = world["objects"][key]
    values = {
        "fmt": "xlsx",
        "npsn": obj["school"].npsn,
        "school_id": obj["school"].pk,
        "visit_id": obj["visit"].pk,
        "upload_pk": obj["sheet"].pk,
    }
    if "pk" in args:
        if name.startswith(("drive_", "visit_plan")):
            values["pk"] = world["drive"].pk
        elif name.startswith("kit_"):
            values["pk"] = world["kit"].pk
        elif name.startswith(("visit_", "field_sheet_")):
            values["pk"] = obj["visit"].pk
        elif name.startswith("schools:upload_"):
            values["pk"] = obj["upload"].pk
        elif name.startswith("schools:conflict_"):
            values["pk"] = obj["conflict"].pk
        elif name.startswith("schools:account_"):
            values["pk"] = obj["account"].pk
        elif name.startswith("schools:student_"):
            values["pk"] = obj["student"].pk
        else:  # pragma: no cover - a new URL with a pk: add it above
            raise AssertionError(f"{name}: no object known for its pk; add it to url_for()")
    return reverse(name, kwargs={arg: values[arg] for arg in args})


def text_of(response) -> str:
    """The page, or every cell of an XLSX download, as text."""
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        workbook = openpyxl.load_workbook(
            io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content])),
            read_only=True,
        )
        return "\n".join(
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def answer(client, url: str, *, hidden: tuple[str, ...] = ()) -> int:
    """GET ``url``; anonymous redirects must go to login; a 200 must not show ``hidden`` texts
    (the other school's NPSN and name, for a school admin)."""
    response = client.get(url)
    if response.status_code == 302 and not client.session.get("_auth_user_id"):
        assert response.url.startswith(reverse("login")), (url, response.url)
    if response.status_code == 200 and hidden:
        body = text_of(response)
        shown = [text for text in hidden if text in body]
        assert not shown, f"{url} shows another school's data to a school admin: {shown}"
    return response.status_code


def test_every_url_has_an_entry_and_answers_as_expected_for_every_role(client, world):
    names = all_url_names()
    missing = sorted(n for n in names if n not in EXPECTED and not grouped(n))
    assert not missing, f"URL names without an entry in EXPECTED (add one per role): {missing}"
    stale = sorted(set(EXPECTED) - set(names))
    assert not stale, f"EXPECTED has entries for URL names that no longer exist: {stale}"

    observed: dict[str, dict[str, int | tuple[int, int]]] = {}
    for role in ROLES:
        client.logout()
        if role != "anon":
            client.force_login(world["users"][role])
        other = {"admin_a": "B", "admin_b": "A"}.get(role)
        hidden = (
            () if other is None else (world["objects"][other]["school"].npsn, world["objects"][other]["school"].name)
        )
        for name in EXPECTED:
            args = names[name]
            urls = [url_for(name, args, world, "A"), url_for(name, args, world, "B")] if args else []
            if urls and urls[0] != urls[1]:
                got = tuple(answer(client, url, hidden=hidden) for url in urls)
                got = got[0] if got[0] == got[1] else got
            else:
                got = answer(client, url_for(name, args, world, "A"), hidden=hidden)
            observed.setdefault(name, {})[role] = got

    wrong = {
        name: {
            role: (EXPECTED[name][role], observed[name][role])
            for role in ROLES
            if EXPECTED[name][role] != observed[name][role]
        }
        for name in EXPECTED
    }
    wrong = {name: diff for name, diff in wrong.items() if diff}
    assert not wrong, "URL name → role → (expected, got): " + "\n".join(f"{k}: {v}" for k, v in wrong.items())


def test_grouped_urls(client, world):
    """The Django admin, the language switch, login and logout (see the module docstring)."""
    admin_index = reverse("admin:index")
    for role in ROLES:
        client.logout()
        if role != "anon":
            client.force_login(world["users"][role])
        response = client.get(admin_index)
        if role == "superuser":
            assert response.status_code == 200
        else:
            assert response.status_code == 302 and response.url.startswith(reverse("admin:login")), role
        assert client.get(reverse("set_language")).status_code == 302  # GET changes nothing, goes back
        assert client.get(reverse("logout")).status_code == 405
        assert client.get(reverse("login")).status_code == (200 if role == "anon" else 302)


# --- writes: a POST by a role that may not write is refused and changes nothing -------------------

# POST-only views (405 on GET above): who is refused, and how. Roles not listed may POST.
POST_DENIED: dict[str, dict[str, int | tuple[int, int]]] = {
    "visit_outcome": {"admin_a": A_DENIED, "admin_b": B_DENIED},
    "visit_start": {"admin_a": A_DENIED, "admin_b": B_DENIED},
    "visit_finish": {"admin_a": A_DENIED, "admin_b": B_DENIED},
    "visit_cancel": {"admin_a": A_DENIED, "admin_b": B_DENIED, "operator": 403},
    "visit_outcome_correct": {"admin_a": A_DENIED, "admin_b": B_DENIED, "operator": 403},
    "kit_status": {"admin_a": 403, "admin_b": 403, "operator": 403},
    "visit_notice_whatsapp": {"admin_a": A_DENIED, "admin_b": B_DENIED},
    "field_sheet_confirm": {"admin_a": A_DENIED, "admin_b": B_DENIED},
    "field_sheet_cancel": {"admin_a": A_DENIED, "admin_b": B_DENIED},
    "schools:upload_commit": {"admin_a": (302, 404), "admin_b": (404, 302), "operator": 404},
    "schools:upload_cancel": {"admin_a": (302, 404), "admin_b": (404, 302), "operator": 404},
    "schools:conflict_decide": {"admin_a": 403, "admin_b": 403, "operator": 403},
    "schools:left_decide": {"admin_a": 403, "admin_b": 403, "operator": 403},
    "schools:account_reset_password": {"admin_a": 403, "admin_b": 403, "operator": 403},
    "schools:account_deactivate": {"admin_a": 403, "admin_b": 403, "operator": 403},
}

# GET-only views (``require_GET``): a POST is refused with 405 before any check.
GET_ONLY = {
    "schools:template_download",
    "schools:upload_problem_rows",
    "schools:upload_file",
    "schools:coordinates_template",
}


def database_state() -> dict:
    from django.contrib.auth import get_user_model

    from recordings.models import Drive, Kit, Recording, Visit, VisitKit, VisitNotice
    from schools.models import LeftProposal, School, Student, StudentListUpload

    return {
        "drives": list(Drive.objects.order_by("pk").values()),
        "visits": list(Visit.objects.order_by("pk").values("pk", "status", "date", "start_time")),
        "visit_kits": list(VisitKit.objects.order_by("pk").values_list("visit_id", "kit_id", "date", "active")),
        "kits": list(Kit.objects.order_by("pk").values_list("pk", "name", "status", "note")),
        "recordings": Recording.objects.count(),
        "students": Student.objects.count(),
        "schools": list(School.objects.order_by("pk").values_list("pk", "contact_phone", "latitude", "address")),
        "uploads": list(StudentListUpload.objects.order_by("pk").values_list("pk", "status")),
        "sheets": list(FieldSheetUpload.objects.order_by("pk").values_list("pk", "status")),
        "conflicts": list(NikConflict.objects.order_by("pk").values_list("pk", "status")),
        "left": LeftProposal.objects.count(),
        "notices": VisitNotice.objects.count(),
        "users": list(get_user_model().objects.order_by("pk").values_list("pk", "is_active", "password")),
    }


def test_refused_writes_change_nothing(client, world):
    """Every role GET refuses (403/404 above) and every POST-only view's refused roles POST, with a
    plausible body; the answer is 403/404 (or a redirect for the school's own upload, which is
    then allowed) and, for refused ones, no row changes. Anonymous POSTs go to the login page."""
    names = all_url_names()
    assert set(POST_DENIED) <= set(EXPECTED)
    for name, roles in EXPECTED.items():
        if all(value == 405 for value in roles.values()):
            assert name in POST_DENIED or name == "visit_sync", f"{name}: POST-only; add it to POST_DENIED"
    wrong = {}
    for role in ROLES:
        client.logout()
        if role != "anon":
            client.force_login(world["users"][role])
        for name, roles in EXPECTED.items():
            expected = POST_DENIED.get(name, {}).get(role)
            if expected is None and role != "anon":
                get_answer = roles[role]
                pair = get_answer if isinstance(get_answer, tuple) else (get_answer, get_answer)
                if not any(status in (403, 404) for status in pair):
                    continue
                expected = tuple(status if status in (403, 404) else None for status in pair)
            for index, key in enumerate(("A", "B")):
                want = expected if not isinstance(expected, tuple) else expected[index]
                if role == "anon":
                    want = 302
                if want is None or (want == 302 and role != "anon"):
                    continue
                if name in GET_ONLY and role != "anon":
                    want = 405
                url = url_for(name, names[name], world, key)
                before = database_state()
                response = client.post(
                    url, {"action": "move", "proposal": ["1"], "student": "1", "outcome": "recorded"}
                )
                got = response.status_code
                if role == "anon" and got == 302:
                    assert response.url.startswith(reverse("login")), url
                if got != want and not (role == "anon" and got == 405):
                    wrong[(name, role, key)] = (want, got)
                assert database_state() == before, f"POST {url} as {role} changed the database"
    assert not wrong, "(URL name, role, school) → (expected, got): " + "\n".join(f"{k}: {v}" for k, v in wrong.items())


def test_offline_sync_refuses_taps_of_users_who_may_not_record(client, world):
    import json
    import time
    import uuid

    from recordings.models import Recording

    now_ms = int(time.time() * 1000)
    for role in ("admin_a", "admin_b"):
        client.force_login(world["users"][role])
        for key in ("A", "B"):
            visit = world["objects"][key]["visit"]
            student = visit.school.students.order_by("pk").last()
            before = Recording.objects.count()
            payload = {
                "actions": [
                    {
                        "client_id": str(uuid.uuid4()),
                        "visit": visit.pk,
                        "student": student.pk,
                        "outcome": "recorded",
                        "reason": "",
                        "tapped_at": now_ms,
                        "sent_at": now_ms,
                    }
                ]
            }
            response = client.post(reverse("visit_sync"), json.dumps(payload), content_type="application/json")
            assert response.status_code == 200
            assert Recording.objects.count() == before, (role, key, response.content)
