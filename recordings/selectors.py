"""Reads about drives and progress. All counting happens in the database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

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


# --- Visits and field recording ------------------------------------------------------------

# Operators may still sync taps for a few days after a drive's last day.
ACTIVE_DRIVE_GRACE_DAYS = 7


def team_candidates():
    """Dukcapil operators and supervisors who can be put on a visit's team."""
    from django.contrib.auth import get_user_model

    from schools.roles import OPERATOR_GROUP, SUPERVISOR_GROUP

    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[OPERATOR_GROUP, SUPERVISOR_GROUP])
        .distinct()
        .order_by("first_name", "username")
    )


def drive_is_active(drive: Drive, *, today: datetime.date | None = None) -> bool:
    """A drive takes outcomes from its first day until a few days after its last."""
    today = today or timezone.localdate()
    return drive.start_date <= today <= drive.end_date + datetime.timedelta(days=ACTIVE_DRIVE_GRACE_DAYS)


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


def visit_roster_filter(
    students: QuerySet[Student], *, q: str = "", class_name: str = "", outcome: str = ""
) -> QuerySet[Student]:
    """Search by name, NISN or NIK digits; filter by class and by outcome at this visit."""
    q = " ".join(q.split())
    if q:
        if q.isdigit():
            students = students.filter(Q(nisn__contains=q) | Q(nik__endswith=q) | Q(nik=q))
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
    school = drive_progress(visit.drive, schools=School.objects.filter(pk=visit.school_id))
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
    from recordings.models import RecordingAction

    return RecordingAction.objects.filter(visit=visit).select_related("student", "by").order_by("-tapped_at", "-pk")


def visits_upcoming(visits: QuerySet[Visit], *, today: datetime.date | None = None) -> QuerySet[Visit]:
    """Planned or running visits from today on, soonest first."""
    today = today or timezone.localdate()
    return (
        visits.filter(
            Q(status=Visit.Status.IN_PROGRESS) | Q(status=Visit.Status.PLANNED, date__gte=today)
        )
        .select_related("school", "drive")
        .order_by("date", "school__name")
    )


class PlanningStatus:
    NOT_VISITED = "not_visited"
    NEEDS_DATE = "needs_date"
    SCHEDULED = "scheduled"
    REMAINING = "remaining"
    COMPLETE = "complete"

    CHOICES = [
        ("not_visited", gettext_lazy("Belum dikunjungi")),
        ("needs_date", gettext_lazy("Perlu jadwal (baru)")),
        ("scheduled", gettext_lazy("Terjadwal")),
        ("remaining", gettext_lazy("Sudah dikunjungi, masih ada sisa")),
        ("complete", gettext_lazy("Selesai")),
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
