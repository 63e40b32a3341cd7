"""Reads for a visit: its roster, its outcomes and running counts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from recordings.models import Recording, RecordingAction, Visit
from recordings.selectors.drives import drive_candidates
from recordings.selectors.progress import Progress, drive_progress
from schools.models import Student


def visit_roster(visit: Visit) -> QuerySet[Student]:
    """The students listed at a visit: the school's candidates in the drive (not-eligible ones too,
    so a mistaken mark can be undone), with this visit's outcome and the latest one before it."""
    here = Recording.objects.filter(visit=visit, student=OuterRef("pk"))
    earlier = (
        Recording.objects.filter(student=OuterRef("pk"), visit__drive_id=visit.drive_id)
        .exclude(visit=visit)
        .order_by("-recorded_at", "-pk")
    )
    return (
        drive_candidates(visit.drive)
        .filter(school_id=visit.school_id)
        .annotate(
            visit_outcome=Subquery(here.values("outcome")[:1]),
            earlier_outcome=Subquery(earlier.values("outcome")[:1]),
            earlier_at=Subquery(earlier.values("recorded_at")[:1]),
        )
        .order_by("class_name", "name", "pk")
    )


NIK_SEARCH_DIGITS = 4


def visit_roster_filter(
    students: QuerySet[Student], *, q: str = "", class_name: str = "", outcome: str = ""
) -> QuerySet[Student]:
    """Search by name, NISN or NIK digits; filter by class and by outcome at this visit."""
    q = " ".join(q.split())
    if q:
        if q.isdigit():
            # Only the last digits of a NIK are shown, so only they are searched: a whole NIK
            # must not travel in a URL (this filter is also a GET form without JavaScript).
            by_nik = Q(nik__endswith=q) if len(q) <= NIK_SEARCH_DIGITS else Q(pk__in=[])
            students = students.filter(Q(nisn__contains=q) | by_nik)
        else:
            students = students.filter(name__icontains=q)
    if class_name:
        students = students.filter(class_name=class_name)
    if outcome == "none":
        students = students.filter(visit_outcome__isnull=True)
    elif outcome == "remaining":
        students = students.filter(
            Q(latest_outcome__isnull=True)
            | ~Q(latest_outcome__in=[*Recording.DONE_OUTCOMES, Recording.Outcome.NOT_ELIGIBLE])
        )
    elif outcome in Recording.Outcome.values:
        students = students.filter(visit_outcome=outcome)
    return students


def visit_recordings_by_student(visit: Visit) -> dict[int, Recording]:
    """This visit's current outcomes with who marked them, in one query."""
    return {r.student_id: r for r in Recording.objects.filter(visit=visit).select_related("recorded_by")}


@dataclass(frozen=True)
class VisitTallies:
    """Running counts for a visit and its school's standing in the drive."""

    counts: dict
    listed: int
    school: Progress

    @property
    def marked(self) -> int:
        return sum(self.counts.values())

    @property
    def unmarked(self) -> int:
        return max(self.listed - self.marked, 0)

    @property
    def items(self) -> list[tuple[str, str, int]]:
        return [(code, label, self.counts.get(code, 0)) for code, label in Recording.Outcome.choices]


def visit_tallies(visit: Visit) -> VisitTallies:
    """Counts of this visit's outcomes and the school's progress in the drive (two queries)."""
    rows = Recording.objects.filter(visit=visit).order_by().values("outcome").annotate(n=Count("pk"))
    counts = {row["outcome"]: row["n"] for row in rows}
    school = drive_progress(visit.drive, schools=[visit.school_id])
    return VisitTallies(counts=counts, listed=school.candidates, school=school)


def visit_class_names(visit: Visit) -> list[str]:
    return list(
        drive_candidates(visit.drive)
        .filter(school_id=visit.school_id)
        .exclude(class_name="")
        .order_by("class_name")
        .values_list("class_name", flat=True)
        .distinct()
    )


def visit_actions(visit: Visit) -> QuerySet:
    """Every outcome action at a visit, newest tap first, with who made it."""
    return RecordingAction.objects.filter(visit=visit).select_related("student", "by").order_by("-tapped_at", "-pk")


def visits_upcoming(visits: QuerySet[Visit], *, today: datetime.date | None = None) -> QuerySet[Visit]:
    """Planned or running visits from today on, soonest first."""
    today = today or timezone.localdate()
    return (
        visits.filter(Q(status=Visit.Status.IN_PROGRESS) | Q(status=Visit.Status.PLANNED, date__gte=today))
        .select_related("school", "drive")
        .order_by("date", "school__name")
    )


def visit_outcomes(visit: Visit) -> QuerySet[Recording]:
    """The outcomes recorded at one visit, by class and name (one query)."""
    return (
        Recording.objects.filter(visit=visit)
        .select_related("student", "recorded_by")
        .order_by("student__class_name", "student__name", "pk")
    )
