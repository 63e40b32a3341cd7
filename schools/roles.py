"""The roles of the app, as Django groups."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SUPERUSER = "superuser"
    SUPERVISOR = "supervisor"
    OPERATOR = "operator"
    SCHOOL_ADMIN = "school_admin"
    NONE = "none"


SUPERVISOR_GROUP = "Dukcapil supervisor"
OPERATOR_GROUP = "Dukcapil operator"
SCHOOL_ADMIN_GROUP = "School admin"

GROUP_ROLES = {
    SUPERVISOR_GROUP: Role.SUPERVISOR,
    OPERATOR_GROUP: Role.OPERATOR,
    SCHOOL_ADMIN_GROUP: Role.SCHOOL_ADMIN,
}


def user_role(user) -> Role:
    """Return the strongest role a user holds (cached on the user object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Role.NONE
    cached = getattr(user, "_ektp_role", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        role = Role.SUPERUSER
    else:
        names = set(user.groups.values_list("name", flat=True))
        role = Role.NONE
        for group, group_role in GROUP_ROLES.items():
            if group in names:
                role = group_role
                break
    user._ektp_role = role
    return role


def is_dukcapil_staff(user) -> bool:
    """Return True for supervisors, operators and superusers."""
    return user_role(user) in (Role.SUPERUSER, Role.SUPERVISOR, Role.OPERATOR)


def is_supervisor(user) -> bool:
    """Return True for supervisors and superusers."""
    return user_role(user) in (Role.SUPERUSER, Role.SUPERVISOR)
