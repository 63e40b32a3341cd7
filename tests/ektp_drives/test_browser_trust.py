"""In headless Chromium: no CSP violations on the app and admin pages; lock-out after failed logins."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.conftest import login_in_browser
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Records violations in the page itself (console messages can be throttled or reworded).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(
    e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber
  );
});
"""


def _watch(page):
    problems = []

    def on_console(msg):
        source = msg.location.get("url", "")
        if source.endswith("/favicon.ico"):  # the admin pages link no icon; Chromium asks anyway
            return
        if msg.type == "error" or "Content Security Policy" in msg.text:
            problems.append(f"console {msg.type}: {msg.text} ({source})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "response",
        lambda response: problems.append(f"HTTP {response.status} {response.url}") if response.status >= 400 else None,
    )
    page.context.add_init_script(RECORD_VIOLATIONS)
    return problems


def _visit(page, path, problems):
    response = page.goto(page.live_server_url + path)
    assert response.status < 400, (path, response.status)
    assert response.headers.get("content-security-policy"), path
    page.wait_for_load_state("load")
    page.wait_for_timeout(100)  # let htmx/bootstrap run on DOMContentLoaded
    violations = page.evaluate("window.__cspViolations")
    problems.extend(f"{path}: {v}" for v in violations)


def test_no_csp_violations_on_app_and_admin_pages(browser_page, superuser, supervisor, school):
    page = browser_page
    problems = _watch(page)
    _visit(page, "/masuk/", problems)
    login_in_browser(page, "root")
    page.wait_for_url(page.live_server_url + "/")
    for path in (
        "/",
        "/admin/",
        "/admin/schools/school/",
        f"/admin/schools/school/{school.pk}/change/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{supervisor.pk}/change/",
        "/admin/pghistory/events/",
        "/admin/axes/accessattempt/",
    ):
        _visit(page, path, problems)
    # The Bootstrap menu (JS) and the language switcher (app.js) still work under the policy.
    page.set_viewport_size({"width": 360, "height": 740})
    _visit(page, "/", problems)
    page.get_by_role("button", name="Buka menu").click()
    page.get_by_role("button", name="Keluar").wait_for(state="visible")
    assert problems == []


def test_lockout_in_the_browser(browser_page, supervisor):
    page = browser_page
    problems = _watch(page)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_in_browser(page, "supervisor", password="salah-lagi")
        page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Akun dikunci sementara").is_visible()
    # The right password is refused while locked.
    login_in_browser(page, "supervisor", password=PASSWORD)
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Akun dikunci sementara").is_visible()
    assert page.url.endswith("/masuk/")
    assert [p for p in problems if "429" not in p] == []
