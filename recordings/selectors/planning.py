"""Reads for planning a drive's visits: which schools still need one and how many days."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy

from recordings.models import Drive, Visit
from recordings.selectors.progress import Progress, drive_progress_by_school
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
        per_day = self.kits * self.students_per_kit_per_day
        return -(-self.progress.remaining // per_day)

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


def drive_planning(
    drive: Drive,
    *,
    today: datetime.date | None = None,
    kecamatan_id: int | None = None,
    status: str = "",
    default_kits: int = 1,
) -> list[PlanningRow]:
    """The drive's schools for planning, not yet visited first (three queries).

    The estimate uses the kits of the school's next visit, else ``default_kits``.
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
                kits=upcoming_visit.kits if upcoming_visit else default_kits,
                kits_assumed=upcoming_visit is None,
                students_per_kit_per_day=drive.students_per_kit_per_day,
            )
        )
    if status:
        rows = [row for row in rows if status in row.statuses]
    rows.sort(key=lambda r: (r.visited, r.complete, r.next_visit is not None, -r.progress.remaining, r.school.name))
    return rows
