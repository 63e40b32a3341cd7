"""Progress: every figure a Kepala Dinas quotes, defined once and read from the read model.

``FIGURES`` names each figure with its label and one-line definition; every surface (pages, the
printed report, exports, the Django admin, ``verify_progress``) takes its columns and footnotes from
there. The counts come from ``DriveSchoolTally`` / ``DriveSchoolDay``, kept current by database
triggers in the same transaction as each write (docs/adr/0023-progress-read-model.md).
``progress_recount`` counts the same figures from the raw rows; ``verify_progress`` compares both.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, cached_property
from operator import attrgetter

from django.db import connection, models
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy

from recordings.models import Drive, DriveKecamatanTally, DriveSchoolDay, DriveSchoolTally, Visit
from recordings.selectors.sql import school_filter, tables, time_zone_name
from schools.models import School, eligibility_cutoff


@dataclass(frozen=True)
class Figure:
    """One progress figure: its code (a ``Progress`` attribute), column label and definition."""

    code: str
    label: str
    definition: str
    group: str  # "target": inside the target list; "outside": counted apart from it


TARGET, OUTSIDE = "target", "outside"

FIGURES: tuple[Figure, ...] = (
    Figure(
        "target",
        gettext_lazy("Sasaran"),
        gettext_lazy(
            "Peserta didik aktif berumur 16 tahun atau lebih pada tanggal acuan, tanpa yang tidak memenuhi "
            "syarat dan tanpa yang diusulkan keluar."
        ),
        TARGET,
    ),
    Figure("done", gettext_lazy("Selesai"), gettext_lazy("Terekam + sudah rekam sebelumnya."), TARGET),
    Figure(
        "recorded",
        gettext_lazy("Terekam"),
        gettext_lazy("Hasil terakhir Terekam, pada hari mana pun dalam kegiatan ini."),
        TARGET,
    ),
    Figure(
        "already_recorded",
        gettext_lazy("Rekam sebelumnya"),
        gettext_lazy("Hasil terakhir: sudah merekam KTP-el sebelum kegiatan ini."),
        TARGET,
    ),
    Figure("completion", gettext_lazy("Capaian"), gettext_lazy("Selesai ÷ sasaran, dalam persen."), TARGET),
    Figure(
        "recorded_today",
        gettext_lazy("Terekam hari ini"),
        gettext_lazy("Bagian dari Terekam yang ditandai hari ini (WIB)."),
        TARGET,
    ),
    Figure(
        "remaining",
        gettext_lazy("Sisa"),
        gettext_lazy("Sasaran − selesai = belum didata + tidak hadir + gagal rekam + tanpa KK + menolak."),
        TARGET,
    ),
    Figure("waiting", gettext_lazy("Belum didata"), gettext_lazy("Sasaran yang belum punya hasil."), TARGET),
    Figure("absent", gettext_lazy("Tidak hadir"), gettext_lazy("Hasil terakhir: tidak hadir."), TARGET),
    Figure(
        "biometric_failure",
        gettext_lazy("Gagal rekam"),
        gettext_lazy("Hasil terakhir: gagal rekam, perlu diulang."),
        TARGET,
    ),
    Figure(
        "missing_documents",
        gettext_lazy("Tanpa KK"),
        gettext_lazy("Hasil terakhir: tidak membawa fotokopi KK."),
        TARGET,
    ),
    Figure("refused", gettext_lazy("Menolak"), gettext_lazy("Hasil terakhir: menolak direkam."), TARGET),
    Figure(
        "needs_nik",
        gettext_lazy("Perlu NIK"),
        gettext_lazy("Bagian dari Sisa yang belum punya NIK di daftar sekolah."),
        TARGET,
    ),
    Figure(
        "under_age",
        gettext_lazy("Belum 16 th"),
        gettext_lazy("Peserta didik aktif yang belum 16 tahun pada tanggal acuan: belum masuk sasaran."),
        OUTSIDE,
    ),
    Figure(
        "not_eligible",
        gettext_lazy("Tidak memenuhi syarat"),
        gettext_lazy("Hasil terakhir Tidak memenuhi syarat: keluar dari sasaran."),
        OUTSIDE,
    ),
    Figure(
        "proposed_left",
        gettext_lazy("Diusulkan keluar"),
        gettext_lazy(
            "Tidak ada di daftar terbaru sekolah, menunggu keputusan supervisor: di luar sasaran selama menunggu."
        ),
        OUTSIDE,
    ),
)
FIGURES_BY_CODE = {f.code: f for f in FIGURES}
# The columns of every progress table (school, kecamatan, report, export), in this order.
TABLE_FIGURES = (
    "target",
    "done",
    "recorded",
    "already_recorded",
    "recorded_today",
    "waiting",
    "absent",
    "biometric_failure",
    "missing_documents",
    "refused",
    "remaining",
    "completion",
)
OUTSIDE_FIGURES = ("under_age", "not_eligible", "proposed_left")
# The reasons Sisa is made of, in the order the tables show them.
REMAINING_REASONS = ("waiting", "absent", "biometric_failure", "missing_documents", "refused")
# Counts stored per school (the read model's columns).
STORED_COUNTS = (
    "proposed_left",
    "under_age",
    "candidates",
    "not_eligible",
    "recorded",
    "already_recorded",
    "absent",
    "biometric_failure",
    "missing_documents",
    "refused",
    "waiting",
    "needs_nik",
)


def figure(code: str) -> Figure:
    return FIGURES_BY_CODE[code]


def figure_text(progress: Progress, code: str) -> str:
    """A figure as the pages print it: 2.100, and completion as 79,38 %."""
    value = progress.value(code)
    if code == "completion":
        return f"{number_format(value, 2)} %"
    return number_format(value, 0, force_grouping=True)


@dataclass(frozen=True)
class Progress:
    """Completion figures of a school, a kecamatan or a whole drive (definitions in ``FIGURES``).

    ``candidates`` are active students aged 16+ not proposed as left; the target leaves out those
    whose latest outcome is "not eligible". Every student of the target is in exactly one of
    recorded, already recorded, waiting and the four follow-up outcomes, so Sisa is their sum.
    """

    candidates: int = 0
    not_eligible: int = 0
    recorded: int = 0
    already_recorded: int = 0
    absent: int = 0
    biometric_failure: int = 0
    missing_documents: int = 0
    refused: int = 0
    waiting: int = 0
    needs_nik: int = 0
    under_age: int = 0
    proposed_left: int = 0
    recorded_today: int = 0

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
    def done(self) -> int:
        return self.recorded + self.already_recorded

    @cached_property
    def remaining(self) -> int:
        """Sisa: the sum of its reasons (equal to target − done by construction)."""
        return sum(getattr(self, code) for code in REMAINING_REASONS)

    @cached_property
    def completion(self) -> Decimal:
        return completion_percent(self.done, self.target)

    def value(self, code: str):
        return getattr(self, code)

    def figures(self) -> dict[str, int | Decimal]:
        """Every figure by code (what the consistency checks and the command line compare)."""
        return {f.code: self.value(f.code) for f in FIGURES}


def completion_percent(done: int, target: int) -> Decimal:
    """Completion in percent, rounded half up to two decimals (0 without a target)."""
    if not target:
        return Decimal("0.00")
    return (Decimal(done) * 100 / Decimal(target)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@cache
def _progress_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Progress))


def _limit(queryset, schools):
    if schools is None:
        return queryset
    if isinstance(schools, QuerySet):
        return queryset.filter(school__in=schools.order_by().values("pk"))
    return queryset.filter(school_id__in=list(schools))


def drive_tallies(drive: Drive, *, schools=None, today: datetime.date | None = None) -> dict[int, Progress]:
    """Return {school id: Progress} for the drive's schools from the read model (one query).

    ``schools`` limits the result: a School queryset or a list of ids.
    """
    today = today or timezone.localdate()
    recorded_today = DriveSchoolDay.objects.filter(
        drive_id=drive.pk, school_id=OuterRef("school_id"), day=today
    ).values("recorded")[:1]
    rows = (
        _limit(DriveSchoolTally.objects.filter(drive_id=drive.pk), schools)
        .annotate(today=Coalesce(Subquery(recorded_today, output_field=IntegerField()), Value(0)))
        .values_list("school_id", "today", *STORED_COUNTS)
    )
    return {
        school_id: Progress(recorded_today=today_count, **dict(zip(STORED_COUNTS, counts, strict=True)))
        for school_id, today_count, *counts in rows
    }


def drive_progress(drive: Drive, *, schools=None, today: datetime.date | None = None) -> Progress:
    """Return the drive's totals, optionally limited to some schools, summed in SQL (two queries)."""
    today = today or timezone.localdate()
    sums = _limit(DriveSchoolTally.objects.filter(drive_id=drive.pk), schools).aggregate(
        **{code: Coalesce(Sum(code), 0) for code in STORED_COUNTS}
    )
    recorded_today = _limit(DriveSchoolDay.objects.filter(drive_id=drive.pk, day=today), schools).aggregate(
        n=Coalesce(Sum("recorded"), 0)
    )["n"]
    return Progress(recorded_today=recorded_today, **sums)


def drive_progress_by_school(drive: Drive, *, schools=None, today: datetime.date | None = None) -> dict[int, Progress]:
    """Return {school id: Progress} for the drive's schools in one query."""
    return drive_tallies(drive, schools=schools, today=today)


def drive_daily_changes(drive: Drive, *, schools=None) -> dict[int, dict[datetime.date, int]]:
    """Return {school id: {day: change in done students}} for the chart (one query, from the read model).

    A student's status at the end of each local day is the latest outcome tapped up to then, so a
    "biometric failure" after "recorded" takes the student off again; a school's changes add up to
    its current ``done``.
    """
    changes: dict[int, dict[datetime.date, int]] = {}
    rows = _limit(DriveSchoolDay.objects.filter(drive_id=drive.pk), schools).exclude(done_change=0)
    for school_id, day, delta in rows.values_list("school_id", "day", "done_change"):
        changes.setdefault(school_id, {})[day] = delta
    return changes


def schools_with_progress(queryset: QuerySet[School], drive: Drive) -> QuerySet[School]:
    """Annotate schools with target, done and completion in the drive from the read model (sortable in SQL)."""
    tally = DriveSchoolTally.objects.filter(drive_id=drive.pk, school_id=OuterRef("pk"))

    def of(expression):
        return Subquery(tally.annotate(v=expression).values("v")[:1], output_field=IntegerField())

    target = F("candidates") - F("not_eligible")
    done = F("recorded") + F("already_recorded")
    remaining = sum((F(code) for code in REMAINING_REASONS[1:]), F(REMAINING_REASONS[0]))
    return queryset.annotate(
        in_drive=Exists(drive.drive_schools.filter(school=OuterRef("pk"))),
        drive_target=Coalesce(of(target), Value(0)),
        drive_done=Coalesce(of(done), Value(0)),
        drive_remaining=Coalesce(of(remaining), Value(0)),
        drive_proposed_left=Coalesce(of(F("proposed_left")), Value(0)),
        # Completion in hundredths of a percent, for sorting (pages round with ``Progress.completion``).
        drive_completion=of(done * 10000 / NullIf(target, 0)),
    )


# --- The same figures counted from the raw rows (verify_progress, tests) ----------------------


def progress_recount(drive: Drive, *, schools=None, today: datetime.date | None = None) -> dict[int, Progress]:
    """Count every school's figures from outcomes, students and proposals, ignoring the read model.

    One statement: the latest outcome per student (DISTINCT ON, by tap time) joined to the drive's
    active students. Seconds at a million students; for checks, not for pages.
    """
    today = today or timezone.localdate()
    t = tables()
    recording_filter, recording_params = school_filter(schools, "rs.school_id")
    student_filter, student_params = school_filter(schools, "ds.school_id")
    day = f"(l.recorded_at AT TIME ZONE '{time_zone_name()}')::date"
    sql = f"""
        WITH latest AS MATERIALIZED (
            SELECT DISTINCT ON (r.student_id) r.student_id, r.outcome, r.recorded_at
            FROM {t["recording"]} r
            JOIN {t["visit"]} v ON v.id = r.visit_id
            JOIN {t["student"]} rs ON rs.id = r.student_id
            WHERE v.drive_id = %s{recording_filter}
            ORDER BY r.student_id, r.recorded_at DESC, r.id DESC
        ), students AS (
            SELECT ds.school_id,
                EXISTS (SELECT 1 FROM {t["left_proposal"]} lp WHERE lp.student_id = s.id AND lp.status = 'pending')
                    AS pending,
                s.birth_date <= %s AS old_enough, s.nik = '' AS no_nik, l.outcome, {day} AS day
            FROM {t["drive_school"]} ds
            LEFT JOIN {t["student"]} s ON s.school_id = ds.school_id AND s.is_active
            LEFT JOIN latest l ON l.student_id = s.id
            WHERE ds.drive_id = %s{student_filter}
        ), judged AS (
            SELECT school_id, pending, old_enough AND NOT pending AS candidate,
                CASE WHEN old_enough AND NOT pending THEN outcome END AS outcome,
                no_nik, day, old_enough
            FROM students
        )
        SELECT school_id,
            COUNT(*) FILTER (WHERE pending),
            COUNT(*) FILTER (WHERE NOT pending AND NOT old_enough),
            COUNT(*) FILTER (WHERE candidate),
            COUNT(*) FILTER (WHERE outcome = 'not_eligible'),
            COUNT(*) FILTER (WHERE outcome = 'recorded'),
            COUNT(*) FILTER (WHERE outcome = 'already_recorded'),
            COUNT(*) FILTER (WHERE outcome = 'absent'),
            COUNT(*) FILTER (WHERE outcome = 'biometric_failure'),
            COUNT(*) FILTER (WHERE outcome = 'missing_documents'),
            COUNT(*) FILTER (WHERE outcome = 'refused'),
            COUNT(*) FILTER (WHERE candidate AND outcome IS NULL),
            COUNT(*) FILTER (
                WHERE candidate AND no_nik
                AND (outcome IS NULL OR outcome NOT IN ('recorded', 'already_recorded', 'not_eligible'))
            ),
            COUNT(*) FILTER (WHERE outcome = 'recorded' AND day = %s)
        FROM judged
        GROUP BY school_id
    """  # noqa: S608 - only table names and fixed SQL fragments are formatted in; values are parameters
    params = [
        drive.pk,
        *recording_params,
        eligibility_cutoff(drive.reference_date),
        drive.pk,
        *student_params,
        today,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        row[0]: Progress(recorded_today=row[-1], **dict(zip(STORED_COUNTS, row[1:-1], strict=True))) for row in rows
    }


def daily_changes_recount(drive: Drive, *, schools=None) -> dict[int, dict[datetime.date, int]]:
    """The chart's daily changes counted from the raw outcomes (for checks)."""
    t = tables()
    student_filter, student_params = school_filter(schools, "s.school_id")
    day = f"(r.recorded_at AT TIME ZONE '{time_zone_name()}')::date"
    sql = f"""
        WITH day_last AS MATERIALIZED (
            SELECT DISTINCT ON (r.student_id, {day})
                r.student_id, s.school_id, {day} AS day,
                CASE WHEN r.outcome IN ('recorded', 'already_recorded') THEN 1 ELSE 0 END AS done
            FROM {t["recording"]} r
            JOIN {t["visit"]} v ON v.id = r.visit_id
            JOIN {t["student"]} s ON s.id = r.student_id
            JOIN {t["drive_school"]} ds ON ds.school_id = s.school_id AND ds.drive_id = %s
            WHERE v.drive_id = %s AND s.is_active AND s.birth_date <= %s{student_filter}
                AND NOT EXISTS (
                    SELECT 1 FROM {t["left_proposal"]} lp WHERE lp.student_id = s.id AND lp.status = 'pending'
                )
            ORDER BY r.student_id, {day}, r.recorded_at DESC, r.id DESC
        ), steps AS (
            SELECT school_id, day, done - COALESCE(LAG(done) OVER (PARTITION BY student_id ORDER BY day), 0) AS delta
            FROM day_last
        )
        SELECT school_id, day, SUM(delta)::int FROM steps GROUP BY school_id, day HAVING SUM(delta) <> 0
    """  # noqa: S608 - table names, a checked time-zone name and fixed fragments; values are parameters
    params = [drive.pk, drive.pk, eligibility_cutoff(drive.reference_date), *student_params]
    changes: dict[int, dict[datetime.date, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for school_id, on, delta in cursor.fetchall():
            changes.setdefault(school_id, {})[on] = delta
    return changes


@dataclass(frozen=True)
class Difference:
    """A figure of one school (or kecamatan) where the read model and the raw recount disagree."""

    school_id: int  # the kecamatan's id when ``scope`` is "kecamatan"
    code: str
    stored: object
    counted: object
    scope: str = "school"

    def __str__(self) -> str:
        return f"{self.scope} {self.school_id} {self.code}: read model {self.stored}, recount {self.counted}"


def progress_flush() -> None:
    """Recount now what this transaction's writes queued (normally done when it commits); the rest
    of the transaction then recounts at the end of each statement."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS recordings_progress_flush IMMEDIATE")


def progress_differences(drive: Drive, *, today: datetime.date | None = None) -> list[Difference]:
    """Compare the read model with a recount from the raw rows: every figure and every chart day."""
    today = today or timezone.localdate()
    progress_flush()
    stored = drive_tallies(drive, today=today)
    counted = progress_recount(drive, today=today)
    found = []
    for school_id in sorted(set(stored) | set(counted)):
        mine = stored.get(school_id)
        theirs = counted.get(school_id)
        if mine is None or theirs is None:
            found.append(Difference(school_id, "row", mine is not None, theirs is not None))
            continue
        for name in _progress_names():
            if getattr(mine, name) != getattr(theirs, name):
                found.append(Difference(school_id, name, getattr(mine, name), getattr(theirs, name)))
    stored_days = drive_daily_changes(drive)
    counted_days = daily_changes_recount(drive)
    for school_id in sorted(set(stored_days) | set(counted_days)):
        mine, theirs = stored_days.get(school_id, {}), counted_days.get(school_id, {})
        for day in sorted(set(mine) | set(theirs)):
            if mine.get(day, 0) != theirs.get(day, 0):
                found.append(Difference(school_id, f"chart {day.isoformat()}", mine.get(day, 0), theirs.get(day, 0)))
    found.extend(school_field_differences(drive))
    found.extend(kecamatan_differences(drive, counted))
    return found


def progress_rebuild(drive: Drive | None = None) -> None:
    """Recount the read model from the raw rows (after writes that bypass triggers, e.g. a restore)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT recordings_progress_rebuild(%s)", [drive.pk if drive else None])
        cursor.execute("SELECT recordings_tally_school_fields(NULL)")
        cursor.execute("SELECT recordings_kecamatan_rebuild(%s)", [drive.pk if drive else None])


KECAMATAN_COUNTS = ("schools", "schools_visited", "schools_in_progress", *STORED_COUNTS)


def kecamatan_differences(drive: Drive, counted: dict[int, Progress] | None = None) -> list[Difference]:
    """Compare the visit flags of the school rows and the kecamatan tally with a recount from the raw rows.

    Each school's kecamatan is read from the school, its desa and kecamatan (not the tally's copy);
    visited and in progress from the drive's visits; the figures from ``progress_recount``.
    """
    counted = progress_recount(drive) if counted is None else counted
    visits = Visit.objects.filter(drive_id=drive.pk, school_id=OuterRef("pk"))
    schools = (
        School.objects.filter(pk__in=list(counted))
        .annotate(
            now_visited=Exists(visits.filter(status__in=Visit.VISITED_STATUSES)),
            now_in_progress=Exists(visits.filter(status=Visit.Status.IN_PROGRESS)),
        )
        .values_list("pk", "desa__kecamatan_id", "desa__kecamatan__name", "now_visited", "now_in_progress")
    )
    tallies = DriveSchoolTally.objects.filter(drive_id=drive.pk)
    flags = {pk: (v, p) for pk, v, p in tallies.values_list("school_id", "visited", "in_progress")}
    found = []
    expected: dict[int, dict] = {}
    for pk, kecamatan_id, kecamatan_name, visited, in_progress in schools:
        stored_flags = flags.get(pk, (None, None))
        for code, stored, now in zip(("visited", "in_progress"), stored_flags, (visited, in_progress), strict=True):
            if stored != now:
                found.append(Difference(pk, code, stored, now))
        row = expected.setdefault(
            kecamatan_id, {"kecamatan_name": kecamatan_name, **dict.fromkeys(KECAMATAN_COUNTS, 0)}
        )
        row["schools"] += 1
        row["schools_visited"] += visited
        row["schools_in_progress"] += in_progress
        for code in STORED_COUNTS:
            row[code] += getattr(counted[pk], code)
    stored_rows = {
        row["kecamatan_id"]: row
        for row in DriveKecamatanTally.objects.filter(drive_id=drive.pk).values(
            "kecamatan_id", "kecamatan_name", *KECAMATAN_COUNTS
        )
    }
    for kecamatan_id in sorted(set(expected) | set(stored_rows)):
        mine, theirs = stored_rows.get(kecamatan_id), expected.get(kecamatan_id)
        if mine is None or theirs is None:
            found.append(Difference(kecamatan_id, "row", mine is not None, theirs is not None, "kecamatan"))
            continue
        for code in ("kecamatan_name", *KECAMATAN_COUNTS):
            if mine[code] != theirs[code]:
                found.append(Difference(kecamatan_id, code, mine[code], theirs[code], "kecamatan"))
    return found


def school_field_differences(drive: Drive) -> list[Difference]:
    """Tally rows whose copy of the school's fields (name, NPSN, level, status, kecamatan) is stale."""
    current = School.objects.filter(pk=OuterRef("school_id"))
    checked = {
        "npsn": "npsn",
        "school_name": "name",
        "level": "level",
        "school_status": "status",
        "kecamatan_id": "desa__kecamatan_id",
        "kecamatan_name": "desa__kecamatan__name",
    }
    rows = DriveSchoolTally.objects.filter(drive_id=drive.pk).annotate(
        **{f"now_{copy}": Subquery(current.values(source)[:1]) for copy, source in checked.items()}
    )
    stale = rows.filter(Q(*(~Q(**{copy: F(f"now_{copy}")}) for copy in checked), _connector=Q.OR))
    return [
        Difference(row.school_id, copy, getattr(row, copy), getattr(row, f"now_{copy}"))
        for row in stale
        for copy in checked
        if getattr(row, copy) != getattr(row, f"now_{copy}")
    ]


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
    tallies = drive_tallies(drive, schools=schools, today=today)
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
    schools_not_visited: tuple  # the first ones by name (rows with ``school_id`` and ``name``)
    schools_not_visited_count: int
    visits_postponed: int
    postponed_by_reason: tuple[tuple[str, str, int], ...]


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
        schools_not_visited_count=sum(1 for row in rows if not row.visited),
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
