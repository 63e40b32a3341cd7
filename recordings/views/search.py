"""Find a student from the top bar. The query travels in a POST body only (never in a URL or a
server log line); a full-NIK search is written to the personal-data access log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters

from recordings import search
from schools import services as school_services
from schools.models import PersonalDataAccess
from schools.roles import is_dukcapil_staff


@login_required
@sensitive_post_parameters("q")
def student_search(request):
    if not search.can_search_students(request.user):
        raise PermissionDenied
    raw = request.POST.get("q", "") if request.method == "POST" else ""
    query, hits, more = search.student_search(request.user, raw) if raw else (search.parse_query(""), [], False)
    if query.full_nik and not search.query_problem(query):
        schools = {hit.school for hit in hits}
        school_services.personal_data_access_record(
            user=request.user,
            school=next(iter(schools)) if len(schools) == 1 else None,
            kind=PersonalDataAccess.Kind.STUDENT_SEARCH,
            detail=", ".join(f"{hit.student.name} (#{hit.student.pk})" for hit in hits) or "0 hasil",
        )
    response = render(
        request,
        "recordings/student_search.html",
        {
            "q": query.text,
            "searched": bool(raw),
            "problem": search.query_problem(query) if raw else None,
            "hits": hits,
            "more": more,
            "max_results": search.MAX_RESULTS,
            "all_schools": is_dukcapil_staff(request.user),
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response
