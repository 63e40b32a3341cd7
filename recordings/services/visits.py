"""Writes about visits: planning (with kits and team, checked per day), trips, postponing,
cancelling, starting and finishing.

Races are settled in the database: state changes lock the visit they change
(``select_for_update``), and the partial unique indexes on the kit and team links refuse a second
booking of one kit or one person on one day.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from recordings.models import (
    Drive,
    DriveSchool,
    Kit,
    Visit,
    VisitKit,
    VisitNotice,
    VisitTeamMember,
)
from recordings.services.notices import visit_notice_after_commit
from schools.models import School


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
