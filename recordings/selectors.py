"""Reads about drives and progress. All counting happens in the database."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, cached_property
from operator import attrgetter

from django.conf import settings
from django.db import connection, models
from django.db.models import Count, Exists, IntegerField, Max, Min, OuterRef, Q, QuerySet, Subquery, Value
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
        # NULL-safe: a student with no outcome yet is not "in" any list of outcomes.
        "needs_nik": Count(
            "pk",
            filter=Q(nik="") & (Q(latest_outcome__isnull=True) | ~Q(latest_outcome__in=[*done, outcome.NOT_ELIGIBLE])),
        ),
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
    under_age: int = 0  # active students under 16 on the reference date: not in the target yet

    @classmethod
    def total(cls, items) -> Progress:
        """Sum several Progress values (schools into a kecamatan or a drive)."""
        names = _progress_names()
        columns = list(zip(*map(attrgetter(*names), items), strict=False))
        if not columns:
            return cls()
        return cls(*map(sum, columns))

    @cached_property
    def target(self) -> int:
        return self.candidates - self.not_eligible

    @cached_property
    def remaining(self) -> int:
        return self.target - self.done

    @cached_property
    def completion(self) -> Decimal:
        """Completion in percent, rounded half up to two decimals."""
        if not self.target:
            return Decimal("0.00")
        return (Decimal(self.done) * 100 / Decimal(self.target)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@cache
def _progress_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Progress))


def drive_progress(drive: Drive, *, schools: QuerySet[School] | None = None) -> Progress:
    """Return the drive's totals, optionally limited to some schools, in one query."""
    return Progress.total(drive_tallies(drive, schools=schools).values())


def drive_progress_by_school(drive: Drive, *, schools: QuerySet[School] | None = None) -> dict[int, Progress]:
    """Return {school id: Progress} for the drive's schools in one query."""
    return drive_tallies(drive, schools=schools)


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
    counts = drive_schools.aggregate(total=Count("pk"), visited=Count("pk", filter=Exists(visited)))
    postponed = Visit.objects.filter(drive=drive, school__in=drive_schools, status=Visit.Status.POSTPONED).count()
    return Headline(
        drive=drive,
        progress=drive_progress(drive, schools=drive_schools),
        schools_total=counts["total"],
        schools_visited=counts["visited"],
        visits_postponed=postponed,
    )


def headline_from_rows(drive: Drive, rows) -> Headline:
    """Return the headline summed from school rows (e.g. a cached ``drive_snapshot``'s)."""
    summary = progress_summary(rows)
    return Headline(
        drive=drive,
        progress=summary.progress,
        schools_total=summary.schools_total,
        schools_visited=summary.schools_visited,
        visits_postponed=summary.visits_postponed,
    )


def schools_with_progress(queryset: QuerySet[School], drive: Drive) -> QuerySet[School]:
    """Annotate schools with target, done and completion in the drive (sortable in SQL)."""

    def count_of(students: QuerySet[Student]):
        subquery = (
            students.filter(school=OuterRef("pk")).order_by().values("school").annotate(n=Count("pk")).values("n")
        )
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
        visits.filter(Q(status=Visit.Status.IN_PROGRESS) | Q(status=Visit.Status.PLANNED, date__gte=today))
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


# --- Progress pages (issue 5): completion per school, kecamatan and drive ---------------------
#
# The per-school tally is one hand-written query: the latest outcome of every student is taken
# once with DISTINCT ON (student) ordered by tap time, then joined to the drive's students. The
# ORM's correlated subquery evaluates once per FILTER clause and takes ~50 s at a million students;
# this takes ~2 s cold (see docs/benchmarks.md), and recordings.progress_cache keeps it exact and warm.


def drive_current_among(drives, *, today: datetime.date | None = None) -> Drive | None:
    """``drive_current``'s rule applied to drives already loaded (no query): running, else latest started, else next."""
    today = today or timezone.localdate()
    running = [d for d in drives if d.start_date <= today <= d.end_date]
    if running:
        return max(running, key=lambda d: d.start_date)
    started = [d for d in drives if d.start_date <= today]
    if started:
        return max(started, key=lambda d: d.end_date)
    return min(drives, key=lambda d: d.start_date, default=None)


def _school_filter(schools, column: str) -> tuple[str, list]:
    """SQL restricting ``column`` to some schools (a queryset, or an iterable of ids), or nothing."""
    if schools is None:
        return "", []
    if isinstance(schools, QuerySet):
        sql, params = schools.order_by().values("pk").query.sql_with_params()
        return f" AND {column} IN ({sql})", list(params)
    return f" AND {column} = ANY(%s)", [[int(pk) for pk in schools]]


def _tables() -> dict[str, str]:
    from recordings.models import DriveSchool

    return {
        "recording": Recording._meta.db_table,
        "visit": Visit._meta.db_table,
        "student": Student._meta.db_table,
        "drive_school": DriveSchool._meta.db_table,
    }


TALLY_FIELDS = (
    "candidates",
    "under_age",
    "not_eligible",
    "done",
    "recorded",
    "already_recorded",
    "absent",
    "biometric_failure",
    "missing_documents",
    "refused",
    "waiting",
    "needs_nik",
)


def drive_tallies(drive: Drive, *, schools=None) -> dict[int, Progress]:
    """Return {school id: Progress} for the drive's schools that have active students (one query).

    ``schools`` limits the count: a School queryset or a list of ids. Candidates are active students
    of the drive's schools aged 16+ on the reference date; under-16 students are counted apart.
    """
    outcome = Recording.Outcome
    cutoff = eligibility_cutoff(drive.reference_date)
    recording_filter, recording_params = _school_filter(schools, "rs.school_id")
    student_filter, student_params = _school_filter(schools, "s.school_id")
    tables = _tables()
    recording_join = f"JOIN {tables['student']} rs ON rs.id = r.student_id" if schools is not None else ""
    sql = f"""
        WITH latest AS MATERIALIZED (
            SELECT DISTINCT ON (r.student_id) r.student_id, r.outcome
            FROM {tables["recording"]} r
            JOIN {tables["visit"]} v ON v.id = r.visit_id
            {recording_join}
            WHERE v.drive_id = %s{recording_filter}
            ORDER BY r.student_id, r.recorded_at DESC, r.id DESC
        ), students AS (
            SELECT s.school_id, s.birth_date <= %s AS eligible, s.nik = '' AS no_nik, l.outcome
            FROM {tables["student"]} s
            JOIN {tables["drive_school"]} ds ON ds.school_id = s.school_id AND ds.drive_id = %s
            LEFT JOIN latest l ON l.student_id = s.id
            WHERE s.is_active{student_filter}
        )
        SELECT school_id,
            COUNT(*) FILTER (WHERE eligible),
            COUNT(*) FILTER (WHERE NOT eligible),
            COUNT(*) FILTER (WHERE eligible AND outcome = %s),
            COUNT(*) FILTER (WHERE eligible AND outcome IN (%s, %s)),
            COUNT(*) FILTER (WHERE eligible AND outcome = %s),
            COUNT(*) FILTER (WHERE eligible AND outcome = %s),
            COUNT(*) FILTER (WHERE eligible AND outcome = %s),
            COUNT(*) FILTER (WHERE eligible AND outcome = %s),
            COUNT(*) FILTER (WHERE eligible AND outcome = %s),
            COUNT(*) FILTER (WHERE eligible AND outcome = %s),
            COUNT(*) FILTER (WHERE eligible AND outcome IS NULL),
            COUNT(*) FILTER (WHERE eligible AND no_nik AND (outcome IS NULL OR outcome NOT IN (%s, %s, %s)))
        FROM students
        GROUP BY school_id
    """  # noqa: S608 - only table names and fixed SQL fragments are formatted in; values are parameters
    params = [
        drive.pk,
        *recording_params,
        cutoff,
        drive.pk,
        *student_params,
        outcome.NOT_ELIGIBLE,
        outcome.RECORDED,
        outcome.ALREADY_RECORDED,
        outcome.RECORDED,
        outcome.ALREADY_RECORDED,
        outcome.ABSENT,
        outcome.BIOMETRIC_FAILURE,
        outcome.MISSING_DOCUMENTS,
        outcome.REFUSED,
        outcome.RECORDED,
        outcome.ALREADY_RECORDED,
        outcome.NOT_ELIGIBLE,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {row[0]: Progress(**dict(zip(TALLY_FIELDS, row[1:], strict=True))) for row in rows}


def _time_zone_name() -> str:
    """The local time zone's name, checked before it is written into SQL."""
    name = settings.TIME_ZONE
    if not re.fullmatch(r"[A-Za-z0-9_/+\-]+", name):
        raise ValueError(f"Unexpected TIME_ZONE {name!r}")
    return name


def drive_daily_changes(drive: Drive, *, schools=None) -> dict[int, dict[datetime.date, int]]:
    """Return {school id: {day: change in done students}} for the chart of progress over time (one query).

    A student's status at the end of each day is the latest outcome tapped up to then, so a
    "biometric failure" after "recorded" takes the student off again; the changes of a school add
    up to its current ``done``. Days are local (Asia/Jakarta).
    """
    tables = _tables()
    student_filter, student_params = _school_filter(schools, "s.school_id")
    cutoff = eligibility_cutoff(drive.reference_date)
    day = f"(r.recorded_at AT TIME ZONE '{_time_zone_name()}')::date"
    sql = f"""
        WITH day_last AS MATERIALIZED (
            SELECT DISTINCT ON (r.student_id, {day})
                r.student_id, s.school_id, {day} AS day,
                CASE WHEN r.outcome IN (%s, %s) THEN 1 ELSE 0 END AS done
            FROM {tables["recording"]} r
            JOIN {tables["visit"]} v ON v.id = r.visit_id
            JOIN {tables["student"]} s ON s.id = r.student_id
            JOIN {tables["drive_school"]} ds ON ds.school_id = s.school_id AND ds.drive_id = %s
            WHERE v.drive_id = %s AND s.is_active AND s.birth_date <= %s{student_filter}
            ORDER BY r.student_id, {day}, r.recorded_at DESC, r.id DESC
        ), steps AS (
            SELECT school_id, day, done - COALESCE(LAG(done) OVER (PARTITION BY student_id ORDER BY day), 0) AS delta
            FROM day_last
        )
        SELECT school_id, day, SUM(delta)::int FROM steps GROUP BY school_id, day HAVING SUM(delta) <> 0
    """  # noqa: S608 - table names, a checked time-zone name and fixed fragments; values are parameters
    params = [*Recording.DONE_OUTCOMES, drive.pk, drive.pk, cutoff, *student_params]
    changes: dict[int, dict[datetime.date, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for school_id, on, delta in cursor.fetchall():
            changes.setdefault(school_id, {})[on] = delta
    return changes


@dataclass(frozen=True)
class SchoolVisits:
    """A school's visits in a drive, summed up."""

    last_visit: datetime.date | None = None
    next_visit: datetime.date | None = None
    visits_done: int = 0
    in_progress: int = 0
    planned: int = 0
    postponed: int = 0
    postponed_by_reason: tuple[tuple[str, int], ...] = ()


class VisitState(models.TextChoices):
    """Where a school stands in the drive's visit plan (derived, never stored)."""

    IN_PROGRESS = "in_progress", gettext_lazy("Sedang dikunjungi")
    VISITED = "visited", gettext_lazy("Sudah dikunjungi")
    PLANNED = "planned", gettext_lazy("Dijadwalkan")
    POSTPONED = "postponed", gettext_lazy("Ditunda")
    NOT_VISITED = "not_visited", gettext_lazy("Belum dijadwalkan")


@dataclass(frozen=True)
class SchoolProgressRow:
    """One school of a drive on the progress pages: who it is, its tally and its visits."""

    school_id: int
    npsn: str
    name: str
    level: str
    status: str
    kecamatan_id: int
    kecamatan_name: str
    latitude: Decimal | None
    longitude: Decimal | None
    progress: Progress
    visits: SchoolVisits

    @cached_property
    def visited(self) -> bool:
        """A school counts as visited once a visit has started (in progress or done)."""
        return self.visits.last_visit is not None

    @property
    def visit_state(self) -> str:
        if self.visits.in_progress:
            return VisitState.IN_PROGRESS
        if self.visited:
            return VisitState.VISITED
        if self.visits.planned:
            return VisitState.PLANNED
        if self.visits.postponed:
            return VisitState.POSTPONED
        return VisitState.NOT_VISITED

    @property
    def visit_state_label(self) -> str:
        return VisitState(self.visit_state).label

    @property
    def level_label(self) -> str:
        return School.Level(self.level).label if self.level in School.Level.values else self.level

    @property
    def status_label(self) -> str:
        return School.Status(self.status).label if self.status in School.Status.values else self.status


def drive_school_visits(drive: Drive, *, schools=None, today: datetime.date | None = None) -> dict[int, SchoolVisits]:
    """Return {school id: SchoolVisits} for the drive (one query)."""
    today = today or timezone.localdate()
    status = Visit.Status
    visits = Visit.objects.filter(drive=drive)
    if schools is not None:
        visits = (
            visits.filter(school__in=schools)
            if isinstance(schools, QuerySet)
            else visits.filter(school_id__in=list(schools))
        )
    reasons = Visit.PostponementReason.values
    rows = (
        visits.order_by()
        .values("school_id")
        .annotate(
            last_visit=Max("date", filter=Q(status__in=Visit.VISITED_STATUSES)),
            next_visit=Min("date", filter=Q(status=status.PLANNED, date__gte=today)),
            visits_done=Count("pk", filter=Q(status=status.DONE)),
            in_progress=Count("pk", filter=Q(status=status.IN_PROGRESS)),
            planned=Count("pk", filter=Q(status=status.PLANNED, date__gte=today)),
            postponed=Count("pk", filter=Q(status=status.POSTPONED)),
            **{
                f"postponed_{code}": Count("pk", filter=Q(status=status.POSTPONED, postponement_reason=code))
                for code in reasons
            },
        )
    )
    result = {}
    for row in rows:
        by_reason = tuple((code, row.pop(f"postponed_{code}")) for code in reasons)
        school_id = row.pop("school_id")
        result[school_id] = SchoolVisits(**row, postponed_by_reason=tuple(r for r in by_reason if r[1]))
    return result


def drive_school_rows(
    drive: Drive, *, schools=None, today: datetime.date | None = None
) -> dict[int, SchoolProgressRow]:
    """Return {school id: SchoolProgressRow} for the drive's schools (three queries, any data size)."""
    listed = School.objects.filter(drive_links__drive=drive)
    if schools is not None:
        listed = listed.filter(pk__in=schools) if isinstance(schools, QuerySet) else listed.filter(pk__in=list(schools))
    tallies = drive_tallies(drive, schools=schools)
    visits = drive_school_visits(drive, schools=schools, today=today)
    empty_progress, no_visits = Progress(), SchoolVisits()
    rows = {}
    for pk, npsn, name, level, status, kecamatan_id, kecamatan_name, latitude, longitude in listed.values_list(
        "pk", "npsn", "name", "level", "status", "desa__kecamatan_id", "desa__kecamatan__name", "latitude", "longitude"
    ):
        rows[pk] = SchoolProgressRow(
            school_id=pk,
            npsn=npsn,
            name=name,
            level=level,
            status=status,
            kecamatan_id=kecamatan_id,
            kecamatan_name=kecamatan_name,
            latitude=latitude,
            longitude=longitude,
            progress=tallies.get(pk, empty_progress),
            visits=visits.get(pk, no_visits),
        )
    return rows


@dataclass(frozen=True)
class KecamatanProgressRow:
    kecamatan_id: int
    name: str
    schools: int
    schools_visited: int
    progress: Progress

    @property
    def schools_not_visited(self) -> int:
        return self.schools - self.schools_visited


def progress_by_kecamatan(rows) -> list[KecamatanProgressRow]:
    """Sum school rows per kecamatan, ordered by name."""
    groups: dict[int, list[SchoolProgressRow]] = {}
    for row in rows:
        groups.setdefault(row.kecamatan_id, []).append(row)
    result = [
        KecamatanProgressRow(
            kecamatan_id=kecamatan_id,
            name=members[0].kecamatan_name,
            schools=len(members),
            schools_visited=sum(1 for m in members if m.visited),
            progress=Progress.total(m.progress for m in members),
        )
        for kecamatan_id, members in groups.items()
    ]
    result.sort(key=lambda k: k.name)
    return result


@dataclass(frozen=True)
class ProgressSummary:
    """The headline of a drive (or of the schools a user may see): one look for the Kepala Dinas."""

    progress: Progress
    schools_total: int
    schools_visited: int
    schools_in_progress: int
    schools_not_visited: tuple[SchoolProgressRow, ...]
    visits_postponed: int
    postponed_by_reason: tuple[tuple[str, str, int], ...]

    @property
    def schools_not_visited_count(self) -> int:
        return len(self.schools_not_visited)


def progress_summary(rows) -> ProgressSummary:
    """Sum school rows into the headline."""
    rows = list(rows)
    reasons: dict[str, int] = {}
    for row in rows:
        for code, n in row.visits.postponed_by_reason:
            reasons[code] = reasons.get(code, 0) + n
    labels = dict(Visit.PostponementReason.choices)
    return ProgressSummary(
        progress=Progress.total(row.progress for row in rows),
        schools_total=len(rows),
        schools_visited=sum(1 for row in rows if row.visited),
        schools_in_progress=sum(1 for row in rows if row.visits.in_progress),
        schools_not_visited=tuple(sorted((row for row in rows if not row.visited), key=lambda r: r.name)),
        visits_postponed=sum(row.visits.postponed for row in rows),
        postponed_by_reason=tuple(
            (code, labels[code], reasons[code]) for code in Visit.PostponementReason.values if reasons.get(code)
        ),
    )


def cumulative_done_by_day(
    changes: dict[int, dict[datetime.date, int]], *, school_ids=None, start: datetime.date, end: datetime.date
) -> list[tuple[datetime.date, int]]:
    """Turn per-school daily changes into [(day, done students at the end of that day)] from start to end.

    Changes before ``start`` are carried into the first day and changes after ``end`` into the last, so
    the last point always equals the current number of done students.
    """
    per_day: dict[datetime.date, int] = {}
    for school_id, days in changes.items():
        if school_ids is not None and school_id not in school_ids:
            continue
        for day, delta in days.items():
            day = min(max(day, start), end)
            per_day[day] = per_day.get(day, 0) + delta
    series, total, day = [], 0, start
    while day <= end:
        total += per_day.get(day, 0)
        series.append((day, total))
        day += datetime.timedelta(days=1)
    return series


# Why a student is still to record, in the order a follow-up list reads best.
FOLLOW_UP_REASONS = {
    None: gettext_lazy("Belum didata"),
    Recording.Outcome.ABSENT: Recording.Outcome.ABSENT.label,
    Recording.Outcome.BIOMETRIC_FAILURE: Recording.Outcome.BIOMETRIC_FAILURE.label,
    Recording.Outcome.MISSING_DOCUMENTS: Recording.Outcome.MISSING_DOCUMENTS.label,
    Recording.Outcome.REFUSED: Recording.Outcome.REFUSED.label,
}


def students_to_record(drive: Drive, *, schools=None) -> QuerySet[Student]:
    """The drive's target students not done yet, with their latest outcome and when (one query).

    ``latest_outcome`` is None for students not served yet; ``latest_at`` is the tap time.
    """
    latest = Recording.objects.filter(student=OuterRef("pk"), visit__drive=drive).order_by("-recorded_at", "-pk")
    students = Student.objects.filter(
        is_active=True,
        school__drive_links__drive=drive,
        birth_date__lte=eligibility_cutoff(drive.reference_date),
    )
    if schools is not None:
        students = (
            students.filter(school__in=schools)
            if isinstance(schools, QuerySet)
            else students.filter(school_id__in=list(schools))
        )
    return (
        students.annotate(
            latest_outcome=Subquery(latest.values("outcome")[:1]),
            latest_at=Subquery(latest.values("recorded_at")[:1]),
        )
        .filter(
            Q(latest_outcome__isnull=True)
            | ~Q(latest_outcome__in=[*Recording.DONE_OUTCOMES, Recording.Outcome.NOT_ELIGIBLE])
        )
        .select_related("school")
        .order_by("school__name", "class_name", "name", "pk")
    )


@dataclass(frozen=True)
class StudentToRecord:
    """One line of a follow-up list export (plain values, no model instance)."""

    npsn: str
    school_name: str
    class_name: str
    name: str
    gender: str
    birth_date: datetime.date
    nisn: str
    nik: str
    kk: str
    latest_outcome: str | None
    latest_at: datetime.datetime | None


def students_to_record_rows(drive: Drive, *, schools=None, chunk: int = 2000):
    """Yield the same students as ``students_to_record`` for exports, in one streamed statement.

    The latest outcome is taken once per student (DISTINCT ON) instead of per row: a whole drive
    at national scale streams in seconds; rows come from a server-side cursor, ``chunk`` at a time.
    """
    tables = _tables()
    school_table = School._meta.db_table
    recording_filter, recording_params = _school_filter(schools, "rs.school_id")
    student_filter, student_params = _school_filter(schools, "s.school_id")
    recording_join = f"JOIN {tables['student']} rs ON rs.id = r.student_id" if schools is not None else ""
    sql = f"""
        WITH latest AS MATERIALIZED (
            SELECT DISTINCT ON (r.student_id) r.student_id, r.outcome, r.recorded_at
            FROM {tables["recording"]} r
            JOIN {tables["visit"]} v ON v.id = r.visit_id
            {recording_join}
            WHERE v.drive_id = %s{recording_filter}
            ORDER BY r.student_id, r.recorded_at DESC, r.id DESC
        )
        SELECT sc.npsn, sc.name, s.class_name, s.name, s.gender, s.birth_date, s.nisn, s.nik, s.kk,
            l.outcome, l.recorded_at
        FROM {tables["student"]} s
        JOIN {tables["drive_school"]} ds ON ds.school_id = s.school_id AND ds.drive_id = %s
        JOIN {school_table} sc ON sc.id = s.school_id
        LEFT JOIN latest l ON l.student_id = s.id
        WHERE s.is_active AND s.birth_date <= %s{student_filter}
            AND (l.outcome IS NULL OR l.outcome NOT IN (%s, %s, %s))
        ORDER BY sc.name, s.class_name, s.name, s.id
    """  # noqa: S608 - only table names and fixed SQL fragments are formatted in; values are parameters
    params = [
        drive.pk,
        *recording_params,
        drive.pk,
        eligibility_cutoff(drive.reference_date),
        *student_params,
        *Recording.DONE_OUTCOMES,
        Recording.Outcome.NOT_ELIGIBLE,
    ]
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from (StudentToRecord(*row) for row in rows)


def visit_outcomes(visit: Visit) -> QuerySet[Recording]:
    """The outcomes recorded at one visit, by class and name (one query)."""
    return (
        Recording.objects.filter(visit=visit)
        .select_related("student", "recorded_by")
        .order_by("student__class_name", "student__name", "pk")
    )
