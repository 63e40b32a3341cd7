"""The progress tables filtered, sorted, summed and paged in SQL over the read model.

A drive has up to tens of thousands of schools; building a Python row per school for every page
cost about a second. These reads touch ``DriveSchoolTally`` (one row per school, indexed on the
drive) and hand back only what a page shows: the totals, one page of schools, the kecamatan rows
and the chart's per-day changes. ``SchoolProgressRow`` and ``Progress`` are the same as elsewhere.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
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
from django.db.models.functions import Cast, Coalesce, Lower, NullIf, Round
from django.utils import timezone

from recordings.models import Drive, DriveKecamatanTally, DriveSchoolDay, DriveSchoolTally, Visit
from recordings.selectors.progress import (
    REMAINING_REASONS,
    STORED_COUNTS,
    KecamatanProgressRow,
    Progress,
    ProgressSummary,
    SchoolProgressRow,
    SchoolVisits,
    VisitState,
)

_DECIMAL = DecimalField(max_digits=14, decimal_places=4)


@dataclass(frozen=True)
class NotVisited:
    """A school not visited yet, as the headline names it."""

    school_id: int
    name: str


def _target():
    return F("candidates") - F("not_eligible")


def _done():
    return F("recorded") + F("already_recorded")


def _remaining():
    return sum((F(code) for code in REMAINING_REASONS[1:]), F(REMAINING_REASONS[0]))


def _visits(drive: Drive, **filters):
    return Visit.objects.filter(drive_id=drive.pk, school_id=OuterRef("school_id"), **filters)


def school_table(drive: Drive, *, schools=None, today: datetime.date | None = None, values: dict | None = None):
    """The drive's tally rows with the school's fields and figures, filtered as the dashboard's form says."""
    today = today or timezone.localdate()
    values = values or {}
    rows = DriveSchoolTally.objects.filter(drive_id=drive.pk)
    if schools is not None:
        rows = (
            rows.filter(school__in=schools.order_by().values("pk"))
            if isinstance(schools, QuerySet)
            else rows.filter(school_id__in=list(schools))
        )
    # The school's fields are the tally row's own copies (no join; kept by the read model's triggers).
    rows = rows.annotate(
        target=ExpressionWrapper(_target(), output_field=IntegerField()),
        done=ExpressionWrapper(_done(), output_field=IntegerField()),
        remaining=ExpressionWrapper(_remaining(), output_field=IntegerField()),
        completion=Coalesce(
            Round(
                ExpressionWrapper(
                    Cast(_done(), _DECIMAL)
                    * Value(Decimal(100), output_field=_DECIMAL)
                    / NullIf(Cast(_target(), _DECIMAL), 0),
                    output_field=_DECIMAL,
                ),
                2,
            ),
            Value(Decimal(0), output_field=_DECIMAL),
            output_field=_DECIMAL,
        ),
    )
    if values.get("kecamatan"):
        rows = rows.filter(kecamatan_id=values["kecamatan"])
    if values.get("level"):
        rows = rows.filter(level=values["level"])
    if values.get("status"):
        rows = rows.filter(school_status=values["status"])
    if values.get("below") is not None:
        rows = rows.filter(completion__lt=values["below"])
    q = " ".join((values.get("q") or "").split())
    if q:
        rows = rows.filter(Q(school_name__icontains=q) | Q(npsn__contains=q))
    visit = values.get("visit")
    if visit:
        rows = _with_visit_state(rows, drive, today).filter(_visit_state_q(visit))
    return rows


def _with_visit_state(rows, drive: Drive, today: datetime.date):
    """Planned and postponed visits (they depend on today); visited and in progress are the row's flags."""
    status = Visit.Status
    return rows.annotate(
        v_planned=Exists(_visits(drive, status=status.PLANNED, date__gte=today)),
        v_postponed=Exists(_visits(drive, status=status.POSTPONED)),
    )


def _visit_state_q(visit: str) -> Q:
    """The same rule as ``SchoolProgressRow.visit_state``, in SQL."""
    states = {
        "not_visited_any": Q(visited=False),
        VisitState.IN_PROGRESS: Q(in_progress=True),
        VisitState.VISITED: Q(visited=True, in_progress=False),
        VisitState.PLANNED: Q(visited=False, v_planned=True),
        VisitState.POSTPONED: Q(visited=False, v_planned=False, v_postponed=True),
        VisitState.NOT_VISITED: Q(visited=False, v_planned=False, v_postponed=False),
    }
    return states.get(visit, Q())


def sorted_table(rows, drive: Drive, key: str, descending: bool, *, today: datetime.date | None = None):
    """Order the table as the Python sort keys of the progress forms do (ties by school id)."""
    today = today or timezone.localdate()
    if key == "name":
        order = [Lower("school_name"), "npsn"]
    elif key == "kecamatan":
        order = [Lower("kecamatan_name"), Lower("school_name")]
    elif key == "completion":
        order = ["completion", "target"]
    elif key == "recorded_today":
        rows = rows.annotate(recorded_today=_recorded_today(drive, today))
        order = ["recorded_today"]
    elif key == "last_visit":
        rows = rows.annotate(
            last_visit=Coalesce(
                Subquery(
                    _visits(drive, status__in=Visit.VISITED_STATUSES)
                    .order_by()
                    .values("school_id")
                    .annotate(m=Max("date"))
                    .values("m")
                ),
                Value(datetime.date.min),
            )
        )
        order = ["last_visit"]
    elif key == "next_visit":
        rows = rows.annotate(
            next_visit=Coalesce(
                Subquery(
                    _visits(drive, status=Visit.Status.PLANNED, date__gte=today)
                    .order_by()
                    .values("school_id")
                    .annotate(m=Min("date"))
                    .values("m")
                ),
                Value(datetime.date.max),
            )
        )
        order = ["next_visit"]
    else:
        order = [key]
    order.append("school_id")
    return rows.order_by(*(f"-{o}" if isinstance(o, str) and descending else (o.desc() if descending else o)
                           for o in order))  # fmt: skip


def _recorded_today(drive: Drive, today: datetime.date):
    day = DriveSchoolDay.objects.filter(drive_id=drive.pk, school_id=OuterRef("school_id"), day=today)
    return Coalesce(Subquery(day.values("recorded")[:1], output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class TableSums:
    """A table's figures summed in all and per kecamatan, with its school counts."""

    progress: Progress
    schools: int
    schools_visited: int
    schools_in_progress: int
    kecamatan: tuple[KecamatanProgressRow, ...]  # by name

    @property
    def kecamatan_choices(self) -> list[tuple[int, str]]:
        """The kecamatan of the table's schools, by name (the filter's options)."""
        return [(k.kecamatan_id, k.name) for k in self.kecamatan]


def _sums_result(rows) -> TableSums:
    """TableSums from (kecamatan_id, name, schools, visited, in progress, *STORED_COUNTS, recorded today)
    rows; a row whose name is None is the total (else the kecamatan rows are added up)."""
    kecamatan, total, in_progress_sum = [], None, 0
    for kecamatan_id, name, schools, visited, in_progress, *counts, today_count in rows:
        progress = Progress(recorded_today=today_count, **dict(zip(STORED_COUNTS, counts, strict=True)))
        if name is None:
            total = (schools, visited, in_progress, progress)
        else:
            kecamatan.append(KecamatanProgressRow(kecamatan_id, name, schools, visited, progress))
            in_progress_sum += in_progress
    kecamatan.sort(key=lambda k: (k.name, k.kecamatan_id))
    if total is None:
        total = (
            sum(k.schools for k in kecamatan),
            sum(k.schools_visited for k in kecamatan),
            in_progress_sum,
            Progress.total(k.progress for k in kecamatan),
        )
    schools, visited, in_progress, progress = total
    return TableSums(progress, schools, visited, in_progress, tuple(kecamatan))


def table_sums(rows, drive: Drive, *, today: datetime.date | None = None) -> TableSums:
    """The table's schools summed per kecamatan and in all, with the school counts (one statement).

    For any table (filtered, a school admin's schools); the whole drive reads ``drive_sums``.
    """
    today = today or timezone.localdate()
    tally_sql, tally_params = (
        rows.order_by()
        .values("school_id", "kecamatan_id", "kecamatan_name", "visited", "in_progress", *STORED_COUNTS)
        .query.sql_with_params()
    )
    sums = ", ".join(f"COALESCE(SUM(t.{code}), 0)" for code in STORED_COUNTS)
    # GROUPING SETS: the kecamatan rows and the total in one pass; the total's name is NULL.
    sql = f"""
        SELECT t.kecamatan_id, CASE WHEN GROUPING(t.kecamatan_id) = 0 THEN MIN(t.kecamatan_name) END,
            COUNT(*), COUNT(*) FILTER (WHERE t.visited), COUNT(*) FILTER (WHERE t.in_progress), {sums},
            COALESCE(SUM(d.recorded), 0)
        FROM ({tally_sql}) t
        LEFT JOIN {DriveSchoolDay._meta.db_table} d ON d.drive_id = %s AND d.day = %s AND d.school_id = t.school_id
        GROUP BY GROUPING SETS ((t.kecamatan_id), ())
    """  # noqa: S608 - a queryset's own SQL, a table name and fixed fragments; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*tally_params, drive.pk, today])
        return _sums_result(cursor.fetchall())


def drive_sums(drive: Drive, *, today: datetime.date | None = None) -> TableSums:
    """The whole drive summed per kecamatan and in all, from the kecamatan tally (one statement).

    ``DriveKecamatanTally`` holds each kecamatan's sums (kept by the read model's triggers); only
    "recorded today" is summed from today's day rows (a few hundred, by index).
    """
    today = today or timezone.localdate()
    stored = ", ".join(f"k.{code}" for code in STORED_COUNTS)
    sql = f"""
        SELECT k.kecamatan_id, k.kecamatan_name, k.schools, k.schools_visited, k.schools_in_progress, {stored},
            COALESCE(d.recorded, 0)
        FROM {DriveKecamatanTally._meta.db_table} k
        LEFT JOIN (
            -- Today's day rows (by index), each school's kecamatan looked up by its tally row's key.
            SELECT (
                SELECT t.kecamatan_id FROM {DriveSchoolTally._meta.db_table} t
                WHERE t.drive_id = d.drive_id AND t.school_id = d.school_id
            ) AS kecamatan_id, SUM(d.recorded) AS recorded
            FROM {DriveSchoolDay._meta.db_table} d
            WHERE d.drive_id = %s AND d.day = %s
            GROUP BY 1
        ) d ON d.kecamatan_id = k.kecamatan_id
        WHERE k.drive_id = %s
    """  # noqa: S608 - table names and fixed fragments; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [drive.pk, today, drive.pk])
        return _sums_result(cursor.fetchall())


def table_progress(rows, drive: Drive, *, today: datetime.date | None = None) -> Progress:
    """The figures summed over the table's rows (one query)."""
    return table_sums(rows, drive, today=today).progress


def table_summary(
    rows,
    drive: Drive,
    *,
    today: datetime.date | None = None,
    named: int = 8,
    sums: TableSums | None = None,
    postponed: dict[str, int] | None = None,
) -> ProgressSummary:
    """The headline of the table's schools (three queries whatever the number of schools; two with ``sums``).

    ``postponed`` (postponed visits by reason) may come from ``postponed_visits`` of the same schools.
    The sums and the school counts come from ``sums`` (``table_sums`` of the same rows, or
    ``drive_sums`` for the whole drive); the first schools not visited by name come from the
    (drive, name) index, stopping after ``named``.
    """
    today = today or timezone.localdate()
    sums = sums if sums is not None else table_sums(rows, drive, today=today)
    schools = rows.order_by().values("school_id")
    status = Visit.Status
    not_visited = (
        rows.filter(visited=False)
        .order_by(Lower("school_name"), "npsn", "school_id")
        .values_list("school_id", "school_name")
    )
    if postponed is None:  # else counted by the caller (``postponed_visits``), for the same schools
        postponed = dict(
            Visit.objects.filter(drive_id=drive.pk, status=status.POSTPONED, school_id__in=schools)
            .order_by()
            .values_list("postponement_reason")
            .annotate(n=Count("pk"))
        )
    labels = dict(Visit.PostponementReason.choices)
    return ProgressSummary(
        progress=sums.progress,
        schools_total=sums.schools,
        schools_visited=sums.schools_visited,
        schools_in_progress=sums.schools_in_progress,
        schools_not_visited=tuple(NotVisited(pk, name) for pk, name in not_visited[:named]),
        schools_not_visited_count=sums.schools - sums.schools_visited,
        visits_postponed=sum(postponed.values()),
        postponed_by_reason=tuple(
            (code, labels[code], postponed[code]) for code in Visit.PostponementReason.values if postponed.get(code)
        ),
    )


_PAGE_FIELDS = ("school_id", "npsn", "school_name", "level", "school_status", "kecamatan_id", "kecamatan_name")


def table_page_rows(page_rows, drive: Drive, *, today: datetime.date | None = None) -> list[SchoolProgressRow]:
    """``SchoolProgressRow`` for one page of tally rows (a sliced, sorted queryset), in one statement.

    The page's own statement is wrapped: each row gets its "recorded today" (``DriveSchoolDay``) and
    its visits summed by the rules of ``drive_school_visits`` (last visit started, next planned visit
    from today, counts by status and postponement reason), in the page's order.
    """
    today = today or timezone.localdate()
    page_sql, page_params = page_rows.values(*_PAGE_FIELDS, *STORED_COUNTS).query.sql_with_params()
    status = Visit.Status
    sql = f"""
        SELECT {", ".join(f"p.{name}" for name in (*_PAGE_FIELDS, *STORED_COUNTS))}, COALESCE(d.recorded, 0),
            v.last_visit, v.next_visit, v.visits_done, v.in_progress, v.planned, v.postponed, v.reasons
        FROM (SELECT q.*, row_number() OVER () AS page_order FROM ({page_sql}) q) p
        LEFT JOIN {DriveSchoolDay._meta.db_table} d ON d.drive_id = %s AND d.school_id = p.school_id AND d.day = %s
        LEFT JOIN LATERAL (
            SELECT
                MAX(date) FILTER (WHERE status = ANY(%s)) AS last_visit,
                MIN(date) FILTER (WHERE status = %s AND date >= %s) AS next_visit,
                COUNT(*) FILTER (WHERE status = %s) AS visits_done,
                COUNT(*) FILTER (WHERE status = %s) AS in_progress,
                COUNT(*) FILTER (WHERE status = %s AND date >= %s) AS planned,
                COUNT(*) FILTER (WHERE status = %s) AS postponed,
                array_agg(postponement_reason) FILTER (WHERE status = %s) AS reasons
            FROM {Visit._meta.db_table}
            WHERE drive_id = %s AND school_id = p.school_id
        ) v ON true
        ORDER BY p.page_order
    """  # noqa: S608 - a queryset's own SQL, table names and fixed fragments; values are parameters
    params = [
        *page_params, drive.pk, today, list(Visit.VISITED_STATUSES), status.PLANNED, today, status.DONE,
        status.IN_PROGRESS, status.PLANNED, today, status.POSTPONED, status.POSTPONED, drive.pk,
    ]  # fmt: skip
    reasons = Visit.PostponementReason.values
    width = len(_PAGE_FIELDS) + len(STORED_COUNTS)
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            school_id, npsn, name, level, school_status, kecamatan_id, kecamatan_name = row[: len(_PAGE_FIELDS)]
            counts = dict(zip(STORED_COUNTS, row[len(_PAGE_FIELDS) : width], strict=True))
            recorded_today, last, upcoming, done, in_progress, planned, postponed, codes = row[width:]
            codes = codes or []
            rows.append(
                SchoolProgressRow(
                    school_id=school_id,
                    npsn=npsn,
                    name=name,
                    level=level,
                    status=school_status,
                    kecamatan_id=kecamatan_id,
                    kecamatan_name=kecamatan_name,
                    latitude=None,
                    longitude=None,
                    progress=Progress(recorded_today=recorded_today, **counts),
                    visits=SchoolVisits(
                        last_visit=last,
                        next_visit=upcoming,
                        visits_done=done or 0,
                        in_progress=in_progress or 0,
                        planned=planned or 0,
                        postponed=postponed or 0,
                        postponed_by_reason=tuple((c, codes.count(c)) for c in reasons if c in codes),
                    ),
                )
            )
    return rows


def table_kecamatan(rows, drive: Drive, *, today: datetime.date | None = None) -> list[KecamatanProgressRow]:
    """The table's schools summed per kecamatan (one query), ordered by name."""
    return list(table_sums(rows, drive, today=today).kecamatan)


def table_daily_changes(rows, drive: Drive, *, whole_drive: bool = False) -> dict[int, dict[datetime.date, int]]:
    """The chart's per-day changes summed over the table's schools (one query), as {0: {day: change}}.

    ``whole_drive``: the table is every school of the drive, so the day rows need no school filter
    (the triggers keep day rows only for schools in the drive).
    """
    days = DriveSchoolDay.objects.filter(drive_id=drive.pk)
    if not whole_drive:
        days = days.filter(school_id__in=rows.order_by().values("school_id"))
    per_day = dict(days.exclude(done_change=0).order_by().values_list("day").annotate(n=Sum("done_change")))
    return {0: per_day}


def table_kecamatan_choices(drive: Drive, *, schools=None) -> list[tuple[int, str]]:
    """The kecamatan of the drive's schools (for the filter), by name (one query)."""
    rows = school_table(drive, schools=schools)
    return sorted(set(rows.order_by().values_list("kecamatan_id", "kecamatan_name").distinct()), key=lambda c: c[1])


@dataclass(frozen=True)
class PostponedVisit:
    """A postponed visit as the dashboard lists it."""

    school_id: int
    school_name: str
    date: datetime.date
    reason: str
    note: str

    @property
    def reason_label(self) -> str:
        """As ``Visit.get_postponement_reason_display``: the label, or the stored value if unknown."""
        return (
            Visit.PostponementReason(self.reason).label
            if self.reason in Visit.PostponementReason.values
            else self.reason
        )


def postponed_visits(drive: Drive, *, schools=None, limit: int = 10) -> tuple[list[PostponedVisit], dict[str, int]]:
    """The latest postponed visits (by date, then school name) and all of them counted by reason (one query).

    ``schools``: ids the user may see (None: all). The counts, like the headline's, take only the
    schools in the drive; the list shows every postponed visit of the drive.
    """
    visits = Visit.objects.filter(drive_id=drive.pk, status=Visit.Status.POSTPONED)
    if schools is not None:
        visits = visits.filter(school_id__in=list(schools))
    in_drive = DriveSchoolTally.objects.filter(drive_id=drive.pk, school_id=OuterRef("school_id"))
    rows = (
        visits.annotate(in_drive=Exists(in_drive))
        .order_by("-date", "school__name")
        .values_list("school_id", "school__name", "date", "postponement_reason", "postponement_note", "in_drive")
    )
    shown, counts = [], {}
    for school_id, name, date, reason, note, counted in rows:
        if len(shown) < limit:
            shown.append(PostponedVisit(school_id, name, date, reason, note))
        if counted:
            counts[reason] = counts.get(reason, 0) + 1
    return shown, counts
