"""Reads for planning a drive's visits: which schools still need one and how many days."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from recordings.models import Drive, Kit, Visit
from recordings.selectors.progress import Progress, drive_progress_by_school
from schools.geo import Travel, travel_from_office
from schools.models import School


class PlanningStatus:
    NOT_VISITED = "not_visited"
    NEEDS_DATE = "needs_date"
    SCHEDULED = "scheduled"
    REMAINING = "remaining"
    COMPLETE = "complete"
    POSTPONED = "postponed"
    NOT_SCHEDULED = "not_scheduled"

    CHOICES = [
        ("not_visited", gettext_lazy("Belum dikunjungi")),
        ("needs_date", gettext_lazy("Perlu jadwal (baru)")),
        ("scheduled", gettext_lazy("Terjadwal")),
        ("remaining", gettext_lazy("Sudah dikunjungi, masih ada sisa")),
        ("complete", gettext_lazy("Selesai")),
        ("postponed", gettext_lazy("Ditunda, belum ada tanggal baru")),
        ("not_scheduled", gettext_lazy("Belum dikunjungi dan belum dijadwalkan")),
    ]


@dataclass(frozen=True)
class PlanningRow:
    """One school in a drive's planning list."""

    school: School
    progress: Progress
    visited: bool
    last_visit_date: datetime.date | None
    next_visit: Visit | None
    postponed: bool
    kits: int
    kits_assumed: bool
    students_per_kit_per_day: int
    travel: Travel

    @property
    def short_visit(self) -> bool:
        """The next visit is one day, but with its kits the school needs more days than that."""
        return self.next_visit is not None and self.days_needed > 1

    @property
    def complete(self) -> bool:
        """Every target student is recorded (a school without a target list is not complete)."""
        return self.progress.target > 0 and self.progress.remaining <= 0

    @property
    def needs_date(self) -> bool:
        return not self.complete and self.next_visit is None

    @property
    def days_needed(self) -> int:
        """Visit days still needed: remaining ÷ (kits × students a kit records per day), rounded up."""
        if self.progress.remaining <= 0:
            return 0
        return days_needed(self.progress.remaining, kits=self.kits, per_kit=self.students_per_kit_per_day)

    @property
    def statuses(self) -> set[str]:
        found = set()
        if not self.visited:
            found.add(PlanningStatus.NOT_VISITED)
        if self.needs_date:
            found.add(PlanningStatus.NEEDS_DATE)
        if self.next_visit is not None:
            found.add(PlanningStatus.SCHEDULED)
        if self.visited and not self.complete:
            found.add(PlanningStatus.REMAINING)
        if self.complete:
            found.add(PlanningStatus.COMPLETE)
        if self.next_visit is None and self.postponed:
            found.add(PlanningStatus.POSTPONED)
        if self.next_visit is None and not self.visited and not self.postponed:
            found.add(PlanningStatus.NOT_SCHEDULED)
        return found


def days_needed(remaining: int, *, kits: int, per_kit: int) -> int:
    """ceil(remaining ÷ (kits × students one kit records per day)); 0 when nothing remains."""
    if remaining <= 0:
        return 0
    per_day = max(kits, 1) * max(per_kit, 1)
    return -(-remaining // per_day)


def kits_for_one_day(remaining: int, *, per_kit: int) -> int:
    """How many kits would record ``remaining`` students in one day."""
    return max(1, -(-max(remaining, 0) // max(per_kit, 1)))


def drive_planning(
    drive: Drive,
    *,
    today: datetime.date | None = None,
    kecamatan_id: int | None = None,
    status: str = "",
    default_kits: int = 1,
) -> list[PlanningRow]:
    """The drive's schools for planning, not yet visited first (four queries).

    The estimate uses the kits assigned to the school's next visit, else ``default_kits``.
    """
    today = today or timezone.localdate()
    drive_visits = Visit.objects.filter(drive=drive, school=OuterRef("pk"))
    latest_visit = drive_visits.exclude(status=Visit.Status.CANCELLED).order_by("-date", "-created_at", "-pk")
    schools = (
        School.objects.filter(drive_links__drive=drive)
        .select_related("desa__kecamatan")
        .annotate(
            last_visit_date=Subquery(
                drive_visits.filter(status__in=Visit.VISITED_STATUSES).order_by("-date").values("date")[:1]
            ),
            latest_visit_status=Subquery(latest_visit.values("status")[:1]),
        )
    )
    if kecamatan_id:
        schools = schools.filter(desa__kecamatan_id=kecamatan_id)
    progress = drive_progress_by_school(drive, schools=schools)
    upcoming = (
        Visit.objects.filter(drive=drive, school__in=[s.pk for s in schools])
        .filter(Q(status=Visit.Status.IN_PROGRESS) | Q(status=Visit.Status.PLANNED, date__gte=today))
        .order_by("status", "date", "pk")  # "in_progress" sorts before "planned"
        .prefetch_related(Prefetch("kits", queryset=Kit.objects.order_by("name")))
    )
    next_visit: dict[int, Visit] = {}
    for visit in upcoming:
        next_visit.setdefault(visit.school_id, visit)
    rows = []
    for school in schools:
        upcoming_visit = next_visit.get(school.pk)
        rows.append(
            PlanningRow(
                school=school,
                progress=progress.get(school.pk, Progress()),
                visited=school.last_visit_date is not None,
                last_visit_date=school.last_visit_date,
                next_visit=upcoming_visit,
                postponed=school.latest_visit_status == Visit.Status.POSTPONED,
                kits=upcoming_visit.kit_count if upcoming_visit else default_kits,
                kits_assumed=upcoming_visit is None,
                students_per_kit_per_day=drive.students_per_kit_per_day,
                travel=travel_from_office(school),
            )
        )
    if status:
        rows = [row for row in rows if status in row.statuses]
    rows.sort(key=lambda r: (r.visited, r.complete, r.next_visit is not None, -r.progress.remaining, r.school.name))
    return rows


@dataclass(frozen=True)
class TripSuggestion:
    """Schools one outing could cover, nearest first."""

    key: str  # "unvisited" or "kec-<id>"
    title: str
    rows: list[PlanningRow]

    @property
    def days(self) -> int:
        return sum(max(row.days_needed, 1) for row in self.rows)


def trip_candidate(row: PlanningRow) -> bool:
    """A school a trip should cover: not visited yet, or visited with students remaining, and no
    visit coming up (a school already scheduled or being visited is left out)."""
    if row.next_visit is not None:
        return False
    return not row.visited or row.progress.remaining > 0


def _nearest_first(rows: list[PlanningRow]) -> list[PlanningRow]:
    return sorted(rows, key=lambda r: (r.travel.sort_key, r.school.name, r.school.pk))


def trip_suggestions(rows: list[PlanningRow]) -> list[TripSuggestion]:
    """Trips to suggest from the planning rows (no query).

    First "Belum dikunjungi": every candidate school not visited yet, whatever its kecamatan,
    nearest first (the schools still waiting for a first visit, as one trip). Then one suggestion
    per kecamatan with its candidate schools nearest first; the kecamatan are ordered by their
    nearest school, so neighbouring schools make one outing. A school can appear in both.
    """
    candidates = [row for row in rows if trip_candidate(row)]
    suggestions = []
    unvisited = _nearest_first([row for row in candidates if not row.visited])
    if unvisited:
        suggestions.append(TripSuggestion(key="unvisited", title=gettext("Belum dikunjungi"), rows=unvisited))
    by_kecamatan: dict[int | None, list[PlanningRow]] = {}
    for row in candidates:
        kecamatan_id = row.school.desa.kecamatan_id if row.school.desa_id else None
        by_kecamatan.setdefault(kecamatan_id, []).append(row)
    groups = []
    for kecamatan_id, group in by_kecamatan.items():
        group = _nearest_first(group)
        name = group[0].school.desa.kecamatan.name if kecamatan_id else gettext("Tanpa kecamatan")
        groups.append((group[0].travel.sort_key, name, kecamatan_id, group))
    groups.sort(key=lambda g: (g[0], g[1]))
    for _key, name, kecamatan_id, group in groups:
        suggestions.append(
            TripSuggestion(
                key=f"kec-{kecamatan_id or 0}", title=gettext("Kecamatan %(name)s") % {"name": name}, rows=group
            )
        )
    return suggestions
