"""Writes of the recordings app, one module per capability; every function runs in one transaction.

Views, the admin and commands call them as ``services.<function>``: drives, visits (planning, kit
and team bookings, trips, the visit's life cycle), kits, outcomes (taps, undo, offline taps,
corrections) and field sheets.
"""

from recordings.services.drives import (
    drive_create,
    drive_update,
)
from recordings.services.field_sheets import (
    FIELD_SHEET_NAMESPACE,
    FIELD_SHEET_PREVIEW_VALID,
    FIELD_SHEET_RETENTION_DAYS,
    RowChange,
    field_sheet_cancel,
    field_sheet_commit,
    field_sheet_expired,
    field_sheet_preview,
    field_sheet_purge_files,
)
from recordings.services.kits import (
    kit_create,
    kit_status_change,
    kit_update,
)
from recordings.services.outcomes import (
    CLIENT_MS_MAX,
    CLIENT_MS_MIN,
    CLOCK_TOLERANCE,
    MAX_REASON_LENGTH,
    VISIT_START_TOLERANCE,
    ActionResult,
    ActionStatus,
    client_ms_is_valid,
    late_tap_window,
    recording_apply,
    recording_correct,
    tap_time_from_client,
)
from recordings.services.visits import (
    BOOKING_CONSTRAINTS,
    DEFAULT_START_TIME,
    TripError,
    TripVisit,
    booking_conflicts,
    trip_plan,
    visit_cancel,
    visit_finish,
    visit_postpone,
    visit_replan,
    visit_reschedule,
    visit_schedule,
    visit_start,
)

__all__ = [
    "ActionResult",
    "ActionStatus",
    "BOOKING_CONSTRAINTS",
    "CLIENT_MS_MAX",
    "CLIENT_MS_MIN",
    "CLOCK_TOLERANCE",
    "DEFAULT_START_TIME",
    "FIELD_SHEET_NAMESPACE",
    "FIELD_SHEET_PREVIEW_VALID",
    "FIELD_SHEET_RETENTION_DAYS",
    "MAX_REASON_LENGTH",
    "RowChange",
    "TripError",
    "TripVisit",
    "VISIT_START_TOLERANCE",
    "booking_conflicts",
    "client_ms_is_valid",
    "drive_create",
    "drive_update",
    "field_sheet_cancel",
    "field_sheet_commit",
    "field_sheet_expired",
    "field_sheet_preview",
    "field_sheet_purge_files",
    "kit_create",
    "kit_status_change",
    "kit_update",
    "late_tap_window",
    "recording_apply",
    "recording_correct",
    "tap_time_from_client",
    "trip_plan",
    "visit_cancel",
    "visit_finish",
    "visit_postpone",
    "visit_replan",
    "visit_reschedule",
    "visit_schedule",
    "visit_start",
]
