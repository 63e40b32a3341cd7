"""Send a user who logged in with a one-time password to set their own password first.

Install after ``AuthenticationMiddleware``:
``"schools.middleware.PasswordChangeRequiredMiddleware"``. One query per session: the answer is
kept in the session until the password is changed.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from schools.models import AccountProfile

SESSION_KEY = "_ektp_must_change_password"


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
                "/i18n/",
                settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL,
            )
        return self._allowed

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            state = request.session.get(SESSION_KEY)
            if not state or state[0] != user.pk:
                must = AccountProfile.objects.filter(user=user, must_change_password=True).exists()
                state = [user.pk, must]
                request.session[SESSION_KEY] = state
            if state[1] and not request.path.startswith(self.allowed_prefixes()):
                return redirect("schools:password_first")
        return self.get_response(request)
