"""Marking outcomes: one tap through HTMX, and the batch sync of taps kept offline in the browser."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import DatabaseError, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recordings import services
from recordings.forms import UNDO, OutcomeCorrectionForm, OutcomeForm
from recordings.models import Recording, RecordingAction, Visit
from recordings.permissions import can_correct_outcome, can_record_outcome, get_visible_visit_or_404, visits_visible_to
from recordings.selectors import visit_tallies
from recordings.services import ActionStatus
from recordings.sync_items import BatchUnreadable, ItemInvalid, SyncItem, clean_item, parse_batch
from recordings.views.visits_common import login_required_fragment, roster_buttons, roster_item, tally_items
from schools.models import Student
from schools.permissions import can_open_student_page

MAX_SYNC_ACTIONS = 500
logger = logging.getLogger(__name__)


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
            "buttons": roster_buttons(),
            "recording_open": True,
            "can_record": True,
            "student_links": can_open_student_page(request.user, visit.school),
            "notice": notice,
        },
    )


@require_POST
@login_required
def visit_outcome_correct(request, pk: int):
    """A supervisor corrects a student's outcome at a visit (also after the tap window), with a reason."""
    visit = get_visible_visit_or_404(request.user, pk=pk)
    if not can_correct_outcome(request.user, visit):
        raise PermissionDenied
    form = OutcomeCorrectionForm(request.POST)
    history = reverse("visit_history", args=[visit.pk])
    if not form.is_valid():
        messages.error(request, _("Pilih hasil yang benar dan tuliskan alasan koreksi."))
        student_id = request.POST.get("student", "")
        return redirect(history + (f"?siswa={student_id}" if student_id.isdigit() else ""))
    data = form.cleaned_data
    student = get_object_or_404(Student.objects.filter(school_id=visit.school_id), pk=data["student"])
    try:
        services.recording_correct(
            visit=visit,
            student=student,
            outcome=None if data["outcome"] == UNDO else data["outcome"],
            reason=data["reason"],
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Koreksi tersimpan di riwayat."))
    return redirect(f"{history}?siswa={student.pk}")


def _reject(client_id, message, code: str = "invalid") -> dict:
    return {"client_id": str(client_id or ""), "status": "rejected", "code": code, "message": str(message)}


def _sync_one(request, item: SyncItem, visit, student) -> dict:
    """Apply one checked item in its own savepoint: a failure leaves the others as they are."""
    if visit is None:
        return _reject(
            item.client_id, _("Kunjungan tidak ditemukan atau Anda tidak berhak mencatat hasilnya."), "visit"
        )
    if student is None or student.school_id != visit.school_id:
        return _reject(item.client_id, _("Peserta didik tidak ada di daftar kunjungan ini."), "student")
    if item.queued_by is None and visit.status == Visit.Status.DONE:
        return _reject(
            item.client_id,
            _("Kunjungan ini sudah selesai dan tindakan ini tidak menyebut siapa yang mencatatnya. Minta supervisor."),
            "queued_by_missing",
        )
    if item.queued_by is not None and item.queued_by != request.user.pk:
        return _reject(
            item.client_id,
            _(
                "Tindakan ini dicatat oleh pengguna lain di perangkat ini; masuk sebagai pengguna itu untuk "
                "mengirimnya."
            ),
            "other_user",
        )
    try:
        with transaction.atomic():
            result = services.recording_apply(
                visit=visit,
                student=student,
                outcome=item.outcome,
                reason=item.reason,
                by=request.user,
                tapped_at=services.tap_time_from_client(tapped_ms=item.tapped_ms, sent_ms=item.sent_ms),
                client_id=item.client_id,
                source=RecordingAction.Source.OFFLINE,
            )
    except ValidationError as exc:
        return _reject(item.client_id, " ".join(exc.messages), exc.code or "invalid")
    except DatabaseError:
        logger.exception("offline tap could not be stored")
        return {
            "client_id": str(item.client_id),
            "status": "error",
            "code": "retry",
            "message": _("Tindakan belum tersimpan; akan dikirim ulang."),
        }
    return {
        "client_id": str(item.client_id),
        "status": result.status,
        "current": result.recording.outcome if result.recording else "",
    }


@require_POST
@login_required_fragment
def visit_sync(request):
    """Receive taps kept in the browser while offline. Each one is applied once, by its tap time.

    Body: ``{"actions": [{"client_id", "visit", "student", "outcome" (or "undo"), "reason",
    "tapped_at", "sent_at", "queued_by"}]}`` with times in milliseconds of the browser's clock.
    Every item is checked (``recordings.sync_items``) before anything is written, then applied in
    its own savepoint; the answer has one result per item, in order. When an item could not be
    stored for a passing reason (a database error), the answer is a 503 with the same results, so
    the client keeps the batch and sends it again (the items already applied are then duplicates).
    """
    try:
        actions = parse_batch(request.body)
    except RequestDataTooBig:
        return JsonResponse({"error": _("Data terlalu besar untuk dikirim sekaligus.")}, status=413)
    except BatchUnreadable:
        return JsonResponse({"error": _("Data tidak terbaca.")}, status=400)
    if len(actions) > MAX_SYNC_ACTIONS:
        return JsonResponse({"error": _("Terlalu banyak data sekaligus.")}, status=413)

    checked: list[SyncItem | dict] = []
    for raw in actions:
        try:
            checked.append(clean_item(raw))
        except ItemInvalid as exc:
            checked.append(_reject(exc.client_id, exc.message))
    items = [item for item in checked if isinstance(item, SyncItem)]
    visible = visits_visible_to(request.user).select_related("drive", "school")
    visits = {
        visit.pk: visit
        for visit in visible.filter(pk__in={item.visit_id for item in items})
        if can_record_outcome(request.user, visit)
    }
    students = Student.objects.in_bulk({item.student_id for item in items})
    # One transaction for the batch, a savepoint per item: the progress read model recounts the
    # visit's school once, when the batch commits, instead of once per tap (a day's backlog of 450
    # taps took 9.8 s with a commit per tap). Should the commit itself fail, nothing is stored and
    # the client, which got no answer, sends the batch again.
    with transaction.atomic():
        results = [
            _sync_one(request, item, visits.get(item.visit_id), students.get(item.student_id))
            if isinstance(item, SyncItem)
            else item
            for item in checked
        ]
    if any(result["status"] == "error" for result in results):
        # Tell the client to keep and resend the batch: applied items come back as duplicates.
        return JsonResponse(
            {"results": results, "error": _("Sebagian tindakan belum tersimpan; akan dikirim ulang.")}, status=503
        )
    return JsonResponse({"results": results})
