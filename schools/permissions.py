"""Who may see and change schools and students. Views call only these."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from schools.models import School, Student
from schools.roles import Role, is_dukcapil_staff, is_supervisor, user_role


def schools_visible_to(user) -> QuerySet[School]:
    """Return the schools a user may see: all for Dukcapil staff, own for school admins."""
    role = user_role(user)
    if role in (Role.SUPERUSER, Role.SUPERVISOR, Role.OPERATOR):
        return School.objects.all()
    if role == Role.SCHOOL_ADMIN:
        return School.objects.filter(admin_links__user=user)
    return School.objects.none()


def students_visible_to(user) -> QuerySet[Student]:
    """Return the students a user may see."""
    role = user_role(user)
    if role in (Role.SUPERUSER, Role.SUPERVISOR, Role.OPERATOR):
        return Student.objects.all()
    if role == Role.SCHOOL_ADMIN:
        return Student.objects.filter(school__admin_links__user=user)
    return Student.objects.none()


def get_visible_school_or_404(user, **lookup) -> School:
    """Return a school the user may see; 404 otherwise (no hint that it exists)."""
    return get_object_or_404(schools_visible_to(user), **lookup)


def get_visible_student_or_404(user, *, school: School, pk: int) -> Student:
    """A student of ``school`` the user may see; 404 otherwise (also when the student belongs to
    another school than the one in the URL)."""
    return get_object_or_404(students_visible_to(user).select_related("school"), pk=pk, school=school)


def can_view_school(user, school: School) -> bool:
    return schools_visible_to(user).filter(pk=school.pk).exists()


def can_open_student_page(user, school: School, *, school_checked: bool = False) -> bool:
    """Who may open a student's page (``student_detail``): whoever may see the student's school.

    Dukcapil staff need no query. ``school_checked``: the caller has just shown ``school`` to the
    user through ``get_visible_school_or_404`` (the same rule), so no second query is needed.
    """
    if is_dukcapil_staff(user):
        return True
    if school_checked:
        return user_role(user) != Role.NONE
    return can_view_school(user, school)


def can_upload_student_list(user, school: School) -> bool:
    """School admins for their own school; supervisors for any school."""
    role = user_role(user)
    if role in (Role.SUPERUSER, Role.SUPERVISOR):
        return True
    if role == Role.SCHOOL_ADMIN:
        return school.admin_links.filter(user=user).exists()
    return False


can_change_student = can_upload_student_list


def can_resolve_nik_conflict(user) -> bool:
    return is_supervisor(user)


def can_manage_school_admins(user) -> bool:
    return is_supervisor(user)


def can_view_personal_data(user, school: School) -> bool:
    """Full NIK/No KK and exports: Dukcapil staff, and admins of that school."""
    if is_dukcapil_staff(user):
        return True
    return user_role(user) == Role.SCHOOL_ADMIN and school.admin_links.filter(user=user).exists()


def can_view_access_log(user) -> bool:
    """The personal-data access log: supervisors and superusers."""
    return is_supervisor(user)


def require(condition: bool) -> None:
    """Raise 404 when a check fails, so nothing hints that the object exists."""
    if not condition:
        raise Http404


# --- student-list uploads (issue 3) ------------------------------------------------------------


def student_list_uploads_visible_to(user):
    """Uploads a user may see (and whose stored file they may read): Dukcapil staff all, school
    admins their own schools'."""
    from schools.models import StudentListUpload

    role = user_role(user)
    if role in (Role.SUPERUSER, Role.SUPERVISOR, Role.OPERATOR):
        return StudentListUpload.objects.all()
    if role == Role.SCHOOL_ADMIN:
        return StudentListUpload.objects.filter(school__admin_links__user=user)
    return StudentListUpload.objects.none()


def schools_for_student_list_upload(user) -> QuerySet[School]:
    """Schools a user may upload a student list for."""
    role = user_role(user)
    if role in (Role.SUPERUSER, Role.SUPERVISOR):
        return School.objects.all()
    if role == Role.SCHOOL_ADMIN:
        return School.objects.filter(admin_links__user=user)
    return School.objects.none()


def can_decide_student_left(user) -> bool:
    """Confirm or dismiss "left" proposals: supervisors."""
    return is_supervisor(user)


# --- school profile and locations ---------------------------------------------------------------

# What a supervisor edits on a school's profile; a school admin edits only the contact.
SCHOOL_PROFILE_FIELDS = (
    "address",
    "contact_name",
    "contact_phone",
    "latitude",
    "longitude",
    "distance_km",
    "travel_minutes",
)
SCHOOL_CONTACT_FIELDS = ("contact_name", "contact_phone")


def school_profile_editable_fields(user, school: School) -> tuple[str, ...]:
    """The profile fields ``user`` may change on ``school``: all for supervisors and superusers,
    the contact for an admin of that school, none otherwise (operators read)."""
    role = user_role(user)
    if role in (Role.SUPERUSER, Role.SUPERVISOR):
        return SCHOOL_PROFILE_FIELDS
    if role == Role.SCHOOL_ADMIN and school.admin_links.filter(user=user).exists():
        return SCHOOL_CONTACT_FIELDS
    return ()


def can_edit_school_profile(user, school: School) -> bool:
    return bool(school_profile_editable_fields(user, school))


def can_import_school_coordinates(user) -> bool:
    """Importing coordinates of many schools at once: supervisors and superusers."""
    return is_supervisor(user)
