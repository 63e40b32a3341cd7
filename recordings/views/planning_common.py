"""Planning helpers shared by the drive and visit views: a school's capacity, the short-visit
warning and the kit checkboxes of a plan or reschedule form."""

from __future__ import annotations

from django.contrib import messages
from django.utils import formats
from django.utils.translation import ngettext

from recordings.models import Visit
from recordings.selectors import drive_progress_by_school
from recordings.selectors.planning import days_needed, kits_for_one_day
from schools.models import School


def school_capacity(drive, school_id) -> tuple[int, int] | None:
    """(remaining students, kits needed to record them in one day) of one school of the drive."""
    if not school_id or not str(school_id).isdigit():
        return None
    progress = drive_progress_by_school(drive, schools=School.objects.filter(pk=school_id)).get(int(school_id))
    if progress is None:
        return None
    remaining = max(progress.remaining, 0)
    return remaining, kits_for_one_day(remaining, per_kit=drive.students_per_kit_per_day)


def short_visit_warning(visit: Visit, kit_count: int) -> str:
    """The warning for a one-day visit that cannot record everyone its school still has ("" if it can)."""
    capacity = school_capacity(visit.drive, visit.school_id)
    if capacity is None:
        return ""
    remaining, _kits = capacity
    days = days_needed(remaining, kits=kit_count, per_kit=visit.drive.students_per_kit_per_day)
    return short_visit_text(visit, remaining=remaining, days=days, kits=kit_count) if days > 1 else ""


def warn_if_short(request, visit: Visit, kit_count: int) -> None:
    """Tell the supervisor, after planning, when the one-day visit is too short for its school."""
    warning = short_visit_warning(visit, kit_count)
    if warning:
        messages.warning(request, warning)


def short_visit_text(visit: Visit, *, remaining: int, days: int, kits: int) -> str:
    return ngettext(
        "Kunjungan ke %(school)s pada %(date)s satu hari, tetapi sisa %(remaining)s peserta didik perlu "
        "± %(days)s hari dengan %(kits)s alat: tambah alat atau jadwalkan hari lain.",
        "Kunjungan ke %(school)s pada %(date)s satu hari, tetapi sisa %(remaining)s peserta didik perlu "
        "± %(days)s hari dengan %(kits)s alat: tambah alat atau jadwalkan hari lain.",
        days,
    ) % {
        "school": visit.school.name,
        "date": formats.date_format(visit.date, "j M Y"),
        "remaining": formats.number_format(remaining, force_grouping=True),
        "days": days,
        "kits": kits,
    }


def kit_box(form, *, drive, visit_id="") -> dict:
    """What ``_kit_choices.html`` needs for a plan or reschedule form's kits."""
    value = form["kits"].value() or []
    return {
        "drive": drive,
        "day": form.kit_day,
        "name": form.add_prefix("kits"),
        "box_id": "kit-choices",
        "date_id": form["date"].id_for_label,
        "date_field": form.add_prefix("date"),
        "visit_id": visit_id,
        "checked": {int(v) for v in value if str(v).isdigit()} if not hasattr(value, "pk") else set(),
        "errors": form.errors.get("kits", []),
    }
