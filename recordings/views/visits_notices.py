"""Telling a school about its visit by WhatsApp: a logged tap that opens the click-to-chat link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from recordings.permissions import can_send_school_notice, get_visible_visit_or_404
from recordings.services import notices as notice_services


class SeeOther(HttpResponseRedirect):
    status_code = 303


@require_POST
@login_required
def visit_notice_whatsapp(request, pk: int):
    """Write the log row (who, when, to which number), then 303 to ``https://wa.me/<number>?text=…``.

    The button's form opens in a new tab, so the visit page stays where it was.
    """
    visit = get_visible_visit_or_404(request.user, pk=pk)
    if not can_send_school_notice(request.user, visit):
        raise PermissionDenied
    try:
        _notice, url = notice_services.visit_notice_whatsapp(
            visit=visit, kind=request.POST.get("kind", ""), by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        response = redirect("visit_detail", pk=visit.pk)
        response.status_code = 303
        return response
    return SeeOther(url)
