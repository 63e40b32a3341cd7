"""Writes about field sheets: the preview of an uploaded sheet, its commit, cancel and purge."""

from __future__ import annotations

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from recordings.fieldsheet import FieldSheetUnreadable, read_field_sheet
from recordings.models import (
    FieldSheetUpload,
    Recording,
    RecordingAction,
    Visit,
)
from recordings.selectors import drive_candidates
from recordings.services.outcomes import ActionStatus, _ask_supervisor, late_tap_window, recording_apply
from schools.models import Student

FIELD_SHEET_NAMESPACE = uuid.UUID("6f1c2f0e-3b8e-4a57-9d1e-2f5d3c0b7a10")
FIELD_SHEET_RETENTION_DAYS = 30
# A preview not confirmed within a day is stale (the roster moved on): it can no longer be saved.
FIELD_SHEET_PREVIEW_VALID = datetime.timedelta(days=1)


def field_sheet_expired(upload, *, now: datetime.datetime | None = None) -> bool:
    """True for a preview left unconfirmed longer than ``FIELD_SHEET_PREVIEW_VALID`` (derived, not stored)."""
    now = now or timezone.now()
    return (
        upload.status == FieldSheetUpload.Status.PREVIEWED
        and upload.uploaded_at is not None
        and upload.uploaded_at < now - FIELD_SHEET_PREVIEW_VALID
    )


class RowChange:
    SET = "set"
    UNDO = "undo"
    NONE = "none"


def _field_sheet_judge(*, visit: Visit, rows: list[dict], generated_at: datetime.datetime) -> list[dict]:
    """Judge every sheet row against the database (three queries, whatever the number of rows)."""
    labels = dict(Recording.Outcome.choices)
    roster = {
        s.pk: s
        for s in drive_candidates(visit.drive).filter(school_id=visit.school_id).only("pk", "name", "class_name")
    }
    current = {r.student_id: r for r in Recording.objects.filter(visit=visit).select_related("recorded_by")}
    last_change = dict(
        RecordingAction.objects.filter(visit=visit, applied=True)
        .order_by()
        .values("student_id")
        .annotate(t=Max("tapped_at"))
        .values_list("student_id", "t")
    )
    # Duplicates by student, not by the text of the row id: "PD-0123" is "PD-123" too.
    lines_by_id: dict[object, list[int]] = {}
    for row in rows:
        key = row.get("sheet_student_id", row.get("student_id")) or row.get("row_id")
        if key:
            lines_by_id.setdefault(key, []).append(row["line"])

    judged = []
    for row in rows:
        # The reader's own findings; on a commit the rows come back judged, so their judge errors are
        # left out (older uploads have no "sheet_errors" and keep theirs).
        sheet_errors = list(row.get("sheet_errors", row.get("errors")) or [])
        errors = list(sheet_errors)
        student_id = row.get("sheet_student_id", row.get("student_id"))
        student = roster.get(student_id) if student_id else None
        outcome = row.get("outcome")
        reason = (row.get("reason") or "").strip()
        key = student_id or row.get("row_id")
        others = [line for line in lines_by_id.get(key, []) if line != row["line"]] if key else []
        if others:
            errors.append(_("ID baris ganda (juga di baris %(lines)s).") % {"lines": ", ".join(map(str, others))})
        if student_id and student is None:
            errors.append(_("Peserta didik dengan ID baris ini tidak ada di daftar kunjungan ini."))
        if outcome == Recording.Outcome.NOT_ELIGIBLE and not reason:
            errors.append(_("Tuliskan alasan pada kolom Alasan untuk hasil 'Tidak memenuhi syarat'."))
        now_rec = current.get(student_id)
        now_outcome = now_rec.outcome if now_rec else ""
        now_reason = now_rec.reason if now_rec else ""
        changed_at = max(
            [t for t in (last_change.get(student_id), now_rec.recorded_at if now_rec else None) if t], default=None
        )
        changed_after_sheet = changed_at is not None and changed_at > generated_at
        change = RowChange.NONE
        note = ""
        if outcome is not None and student is not None:
            if outcome == now_outcome and (not outcome or reason == now_reason):
                change = RowChange.NONE
            elif not outcome:
                if changed_after_sheet:
                    note = str(_("Dikosongkan di lembar, tetapi diisi di aplikasi setelah lembar diunduh: tetap."))
                else:
                    change = RowChange.UNDO
            elif changed_after_sheet:
                who = now_rec.recorded_by.get_full_name() if now_rec and now_rec.recorded_by else ""
                errors.append(
                    _(
                        "Hasil peserta didik ini diubah di aplikasi (%(current)s%(who)s) setelah lembar ini diunduh. "
                        "Baris dilewati; ubah di halaman kunjungan bila perlu."
                    )
                    % {
                        "current": labels.get(now_outcome, _("dibatalkan")),
                        "who": f", {who}" if who else "",
                    }
                )
            else:
                change = RowChange.SET
        if errors:
            change = RowChange.NONE
        judged.append(
            {
                "line": row["line"],
                "row_id": row.get("row_id", ""),
                "student_id": student_id if student is not None else None,
                "sheet_student_id": student_id,  # as read from the sheet, for judging again on commit
                "name": student.name if student else row.get("name", ""),
                "class_name": student.class_name if student else row.get("class_name", ""),
                "outcome": outcome,
                "outcome_label": str(labels.get(outcome, row.get("outcome_text", ""))) if outcome else "",
                "reason": reason,
                "current": now_outcome,
                "current_label": str(labels.get(now_outcome, "")),
                "change": change,
                "errors": [str(e) for e in errors],
                "sheet_errors": [str(e) for e in sheet_errors],
                "note": note,
            }
        )
    return judged


def _has_outcome(row: dict) -> bool:
    """The row's Hasil cell holds something: an outcome code, or None for text that is not one."""
    return row.get("outcome") != ""


def _count_rows(upload, judged: list[dict]) -> None:
    """Counts for the preview: rows with a Hasil ("terisi"), changes (an emptied Hasil undoes an
    outcome, so it is a change too), unchanged filled rows and rows with a problem."""
    upload.rows = judged
    upload.rows_total = sum(1 for r in judged if _has_outcome(r))
    upload.rows_error = sum(1 for r in judged if r["errors"])
    upload.rows_changed = sum(1 for r in judged if r["change"] != RowChange.NONE)
    upload.rows_unchanged = sum(
        1 for r in judged if _has_outcome(r) and not r["errors"] and r["change"] == RowChange.NONE
    )


def _check_field_sheet_visit(visit: Visit) -> None:
    if visit.status not in Visit.VISITED_STATUSES:
        raise ValidationError(
            _("Lembar lapangan hanya bisa diunggah untuk kunjungan yang sedang berlangsung atau selesai."),
            code="visit_not_started",
        )
    finished = visit.status == Visit.Status.DONE and visit.finished_at
    if finished and timezone.now() > visit.finished_at + late_tap_window():
        raise _ask_supervisor()


def field_sheet_preview(*, visit: Visit, uploaded_file, by):
    """Read an uploaded field sheet and judge every row; nothing is recorded until it is confirmed.

    A file that cannot be used is kept as a failed upload with one message.
    """
    _check_field_sheet_visit(visit)
    data = uploaded_file.read()
    name = (getattr(uploaded_file, "name", "") or "lembar.xlsx")[-255:]
    upload = FieldSheetUpload(visit=visit, original_name=name, uploaded_by=by)
    try:
        parsed = read_field_sheet(data, visit=visit)
    except FieldSheetUnreadable as exc:
        upload.status = FieldSheetUpload.Status.FAILED
        upload.error = str(exc)[:500]
    else:
        upload.status = FieldSheetUpload.Status.PREVIEWED
        upload.generated_at = parsed.generated_at
        _count_rows(
            upload,
            _field_sheet_judge(visit=visit, rows=[r.as_dict() for r in parsed.rows], generated_at=parsed.generated_at),
        )
    with transaction.atomic():
        upload.file.save(name, ContentFile(data), save=False)
        upload.save()
    return upload


@transaction.atomic
def field_sheet_commit(*, upload, by, now: datetime.datetime | None = None):
    """Record the outcomes of a previewed field sheet. Rows are judged again first, so a change
    made in the app since the preview is never overwritten. Only a previewed upload, once."""
    now = now or timezone.now()
    upload = FieldSheetUpload.objects.select_for_update(of=("self",)).select_related("visit__drive").get(pk=upload.pk)
    if upload.status != FieldSheetUpload.Status.PREVIEWED:
        raise ValidationError(
            _("Unggahan ini sudah %(status)s.") % {"status": upload.get_status_display().lower()}, code="status"
        )
    if field_sheet_expired(upload, now=now):
        raise ValidationError(
            _("Pratinjau ini sudah kedaluwarsa (lebih dari 1 hari tidak dikonfirmasi). Unggah lembarnya lagi."),
            code="expired",
        )
    visit = upload.visit
    _check_field_sheet_visit(visit)
    judged = _field_sheet_judge(visit=visit, rows=upload.rows, generated_at=upload.generated_at)
    to_apply = sorted((r for r in judged if r["change"] != RowChange.NONE), key=lambda r: r["student_id"])
    students = Student.objects.in_bulk([r["student_id"] for r in to_apply])
    applied = 0
    for row in to_apply:
        result = recording_apply(
            visit=visit,
            student=students[row["student_id"]],
            outcome=row["outcome"] if row["change"] == RowChange.SET else None,
            reason=row["reason"],
            by=by,
            tapped_at=now,
            client_id=uuid.uuid5(FIELD_SHEET_NAMESPACE, f"{upload.pk}:{row['student_id']}"),
            source=RecordingAction.Source.FIELD_SHEET,
            field_sheet=upload,
            now=now,
        )
        applied += result.status == ActionStatus.APPLIED
    _count_rows(upload, judged)
    upload.rows_applied = applied
    upload.status = FieldSheetUpload.Status.COMMITTED
    upload.decided_by = by
    upload.decided_at = now
    upload.save()
    return upload


@transaction.atomic
def field_sheet_cancel(*, upload, by):
    """Drop a previewed field sheet without recording anything."""
    upload = FieldSheetUpload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != FieldSheetUpload.Status.PREVIEWED:
        raise ValidationError(
            _("Unggahan ini sudah %(status)s.") % {"status": upload.get_status_display().lower()}, code="status"
        )
    upload.status = FieldSheetUpload.Status.CANCELLED
    upload.decided_by = by
    upload.decided_at = timezone.now()
    upload.save(update_fields=["status", "decided_by", "decided_at"])
    return upload


def field_sheet_purge_files(*, now: datetime.datetime | None = None, days: int = FIELD_SHEET_RETENTION_DAYS) -> int:
    """Delete stored field-sheet files older than ``days``; the upload records (who, when, counts) stay."""
    now = now or timezone.now()
    old = FieldSheetUpload.objects.filter(uploaded_at__lt=now - datetime.timedelta(days=days)).exclude(file="")
    purged = 0
    for upload in old:
        upload.file.delete(save=False)
        upload.file = ""
        upload.file_purged_at = now
        upload.save(update_fields=["file", "file_purged_at"])
        purged += 1
    return purged
