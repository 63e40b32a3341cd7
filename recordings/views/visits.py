"""Visit pages: the list, the recording page, planning changes, history and the print view."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recordings import services
from recordings.forms import OutcomeCorrectionForm, VisitPlanForm, VisitPostponeForm
from recordings.models import Recording, Visit
from recordings.offline import visits_to_prepare
from recordings.permissions import (
    can_correct_outcome,
    can_keep_offline_copy,
    can_plan_visit,
    can_record_outcome,
    can_use_field_sheet,
    drives_visible_to,
    get_visible_visit_or_404,
    visits_visible_to,
)
from recordings.selectors import (
    drive_current,
    visit_actions,
    visit_class_names,
    visit_roster,
    visit_roster_filter,
    visit_tallies,
    visits_upcoming,
)
from recordings.selectors.notices import visit_notice_panel
from recordings.views.planning_common import kit_box, short_visit_warning, warn_if_short
from recordings.views.visits_common import outcome_labels_json, roster_buttons, roster_items, tally_items
from schools.permissions import can_open_student_page
from schools.roles import is_dukcapil_staff

PAST_VISITS_PER_PAGE = 50
HISTORY_PER_PAGE = 100


@login_required
def visit_list(request):
    """Staff: today's, upcoming and past visits. School admins: their school's visits and what to bring."""
    today = timezone.localdate()
    visits = visits_visible_to(request.user)
    staff = is_dukcapil_staff(request.user)
    drive = None
    if staff:
        drives = drives_visible_to(request.user)
        drive_id = request.GET.get("kegiatan", "")
        drive = drives.filter(pk=drive_id).first() if drive_id.isdigit() else drive_current(today=today)
        if drive is not None:
            visits = visits.filter(drive=drive)
    q = " ".join(request.GET.get("q", "").split())
    if q:
        visits = visits.filter(Q(school__name__icontains=q) | Q(school__npsn=q))
    upcoming = list(visits_upcoming(visits, today=today).prefetch_related("team", "kits"))
    past = (
        visits.exclude(pk__in=[v.pk for v in upcoming])
        .select_related("school", "drive")
        .prefetch_related("kits")
        .order_by("-date", "school__name")
    )
    page = Paginator(past, PAST_VISITS_PER_PAGE).get_page(request.GET.get("halaman"))
    return render(
        request,
        "recordings/visit_list.html",
        {
            "upcoming": upcoming,
            "today_visits": [v for v in upcoming if v.date <= today or v.status == Visit.Status.IN_PROGRESS],
            "later_visits": [v for v in upcoming if v.date > today and v.status != Visit.Status.IN_PROGRESS],
            "page": page,
            "staff": staff,
            "drive": drive,
            "drives": drives_visible_to(request.user) if staff else [],
            "q": q,
            "today": today,
            "offline_visits": visits_to_prepare(request.user, today=today),
        },
    )


def _visit_context(request, visit: Visit) -> dict:
    q = request.GET.get("q", "")
    class_name = request.GET.get("kelas", "")
    outcome = request.GET.get("hasil", "")
    students = visit_roster_filter(visit_roster(visit), q=q, class_name=class_name, outcome=outcome)
    can_record = can_record_outcome(request.user, visit)
    tallies = visit_tallies(visit)
    return {
        "visit": visit,
        "items": roster_items(visit, students),
        "tallies": tallies,
        "tally_items": tally_items(tallies),
        "outcome_labels_json": outcome_labels_json(),
        "oob_tallies": bool(request.htmx),
        "class_names": visit_class_names(visit),
        "q": q,
        "class_name": class_name,
        "outcome_filter": outcome,
        "outcome_choices": Recording.Outcome.choices,
        "buttons": roster_buttons(),
        "can_record": can_record,
        "recording_open": can_record and visit.status == Visit.Status.IN_PROGRESS,
        "can_plan": can_plan_visit(request.user, visit.drive),
        "can_field_sheet": can_use_field_sheet(request.user, visit),
        "staff": is_dukcapil_staff(request.user),
        "student_links": can_open_student_page(request.user, visit.school),
        "today": timezone.localdate(),
        "filtered": bool(q or class_name or outcome),
    }


def _short_visit(visit: Visit) -> str:
    """The warning of a planned one-day visit whose school needs more days with its kits."""
    if visit.status != Visit.Status.PLANNED:
        return ""
    return short_visit_warning(visit, visit.kit_count)


@login_required
def visit_detail(request, pk: int):
    """The visit page: the school's target students with one-tap outcomes (read-only for school admins)."""
    visit = get_visible_visit_or_404(request.user, pk=pk)
    prefetch_related_objects([visit], "kits")
    context = _visit_context(request, visit)
    if not request.htmx and context["staff"]:
        context["short_visit"] = _short_visit(visit)
    # The whole page of a visit the user may record may be kept on the device for offline use
    # ("private": the browser only, never a shared cache); anything else must not be stored.
    context["copyable"] = not request.htmx and not context["filtered"] and can_keep_offline_copy(request.user, visit)
    if request.htmx and request.htmx.target == "roster":
        response = render(request, "recordings/visit_roster.html", context)
    else:
        context["notice_panel"] = visit_notice_panel(visit, user=request.user)
        response = render(request, "recordings/visit_detail.html", context)
    response["Cache-Control"] = "private, no-cache" if context["copyable"] else "private, no-store"
    return response


def _back_to_visit(visit: Visit):
    return redirect("visit_detail", pk=visit.pk)


@require_POST
@login_required
def visit_start(request, pk: int):
    visit = get_visible_visit_or_404(request.user, pk=pk)
    if not can_record_outcome(request.user, visit):
        raise PermissionDenied
    try:
        services.visit_start(visit=visit, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Kunjungan dimulai. Tandai hasil setiap peserta didik."))
    return _back_to_visit(visit)


@require_POST
@login_required
def visit_finish(request, pk: int):
    visit = get_visible_visit_or_404(request.user, pk=pk)
    if not can_record_outcome(request.user, visit):
        raise PermissionDenied
    try:
        services.visit_finish(visit=visit, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Kunjungan selesai."))
    return _back_to_visit(visit)


@login_required
def visit_reschedule(request, pk: int):
    """A planned visit moves to another day; a postponed one gets its new visit (same team and kits)."""
    visit = get_visible_visit_or_404(request.user, pk=pk)
    if not can_plan_visit(request.user, visit.drive):
        raise PermissionDenied
    if visit.status == Visit.Status.POSTPONED:
        return _visit_replan(request, visit)
    initial = {
        "date": visit.date,
        "start_time": visit.start_time,
        "kits": [kit.pk for kit in visit.kits.all()],
        "team": list(visit.team.all()),
        "notes": visit.notes,
    }
    form = VisitPlanForm(request.POST or None, drive=visit.drive, with_school=False, initial=initial, visit=visit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.visit_reschedule(
                visit=visit,
                date=data["date"],
                start_time=data["start_time"],
                kits=data["kits"],
                team=data["team"],
                notes=data["notes"],
                by=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Jadwal kunjungan diperbarui."))
            warn_if_short(request, visit, len(data["kits"]))
            return _back_to_visit(visit)
    return render(
        request,
        "recordings/visit_reschedule.html",
        {"visit": visit, "form": form, "kit_box": kit_box(form, drive=visit.drive, visit_id=str(visit.pk))},
        status=422 if form.errors else 200,
    )


def _visit_replan(request, visit: Visit):
    replacement = visit.replaced_by.first()
    if replacement is not None:
        messages.info(request, _("Kunjungan yang ditunda ini sudah punya kunjungan pengganti."))
        return redirect("visit_detail", pk=replacement.pk)
    initial = {
        "start_time": visit.start_time,
        "kits": [kit.pk for kit in visit.kits.all()],
        "team": list(visit.team.all()),
        "notes": visit.notes,
    }
    form = VisitPlanForm(request.POST or None, drive=visit.drive, with_school=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            replacement = services.visit_replan(
                visit=visit,
                date=data["date"],
                start_time=data["start_time"],
                kits=data["kits"],
                team=data["team"],
                notes=data["notes"],
                by=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Kunjungan pengganti dijadwalkan pada %(date)s.") % {"date": replacement.date.strftime("%d-%m-%Y")},
            )
            warn_if_short(request, replacement, len(data["kits"]))
            return redirect("visit_detail", pk=replacement.pk)
    status = 422 if form.errors else 200
    return render(
        request,
        "recordings/visit_reschedule.html",
        {"visit": visit, "form": form, "replan": True, "kit_box": kit_box(form, drive=visit.drive)},
        status=status,
    )


@login_required
def visit_postpone(request, pk: int):
    visit = get_visible_visit_or_404(request.user, pk=pk)
    if not can_plan_visit(request.user, visit.drive):
        raise PermissionDenied
    form = VisitPostponeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _postponed, replacement = services.visit_postpone(
                visit=visit, reason=data["reason"], note=data["note"], new_date=data["new_date"], by=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if replacement:
                messages.success(
                    request,
                    _("Kunjungan ditunda dan dijadwalkan ulang pada %(date)s.")
                    % {"date": replacement.date.strftime("%d-%m-%Y")},
                )
                return redirect("visit_detail", pk=replacement.pk)
            messages.warning(request, _("Kunjungan ditunda. Sekolah ini perlu dijadwalkan ulang."))
            return redirect("drive_detail", pk=visit.drive_id)
    return render(request, "recordings/visit_postpone.html", {"visit": visit, "form": form})


@require_POST
@login_required
def visit_cancel(request, pk: int):
    visit = get_visible_visit_or_404(request.user, pk=pk)
    if not can_plan_visit(request.user, visit.drive):
        raise PermissionDenied
    try:
        services.visit_cancel(visit=visit, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to_visit(visit)
    messages.info(request, _("Kunjungan dibatalkan."))
    return redirect("drive_detail", pk=visit.drive_id)


@login_required
def visit_history(request, pk: int):
    """Every outcome action at the visit with who and when, newest tap first."""
    visit = get_visible_visit_or_404(request.user, pk=pk)
    if not is_dukcapil_staff(request.user):
        raise PermissionDenied
    actions = visit_actions(visit)
    student_id = request.GET.get("siswa", "")
    student = None
    if student_id.isdigit():
        actions = actions.filter(student_id=student_id)
        student = visit_roster(visit).filter(pk=student_id).first()
    page = Paginator(actions, HISTORY_PER_PAGE).get_page(request.GET.get("halaman"))
    correction_form = None
    if student is not None and visit.status in Visit.VISITED_STATUSES and can_correct_outcome(request.user, visit):
        correction_form = OutcomeCorrectionForm(initial={"student": student.pk})
    return render(
        request,
        "recordings/visit_history.html",
        {"visit": visit, "page": page, "student": student, "correction_form": correction_form},
    )


@login_required
def visit_attendance(request, pk: int):
    """A printable attendance sheet (daftar hadir) for paper use, grouped by class."""
    visit = get_visible_visit_or_404(request.user, pk=pk)
    students = visit_roster(visit)
    if request.GET.get("sisa") == "1":
        students = visit_roster_filter(students, outcome="remaining")
    groups: dict[str, list] = {}
    for student in students:
        groups.setdefault(student.class_name or _("Tanpa rombel"), []).append(student)
    return render(
        request,
        "recordings/visit_attendance.html",
        {
            "visit": visit,
            "groups": groups,
            "only_remaining": request.GET.get("sisa") == "1",
            "printed_at": timezone.now(),
            "back_url": reverse("visit_detail", args=[visit.pk]),
        },
    )
