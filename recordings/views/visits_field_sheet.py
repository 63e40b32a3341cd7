"""Field sheets: download the visit's roster as XLSX, upload it filled in, preview, then confirm."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recordings import services
from recordings.fieldsheet import RosterRow, build_field_sheet
from recordings.forms import FieldSheetUploadForm
from recordings.models import FieldSheetUpload, Visit
from recordings.permissions import can_use_field_sheet, get_visible_visit_or_404
from recordings.selectors import visit_roster
from recordings.views.visits_common import OUTCOME_LABELS, roster_items
from schools.models import PersonalDataAccess
from schools.services import personal_data_access_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _visit_for_field_sheet(request, pk: int) -> Visit:
    visit = get_visible_visit_or_404(request.user, pk=pk)
    if not can_use_field_sheet(request.user, visit):
        raise PermissionDenied
    return visit


@login_required
def field_sheet_download(request, pk: int):
    visit = _visit_for_field_sheet(request, pk)
    rows = []
    for item in roster_items(visit, visit_roster(visit)):
        student = item.student
        earlier = ""
        if item.earlier_outcome:
            earlier = f"{item.earlier_label} ({timezone.localtime(student.earlier_at):%d-%m-%Y})"
        rows.append(
            RosterRow(
                student_id=student.pk,
                class_name=student.class_name,
                name=student.name,
                gender=student.gender,
                birth_date=student.birth_date,
                nisn=student.nisn,
                nik_last4=item.nik_last4,
                earlier=earlier,
                outcome=item.outcome,
                reason=item.recording.reason if item.recording else "",
            )
        )
    content = build_field_sheet(visit=visit, rows=rows)
    personal_data_access_record(
        user=request.user,
        school=visit.school,
        kind=PersonalDataAccess.Kind.FIELD_SHEET,
        detail=_("Kunjungan %(date)s (#%(id)s), %(n)s peserta didik")
        % {"date": f"{visit.date:%d-%m-%Y}", "id": visit.pk, "n": len(rows)},
    )
    filename = f"lembar-lapangan-{visit.school.npsn}-{visit.date:%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def field_sheet_upload(request, pk: int):
    visit = _visit_for_field_sheet(request, pk)
    form = FieldSheetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = services.field_sheet_preview(visit=visit, uploaded_file=form.cleaned_data["file"], by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect("field_sheet_preview", pk=visit.pk, upload_pk=upload.pk)
    uploads = list(FieldSheetUpload.objects.filter(visit=visit).select_related("uploaded_by")[:20])
    for earlier in uploads:
        earlier.expired = services.field_sheet_expired(earlier)
    return render(request, "recordings/field_sheet_upload.html", {"visit": visit, "form": form, "uploads": uploads})


@login_required
def field_sheet_preview(request, pk: int, upload_pk: int):
    visit = _visit_for_field_sheet(request, pk)
    upload = get_object_or_404(
        FieldSheetUpload.objects.select_related("uploaded_by", "decided_by"), pk=upload_pk, visit=visit
    )
    rows = upload.rows or []
    return render(
        request,
        "recordings/field_sheet_preview.html",
        {
            "visit": visit,
            "upload": upload,
            "expired": services.field_sheet_expired(upload),
            "changes": [r for r in rows if r["change"] != services.RowChange.NONE],
            "errors": [r for r in rows if r["errors"]],
            "notes": [r for r in rows if r.get("note")],
            "labels": OUTCOME_LABELS,
        },
    )


@require_POST
@login_required
def field_sheet_confirm(request, pk: int, upload_pk: int):
    visit = _visit_for_field_sheet(request, pk)
    upload = get_object_or_404(FieldSheetUpload, pk=upload_pk, visit=visit)
    try:
        upload = services.field_sheet_commit(upload=upload, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Lembar lapangan disimpan: %(n)s hasil dicatat, %(e)s baris dilewati.")
            % {"n": upload.rows_applied, "e": upload.rows_error},
        )
    return redirect("field_sheet_preview", pk=visit.pk, upload_pk=upload.pk)


@require_POST
@login_required
def field_sheet_cancel(request, pk: int, upload_pk: int):
    visit = _visit_for_field_sheet(request, pk)
    upload = get_object_or_404(FieldSheetUpload, pk=upload_pk, visit=visit)
    try:
        services.field_sheet_cancel(upload=upload, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("field_sheet_preview", pk=visit.pk, upload_pk=upload.pk)
    messages.info(request, _("Unggahan dibatalkan; tidak ada hasil yang dicatat."))
    return redirect("visit_detail", pk=visit.pk)
