"""Drives and visit planning (Dukcapil supervisor). Operators and school admins may only look."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from recordings import services
from recordings.forms import DriveForm, PlanningFilterForm, VisitPlanForm
from recordings.maps import map_when_shown
from recordings.permissions import (
    can_manage_drive,
    can_plan_visit,
    drives_visible_to,
    get_visible_drive_or_404,
    visits_visible_to,
)
from recordings.selectors import drive_headline, drive_planning
from schools.roles import is_dukcapil_staff


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
        "headline": drive_headline(drive),
        "total_remaining": sum(max(r.progress.remaining, 0) for r in rows),
        "total_days": sum(r.days_needed for r in rows),
        "can_plan": can_plan_visit(request.user, drive),
        "today": timezone.localdate(),
        "school_map": map_when_shown(drive),
    }
    template = "recordings/drive_planning_results.html" if request.htmx else "recordings/drive_detail.html"
    return render(request, template, context)


@login_required
def visit_plan(request, pk: int):
    """Plan a visit of a drive's school (``?school=<id>`` preselects it)."""
    drive = get_visible_drive_or_404(request.user, pk=pk)
    if not can_plan_visit(request.user, drive):
        raise PermissionDenied
    initial = {"kits": 1}
    school_id = request.GET.get("school", "")
    if school_id.isdigit():
        initial["school"] = school_id
    form = VisitPlanForm(request.POST or None, drive=drive, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_schedule(
                drive=drive,
                school=data["school"],
                date=data["date"],
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
            return redirect("drive_detail", pk=drive.pk)
    previous = None
    if form["school"].value():
        previous = (
            visits_visible_to(request.user)
            .filter(drive=drive, school_id=form["school"].value())
            .order_by("-date")
            .first()
            if str(form["school"].value()).isdigit()
            else None
        )
    return render(request, "recordings/drive_visit_plan.html", {"form": form, "drive": drive, "previous": previous})
