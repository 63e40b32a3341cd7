"""Send a user who logged in with a one-time password to set their own password first.

Installed after ``AuthenticationMiddleware``. The answer is stored in the session when the user
logs in (``remember_password_state``, connected to ``user_logged_in``), so a request costs no query;
a session from before that (or from elsewhere) is looked up once and the answer kept.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from schools.models import AccountProfile

SESSION_KEY = "_ektp_must_change_password"


def must_change_password(user) -> bool:
    return AccountProfile.objects.filter(user=user, must_change_password=True).exists()


def remember_password_state(sender, request, user, **kwargs):
    """Store at login whether the user must set their own password first."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = [user.pk, must_change_password(user)]


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed: tuple[str, ...] | None = None

    def allowed_prefixes(self) -> tuple[str, ...]:
        if self._allowed is None:
            self._allowed = (
                reverse("schools:password_first"),
                reverse("logout"),
                reverse("login"),
                reverse("service_worker"),  # no data in either, and a redirect would break the worker
                reverse("offline_page"),
                "/i18n/",
                settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL,
            )
        return self._allowed

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            state = request.session.get(SESSION_KEY)
            if not state or state[0] != user.pk:
                state = [user.pk, must_change_password(user)]
                request.session[SESSION_KEY] = state
            if state[1] and not request.path.startswith(self.allowed_prefixes()):
                return redirect("schools:password_first")
        return self.get_response(request)
