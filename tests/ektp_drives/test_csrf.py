"""CSRF protection on every form and on HTMX requests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(settings.BASE_DIR)
FORM_RE = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
POST_RE = re.compile(r"""method\s*=\s*["']?post""", re.I)
# {% csrf_token %}, or the same hidden field written out (a template repeated per row may do that).
TOKEN_RE = re.compile(r"""\{% csrf_token %\}|name=["']csrfmiddlewaretoken["'][^>]*value=["']\{\{ ?csrf_token ?\}\}""")
HX_WRITE_RE = re.compile(r"""\bhx-(post|put|patch|delete)\s*=""", re.I)


def _templates():
    return sorted((ROOT / "templates").rglob("*.html")) + sorted(ROOT.glob("*/templates/**/*.html"))


def test_csrf_middleware_is_on():
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


def test_every_post_form_in_our_templates_has_a_token():
    missing = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for form in FORM_RE.findall(text):
            opening = form.split(">", 1)[0]
            if POST_RE.search(opening) and not TOKEN_RE.search(form):
                missing.append(f"{path.relative_to(ROOT)}: {opening[:80]}")
    assert missing == []


def test_htmx_writes_inherit_the_token_header():
    """hx-post/put/patch/delete send X-CSRFToken from <body hx-headers=...> in base.html."""
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert """hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'""" in base
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        if HX_WRITE_RE.search(text) and "hx-headers" in text and path.name != "base.html":
            offenders.append(str(path.relative_to(ROOT)))  # a local hx-headers would replace the token
    assert offenders == []


def test_no_view_is_csrf_exempt():
    skip = {".venv", "var", "tests", "node_modules", "static", "bench"}
    hits = [
        str(path.relative_to(ROOT))
        for top in ROOT.iterdir()
        if top.is_dir() and not top.name.startswith(".") and top.name not in skip
        for path in top.rglob("*.py")
        if "csrf_exempt" in path.read_text("utf-8")
    ]
    assert hits == []


@pytest.mark.django_db
def test_login_without_token_is_refused(supervisor):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/masuk/", {"username": "supervisor", "password": "x"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_page_carries_the_token_for_htmx(supervisor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)
    content = client.get("/").content.decode()
    match = re.search(r"""hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", content)
    assert match, "base.html must send the CSRF token with every HTMX request"
    # An HTMX request with that header (and the cookie) passes; without it, it is refused.
    assert client.post("/keluar/", HTTP_HX_REQUEST="true").status_code == 403
    response = client.post("/keluar/", HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=match.group(1))
    assert response.status_code == 302
