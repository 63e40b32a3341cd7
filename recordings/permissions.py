"""Who may see and change drives, visits and outcomes. Views call only these."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from recordings.models import Drive, Visit
from schools.roles import Role, is_dukcapil_staff, is_supervisor, user_role


def drives_visible_to(user) -> QuerySet[Drive]:
    """Dukcapil staff see every drive; school admins the drives their school takes part in."""
    role = user_role(user)
    if role in (Role.SUPERUSER, Role.SUPERVISOR, Role.OPERATOR):
        return Drive.objects.all()
    if role == Role.SCHOOL_ADMIN:
        return Drive.objects.filter(drive_schools__school__admin_links__user=user).distinct()
    return Drive.objects.none()


def visits_visible_to(user) -> QuerySet[Visit]:
    role = user_role(user)
    if role in (Role.SUPERUSER, Role.SUPERVISOR, Role.OPERATOR):
        return Visit.objects.all()
    if role == Role.SCHOOL_ADMIN:
        return Visit.objects.filter(school__admin_links__user=user)
    return Visit.objects.none()


def can_manage_drive(user, drive: Drive | None = None) -> bool:
    """Create and edit drives, plan, reschedule and postpone visits."""
    return is_supervisor(user)


def can_record_visit(user, visit: Visit) -> bool:
    """Start/finish a visit and record outcomes: operators, supervisors, superusers."""
    return is_dukcapil_staff(user)


def get_visible_drive_or_404(user, **lookup) -> Drive:
    return get_object_or_404(drives_visible_to(user), **lookup)


def get_visible_visit_or_404(user, **lookup) -> Visit:
    """A visit the user may see; 404 otherwise (a school admin learns nothing about other schools)."""
    return get_object_or_404(visits_visible_to(user).select_related("drive", "school"), **lookup)


def can_view_visit(user, visit: Visit) -> bool:
    return visits_visible_to(user).filter(pk=visit.pk).exists()


def can_plan_visit(user, drive: Drive | None = None) -> bool:
    """Plan, reschedule, postpone and cancel visits: supervisors and superusers."""
    return can_manage_drive(user, drive)


def can_record_outcome(user, visit: Visit) -> bool:
    """Start/finish a visit, record outcomes, use field sheets.

    Supervisors and superusers for any visit; operators for visits of an active drive.
    """
    role = user_role(user)
    if role in (Role.SUPERUSER, Role.SUPERVISOR):
        return True
    if role == Role.OPERATOR:
        from recordings.selectors import drive_is_active

        return drive_is_active(visit.drive)
    return False


can_use_field_sheet = can_record_outcome


def can_keep_offline_copy(user, visit: Visit) -> bool:
    """Keep the visit page on the device for offline recording: whoever may record its outcomes
    (never a school admin). The page shows names, class, NISN and the NIK's last 4 digits only."""
    return can_record_outcome(user, visit)


def can_correct_outcome(user, visit: Visit) -> bool:
    """Correct an outcome at any time, with a reason (after the tap window only they can)."""
    return is_supervisor(user)


def can_view_kits(user) -> bool:
    """The kit registry and its bookings: Dukcapil staff only (never a school admin)."""
    return is_dukcapil_staff(user)


def can_manage_kits(user) -> bool:
    """Add kits, rename them, change their status: supervisors and superusers."""
    return is_supervisor(user)


def can_send_school_notice(user, visit: Visit) -> bool:
    """Send a notice about a visit to its school by WhatsApp (click-to-chat): Dukcapil staff."""
    return is_dukcapil_staff(user)
