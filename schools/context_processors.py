from schools.roles import Role, user_role


def role(request):
    """Expose the user's role to templates (navigation)."""
    current = user_role(request.user) if hasattr(request, "user") else Role.NONE
    return {
        "role": current,
        "is_staff_role": current in (Role.SUPERUSER, Role.SUPERVISOR, Role.OPERATOR),
        "is_supervisor_role": current in (Role.SUPERUSER, Role.SUPERVISOR),
        "is_school_admin_role": current == Role.SCHOOL_ADMIN,
    }
