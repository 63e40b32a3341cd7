"""Reads about drives and progress. All counting happens in the database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from recordings.models import Drive, Recording, Visit
from schools.models import School, Student

MINIMUM_AGE = 16


def eligibility_cutoff(reference_date: datetime.date) -> datetime.date:
    """Return the latest birth date of a student who is 16 or older on the reference date."""
    try:
        return reference_date.replace(year=reference_date.year - MINIMUM_AGE)
    except ValueError:  # 29 February in a non-leap year
        return reference_date.replace(year=reference_date.year - MINIMUM_AGE, day=28)


def drive_current(*, today: datetime.date | None = None) -> Drive | None:
    """Return the drive running today, else the latest one that has started, else the next one."""
    today = today or timezone.localdate()
    running = Drive.objects.filter(start_date__lte=today, end_date__gte=today).order_by("-start_date").first()
    if running:
        return running
    started = Drive.objects.filter(start_date__lte=today).order_by("-end_date").first()
    return started or Drive.objects.order_by("start_date").first()


def latest_outcome(drive: Drive, student_ref=None) -> Subquery:
    """Subquery: the outcome with the latest tap time for a student across the drive's visits."""
    student_ref = student_ref if student_ref is not None else OuterRef("pk")
    return Subquery(
        Recording.objects.filter(student=student_ref, visit__drive=drive)
        .order_by("-recorded_at", "-pk")
        .values("outcome")[:1]
    )


def drive_candidates(drive: Drive) -> QuerySet[Student]:
    """Active students of the drive's schools aged 16+ on the reference date, with their latest outcome."""
    return Student.objects.filter(
        is_active=True,
        school__drive_links__drive=drive,
        birth_date__lte=eligibility_cutoff(drive.reference_date),
    ).annotate(latest_outcome=latest_outcome(drive))


def drive_target(drive: Drive) -> QuerySet[Student]:
    """The drive's target list: candidates minus those whose latest outcome is not eligible."""
    return drive_candidates(drive).filter(
        Q(latest_outcome__isnull=True) | ~Q(latest_outcome=Recording.Outcome.NOT_ELIGIBLE)
    )


def _count_aggregates() -> dict:
    outcome = Recording.Outcome
    done = list(Recording.DONE_OUTCOMES)
    return {
        "candidates": Count("pk"),
        "not_eligible": Count("pk", filter=Q(latest_outcome=outcome.NOT_ELIGIBLE)),
        "done": Count("pk", filter=Q(latest_outcome__in=done)),
        "recorded": Count("pk", filter=Q(latest_outcome=outcome.RECORDED)),
        "already_recorded": Count("pk", filter=Q(latest_outcome=outcome.ALREADY_RECORDED)),
        "absent": Count("pk", filter=Q(latest_outcome=outcome.ABSENT)),
        "biometric_failure": Count("pk", filter=Q(latest_outcome=outcome.BIOMETRIC_FAILURE)),
        "missing_documents": Count("pk", filter=Q(latest_outcome=outcome.MISSING_DOCUMENTS)),
        "refused": Count("pk", filter=Q(latest_outcome=outcome.REFUSED)),
        "waiting": Count("pk", filter=Q(latest_outcome__isnull=True)),
        "needs_nik": Count("pk", filter=Q(nik="") & ~Q(latest_outcome__in=[*done, outcome.NOT_ELIGIBLE])),
    }


@dataclass(frozen=True)
class Progress:
    """Completion figures of a school, a kecamatan or a whole drive."""

    candidates: int = 0
    not_eligible: int = 0
    done: int = 0
    recorded: int = 0
    already_recorded: int = 0
    absent: int = 0
    biometric_failure: int = 0
    missing_documents: int = 0
    refused: int = 0
    waiting: int = 0
    needs_nik: int = 0

    @property
    def target(self) -> int:
        return self.candidates - self.not_eligible

    @property
    def remaining(self) -> int:
        return self.target - self.done

    @property
    def completion(self) -> Decimal:
        """Completion in percent, rounded half up to two decimals."""
        if not self.target:
            return Decimal("0.00")
        return (Decimal(self.done) * 100 / Decimal(self.target)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def drive_progress(drive: Drive, *, schools: QuerySet[School] | None = None) -> Progress:
    """Return the drive's totals, optionally limited to some schools, in one query."""
    students = drive_candidates(drive)
    if schools is not None:
        students = students.filter(school__in=schools)
    return Progress(**students.aggregate(**_count_aggregates()))


def drive_progress_by_school(drive: Drive, *, schools: QuerySet[School] | None = None) -> dict[int, Progress]:
    """Return {school id: Progress} for the drive's schools in one query."""
    students = drive_candidates(drive)
    if schools is not None:
        students = students.filter(school__in=schools)
    rows = students.order_by().values("school_id").annotate(**_count_aggregates())
    return {row.pop("school_id"): Progress(**row) for row in rows}


@dataclass(frozen=True)
class Headline:
    """What the home page and the Kepala Dinas read first."""

    drive: Drive
    progress: Progress
    schools_total: int
    schools_visited: int
    visits_postponed: int

    @property
    def schools_not_visited(self) -> int:
        return self.schools_total - self.schools_visited


def drive_headline(drive: Drive, *, schools: QuerySet[School] | None = None) -> Headline:
    """Return the drive's headline figures (a fixed number of queries)."""
    drive_schools = School.objects.filter(drive_links__drive=drive)
    if schools is not None:
        drive_schools = drive_schools.filter(pk__in=schools.values("pk"))
    visited = Visit.objects.filter(drive=drive, school=OuterRef("pk"), status__in=Visit.VISITED_STATUSES)
    counts = drive_schools.aggregate(
        total=Count("pk"), visited=Count("pk", filter=Exists(visited))
    )
    postponed = Visit.objects.filter(
        drive=drive, school__in=drive_schools, status=Visit.Status.POSTPONED
    ).count()
    return Headline(
        drive=drive,
        progress=drive_progress(drive, schools=drive_schools),
        schools_total=counts["total"],
        schools_visited=counts["visited"],
        visits_postponed=postponed,
    )


def schools_with_progress(queryset: QuerySet[School], drive: Drive) -> QuerySet[School]:
    """Annotate schools with target, done and completion in the drive (sortable in SQL)."""

    def count_of(students: QuerySet[Student]):
        subquery = students.filter(school=OuterRef("pk")).order_by().values("school").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(subquery, output_field=IntegerField()), Value(0))

    target = drive_target(drive)
    done = drive_candidates(drive).filter(latest_outcome__in=list(Recording.DONE_OUTCOMES))
    in_drive = Exists(drive.drive_schools.filter(school=OuterRef("pk")))
    return queryset.annotate(
        in_drive=in_drive,
        drive_target=count_of(target),
        drive_done=count_of(done),
    )
