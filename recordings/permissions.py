"""Who may see and change drives, visits and outcomes. Views call only these."""

from __future__ import annotations

from django.db.models import QuerySet

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
