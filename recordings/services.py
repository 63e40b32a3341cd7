"""Writes about drives, visits and outcomes. Every function runs in one transaction.

Races are settled in the database: state changes lock the row they change
(``select_for_update``); outcome actions lock the student's row, so two operators tapping the
same student are served one after the other, and the unique constraints on
``Recording(visit, student)`` and ``RecordingAction.client_id`` back that up.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from recordings.fieldsheet import FieldSheetUnreadable, read_field_sheet
from recordings.models import (
    Drive,
    DriveSchool,
    FieldSheetUpload,
    Kit,
    Recording,
    RecordingAction,
    Visit,
    VisitKit,
    VisitNotice,
    VisitTeamMember,
)
from recordings.notice_services import visit_notice_after_commit
from recordings.selectors import drive_candidates, eligibility_cutoff
from schools.models import School, Student

# A phone clock may run ahead; a tap is never later than the moment the server receives it.
CLOCK_TOLERANCE = datetime.timedelta(seconds=5)
# A tap may be a little earlier than the visit's start (the team taps while the start request
# is on its way); anything earlier did not happen at this visit.
VISIT_START_TOLERANCE = datetime.timedelta(minutes=10)
# Browser times (milliseconds since 1970) outside these bounds are broken clocks or forged data.
CLIENT_MS_MIN = 1_577_836_800_000  # 2020-01-01
CLIENT_MS_MAX = 4_102_444_800_000  # 2100-01-01
MAX_REASON_LENGTH = 300


# --- Drives -------------------------------------------------------------------------------


def _check_drive_dates(*, start_date, end_date) -> None:
    if end_date < start_date:
        raise ValidationError(_("Tanggal selesai tidak boleh sebelum tanggal mulai."), code="dates")


@transaction.atomic
def drive_create(
    *,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date,
    reference_date: datetime.date,
    students_per_kit_per_day: int = 60,
    schools: Iterable[School],
    by,
) -> Drive:
    """Create a drive with its participating schools."""
    _check_drive_dates(start_date=start_date, end_date=end_date)
    drive = Drive.objects.create(
        name=name.strip(),
        start_date=start_date,
        end_date=end_date,
        reference_date=reference_date,
        students_per_kit_per_day=students_per_kit_per_day,
    )
    DriveSchool.objects.bulk_create([DriveSchool(drive=drive, school=school) for school in schools])
    return drive


@transaction.atomic
def drive_update(
    *,
    drive: Drive,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date,
    reference_date: datetime.date,
    students_per_kit_per_day: int,
    schools: Iterable[School],
    by,
) -> Drive:
    """Change a drive. A school that already has visits in the drive cannot be taken out."""
    _check_drive_dates(start_date=start_date, end_date=end_date)
    drive = Drive.objects.select_for_update().order_by().get(pk=drive.pk)
    wanted = {school.pk for school in schools}
    current = set(drive.drive_schools.values_list("school_id", flat=True))
    leaving = current - wanted
    if leaving:
        with_visits = School.objects.filter(pk__in=leaving, visits__drive=drive).distinct().order_by("name")
        names = [school.name for school in with_visits]
        if names:
            raise ValidationError(
                _("Sekolah ini sudah punya kunjungan dalam kegiatan ini dan tidak bisa dikeluarkan: %(names)s.")
                % {"names": ", ".join(names)},
                code="school_has_visits",
            )
        DriveSchool.objects.filter(drive=drive, school_id__in=leaving).delete()
    DriveSchool.objects.bulk_create([DriveSchool(drive=drive, school_id=pk) for pk in wanted - current])
    drive.name = name.strip()
    drive.start_date = start_date
    drive.end_date = end_date
    drive.reference_date = reference_date
    drive.students_per_kit_per_day = students_per_kit_per_day
    drive.save()
    return drive


# --- Visits -------------------------------------------------------------------------------


def _check_visit_plan(*, drive: Drive, school: School, date: datetime.date, exclude: Visit | None = None):
    """Visits are planned for today or later (a past date would never show under "Akan datang")."""
    if not DriveSchool.objects.filter(drive=drive, school=school).exists():
        raise ValidationError(_("Sekolah ini bukan peserta kegiatan %(drive)s.") % {"drive": drive.name}, code="school")
    today = timezone.localdate()
    if date < today:
        raise ValidationError(
            _("Tanggal kunjungan %(date)s sudah lewat; pilih hari ini (%(today)s) atau sesudahnya.")
            % {"date": date.strftime("%d-%m-%Y"), "today": today.strftime("%d-%m-%Y")},
            code="past",
        )
    if not drive.start_date <= date <= drive.end_date:
        raise ValidationError(
            _("Tanggal kunjungan harus di antara %(start)s dan %(end)s.")
            % {"start": drive.start_date.strftime("%d-%m-%Y"), "end": drive.end_date.strftime("%d-%m-%Y")},
            code="date",
        )
    same_day = Visit.objects.filter(
        drive=drive, school=school, date=date, status__in=[Visit.Status.PLANNED, Visit.Status.IN_PROGRESS]
    )
    if exclude is not None:
        same_day = same_day.exclude(pk=exclude.pk)
    if same_day.exists():
        raise ValidationError(_("Sekolah ini sudah punya kunjungan pada tanggal itu."), code="same_day")


def _day(date: datetime.date) -> str:
    return formats.date_format(date, "j M Y")


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def booking_conflicts(
    *, date: datetime.date, kit_ids: Iterable[int] = (), user_ids: Iterable[int] = (), exclude: Visit | None = None
) -> list[str]:
    """Messages naming the other visit of each kit or person already booked on ``date`` (two queries)."""
    messages = []
    kit_links = VisitKit.objects.filter(kit_id__in=list(kit_ids), date=date, active=True)
    team_links = VisitTeamMember.objects.filter(user_id__in=list(user_ids), date=date, active=True)
    if exclude is not None and exclude.pk is not None:
        kit_links = kit_links.exclude(visit=exclude)
        team_links = team_links.exclude(visit=exclude)
    for link in kit_links.select_related("kit", "visit__school").order_by(Lower("kit__name")):
        messages.append(
            _("Alat ‘%(kit)s’ sudah dipakai kunjungan ke %(school)s pada %(date)s.")
            % {"kit": link.kit.name, "school": link.visit.school.name, "date": _day(date)}
        )
    for link in team_links.select_related("user", "visit__school").order_by("user__first_name", "user__username"):
        messages.append(
            _("Petugas ‘%(person)s’ sudah bertugas di kunjungan ke %(school)s pada %(date)s.")
            % {"person": _person(link.user), "school": link.visit.school.name, "date": _day(date)}
        )
    return messages


def _lock_kits(kits: Iterable[Kit]) -> list[Kit]:
    """Lock the chosen kits (in id order: no deadlock) and refuse a broken or lent one.

    The lock orders two supervisors booking the same kit (the second then sees the first's
    booking and gets a message naming it) and a status change racing an assignment.
    """
    ids = sorted({kit.pk for kit in kits})
    if not ids:
        raise ValidationError(_("Pilih minimal satu alat perekaman."), code="kits")
    locked = list(Kit.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
    unusable = [kit for kit in locked if kit.status != Kit.Status.READY]
    if unusable:
        raise ValidationError(
            [
                _("Alat ‘%(kit)s’ sedang %(status)s dan tidak bisa dipakai.")
                % {"kit": kit.name, "status": kit.get_status_display().lower()}
                for kit in unusable
            ],
            code="kit_unusable",
        )
    return locked


def _book(visit: Visit, *, kits: list[Kit], team: list, write) -> None:
    """Check the day's bookings, then ``write()`` and set the visit's kits and team, all in a savepoint.

    The check gives the friendly message; the partial unique indexes settle a race the check
    could not see (another transaction committing meanwhile): its IntegrityError becomes the same
    message, read again once the other booking is visible.
    """
    user_ids = [user.pk for user in team]
    kit_ids = [kit.pk for kit in kits]
    conflicts = booking_conflicts(date=visit.date, kit_ids=kit_ids, user_ids=user_ids, exclude=visit)
    if conflicts:
        raise ValidationError(conflicts, code="double_booked")
    try:
        with transaction.atomic():
            write()
            _set_links(VisitKit, visit, "kit_id", kit_ids)
            _set_links(VisitTeamMember, visit, "user_id", user_ids)
    except IntegrityError as exc:
        if _constraint_name(exc) not in BOOKING_CONSTRAINTS:
            raise
        conflicts = booking_conflicts(date=visit.date, kit_ids=kit_ids, user_ids=user_ids, exclude=visit)
        raise ValidationError(
            conflicts or [_("Alat atau petugas baru saja dijadwalkan di kunjungan lain pada hari itu. Coba lagi.")],
            code="double_booked",
        ) from exc


BOOKING_CONSTRAINTS = ("visit_kit_one_visit_per_day", "visit_team_member_one_visit_per_day")


def _constraint_name(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def _set_links(model, visit: Visit, column: str, wanted_ids: list[int]) -> None:
    wanted = set(wanted_ids)
    model.objects.filter(visit=visit).exclude(**{f"{column}__in": wanted}).delete()
    existing = set(model.objects.filter(visit=visit).values_list(column, flat=True))
    model.objects.bulk_create([model(visit=visit, **{column: pk}) for pk in sorted(wanted - existing)])


def _locked_visit(visit: Visit) -> Visit:
    # of=("self",): lock the visit only, not the drive and school rows joined in.
    return Visit.objects.select_for_update(of=("self",)).select_related("drive", "school").get(pk=visit.pk)


def _require_status(visit: Visit, *allowed: str, message: str) -> None:
    if visit.status not in allowed:
        raise ValidationError(message, code="status")


DEFAULT_START_TIME = datetime.time(8, 0)


@transaction.atomic
def visit_schedule(
    *,
    drive: Drive,
    school: School,
    date: datetime.date,
    kits: Iterable[Kit],
    start_time: datetime.time | None = None,
    team: Iterable = (),
    notes: str = "",
    by,
    replaces: Visit | None = None,
) -> Visit:
    """Plan a visit of a recording team with its kits to a school.

    A kit or a person already on another (planned, running or done) visit that day is refused,
    naming that visit; so is a broken or lent kit.
    """
    _check_visit_plan(drive=drive, school=school, date=date)
    kits = _lock_kits(kits)
    team = list(team)
    visit = Visit(
        drive=drive,
        school=school,
        date=date,
        start_time=start_time or DEFAULT_START_TIME,
        notes=notes.strip(),
        created_by=by,
        replaces=replaces,
        status=Visit.Status.PLANNED,
    )
    _book(visit, kits=kits, team=team, write=visit.save)
    visit_notice_after_commit(visit=visit, kind=VisitNotice.Kind.PLANNED, by=by)
    return visit


@transaction.atomic
def visit_reschedule(
    *,
    visit: Visit,
    date: datetime.date,
    kits: Iterable[Kit],
    start_time: datetime.time | None = None,
    team: Iterable = (),
    notes: str = "",
    by,
) -> Visit:
    """Change a planned visit's date, start time, kits, team or notes."""
    visit = _locked_visit(visit)
    _require_status(
        visit, Visit.Status.PLANNED, message=_("Hanya kunjungan yang masih direncanakan yang bisa dijadwalkan ulang.")
    )
    _check_visit_plan(drive=visit.drive, school=visit.school, date=date, exclude=visit)
    kits = _lock_kits(kits)
    visit_notice_after_commit(visit=visit, kind=VisitNotice.Kind.RESCHEDULED, by=by)  # before the change: old → new
    visit.date = date
    visit.start_time = start_time or visit.start_time
    visit.notes = notes.strip()
    _book(
        visit,
        kits=kits,
        team=list(team),
        write=lambda: visit.save(update_fields=["date", "start_time", "notes"]),
    )
    return visit


@transaction.atomic
def visit_postpone(
    *, visit: Visit, reason: str, note: str = "", new_date: datetime.date | None = None, by
) -> tuple[Visit, Visit | None]:
    """Postpone a planned visit with a reason; optionally plan its replacement at once.

    The postponed visit stays in the history and frees its kits and team for that day; until a
    new visit is planned the school shows as needing a new date.
    """
    if reason not in Visit.PostponementReason.values:
        raise ValidationError(_("Pilih alasan penundaan."), code="reason")
    if reason == Visit.PostponementReason.OTHER and not note.strip():
        raise ValidationError(_("Tuliskan keterangan untuk alasan 'Lainnya'."), code="note")
    today = timezone.localdate()
    if new_date is not None and new_date <= today:
        raise ValidationError(
            _(
                "Tanggal baru harus setelah hari ini (%(today)s): "
                "kunjungan yang ditunda tidak diulang pada hari yang sama."
            )
            % {"today": today.strftime("%d-%m-%Y")},
            code="new_date",
        )
    visit = _locked_visit(visit)
    _require_status(
        visit, Visit.Status.PLANNED, message=_("Hanya kunjungan yang masih direncanakan yang bisa ditunda.")
    )
    visit.status = Visit.Status.POSTPONED
    visit.postponement_reason = reason
    visit.postponement_note = note.strip()[:300]
    visit.save(update_fields=["status", "postponement_reason", "postponement_note"])
    visit_notice_after_commit(visit=visit, kind=VisitNotice.Kind.POSTPONED, by=by)
    replacement = None
    if new_date is not None:
        replacement = visit_schedule(
            drive=visit.drive,
            school=visit.school,
            date=new_date,
            start_time=visit.start_time,
            kits=list(visit.kits.all()),
            team=list(visit.team.all()),
            notes=visit.notes,
            by=by,
            replaces=visit,
        )
    return visit, replacement


@transaction.atomic
def visit_replan(
    *,
    visit: Visit,
    date: datetime.date,
    kits: Iterable[Kit],
    start_time: datetime.time | None = None,
    team: Iterable = (),
    notes: str = "",
    by,
) -> Visit:
    """Plan the new visit for a postponed one ("Jadwalkan ulang"): same school, once.

    The postponed visit's row is locked, so two supervisors planning at once get one new visit.
    """
    visit = _locked_visit(visit)
    _require_status(
        visit, Visit.Status.POSTPONED, message=_("Hanya kunjungan yang ditunda yang bisa dijadwalkan ulang di sini.")
    )
    if Visit.objects.filter(replaces=visit).exists():
        raise ValidationError(_("Kunjungan yang ditunda ini sudah punya kunjungan pengganti."), code="replaced")
    return visit_schedule(
        drive=visit.drive,
        school=visit.school,
        date=date,
        start_time=start_time or visit.start_time,
        kits=kits,
        team=team,
        notes=notes,
        by=by,
        replaces=visit,
    )


@transaction.atomic
def visit_cancel(*, visit: Visit, by) -> Visit:
    """Cancel a planned visit (it stays in the history; its kits and team are free that day)."""
    visit = _locked_visit(visit)
    _require_status(
        visit, Visit.Status.PLANNED, message=_("Hanya kunjungan yang masih direncanakan yang bisa dibatalkan.")
    )
    visit.status = Visit.Status.CANCELLED
    visit.save(update_fields=["status"])
    visit_notice_after_commit(visit=visit, kind=VisitNotice.Kind.CANCELLED, by=by)
    return visit


@dataclass(frozen=True)
class TripVisit:
    """One visit of a trip, as the supervisor filled it in."""

    school: School
    date: datetime.date
    start_time: datetime.time
    kits: list[Kit]
    team: list


class TripError(ValidationError):
    """Some visits of a trip were refused; ``by_row`` maps the row number to its messages."""

    def __init__(self, by_row: dict[int, list[str]]):
        self.by_row = by_row
        super().__init__([message for messages in by_row.values() for message in messages], code="trip")


@transaction.atomic
def trip_plan(*, drive: Drive, visits: list[TripVisit], notes: str = "", by) -> list[Visit]:
    """Plan a trip: several visits in one step, all of them or none.

    Each visit goes through ``visit_schedule`` (dates, kits free and ready, nobody booked twice,
    also between the trip's own visits). Any refusal rolls the whole trip back; every refused row
    is reported, not only the first.
    """
    if not visits:
        raise ValidationError(_("Pilih minimal satu sekolah untuk perjalanan ini."), code="empty")
    created, errors = [], {}
    for index, row in enumerate(visits):
        try:
            with transaction.atomic():
                created.append(
                    visit_schedule(
                        drive=drive,
                        school=row.school,
                        date=row.date,
                        start_time=row.start_time,
                        kits=row.kits,
                        team=row.team,
                        notes=notes,
                        by=by,
                    )
                )
        except ValidationError as exc:
            errors[index] = exc.messages
    if errors:
        raise TripError(errors)
    return created


# --- Kits ---------------------------------------------------------------------------------


def _check_kit_name(name: str, *, exclude: Kit | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("Tuliskan nama atau nomor seri alat."), code="name")
    same = Kit.objects.filter(name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude.pk)
    if same.exists():
        raise ValidationError(_("Sudah ada alat bernama ‘%(name)s’.") % {"name": name}, code="name_taken")
    return name


def _save_kit(kit: Kit, **save) -> Kit:
    try:
        with transaction.atomic():
            kit.save(**save)
    except IntegrityError as exc:  # two supervisors adding the same name at once
        raise ValidationError(_("Sudah ada alat bernama ‘%(name)s’.") % {"name": kit.name}, code="name_taken") from exc
    return kit


@transaction.atomic
def kit_create(*, name: str, status: str = Kit.Status.READY, note: str = "", by) -> Kit:
    """Add a recording kit to the office's registry."""
    if status not in Kit.Status.values:
        raise ValidationError(_("Status alat tidak dikenal."), code="status")
    kit = Kit(name=_check_kit_name(name), status=status, note=note.strip()[:300])
    return _save_kit(kit)


@transaction.atomic
def kit_update(*, kit: Kit, name: str, note: str = "", by) -> Kit:
    """Rename a kit or change its note (its status changes through ``kit_status_change``)."""
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    kit.name = _check_kit_name(name, exclude=kit)
    kit.note = note.strip()[:300]
    return _save_kit(kit, update_fields=["name", "note"])


@transaction.atomic
def kit_status_change(*, kit: Kit, status: str, note: str = "", by) -> Kit:
    """Mark a kit ready, broken or lent, with a note; the change is kept in the kit's history.

    A broken or lent kit keeps the bookings it already has (the kit page lists them so they can
    be given another kit); it cannot be put on a visit until it is ready again.
    """
    if status not in Kit.Status.values:
        raise ValidationError(_("Status alat tidak dikenal."), code="status")
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    if kit.status == status and kit.note == note.strip()[:300]:
        return kit
    kit.status = status
    kit.note = note.strip()[:300]
    kit.save(update_fields=["status", "note"])
    return kit


@transaction.atomic
def visit_start(*, visit: Visit, by, now: datetime.datetime | None = None) -> Visit:
    """Start a planned visit on (or after) its day: outcomes can be recorded from now on."""
    now = now or timezone.now()
    visit = _locked_visit(visit)
    _require_status(
        visit, Visit.Status.PLANNED, message=_("Kunjungan ini tidak bisa dimulai (statusnya bukan direncanakan).")
    )
    if visit.date > timezone.localdate(now):
        raise ValidationError(
            _("Kunjungan ini dijadwalkan %(date)s; jadwalkan ulang dulu bila tim datang lebih awal.")
            % {"date": visit.date.strftime("%d-%m-%Y")},
            code="future",
        )
    visit.status = Visit.Status.IN_PROGRESS
    visit.started_at = now
    visit.save(update_fields=["status", "started_at"])
    return visit


@transaction.atomic
def visit_finish(*, visit: Visit, by, now: datetime.datetime | None = None) -> Visit:
    """Finish a visit in progress. Taps made before this moment may still arrive from offline phones."""
    visit = _locked_visit(visit)
    _require_status(
        visit, Visit.Status.IN_PROGRESS, message=_("Hanya kunjungan yang sedang berlangsung yang bisa diselesaikan.")
    )
    visit.status = Visit.Status.DONE
    visit.finished_at = now or timezone.now()
    visit.save(update_fields=["status", "finished_at"])
    return visit


# --- Outcomes -----------------------------------------------------------------------------


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


# --- Field sheets -------------------------------------------------------------------------

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
