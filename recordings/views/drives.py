"""Drives and visit planning (Dukcapil supervisor). Operators and school admins may only look."""

from __future__ import annotations

import contextlib
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from recordings import services
from recordings.forms import DriveForm, PlanningFilterForm, TripFormSet, VisitPlanForm
from recordings.models import Kit
from recordings.permissions import (
    can_manage_drive,
    can_plan_visit,
    drives_visible_to,
    get_visible_drive_or_404,
    visits_visible_to,
)
from recordings.selectors import drive_headline, drive_planning, drive_progress_by_school, team_candidates
from recordings.selectors.kits import kit_day, kit_days, kits_ordered
from recordings.selectors.notices import drive_schools_without_contact
from recordings.selectors.planning import days_needed, trip_suggestions
from recordings.views.planning_common import kit_box, school_capacity, warn_if_short
from schools.geo import travel_from_office
from schools.models import School
from schools.roles import is_dukcapil_staff

MAX_TRIP_SCHOOLS = 12


def _add_errors(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def _require_staff(user) -> None:
    """Drive pages (all schools) are for Dukcapil staff; a school admin sees their own visits elsewhere."""
    if not is_dukcapil_staff(user):
        raise PermissionDenied


@login_required
def drive_list(request):
    _require_staff(request.user)
    drives = drives_visible_to(request.user).annotate(school_count=Count("drive_schools", distinct=True))
    return render(
        request,
        "recordings/drive_list.html",
        {"drives": drives, "can_manage": can_manage_drive(request.user), "today": timezone.localdate()},
    )


@login_required
def drive_create(request):
    if not can_manage_drive(request.user):
        raise PermissionDenied
    form = DriveForm(request.POST or None, initial={"students_per_kit_per_day": 60})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drive = services.drive_create(
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                reference_date=data["reference_date"],
                students_per_kit_per_day=data["students_per_kit_per_day"],
                schools=data["selected_schools"],
                by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Kegiatan “%(name)s” dibuat dengan %(n)s sekolah.")
                % {"name": drive.name, "n": len(data["selected_schools"])},
            )
            return redirect("drive_detail", pk=drive.pk)
    return render(request, "recordings/drive_form.html", {"form": form, "drive": None})


@login_required
def drive_edit(request, pk: int):
    drive = get_visible_drive_or_404(request.user, pk=pk)
    if not can_manage_drive(request.user, drive):
        raise PermissionDenied
    form = DriveForm(request.POST or None, instance=drive)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.drive_update(
                drive=drive,
                name=data["name"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                reference_date=data["reference_date"],
                students_per_kit_per_day=data["students_per_kit_per_day"],
                schools=data["selected_schools"],
                by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Perubahan kegiatan disimpan."))
            return redirect("drive_detail", pk=drive.pk)
    return render(request, "recordings/drive_form.html", {"form": form, "drive": drive})


@login_required
def drive_detail(request, pk: int):
    """The planning list: the drive's schools, not yet visited first, with the days still needed."""
    _require_staff(request.user)
    drive = get_visible_drive_or_404(request.user, pk=pk)
    filters = PlanningFilterForm(request.GET or None)
    kecamatan_id, status, kits = None, "", 1
    if filters.is_valid():
        kecamatan = filters.cleaned_data.get("kecamatan")
        kecamatan_id = kecamatan.pk if kecamatan else None
        status = filters.cleaned_data.get("status") or ""
        kits = filters.cleaned_data.get("kits") or 1
    rows = drive_planning(drive, kecamatan_id=kecamatan_id, status=status, default_kits=kits)
    context = {
        "drive": drive,
        "rows": rows,
        "filters": filters,
        "kits": kits,
        "total_remaining": sum(max(r.progress.remaining, 0) for r in rows),
        "total_days": sum(r.days_needed for r in rows),
        "short_visits": [r for r in rows if r.short_visit],
        # Trips from the schools the filters show (all of them unfiltered); refreshed with the table.
        "suggestions": trip_suggestions(rows),
        "can_plan": can_plan_visit(request.user, drive),
        "today": timezone.localdate(),
        "contactless_schools": None if request.htmx else drive_schools_without_contact(drive),
    }
    if request.htmx:
        return render(request, "recordings/drive_planning_results.html", context)
    today = timezone.localdate()
    context.update(
        {
            "headline": drive_headline(drive),
            "free_day": kit_day(max(today, drive.start_date) if today <= drive.end_date else today),
        }
    )
    return render(request, "recordings/drive_detail.html", context)


@login_required
def visit_plan(request, pk: int):
    """Plan a visit of a drive's school (``?school=<id>`` preselects it, ``?date=`` its day)."""
    drive = get_visible_drive_or_404(request.user, pk=pk)
    if not can_plan_visit(request.user, drive):
        raise PermissionDenied
    initial = {"start_time": services.DEFAULT_START_TIME}
    school_id = request.GET.get("school", "")
    if school_id.isdigit():
        initial["school"] = school_id
    with contextlib.suppress(ValueError):
        initial["date"] = datetime.date.fromisoformat(request.GET.get("date", ""))
    form = VisitPlanForm(request.POST or None, drive=drive, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_schedule(
                drive=drive,
                school=data["school"],
                date=data["date"],
                start_time=data["start_time"],
                kits=data["kits"],
                team=data["team"],
                notes=data["notes"],
                by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Kunjungan ke %(school)s pada %(date)s dijadwalkan.")
                % {"school": visit.school.name, "date": visit.date.strftime("%d-%m-%Y")},
            )
            warn_if_short(request, visit, len(data["kits"]))
            return redirect("drive_detail", pk=drive.pk)
    previous = None
    chosen_school = form["school"].value()
    if chosen_school and str(chosen_school).isdigit():
        previous = (
            visits_visible_to(request.user).filter(drive=drive, school_id=chosen_school).order_by("-date").first()
        )
    return render(
        request,
        "recordings/drive_visit_plan.html",
        {
            "form": form,
            "drive": drive,
            "previous": previous,
            "kit_box": kit_box(form, drive=drive),
            "capacity": school_capacity(drive, chosen_school),
        },
        status=422 if form.errors else 200,
    )


def _next_weekday(day: datetime.date) -> datetime.date:
    day += datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _first_trip_day(drive) -> datetime.date:
    """The first working day after today (a trip is planned ahead), not before the drive starts."""
    day = _next_weekday(timezone.localdate())
    while day < drive.start_date:
        day = _next_weekday(day)
    return day


def _trip_rows(drive, schools: list, *, kits_per_visit: int, first_day: datetime.date, kits: list[Kit]):
    """One row per school and visit day (a school needing 2 days gets 2 rows), on consecutive
    working days, each with the first ``kits_per_visit`` kits free that day."""
    progress = drive_progress_by_school(drive, schools=School.objects.filter(pk__in=[s.pk for s in schools]))
    plan, day = [], first_day
    for school in schools:
        remaining = max(progress[school.pk].remaining, 0) if school.pk in progress else 0
        needed = max(1, days_needed(remaining, kits=kits_per_visit, per_kit=drive.students_per_kit_per_day))
        for _n in range(needed):
            plan.append({"school": school, "date": day, "remaining": remaining, "days": needed})
            day = _next_weekday(day)
    days = kit_days([row["date"] for row in plan], kits=kits)
    for row in plan:
        row["kits"] = [option.kit.pk for option in days[row["date"]].free[:kits_per_visit]]
    return plan, days


@login_required
def drive_trip(request, pk: int):
    """Plan a trip in one step: one visit per school and day, prefilled from a suggestion
    (``?sekolah=<id>&sekolah=<id>…``, nearest first); all visits are created or none."""
    drive = get_visible_drive_or_404(request.user, pk=pk)
    if not can_plan_visit(request.user, drive):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    wanted = [int(v) for v in request.GET.getlist("sekolah") if v.isdigit()][: MAX_TRIP_SCHOOLS * 2]
    drive_schools = list(
        School.objects.filter(drive_links__drive=drive).select_related("desa__kecamatan").order_by("name")
    )
    by_pk = {school.pk: school for school in drive_schools}
    try:
        kits_per_visit = max(1, min(int(source.get("alat", "1")), 20))
    except ValueError:
        kits_per_visit = 1
    kits = list(kits_ordered())
    team = list(team_candidates())
    choices = {
        "school_choices": [(school.pk, school.name) for school in drive_schools],
        "kit_choices": [(kit.pk, kit.name) for kit in kits],
        "team_choices": [(user.pk, user.get_full_name() or user.username) for user in team],
    }
    chosen = sorted(
        {pk: by_pk[pk] for pk in wanted if pk in by_pk}.values(),
        key=lambda s: (travel_from_office(s).sort_key, s.name),
    )[:MAX_TRIP_SCHOOLS]
    if request.method == "POST":
        formset = TripFormSet(request.POST, form_kwargs=choices)
        days = kit_days([form.chosen_date() for form in formset.forms], kits=kits)
    else:
        if not chosen:
            messages.info(request, _("Pilih sekolah dari saran perjalanan di halaman perencanaan."))
            return redirect("drive_detail", pk=drive.pk)
        plan, days = _trip_rows(
            drive, chosen, kits_per_visit=kits_per_visit, first_day=_first_trip_day(drive), kits=kits
        )
        initial = [
            {
                "school": row["school"].pk,
                "date": row["date"],
                "start_time": services.DEFAULT_START_TIME,
                "kits": row["kits"],
                "team": [],
            }
            for row in plan
        ]
        formset = TripFormSet(initial=initial, form_kwargs=choices)
    for form in formset.forms:
        form.kit_day = days.get(form.chosen_date())
    if request.method == "POST" and formset.is_valid():
        kit_by_pk = {kit.pk: kit for kit in kits}
        user_by_pk = {user.pk: user for user in team}
        rows = [form for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        visits = [
            services.TripVisit(
                school=by_pk[form.cleaned_data["school"]],
                date=form.cleaned_data["date"],
                start_time=form.cleaned_data["start_time"],
                kits=[kit_by_pk[pk] for pk in form.cleaned_data["kits"]],
                team=[user_by_pk[pk] for pk in form.cleaned_data["team"]],
            )
            for form in rows
        ]
        try:
            created = services.trip_plan(drive=drive, visits=visits, notes=source.get("notes", ""), by=request.user)
        except services.TripError as exc:
            for index, errors in exc.by_row.items():
                for message in errors:
                    rows[index].add_error(None, message)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                ngettext(
                    "Perjalanan dijadwalkan: %(n)s kunjungan (%(visits)s).",
                    "Perjalanan dijadwalkan: %(n)s kunjungan (%(visits)s).",
                    len(created),
                )
                % {
                    "n": len(created),
                    "visits": ", ".join(f"{v.school.name} {formats.date_format(v.date, 'j M')}" for v in created),
                },
            )
            for visit in created:
                warn_if_short(request, visit, visit.kit_count)
            return redirect("drive_detail", pk=drive.pk)
    remaining = {}
    if request.method != "POST":
        remaining = {row["school"].pk: (row["remaining"], row["days"]) for row in plan}
    rows = []
    for form in formset.forms:
        school_pk = form["school"].value()
        school = by_pk.get(int(school_pk)) if str(school_pk).isdigit() else None
        value = form["kits"].value() or []
        rows.append(
            {
                "form": form,
                "school": school,
                "travel": travel_from_office(school) if school else None,
                "remaining": remaining.get(school.pk) if school else None,
                "kit_box": {
                    "drive": drive,
                    "day": form.kit_day or kit_days([None], kits=kits)[None],
                    "name": form.add_prefix("kits"),
                    "box_id": f"kits-{form.prefix}",
                    "date_id": form["date"].id_for_label,
                    "date_field": form.add_prefix("date"),
                    "visit_id": "",
                    "checked": {int(v) for v in value if str(v).isdigit()},
                    "errors": form.errors.get("kits", []),
                },
            }
        )
    return render(
        request,
        "recordings/drive_trip.html",
        {
            "drive": drive,
            "formset": formset,
            "rows": rows,
            "kits_per_visit": kits_per_visit,
            "chosen": chosen,
            "notes": source.get("notes", ""),
        },
        status=422 if request.method == "POST" else 200,
    )
