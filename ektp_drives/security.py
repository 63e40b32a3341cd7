"""Login protection and session rules (docs/adr/0006-login-protection-csp-personal-data-in-logs-backups.md).

- ``AxesBackend``: django-axes refuses logins for a username + IP pair after repeated failures.
- ``client_ip``: the address axes counts failures against (nginx's ``X-Real-IP`` behind the proxy).
- ``AdminSessionMiddleware``: a session that touches the Django admin, or belongs to a user who may use
  it, ends when the browser closes.
"""

from __future__ import annotations

import ipaddress

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse


def client_ip(request) -> str | None:
    """Return the client's IP address for login throttling.

    Behind nginx (``TRUST_X_REAL_IP``) the proxy overwrites ``X-Real-IP`` with the peer address,
    so a client cannot forge it; ``REMOTE_ADDR`` is then the proxy itself. Without a proxy the
    header is ignored, because any client could send one.
    """
    if getattr(settings, "TRUST_X_REAL_IP", False):
        forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """The page shown instead of the login form while a username + IP pair is locked (HTTP 429)."""
    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, "registration/locked_out.html", context, status=429)


class AxesBackend(AxesStandaloneBackend):
    """django-axes' lock-out check, first in ``AUTHENTICATION_BACKENDS``.

    Every web login path (``/masuk/`` and ``/admin/login/``) passes the request, so it is throttled.
    ``authenticate()`` calls without a request (``Client.login`` in tests, the Django shell) carry no IP
    to count against; they are not throttled here and fall through to ``ModelBackend`` instead of
    raising ``AxesBackendRequestParameterRequired``.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class AdminSessionMiddleware:
    """End admin sessions when the browser closes.

    After a response to a request under the admin URL prefix, or from a user with ``is_staff``
    (who can open the Django admin), the session cookie is made a browser-session cookie
    (``set_expiry(0)``). On the server the session still expires after ``SESSION_COOKIE_AGE``
    seconds of inactivity, because ``SESSION_SAVE_EVERY_REQUEST`` renews it on each request.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._admin_prefix = None

    @property
    def admin_prefix(self) -> str:
        if self._admin_prefix is None:
            self._admin_prefix = reverse("admin:index")
        return self._admin_prefix

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if (
            session is not None
            and user is not None
            and user.is_authenticated
            and (user.is_staff or request.path.startswith(self.admin_prefix))
            and not session.get_expire_at_browser_close()
        ):
            session.set_expiry(0)
        return response
