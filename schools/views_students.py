"""One student: the page for staff (data, outcomes, change history) and the form that fixes the
student's data. Full NIK / No KK only for users who may see the school's personal data; each such
look is written to the access log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from schools import selectors, services
from schools.forms import StudentForm
from schools.importing.rows import WARNING_LABELS
from schools.models import PersonalDataAccess, School, Student
from schools.permissions import (
    can_change_student,
    can_resolve_nik_conflict,
    can_view_personal_data,
    get_visible_school_or_404,
    get_visible_student_or_404,
)
from schools.roles import is_dukcapil_staff

RECORDINGS_SHOWN = 50


def _student_or_404(request, npsn: str, pk: int) -> tuple[School, Student]:
    school = get_visible_school_or_404(request.user, npsn=npsn)
    return school, get_visible_student_or_404(request.user, school=school, pk=pk)


def _describe(student: Student) -> str:
    """How the access log names a student (no numbers)."""
    return f"{student.name} (#{student.pk})"


@login_required
@never_cache
def student_detail(request, npsn: str, pk: int):
    """The student's data, outcomes at visits and change history (newest first)."""
    school, student = _student_or_404(request, npsn, pk)
    show_personal = can_view_personal_data(request.user, school)
    if show_personal:
        services.personal_data_access_record(
            user=request.user, school=school, kind=PersonalDataAccess.Kind.STUDENT_VIEWED, detail=_describe(student)
        )
    history = selectors.student_history(student, show_personal=show_personal)
    context = {
        "school": school,
        "student": student,
        "show_personal": show_personal,
        "nik": student.nik if show_personal else student.nik_masked,
        "kk": student.kk if show_personal else student.kk_masked,
        "warnings": [WARNING_LABELS.get(code, code) for code in student.data_warnings],
        "recordings": list(selectors.student_recordings(student)[:RECORDINGS_SHOWN]),
        "recordings_shown": RECORDINGS_SHOWN,
        "history": history,
        "history_limit": selectors.STUDENT_HISTORY_LIMIT,
        "can_change": can_change_student(request.user, school),
        "is_staff": is_dukcapil_staff(request.user),
    }
    return render(request, "schools/student_detail.html", context)


def _nik_taken_message(user, student: Student, other: Student | None) -> str:
    if other is None:
        return _("NIK ini sudah dipakai peserta didik aktif lain.")
    if other.school_id == student.school_id:
        return _("NIK ini sudah dipakai %(name)s (rombel %(class_name)s) di sekolah ini.") % {
            "name": other.name,
            "class_name": other.class_name or "—",
        }
    if can_resolve_nik_conflict(user):
        return _("NIK ini sudah dipakai peserta didik aktif di %(school)s (NPSN %(npsn)s).") % {
            "school": other.school.name,
            "npsn": other.school.npsn,
        }
    return _(
        "NIK ini sudah dipakai peserta didik aktif di sekolah lain. Periksa KK peserta didik; "
        "bila NIK sudah benar, hubungi Dukcapil."
    )


@login_required
@never_cache
@sensitive_post_parameters("nik", "kk")
def student_edit(request, npsn: str, pk: int):
    """Fix the student's data: school admins (own school), supervisors, superusers."""
    school, student = _student_or_404(request, npsn, pk)
    if not can_change_student(request.user, school):
        raise PermissionDenied
    form = StudentForm(
        request.POST or None, initial=StudentForm.initial_for(student), nik_regions=selectors.known_nik_regions
    )
    form.note_number_check(student)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.student_update(
                student=student, by=request.user, **form.values, data_warnings=form.warnings
            )
        except services.StudentNikTaken as exc:
            form.add_error("nik", _nik_taken_message(request.user, student, exc.other))
        else:
            if changed:
                messages.success(request, _("Data %(name)s tersimpan.") % {"name": student.name})
            else:
                messages.info(request, _("Tidak ada yang berubah."))
            for warning in form.warning_messages:
                messages.warning(request, warning)
            return redirect("schools:student_detail", npsn=school.npsn, pk=student.pk)
    elif request.method != "POST":
        services.personal_data_access_record(
            user=request.user,
            school=school,
            kind=PersonalDataAccess.Kind.STUDENT_VIEWED,
            detail=_("%(student)s — formulir perbaikan") % {"student": _describe(student)},
        )
    return render(
        request,
        "schools/student_form.html",
        {"school": school, "student": student, "form": form},
        status=422 if form.errors else 200,
    )
