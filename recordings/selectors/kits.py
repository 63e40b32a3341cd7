"""Reads about the office's recording kits: the registry, bookings, what is free on a day, history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.utils import timezone

from recordings.models import Kit, VisitKit

NEXT_BOOKINGS_SHOWN = 3


@dataclass(frozen=True)
class KitOption:
    """A kit as a choice for one day: free (ready and not booked), or why it is not."""

    kit: Kit
    booked_by: VisitKit | None = None  # the other visit's link when the kit is booked that day

    @property
    def free(self) -> bool:
        return self.kit.status == Kit.Status.READY and self.booked_by is None


@dataclass
class KitDay:
    """Every kit for one day, split into free and unavailable (broken, lent, booked)."""

    date: datetime.date | None
    free: list[KitOption] = field(default_factory=list)
    unavailable: list[KitOption] = field(default_factory=list)


def kits_ordered():
    return Kit.objects.order_by(Lower("name"), "pk")


def kit_days(dates, *, exclude_visit_ids=(), kits: list[Kit] | None = None) -> dict[datetime.date | None, KitDay]:
    """For each date, which kits are free: two queries whatever the number of dates.

    A kit booked by one of ``exclude_visit_ids`` (the visit being rescheduled) counts as free.
    ``None`` as a date gives every ready kit (no day chosen yet).
    """
    kits = list(kits_ordered()) if kits is None else kits
    wanted = [d for d in set(dates) if d is not None]
    booked: dict[tuple[int, datetime.date], VisitKit] = {}
    if wanted:
        links = (
            VisitKit.objects.filter(date__in=wanted, active=True)
            .exclude(visit_id__in=list(exclude_visit_ids))
            .select_related("visit__school")
        )
        booked = {(link.kit_id, link.date): link for link in links}
    days = {}
    for day in set(dates):
        result = KitDay(date=day)
        for kit in kits:
            option = KitOption(kit=kit, booked_by=booked.get((kit.pk, day)) if day else None)
            (result.free if option.free else result.unavailable).append(option)
        days[day] = result
    return days


def kit_day(date: datetime.date | None, *, exclude_visit_id: int | None = None) -> KitDay:
    return kit_days([date], exclude_visit_ids=[exclude_visit_id] if exclude_visit_id else [])[date]


def kit_registry(*, today: datetime.date | None = None) -> list[Kit]:
    """Every kit with its next bookings (from today, active visits): two queries."""
    today = today or timezone.localdate()
    upcoming = (
        VisitKit.objects.filter(date__gte=today, active=True)
        .select_related("visit__school")
        .order_by("date", "visit__start_time", "pk")
    )
    return list(kits_ordered().prefetch_related(Prefetch("visit_links", queryset=upcoming, to_attr="upcoming")))


def kit_bookings(kit: Kit, *, today: datetime.date | None = None):
    """The kit's bookings from today on (active visits), soonest first."""
    today = today or timezone.localdate()
    return (
        VisitKit.objects.filter(kit=kit, date__gte=today, active=True)
        .select_related("visit__school")
        .order_by("date", "visit__start_time", "pk")
    )


@dataclass(frozen=True)
class KitHistoryEntry:
    at: datetime.datetime
    label: str  # "dibuat" / "diubah" / "dihapus" (pghistory's insert/update/delete)
    changes: list
    by: str


def kit_history(kit: Kit, *, limit: int = 100) -> list[KitHistoryEntry]:
    """The kit's history (status changes, renames, notes), newest first: two queries."""
    from django.utils.translation import gettext as _

    from ektp_drives.history import event_changes, event_user_id, event_user_names

    labels = {"insert": _("dibuat"), "update": _("diubah"), "delete": _("dihapus")}
    events = list(kit.events.select_related("pgh_context").order_by("-pgh_created_at", "-pgh_id")[:limit])
    previous = {}
    # A kit event row holds the whole row; the change of an update is against the event before it.
    ordered = sorted(events, key=lambda e: (e.pgh_created_at, e.pgh_id))
    for before, after in zip(ordered, ordered[1:], strict=False):
        previous[after.pgh_id] = before
    names = event_user_names([_Ctx(e) for e in events], full_names=True)
    entries = []
    for event in events:
        changes = []
        before = previous.get(event.pgh_id)
        if event.pgh_label == "update" and before is not None:
            diff = {
                column: (getattr(before, column), getattr(event, column))
                for column in ("name", "status", "note")
                if getattr(before, column) != getattr(event, column)
            }
            changes = event_changes(_Diff(diff), show_personal=True, model=Kit)
        user_id = event_user_id(_Ctx(event))
        entries.append(
            KitHistoryEntry(
                at=event.pgh_created_at,
                label=labels.get(event.pgh_label, event.pgh_label),
                changes=changes,
                by=names.get(user_id, "—") if user_id else "—",
            )
        )
    return entries


class _Ctx:
    """Give a model event the ``pgh_context`` mapping the history helpers read."""

    def __init__(self, event):
        context = getattr(event, "pgh_context", None)
        self.pgh_context = context.metadata if context is not None else {}


class _Diff:
    def __init__(self, diff):
        self.pgh_diff = diff
