"""Progress pages: the dashboard, a school's page and the printable report (issue 5).

Dukcapil staff see every school of the drive; a school admin sees only their own school (another
school's page is a 404). Every figure comes from the read model through recordings.selectors.progress.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from recordings.charts import progress_chart_svg
from recordings.maps import drive_map_view
from recordings.models import Drive, Recording, Visit
from recordings.permissions import drives_visible_to
from recordings.selectors import (
    SchoolProgressRow,
    cumulative_done_by_day,
    drive_current_among,
    drive_daily_changes,
    drive_school_rows,
    students_to_record,
)
from recordings.selectors.progress import FIGURES, OUTSIDE_FIGURES, TABLE_FIGURES, figure
from recordings.selectors.progress_table import (
    TableSums,
    drive_sums,
    postponed_visits,
    school_table,
    sorted_table,
    table_daily_changes,
    table_page_rows,
    table_summary,
    table_sums,
)
from recordings.views.progress_forms import (
    KECAMATAN_SORTS,
    PAGE_SIZE,
    REASON_CHOICES,
    SORTS,
    ProgressFilterForm,
    kecamatan_sort_param,
    sort_param,
)
from schools.permissions import (
    can_decide_student_left,
    can_view_personal_data,
    get_visible_school_or_404,
    schools_visible_to,
)
from schools.roles import Role, user_role

REPORT_SCHOOL_LIMIT = 40
REPORT_KECAMATAN_LIMIT = 12


@dataclass
class ProgressScope:
    """What one request may see: the selected drive and the user's schools (None = all)."""

    role: Role
    drive: Drive | None
    drives: list[Drive]
    school_ids: frozenset[int] | None

    @property
    def is_staff(self) -> bool:
        return self.school_ids is None


def progress_scope(request, *, with_schools: bool = True) -> ProgressScope:
    """Resolve the drive (``?drive=``, else the current one) and the schools the user may see."""
    role = user_role(request.user)
    if role == Role.NONE:
        raise PermissionDenied
    visible = drives_visible_to(request.user)
    drives = list(visible.order_by("-start_date", "name"))
    drive_id = request.GET.get("drive", "")
    if drive_id.isdigit():
        drive = next((d for d in drives if d.pk == int(drive_id)), None)
        if drive is None:
            raise Http404
    else:
        drive = drive_current_among(drives)
    school_ids = None
    if role == Role.SCHOOL_ADMIN and with_schools:
        school_ids = frozenset(schools_visible_to(request.user).values_list("pk", flat=True))
    return ProgressScope(role=role, drive=drive, drives=drives, school_ids=school_ids)


@dataclass(frozen=True)
class ProgressData:
    """The school rows (by id) and the chart's daily changes of a drive within a user's scope."""

    drive: Drive
    rows: dict[int, SchoolProgressRow]
    changes: dict[int, dict[datetime.date, int]]


def scope_rows(scope: ProgressScope, *, today: datetime.date | None = None) -> ProgressData:
    """The drive's school rows and daily changes within the user's scope (four queries, any size)."""
    drive = scope.drive
    rows = drive_school_rows(drive, schools=scope.school_ids, today=today)
    changes = drive_daily_changes(drive, schools=scope.school_ids)
    return ProgressData(drive, rows, changes)


def left_review_url(user, school=None) -> str:
    """Where a supervisor reviews the pending "left" proposals (empty for users who may not)."""
    if not can_decide_student_left(user):
        return ""
    url = reverse("schools:left_list")
    return f"{url}?{urlencode({'sekolah': school.npsn})}" if school else url


def figure_context() -> dict:
    """The figures' names and definitions every progress table and footnote shows (one source)."""
    target = [figure(code) for code in TABLE_FIGURES]
    outside = [figure(code) for code in OUTSIDE_FIGURES]
    return {
        "target_figures": target,
        "outside_figures": outside,
        "all_figures": FIGURES,
        "school_colspan": 4 + len(target) + len(outside),
    }


def drive_query(scope: ProgressScope) -> str:
    return urlencode({"drive": scope.drive.pk}) if scope.drive else ""


def chart_for(drive: Drive, data: ProgressData, rows, *, target: int, today: datetime.date, title: str, compact=False):
    """The progress-over-time chart (server-rendered SVG) for some school rows."""
    end = min(drive.end_date, max(today, drive.start_date))
    school_ids = None if len(rows) == len(data.rows) else {row.school_id for row in rows}
    points = cumulative_done_by_day(data.changes, school_ids=school_ids, start=drive.start_date, end=end)
    return progress_chart_svg(
        points, target=target, start=drive.start_date, end=drive.end_date, title=title, compact=compact
    )


def _chart(drive: Drive, rows, *, target: int, today: datetime.date, title: str, compact=False, whole_drive=False):
    """The progress-over-time chart (server-rendered SVG) of a table's schools."""
    end = min(drive.end_date, max(today, drive.start_date))
    changes = table_daily_changes(rows, drive, whole_drive=whole_drive)
    points = cumulative_done_by_day(changes, start=drive.start_date, end=end)
    return progress_chart_svg(
        points, target=target, start=drive.start_date, end=drive.end_date, title=title, compact=compact
    )


def _kecamatan_choices(rows) -> list[tuple[int, str]]:
    return sorted({(r.kecamatan_id, r.kecamatan_name) for r in rows}, key=lambda c: c[1])


def _sort_headers(request, key: str, descending: bool, sorts=SORTS, param="sort", page_param="page") -> dict:
    """Link and aria-sort value per sortable column, keeping the other filters."""
    params = request.GET.copy()
    params.pop(page_param, None)
    headers = {}
    for name, (label, _key) in sorts.items():
        next_desc = not descending if name == key else name in {"completion", "done", "remaining", "target"}
        params[param] = ("-" if next_desc else "") + name
        headers[name] = {
            "label": label,
            "query": params.urlencode(),
            "aria": ("descending" if descending else "ascending") if name == key else "none",
            "active": name == key,
            "descending": descending,
        }
    return headers


def _page_query(request, page_param: str = "page") -> str:
    params = request.GET.copy()
    params.pop(page_param, None)
    return params.urlencode()


@login_required
def dashboard(request):
    """Headline, chart, per-school and per-kecamatan tables of the selected drive."""
    scope = progress_scope(request)
    today = timezone.localdate()
    context = {"scope": scope, "drive": scope.drive, "drives": scope.drives, "today": today, **figure_context()}
    if scope.drive is None:
        return render(request, "recordings/progress_dashboard.html", context)
    drive = scope.drive
    everything = school_table(drive, schools=scope.school_ids, today=today)
    whole = scope_sums(scope, everything, today=today)
    postponed, postponed_counts = postponed_visits(drive, schools=scope.school_ids)
    summary = table_summary(everything, drive, today=today, sums=whole, postponed=postponed_counts)
    kecamatan_choices = whole.kecamatan_choices
    form = ProgressFilterForm(request.GET or None, kecamatan_choices=kecamatan_choices)
    values = form.values()
    key, descending = sort_param(values.get("sort"))
    filtered = school_table(drive, schools=scope.school_ids, today=today, values=values)
    filtering = _filtering(values)
    shown = table_sums(filtered, drive, today=today) if filtering else whole
    paginator = Paginator(sorted_table(filtered, drive, key, descending, today=today), PAGE_SIZE)
    paginator.count = shown.schools  # counted with the sums: no COUNT statement
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = table_page_rows(page.object_list, drive, today=today)
    context.update(
        {
            "summary": summary,
            "form": form,
            "kecamatan_choices": kecamatan_choices,  # rendered by hand: Django's widget is slow for thousands
            "kecamatan_selected": values.get("kecamatan"),
            "page": page,
            "filtered_count": page.paginator.count,
            "filtered_summary": {"progress": shown.progress} if filtering else None,
            "kecamatan_page": _kecamatan_page(request, shown) if scope.is_staff else None,
            "kecamatan_headers": _sort_headers(
                request, *kecamatan_sort_param(request.GET.get("ksort")), KECAMATAN_SORTS, "ksort", "kpage"
            ),
            "kecamatan_page_query": _page_query(request, "kpage"),
            "headers": _sort_headers(request, key, descending),
            "page_query": _page_query(request),
            "export_query": _page_query(request),
            "drive_query": drive_query(scope),
            "chart": _chart(
                drive,
                everything,
                target=summary.progress.target,
                today=today,
                title=str(drive),
                whole_drive=scope.is_staff,
            ),
            "postponed_visits": postponed,
            "can_export_students": scope.is_staff or bool(scope.school_ids),
            "left_review_url": left_review_url(request.user),
        }
    )
    if request.htmx and request.htmx.target == "progress-results":
        context["is_fragment"] = True
        return render(request, "recordings/progress_dashboard_results.html", context)
    return render(request, "recordings/progress_dashboard.html", context)


def _filtering(values: dict) -> bool:
    """Whether the form narrows the table to some of the schools."""
    return any(values.get(name) not in (None, "") for name in ("kecamatan", "level", "status", "visit", "below", "q"))


def scope_sums(scope: ProgressScope, rows, *, today: datetime.date) -> TableSums:
    """The sums of every school the user may see: the kecamatan tally for staff (the whole drive),
    else the user's own tally rows summed (one statement either way)."""
    if scope.is_staff:
        return drive_sums(scope.drive, today=today)
    return table_sums(rows, scope.drive, today=today)


def _kecamatan_page(request, sums: TableSums):
    """The per-kecamatan table of the filtered schools, sorted and paged (``ksort``, ``kpage``)."""
    key, descending = kecamatan_sort_param(request.GET.get("ksort"))
    kecamatan = sorted(sums.kecamatan, key=KECAMATAN_SORTS[key][1], reverse=descending)
    return Paginator(kecamatan, PAGE_SIZE).get_page(request.GET.get("kpage"))


@login_required
def school_map(request):
    """The map of the drive's schools the user may see, with its table.

    The dashboard and the planning page load it after the page (``hx-trigger="load"``), so their
    own figures do not wait for a drawing of every school; without JavaScript their link opens
    this page.
    """
    scope = progress_scope(request)
    context = {"scope": scope, "drive": scope.drive, "drives": scope.drives, "drive_query": drive_query(scope)}
    if scope.drive is not None:
        context["map"] = drive_map_view(scope.drive, schools=scope.school_ids, today=timezone.localdate())
    if request.htmx:
        return render(request, "recordings/_school_map.html", context)
    return render(request, "recordings/progress_map.html", context)


@login_required
def school(request, school_id: int):
    """One school: its completion, its visits and the students still to record, with why."""
    scope = progress_scope(request, with_schools=False)  # the school itself is checked below
    school_obj = get_visible_school_or_404(request.user, pk=school_id)
    today = timezone.localdate()
    drive = scope.drive
    context = {
        "scope": scope,
        "drive": drive,
        "drives": scope.drives,
        "school": school_obj,
        "today": today,
        "drive_query": drive_query(scope),
        "can_export": can_view_personal_data(request.user, school_obj),
        "left_review_url": left_review_url(request.user, school_obj),
        **figure_context(),
    }
    row = drive_school_rows(drive, schools=[school_obj.pk], today=today).get(school_obj.pk) if drive else None
    if row is None:
        context["not_in_drive"] = True
        return render(request, "recordings/progress_school.html", context)
    visits = (
        Visit.objects.filter(drive=drive, school=school_obj)
        .annotate(
            outcome_count=Count("recordings"),
            done_count=Count("recordings", filter=Q(recordings__outcome__in=Recording.DONE_OUTCOMES)),
        )
        .order_by("date", "pk")
    )
    students = list(students_to_record(drive, schools=[school_obj.pk]))
    reason = request.GET.get("alasan", "")
    reason_counts = _reason_counts(students)
    if reason:
        students = [s for s in students if reason in _reasons_of(s)]
    data = ProgressData(drive, {row.school_id: row}, drive_daily_changes(drive, schools=[school_obj.pk]))
    context.update(
        {
            "row": row,
            "progress": row.progress,
            "visits": visits,
            "students": students,
            "reason": reason,
            "reason_options": [(code, label, reason_counts.get(code, 0)) for code, label in REASON_CHOICES],
            "chart": chart_for(
                drive, data, [row], target=row.progress.target, today=today, title=school_obj.name, compact=True
            ),
        }
    )
    return render(request, "recordings/progress_school.html", context)


def _reasons_of(student) -> set[str]:
    reasons = {student.latest_outcome or "waiting"}
    if not student.nik:
        reasons.add("no_nik")
    if not student.kk:
        reasons.add("no_kk")
    return reasons


def _reason_counts(students) -> dict[str, int]:
    counts: dict[str, int] = {}
    for student in students:
        for reason in _reasons_of(student):
            counts[reason] = counts.get(reason, 0) + 1
    return counts


@login_required
def report(request):
    """A printable one-page report for the Kepala Dinas: headline, chart and the per-school table."""
    scope = progress_scope(request)
    if scope.drive is None:
        raise Http404
    today = timezone.localdate()
    drive = scope.drive
    whole = scope_sums(scope, school_table(drive, schools=scope.school_ids, today=today), today=today)
    kecamatan_choices = whole.kecamatan_choices
    form = ProgressFilterForm(request.GET or None, kecamatan_choices=kecamatan_choices)
    values = form.values()
    rows = school_table(drive, schools=scope.school_ids, today=today, values=values)
    shown_sums = table_sums(rows, drive, today=today) if _filtering(values) else whole
    summary = table_summary(rows, drive, today=today, sums=shown_sums)
    rows_total = summary.schools_total
    if rows_total <= REPORT_SCHOOL_LIMIT:
        shown = table_page_rows(sorted_table(rows, drive, "name", False, today=today), drive, today=today)
    else:
        lowest = sorted_table(rows, drive, "completion", False, today=today)[:REPORT_SCHOOL_LIMIT]
        shown = table_page_rows(lowest, drive, today=today)
    kecamatan_all = list(shown_sums.kecamatan) if scope.is_staff else []
    kecamatan_rows = kecamatan_all
    if len(kecamatan_all) > REPORT_KECAMATAN_LIMIT:
        lowest = sorted(kecamatan_all, key=lambda k: (k.progress.completion, k.name))[:REPORT_KECAMATAN_LIMIT]
        kecamatan_rows = sorted(lowest, key=lambda k: k.name)
    return render(
        request,
        "recordings/report_progress.html",
        {
            "scope": scope,
            "drive": scope.drive,
            "today": today,
            "now": timezone.localtime(),
            "summary": summary,
            "rows": shown,
            "rows_total": rows_total,
            "rows_cut": rows_total > REPORT_SCHOOL_LIMIT,
            "kecamatan_rows": kecamatan_rows,
            "kecamatan_total": len(kecamatan_all),
            "kecamatan_cut": len(kecamatan_all) > REPORT_KECAMATAN_LIMIT,
            "chart": _chart(
                drive,
                rows,
                target=summary.progress.target,
                today=today,
                title=str(drive),
                whole_drive=scope.is_staff and not _filtering(values),
            ),
            "kecamatan_name": dict(kecamatan_choices).get(values.get("kecamatan")),
            "drive_query": drive_query(scope),
            **figure_context(),
        },
    )
