"""Marking outcomes: one tap through HTMX, and the batch sync of taps kept offline in the browser."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recordings import services
from recordings.forms import UNDO, OutcomeForm
from recordings.models import Recording, RecordingAction
from recordings.permissions import can_record_outcome, get_visible_visit_or_404, visits_visible_to
from recordings.selectors import visit_tallies
from recordings.services import ActionStatus
from recordings.views.visits_common import OUTCOME_BUTTONS, login_required_fragment, roster_item, tally_items
from schools.models import Student

MAX_SYNC_ACTIONS = 500


def _message(request, text: str, status: int):
    if request.htmx:
        return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    messages.error(request, text)
    return None


@require_POST
@login_required_fragment
def visit_outcome(request, pk: int):
    """Set or undo one student's outcome. HTMX gets the student's row and the tallies back."""
    visit = get_visible_visit_or_404(request.user, pk=pk)
    if not can_record_outcome(request.user, visit):
        raise PermissionDenied
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        response = _message(request, _("Data hasil tidak lengkap. Muat ulang halaman."), 400)
        return response or redirect("visit_detail", pk=visit.pk)
    data = form.cleaned_data
    student = get_object_or_404(Student.objects.filter(school_id=visit.school_id), pk=data["student"])
    outcome = None if data["outcome"] == UNDO else data["outcome"]
    try:
        result = services.recording_apply(
            visit=visit,
            student=student,
            outcome=outcome,
            reason=data["reason"] if outcome == Recording.Outcome.NOT_ELIGIBLE else "",
            by=request.user,
            tapped_at=services.tap_time_from_client(tapped_ms=data["tapped_at"], sent_ms=data["sent_at"]),
            client_id=data["client_id"],
            source=RecordingAction.Source.TAP if request.htmx else RecordingAction.Source.FORM,
        )
    except ValidationError as exc:
        response = _message(request, " ".join(exc.messages), 409)
        return response or redirect("visit_detail", pk=visit.pk)
    notice = ""
    if result.status == ActionStatus.SUPERSEDED:
        notice = _("Sudah ada perubahan yang lebih baru untuk peserta didik ini; hasil terbaru dipertahankan.")
    if not request.htmx:
        if notice:
            messages.warning(request, notice)
        return redirect(reverse("visit_detail", args=[visit.pk]) + f"#student-{student.pk}")
    tallies = visit_tallies(visit)
    return render(
        request,
        "recordings/visit_outcome_response.html",
        {
            "visit": visit,
            "item": roster_item(visit, student, recording=result.recording, by=request.user),
            "tallies": tallies,
            "tally_items": tally_items(tallies),
            "buttons": OUTCOME_BUTTONS,
            "recording_open": True,
            "can_record": True,
            "notice": notice,
        },
    )


def _reject(client_id, message) -> dict:
    return {"client_id": str(client_id or ""), "status": "rejected", "message": str(message)}


@require_POST
@login_required_fragment
def visit_sync(request):
    """Receive taps kept in the browser while offline. Each one is applied once, by its tap time.

    Body: ``{"actions": [{"client_id", "visit", "student", "outcome" (or "undo"), "reason",
    "tapped_at", "sent_at"}]}`` with times in milliseconds of the browser's clock.
    """
    try:
        payload = json.loads(request.body or b"{}")
        actions = payload["actions"]
        if not isinstance(actions, list):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": _("Data tidak terbaca.")}, status=400)
    if len(actions) > MAX_SYNC_ACTIONS:
        return JsonResponse({"error": _("Terlalu banyak data sekaligus.")}, status=413)

    visits = {}
    student_ids = {a.get("student") for a in actions if isinstance(a, dict) and isinstance(a.get("student"), int)}
    students = Student.objects.in_bulk(list(student_ids))
    results = []
    for item in actions:
        if not isinstance(item, dict):
            results.append(_reject(None, _("Data tidak terbaca.")))
            continue
        try:
            client_id = uuid.UUID(str(item.get("client_id")))
        except ValueError:
            results.append(_reject(item.get("client_id"), _("Id tindakan tidak sah.")))
            continue
        visit_id = item.get("visit")
        if visit_id not in visits:
            visit = (
                visits_visible_to(request.user).select_related("drive", "school").filter(pk=visit_id).first()
                if isinstance(visit_id, int)
                else None
            )
            visits[visit_id] = visit if visit is not None and can_record_outcome(request.user, visit) else None
        visit = visits[visit_id]
        student = students.get(item.get("student"))
        if visit is None:
            results.append(_reject(client_id, _("Kunjungan tidak ditemukan atau Anda tidak berhak mencatat hasilnya.")))
            continue
        if student is None or student.school_id != visit.school_id:
            results.append(_reject(client_id, _("Peserta didik tidak ada di daftar kunjungan ini.")))
            continue
        outcome = item.get("outcome")
        if outcome != UNDO and outcome not in Recording.Outcome.values:
            results.append(_reject(client_id, _("Hasil tidak dikenal.")))
            continue
        outcome = None if outcome == UNDO else outcome

        def as_ms(value):
            return int(value) if isinstance(value, int | float) and value >= 0 else None

        try:
            result = services.recording_apply(
                visit=visit,
                student=student,
                outcome=outcome,
                reason=str(item.get("reason") or "") if outcome == Recording.Outcome.NOT_ELIGIBLE else "",
                by=request.user,
                tapped_at=services.tap_time_from_client(
                    tapped_ms=as_ms(item.get("tapped_at")), sent_ms=as_ms(item.get("sent_at"))
                ),
                client_id=client_id,
                source=RecordingAction.Source.OFFLINE,
            )
        except ValidationError as exc:
            results.append(_reject(client_id, " ".join(exc.messages)))
            continue
        results.append(
            {
                "client_id": str(client_id),
                "status": result.status,
                "current": result.recording.outcome if result.recording else "",
            }
        )
    return JsonResponse({"results": results})
