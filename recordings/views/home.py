"""The home page: the active drive's headline, scoped to the user's schools."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from recordings.models import Visit
from recordings.permissions import drives_visible_to, visits_visible_to
from recordings.selectors import drive_current, drive_headline
from schools.permissions import schools_visible_to
from schools.roles import Role, user_role


@login_required
def home(request):
    """Show the selected (or current) drive's headline for the schools the user may see."""
    role = user_role(request.user)
    drives = drives_visible_to(request.user)
    drive_id = request.GET.get("drive", "")
    if drive_id.isdigit():
        drive = get_object_or_404(drives, pk=drive_id)
    else:
        current = drive_current()
        drive = current if current and drives.filter(pk=current.pk).exists() else drives.first()
    schools = schools_visible_to(request.user)
    own_schools = list(schools) if role == Role.SCHOOL_ADMIN else []
    headline = None
    upcoming_visits = []
    if role == Role.SCHOOL_ADMIN:
        upcoming_visits = list(
            visits_visible_to(request.user)
            .filter(status__in=[Visit.Status.PLANNED, Visit.Status.IN_PROGRESS], date__gte=timezone.localdate())
            .select_related("school", "drive")
            .order_by("date")[:5]
        )
    if drive is not None and role != Role.NONE:
        headline = drive_headline(drive, schools=schools if role == Role.SCHOOL_ADMIN else None)
    return render(
        request,
        "recordings/home.html",
        {
            "drive": drive,
            "drives": drives,
            "headline": headline,
            "own_schools": own_schools,
            "upcoming_visits": upcoming_visits,
            "no_role": role == Role.NONE,
        },
    )
