"""Writes about outcomes: a tap, its undo, offline taps sent later and a supervisor's correction.

Outcome actions lock the student's row, so two operators tapping the same student are served one
after the other, and the unique constraints on ``Recording(visit, student)`` and
``RecordingAction.client_id`` back that up.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from recordings.models import (
    Recording,
    RecordingAction,
    Visit,
)
from recordings.selectors import eligibility_cutoff
from schools.models import Student

# A phone clock may run ahead; a tap is never later than the moment the server receives it.
CLOCK_TOLERANCE = datetime.timedelta(seconds=5)
# A tap may be a little earlier than the visit's start (the team taps while the start request
# is on its way); anything earlier did not happen at this visit.
VISIT_START_TOLERANCE = datetime.timedelta(minutes=10)
# Browser times (milliseconds since 1970) outside these bounds are broken clocks or forged data.
CLIENT_MS_MIN = 1_577_836_800_000  # 2020-01-01
CLIENT_MS_MAX = 4_102_444_800_000  # 2100-01-01
MAX_REASON_LENGTH = 300


class ActionStatus:
    APPLIED = "applied"  # the action is now the student's current outcome at the visit
    SUPERSEDED = "superseded"  # kept in history; a change tapped later already stands
    DUPLICATE = "duplicate"  # this client id was received before: nothing changed


@dataclass(frozen=True)
class ActionResult:
    action: RecordingAction
    status: str
    recording: Recording | None  # the current outcome at the visit after this call


def client_ms_is_valid(value) -> bool:
    """A browser time in milliseconds: an integer (not a boolean) between 2020 and 2100."""
    return isinstance(value, int) and not isinstance(value, bool) and CLIENT_MS_MIN <= value <= CLIENT_MS_MAX


def tap_time_from_client(
    *, tapped_ms: int | None, sent_ms: int | None, now: datetime.datetime | None = None
) -> datetime.datetime:
    """Turn a browser's tap time into server time.

    The browser sends when it tapped and when it sent, both by its own clock; the elapsed time
    between them is right even when the phone's clock is wrong, so the tap happened that long
    before the server received it. A time that no working clock shows (1970, a boolean, the
    year 5000) is refused rather than guessed.
    """
    now = now or timezone.now()
    for value in (tapped_ms, sent_ms):
        if value is not None and not client_ms_is_valid(value):
            raise ValidationError(_("Waktu tindakan tidak sah. Muat ulang halaman."), code="tapped_at")
    if tapped_ms is None:
        return now
    if sent_ms is None:
        return min(datetime.datetime.fromtimestamp(tapped_ms / 1000, tz=datetime.UTC), now)
    age_ms = max(0, sent_ms - tapped_ms)
    return now - datetime.timedelta(milliseconds=age_ms)


def late_tap_window() -> datetime.timedelta:
    """How long after a visit finished its offline taps (and field sheets) are still taken."""
    return datetime.timedelta(hours=settings.LATE_TAP_WINDOW_HOURS)


def _ask_supervisor() -> ValidationError:
    return ValidationError(
        _(
            "Kunjungan ini sudah selesai lebih dari %(hours)s jam yang lalu; hasilnya tidak bisa diubah lagi "
            "dari sini. Minta supervisor untuk mengoreksinya."
        )
        % {"hours": settings.LATE_TAP_WINDOW_HOURS},
        code="late",
    )


def _check_can_take_outcome(visit: Visit, tapped_at: datetime.datetime, source: str, now: datetime.datetime) -> None:
    """The tap window: from the visit's start to its finish; a finished visit takes late taps
    (and field sheets, whose tap time is their confirmation) only for ``late_tap_window()``."""
    if visit.status == Visit.Status.DONE and visit.finished_at and now > visit.finished_at + late_tap_window():
        raise _ask_supervisor()
    if source == RecordingAction.Source.FIELD_SHEET and visit.status in Visit.VISITED_STATUSES:
        return
    if visit.status not in Visit.VISITED_STATUSES:
        raise ValidationError(
            _("Hasil hanya bisa dicatat pada kunjungan yang sedang berlangsung (status: %(status)s).")
            % {"status": visit.get_status_display()},
            code="visit_not_in_progress",
        )
    if visit.started_at and tapped_at < visit.started_at - VISIT_START_TOLERANCE:
        raise ValidationError(
            _("Waktu tindakan ini sebelum kunjungan dimulai; tindakan tidak dicatat."), code="before_start"
        )
    if visit.status == Visit.Status.DONE and (not visit.finished_at or tapped_at > visit.finished_at):
        raise ValidationError(
            _("Kunjungan ini sudah selesai; hasil baru tidak bisa dicatat lagi. Minta supervisor bila perlu koreksi."),
            code="visit_not_in_progress",
        )


def _check_student(visit: Visit, student: Student) -> None:
    if student.school_id != visit.school_id or not student.is_active:
        raise ValidationError(_("Peserta didik ini tidak ada di daftar sekolah yang dikunjungi."), code="student")
    if student.birth_date > eligibility_cutoff(visit.drive.reference_date):
        raise ValidationError(
            _("Peserta didik ini belum 16 tahun pada tanggal acuan dan bukan sasaran kegiatan."), code="too_young"
        )


def recording_apply(
    *,
    visit: Visit,
    student: Student,
    outcome: str | None,
    reason: str = "",
    by,
    tapped_at: datetime.datetime | None = None,
    client_id: uuid.UUID | str | None = None,
    source: str = RecordingAction.Source.TAP,
    field_sheet=None,
    now: datetime.datetime | None = None,
) -> ActionResult:
    """Set (``outcome``) or undo (``outcome=None``) a student's outcome at a visit.

    Every call is kept as a ``RecordingAction``. The current outcome (``Recording``) follows the
    action with the latest tap time: an older action arriving late (offline phone) is kept in
    the history but changes nothing. Sending the same ``client_id`` twice changes nothing.
    """
    now = now or timezone.now()
    tapped_at = min(tapped_at or now, now + CLOCK_TOLERANCE)
    client_id = uuid.UUID(str(client_id)) if client_id else uuid.uuid4()
    reason = (reason or "").strip()[:MAX_REASON_LENGTH]
    if outcome is not None and outcome not in Recording.Outcome.values:
        raise ValidationError(_("Hasil tidak dikenal."), code="outcome")
    if outcome == Recording.Outcome.NOT_ELIGIBLE and not reason:
        raise ValidationError(_("Tuliskan alasan peserta didik tidak memenuhi syarat."), code="reason")
    try:
        return _recording_apply(
            visit=visit,
            student=student,
            outcome=outcome,
            reason=reason,
            by=by,
            tapped_at=tapped_at,
            client_id=client_id,
            source=source,
            field_sheet=field_sheet,
            now=now,
        )
    except IntegrityError:
        # Only a racing insert of the same client id gets here (the student lock orders the rest).
        existing = RecordingAction.objects.filter(client_id=client_id).first()
        if existing is None:
            raise
        return _duplicate(existing, visit=visit, student=student)


def _duplicate(existing: RecordingAction, *, visit: Visit, student: Student) -> ActionResult:
    if existing.visit_id != visit.pk or existing.student_id != student.pk:
        raise ValidationError(_("Id tindakan ini sudah dipakai untuk peserta didik lain."), code="client_id")
    current = Recording.objects.filter(visit=visit, student=student).first()
    return ActionResult(action=existing, status=ActionStatus.DUPLICATE, recording=current)


def recording_correct(
    *, visit: Visit, student: Student, outcome: str | None, reason: str, by, now: datetime.datetime | None = None
) -> ActionResult:
    """A supervisor's correction of a student's outcome at a visit, outside the tap window.

    Kept in the action log like any tap (source "correction", by the supervisor, tapped now), with
    the reason for the correction, which is required; it always becomes the current outcome.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()[:MAX_REASON_LENGTH]
    if not reason:
        raise ValidationError(_("Tuliskan alasan koreksi."), code="reason")
    if outcome is not None and outcome not in Recording.Outcome.values:
        raise ValidationError(_("Hasil tidak dikenal."), code="outcome")
    if visit.status not in Visit.VISITED_STATUSES:
        raise ValidationError(_("Hanya hasil kunjungan yang sudah dimulai yang bisa dikoreksi."), code="status")
    with pghistory.context(correction=reason):
        return _recording_apply(
            visit=visit,
            student=student,
            outcome=outcome,
            reason=reason,
            by=by,
            tapped_at=now,
            client_id=uuid.uuid4(),
            source=RecordingAction.Source.CORRECTION,
            field_sheet=None,
            now=now,
            correction=True,
        )


@transaction.atomic
def _recording_apply(
    *, visit, student, outcome, reason, by, tapped_at, client_id, source, field_sheet, now, correction=False
) -> ActionResult:
    # One lock per student orders every action on them, whether or not a Recording row exists yet.
    # FOR NO KEY UPDATE does not block inserts that merely reference the student.
    # Only the student's row: Student's default ordering joins School, and a lock without of=
    # would take the school's row too, making every operator at that school wait for each other.
    locked = list(
        Student.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=student.pk)
        .order_by()
        .values_list("pk", flat=True)
    )
    if not locked:
        raise ValidationError(_("Peserta didik tidak ditemukan."), code="student")
    existing = RecordingAction.objects.filter(client_id=client_id).first()
    if existing is not None:
        return _duplicate(existing, visit=visit, student=student)
    fresh = (
        Visit.objects.select_related("drive")
        .only("status", "started_at", "finished_at", "school_id", "drive__reference_date")
        .get(pk=visit.pk)
    )
    if not correction:
        _check_can_take_outcome(fresh, tapped_at, source, now)
    _check_student(fresh, student)

    current = Recording.objects.filter(visit=visit, student=student).first()
    if current is not None:
        latest = current.recorded_at
    else:
        latest = RecordingAction.objects.filter(visit=visit, student=student, applied=True).aggregate(
            t=Max("tapped_at")
        )["t"]
    applied = correction or latest is None or tapped_at >= latest
    previous = current.outcome if current else ""
    # A correction's reason explains the correction; the outcome keeps one only for "not eligible".
    kept_reason = "" if correction and outcome != Recording.Outcome.NOT_ELIGIBLE else reason
    if applied:
        if outcome is None:
            if current is not None:
                current.delete()
                current = None
        elif current is None:
            current = Recording.objects.create(
                visit=visit, student=student, outcome=outcome, reason=kept_reason, recorded_at=tapped_at, recorded_by=by
            )
        else:
            current.outcome = outcome
            current.reason = kept_reason
            current.recorded_at = tapped_at
            current.recorded_by = by
            current.save(update_fields=["outcome", "reason", "recorded_at", "recorded_by"])
    action = RecordingAction.objects.create(
        client_id=client_id,
        visit=visit,
        student=student,
        kind=RecordingAction.Kind.UNDO if outcome is None else RecordingAction.Kind.SET,
        outcome=outcome or "",
        reason=reason if outcome or correction else "",
        previous_outcome=previous,
        tapped_at=tapped_at,
        applied=applied,
        source=source,
        by=by,
        field_sheet=field_sheet,
    )
    return ActionResult(
        action=action, status=ActionStatus.APPLIED if applied else ActionStatus.SUPERSEDED, recording=current
    )
