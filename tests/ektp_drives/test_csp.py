"""Content-Security-Policy: no inline scripts anywhere, vendored assets only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import PASSWORD

ROOT = Path(settings.BASE_DIR)
SCRIPT_TAG_RE = re.compile(r"<script\b([^>]*)>", re.I)
EVENT_ATTR_RE = re.compile(r"""<[a-z][^>]*\son[a-z]+\s*=""", re.I)
JS_URL_RE = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _inline_scripts(html: str) -> list[str]:
    """<script> elements that run code without a src (JSON data blocks do not run)."""
    found = []
    for attributes in SCRIPT_TAG_RE.findall(html):
        if "src=" in attributes:
            continue
        if re.search(r"""type\s*=\s*["']?application/(ld\+)?json""", attributes, re.I):
            continue
        found.append(attributes)
    return found


def _assert_no_inline_code(html: str, where: str):
    assert _inline_scripts(html) == [], where
    assert not EVENT_ATTR_RE.search(html), f"inline event handler in {where}"
    assert not JS_URL_RE.search(html), f"javascript: URL in {where}"


@pytest.mark.django_db
def test_policy_header(client):
    policy = _policy(client.get("/masuk/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    # Forms post to our own server; only the WhatsApp button's redirect may leave it (ADR 29).
    assert policy["form-action"] == ["'self'", "https://wa.me", "https://api.whatsapp.com"]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]  # style="width: ..." on progress bars
    for directive in ("default-src", "script-src", "style-src", "style-src-elem"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
    # No host outside our own server: vendored assets only.
    for name, values in policy.items():
        if name == "form-action":
            continue
        assert not [v for v in values if v.startswith(("http:", "https:", "*")) or "." in v.strip("'")]


def test_htmx_style_hash_matches_the_vendored_htmx():
    """htmx injects one <style> for its indicators; the policy allows exactly that text by hash."""
    htmx = (ROOT / "static" / "vendor" / "htmx" / "htmx.min.js").read_text(encoding="utf-8")
    assert 'version:"2.0.11"' in htmx, "htmx changed: check settings.HTMX_INDICATOR_STYLE and the browser test"
    assert settings.HTMX_INDICATOR_STYLE_HASH in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src-elem"]


def test_templates_have_no_inline_code():
    templates = sorted((ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html"))
    assert templates
    for path in templates:
        _assert_no_inline_code(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))


@pytest.mark.django_db
def test_rendered_pages_have_no_inline_code(client, superuser, supervisor, school):
    pages = {"/masuk/": client.get("/masuk/")}
    client.force_login(supervisor)
    pages["/ (supervisor)"] = client.get("/")
    client.force_login(superuser)
    for url in (
        "/",
        "/admin/",
        "/admin/schools/school/",
        f"/admin/schools/school/{school.pk}/change/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{supervisor.pk}/change/",
        "/admin/pghistory/events/",
        "/admin/axes/accessattempt/",
        "/admin/axes/accesslog/",
    ):
        pages[url] = client.get(url)
    for url, response in pages.items():
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response, url
        _assert_no_inline_code(response.content.decode(), url)


@pytest.mark.django_db
def test_lockout_page_has_the_policy(client, supervisor):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/masuk/", {"username": "supervisor", "password": "salah"})
    assert response.status_code == 429
    assert _policy(response)["script-src"] == ["'self'"]
    _assert_no_inline_code(response.content.decode(), "locked_out")
    assert client.post("/masuk/", {"username": "supervisor", "password": PASSWORD}).status_code == 429
