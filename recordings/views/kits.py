"""The office's recording kits: registry, status changes with history, and what is free on a day."""

from __future__ import annotations

import datetime
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recordings import services
from recordings.forms import KitForm, KitStatusForm
from recordings.models import Kit
from recordings.permissions import can_manage_kits, can_view_kits, get_visible_drive_or_404
from recordings.selectors.kits import kit_bookings, kit_day, kit_history, kit_registry

FIELD_NAME = re.compile(r"^[a-z0-9_-]{1,40}$")


def _require_view(user) -> None:
    if not can_view_kits(user):
        raise PermissionDenied


def _require_manage(user) -> None:
    if not can_manage_kits(user):
        raise PermissionDenied


def _add_errors(form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


@login_required
def kit_list(request):
    """Every kit, its status and its next bookings (Dukcapil staff)."""
    _require_view(request.user)
    kits = kit_registry()
    counts = {status: sum(1 for kit in kits if kit.status == status) for status in Kit.Status.values}
    return render(
        request,
        "recordings/kit_list.html",
        {"kits": kits, "counts": counts, "can_manage": can_manage_kits(request.user), "today": timezone.localdate()},
    )


@login_required
def kit_create(request):
    _require_manage(request.user)
    form = KitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kit = services.kit_create(
                name=form.cleaned_data["name"],
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Alat ‘%(name)s’ ditambahkan.") % {"name": kit.name})
            return redirect("kit_detail", pk=kit.pk)
    return render(request, "recordings/kit_form.html", {"form": form, "kit": None})


@login_required
def kit_detail(request, pk: int):
    """A kit: status, note, bookings from today, and the history of its changes."""
    _require_view(request.user)
    kit = get_object_or_404(Kit, pk=pk)
    return render(
        request,
        "recordings/kit_detail.html",
        {
            "kit": kit,
            "bookings": list(kit_bookings(kit)),
            "history": kit_history(kit),
            "can_manage": can_manage_kits(request.user),
            "status_form": KitStatusForm(initial={"status": kit.status, "note": kit.note}),
        },
    )


@login_required
def kit_edit(request, pk: int):
    _require_manage(request.user)
    kit = get_object_or_404(Kit, pk=pk)
    form = KitForm(request.POST or None, with_status=False, initial={"name": kit.name, "note": kit.note})
    if request.method == "POST" and form.is_valid():
        try:
            services.kit_update(
                kit=kit, name=form.cleaned_data["name"], note=form.cleaned_data["note"], by=request.user
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Perubahan alat disimpan."))
            return redirect("kit_detail", pk=kit.pk)
    return render(request, "recordings/kit_form.html", {"form": form, "kit": kit})


@require_POST
@login_required
def kit_status(request, pk: int):
    _require_manage(request.user)
    kit = get_object_or_404(Kit, pk=pk)
    form = KitStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Pilih status alat."))
        return redirect("kit_detail", pk=kit.pk)
    try:
        kit = services.kit_status_change(
            kit=kit, status=form.cleaned_data["status"], note=form.cleaned_data["note"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("kit_detail", pk=kit.pk)
    messages.success(
        request, _("Status alat ‘%(name)s’: %(status)s.") % {"name": kit.name, "status": kit.get_status_display()}
    )
    if kit.status != Kit.Status.READY:
        booked = list(kit_bookings(kit))
        if booked:
            messages.warning(
                request,
                _("Alat ini masih dijadwalkan di %(n)s kunjungan; ganti alatnya lewat “Jadwalkan ulang”: %(visits)s.")
                % {
                    "n": len(booked),
                    "visits": ", ".join(f"{link.visit.school.name} ({link.date:%d-%m-%Y})" for link in booked),
                },
            )
    return redirect("kit_detail", pk=kit.pk)


def _date_param(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return None


@login_required
def drive_kits_free(request, pk: int):
    """The kits free on a day (``?tanggal=YYYY-MM-DD``): the planning page's panel, and the kit
    checkboxes of the plan, reschedule and trip forms when their date changes (HTMX)."""
    _require_view(request.user)
    drive = get_visible_drive_or_404(request.user, pk=pk)
    name = request.GET.get("name", "")
    if name and FIELD_NAME.match(name):
        date_field = request.GET.get("date_field", "")
        day = _date_param(request.GET.get(date_field) if FIELD_NAME.match(date_field) else None)
        visit_id = request.GET.get("kunjungan", "")
        checked = {int(v) for v in request.GET.getlist(name) if v.isdigit()}
        return render(
            request,
            "recordings/_kit_choices.html",
            {
                "drive": drive,
                "day": kit_day(day, exclude_visit_id=int(visit_id) if visit_id.isdigit() else None),
                "name": name,
                "box_id": request.GET.get("box", "") if FIELD_NAME.match(request.GET.get("box", "")) else name,
                "date_id": request.GET.get("date_id", "") if FIELD_NAME.match(request.GET.get("date_id", "")) else "",
                "date_field": date_field,
                "visit_id": visit_id if visit_id.isdigit() else "",
                "checked": checked,
            },
        )
    day = _date_param(request.GET.get("tanggal")) or timezone.localdate()
    context = {"drive": drive, "free_day": kit_day(day)}
    template = "recordings/_kits_free_panel.html" if request.htmx else "recordings/drive_kits_free.html"
    return render(request, template, context)
