"""The personal-data access log, for supervisors: who viewed or downloaded which school's data."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from schools import selectors
from schools.forms import AccessLogFilterForm
from schools.models import PersonalDataAccess
from schools.permissions import can_view_access_log, schools_visible_to

PER_PAGE = 50


@login_required
def access_log(request):
    """The log, newest first, 50 a page; filter by school, user and kind of access."""
    if not can_view_access_log(request.user):
        raise PermissionDenied
    form = AccessLogFilterForm(request.GET)
    values = form.values()
    entries = selectors.personal_data_accesses(
        npsn=values.get("sekolah", ""), user_id=values.get("pengguna"), kind=values.get("akses", "")
    )
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("halaman"))
    context = {
        "page": page,
        "filters": values,
        "filter_query": urlencode(values),
        "schools": schools_visible_to(request.user).order_by("name").only("npsn", "name"),
        "users": selectors.access_log_users().only("pk", "username", "first_name", "last_name"),
        "kinds": PersonalDataAccess.Kind.choices,
    }
    return render(request, "schools/access_log.html", context)
