"""The home page: the active drive's headline, scoped to the user's schools."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from recordings.models import Visit
from recordings.offline import visits_to_prepare
from recordings.permissions import visits_visible_to
from recordings.selectors.home import last_list_upload, operator_visits, postponed_without_date, supervisor_todo
from recordings.selectors.notices import school_admin_notices
from recordings.selectors.progress import Headline
from recordings.selectors.progress_table import school_table, table_summary
from recordings.views.progress import left_review_url, progress_scope, scope_sums
from schools.permissions import schools_visible_to
from schools.roles import Role, is_supervisor, user_role


@login_required
def home(request):
    """Show the selected (or current) drive's headline for the schools the user may see.

    The figures come from the read model (as on the dashboard): fast at a million students.
    """
    role = user_role(request.user)
    if role == Role.NONE:
        return render(request, "recordings/home.html", {"no_role": True, "headline": None, "drive": None})
    scope = progress_scope(request)
    drive = scope.drive
    headline = None
    if drive is not None:
        rows = school_table(drive, schools=scope.school_ids)
        summary = table_summary(rows, drive, sums=scope_sums(scope, rows, today=timezone.localdate()))
        headline = Headline(
            drive=drive,
            progress=summary.progress,
            schools_total=summary.schools_total,
            schools_visited=summary.schools_visited,
            visits_postponed=summary.visits_postponed,
        )
    today = timezone.localdate()
    own_schools = []
    upcoming_visits = []
    last_upload = None
    school_notices = []
    visits_today, visits_tomorrow, todo = [], [], None
    if role == Role.OPERATOR:
        visits_today, visits_tomorrow = operator_visits(visits_visible_to(request.user), today=today)
    if is_supervisor(request.user) and drive is not None:
        todo = supervisor_todo(drive, today=today)
    postponed_open = 0
    if todo is not None:
        postponed_open = todo.postponed_without_date
    elif drive is not None:
        postponed_open = postponed_without_date(drive, today=today, school_ids=scope.school_ids)
    if role == Role.SCHOOL_ADMIN:
        last_upload = last_list_upload(scope.school_ids)
        school_notices = school_admin_notices(request.user)
        own_schools = list(schools_visible_to(request.user).filter(pk__in=scope.school_ids))
        upcoming_visits = list(
            visits_visible_to(request.user)
            .filter(status__in=[Visit.Status.PLANNED, Visit.Status.IN_PROGRESS], date__gte=today)
            .select_related("school", "drive")
            .order_by("date")[:5]
        )
    return render(
        request,
        "recordings/home.html",
        {
            "drive": drive,
            "drives": scope.drives,
            "headline": headline,
            "own_schools": own_schools,
            "upcoming_visits": upcoming_visits,
            "last_upload": last_upload,
            "school_notices": school_notices,
            "visits_today": visits_today,
            "visits_tomorrow": visits_tomorrow,
            "todo": todo,
            "postponed_open": postponed_open,
            "role": role.value,
            "today": today,
            "offline_visits": visits_to_prepare(request.user, today=today) if role != Role.SCHOOL_ADMIN else [],
            "no_role": False,
            "left_review_url": left_review_url(request.user),
        },
    )
