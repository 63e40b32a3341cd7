"""Student lists: upload → preview → confirm, the upload history, problem rows, NIK conflicts,
students proposed as left, and a school's student list. Thin views: reads in ``selectors``,
writes in ``services``, checks in ``permissions``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from schools import selectors, services
from schools.forms import StudentListUploadForm
from schools.importing import exports
from schools.importing.columns import COLUMNS
from schools.importing.readers import CLI_MAX_BYTES, WEB_MAX_BYTES, WEB_MAX_ROWS, UnreadableFile, read_table
from schools.importing.rows import WARNING_LABELS
from schools.importing.title import title_names_another_school
from schools.models import LeftProposal, NikConflict, PersonalDataAccess, StudentListUpload
from schools.permissions import (
    can_decide_student_left,
    can_resolve_nik_conflict,
    can_upload_student_list,
    can_view_personal_data,
    get_visible_school_or_404,
    require,
    schools_for_student_list_upload,
    schools_visible_to,
    student_list_uploads_visible_to,
)

PROBLEMS_SHOWN = 100
NEW_SHOWN = 200
LEFT_SHOWN = 100
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _upload_or_404(user, pk) -> StudentListUpload:
    return get_object_or_404(student_list_uploads_visible_to(user).select_related("school", "uploaded_by"), pk=pk)


@login_required
@never_cache
def upload_new(request):
    """The upload form, the column help table and the template downloads."""
    allowed = schools_for_student_list_upload(request.user).order_by("name")
    schools = list(allowed)
    if not schools:
        raise PermissionDenied
    failure = None
    if request.method == "POST":
        form = StudentListUploadForm(request.POST, request.FILES, schools=allowed)
        if form.is_valid():
            school = form.cleaned_data["school"]
            require(can_upload_student_list(request.user, school))
            uploaded = form.cleaned_data["file"]
            upload, _preview = services.student_list_upload(
                school=school,
                data=uploaded.read(),
                name=uploaded.name,
                by=request.user,
                whole_list=form.cleaned_data["whole_list"],
            )
            if upload.status == StudentListUpload.Status.PREVIEWED:
                return redirect("schools:upload_detail", pk=upload.pk)
            failure = upload.failure_message
    else:
        initial = {"whole_list": True}
        npsn = request.GET.get("sekolah", "")
        chosen = next((s for s in schools if s.npsn == npsn), None)
        if chosen is not None:
            initial["school"] = chosen.pk
        if len(schools) == 1:
            initial["school"] = schools[0].pk
        form = StudentListUploadForm(initial=initial, schools=allowed)
    recent = selectors.uploads_visible(student_list_uploads_visible_to(request.user))[:10]
    return render(
        request,
        "schools/upload_form.html",
        {
            "form": form,
            "failure": failure,
            "columns": COLUMNS,
            "recent": recent,
            "max_rows": WEB_MAX_ROWS,
            "max_mb": WEB_MAX_BYTES // 1048576,
            "single_school": schools[0] if len(schools) == 1 else None,
        },
        status=422 if failure or form.errors else 200,
    )


@login_required
@require_GET
def template_download(request, fmt: str):
    if not schools_for_student_list_upload(request.user).exists():
        raise PermissionDenied
    if fmt == "xlsx":
        response = HttpResponse(exports.template_xlsx(), content_type=XLSX_TYPE)
        response["Content-Disposition"] = 'attachment; filename="templat-daftar-peserta-didik.xlsx"'
    else:
        response = HttpResponse(exports.template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="templat-daftar-peserta-didik.csv"'
    return response


@login_required
@never_cache
def upload_detail(request, pk: int):
    """The preview (counts, problems, changes, left proposals) and, once decided, the record."""
    upload = _upload_or_404(request.user, pk)
    problems = upload.problems or []
    details = upload.details or {}
    left_students = selectors.upload_left_students(upload) if upload.is_open else None
    context = {
        "upload": upload,
        "problems": [
            {"row": p[0], "column": p[1], "severity": p[2], "code": p[3], "text": p[4].split(": ", 1)[-1]}
            for p in problems[:PROBLEMS_SHOWN]
        ],
        "problem_total": details.get("problem_total", len(problems)),
        "problems_shown": min(PROBLEMS_SHOWN, len(problems)),
        "updated": details.get("updated", []),
        "conflicts": details.get("conflicts", []),
        "file_title": details.get("title", []),
        "title_school": title_names_another_school(details.get("title", []), upload.school.name),
        "left_students": left_students[:LEFT_SHOWN] if left_students is not None else [],
        "new_students": details.get("new", [])[:NEW_SHOWN],
        "warnings": selectors.upload_warnings(upload) if upload.is_open else [],
        "can_decide": upload.is_open and can_upload_student_list(request.user, upload.school),
        "can_download": can_view_personal_data(request.user, upload.school) and upload.has_file,
        "show_conflict_school": can_resolve_nik_conflict(request.user),
    }
    return render(request, "schools/upload_detail.html", context)


@login_required
@require_POST
def upload_commit(request, pk: int):
    upload = _upload_or_404(request.user, pk)
    require(can_upload_student_list(request.user, upload.school))
    if upload.is_open and selectors.upload_warnings(upload) and request.POST.get("warnings_checked") != "1":
        # Saving past a warning is a deliberate second step: the box under the warnings.
        messages.error(request, _("Centang bahwa peringatan sudah diperiksa, lalu simpan lagi."))
        return redirect("schools:upload_detail", pk=upload.pk)
    try:
        outcome = services.student_list_commit(upload=upload, by=request.user)
    except services.UploadNotOpen:
        messages.warning(request, _("Unggahan ini sudah disimpan atau dibatalkan."))
        return redirect("schools:upload_detail", pk=upload.pk)
    except (services.UploadFileGone, UnreadableFile):
        messages.error(request, _("Berkas unggahan ini sudah tidak tersedia. Unggah ulang berkasnya."))
        return redirect("schools:upload_detail", pk=upload.pk)
    if not outcome.committed:
        messages.warning(
            request,
            _(
                "Data peserta didik berubah sejak pratinjau dibuat (ada unggahan atau keputusan lain). "
                "Pratinjau sudah diperbarui: periksa lagi, lalu simpan."
            ),
        )
    else:
        saved = outcome.upload
        messages.success(
            request,
            _("Tersimpan: %(new)s baru, %(updated)s diubah, %(unchanged)s tetap.")
            % {"new": saved.new_count, "updated": saved.updated_count, "unchanged": saved.unchanged_count},
        )
    return redirect("schools:upload_detail", pk=upload.pk)


@login_required
@require_POST
def upload_cancel(request, pk: int):
    upload = _upload_or_404(request.user, pk)
    require(can_upload_student_list(request.user, upload.school))
    try:
        services.student_list_cancel(upload=upload, by=request.user)
        messages.info(request, _("Unggahan dibatalkan; tidak ada data yang disimpan."))
    except services.UploadNotOpen:
        messages.warning(request, _("Unggahan ini sudah disimpan atau dibatalkan."))
    return redirect("schools:upload_detail", pk=upload.pk)


@login_required
@require_GET
def upload_problem_rows(request, pk: int):
    """The problem rows as XLSX, with a column explaining each, to fix and upload again."""
    upload = _upload_or_404(request.user, pk)
    require(can_view_personal_data(request.user, upload.school) and upload.has_file)
    with upload.file.open("rb") as handle:
        data = handle.read()
    table = read_table(data, upload.original_name, max_rows=None, max_bytes=CLI_MAX_BYTES)
    content = exports.problem_rows_xlsx(table, upload.problems or [])
    services.personal_data_access_record(
        user=request.user,
        school=upload.school,
        kind=PersonalDataAccess.Kind.PROBLEM_ROWS,
        detail=_("Unggahan #%(id)s") % {"id": upload.pk},
    )
    response = HttpResponse(content, content_type=XLSX_TYPE)
    stamp = timezone.localtime(upload.created_at).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="baris-bermasalah-{upload.school.npsn}-{stamp}.xlsx"'
    return _no_store(response)


@login_required
@require_GET
def upload_file(request, pk: int):
    """The stored file as uploaded: Dukcapil staff and that school's admins only."""
    upload = _upload_or_404(request.user, pk)
    require(can_view_personal_data(request.user, upload.school) and upload.has_file)
    handle = upload.file.open("rb")
    services.personal_data_access_record(
        user=request.user,
        school=upload.school,
        kind=PersonalDataAccess.Kind.UPLOAD_FILE,
        detail=_("Unggahan #%(id)s: %(name)s") % {"id": upload.pk, "name": upload.original_name},
    )
    response = FileResponse(handle, as_attachment=True, filename=upload.original_name)
    return _no_store(response)


@login_required
def upload_list(request):
    """Every upload the user may see: who, when, which school, counts, outcome."""
    uploads = selectors.uploads_visible(student_list_uploads_visible_to(request.user))
    schools = schools_visible_to(request.user).order_by("name")
    npsn = request.GET.get("sekolah", "")
    status = request.GET.get("status", "")
    if npsn:
        uploads = uploads.filter(school__npsn=npsn)
    if status in StudentListUpload.Status.values:
        uploads = uploads.filter(status=status)
    page = Paginator(uploads, 50).get_page(request.GET.get("halaman"))
    context = {
        "page": page,
        "schools": schools,
        "statuses": StudentListUpload.Status.choices,
        "npsn": npsn,
        "status": status,
    }
    template = "schools/_upload_results.html" if request.htmx else "schools/upload_list.html"
    return render(request, template, context)


# --- NIK conflicts and students who left (supervisors) ----------------------------------------


@login_required
def conflict_list(request):
    if not can_resolve_nik_conflict(request.user):
        raise PermissionDenied
    conflicts = selectors.pending_nik_conflicts()
    page = Paginator(conflicts, 50).get_page(request.GET.get("halaman"))
    return render(request, "schools/conflict_list.html", {"page": page})


@login_required
@require_POST
def conflict_decide(request, pk: int):
    if not can_resolve_nik_conflict(request.user):
        raise PermissionDenied
    conflict = get_object_or_404(NikConflict, pk=pk)
    action = request.POST.get("action")
    if action not in ("move", "reject"):
        messages.error(request, _("Pilih pindahkan atau tolak."))
        return redirect("schools:conflict_list")
    try:
        services.nik_conflict_resolve(conflict=conflict, by=request.user, move=action == "move")
    except services.AlreadyDecided:
        messages.warning(request, _("Konflik ini sudah diputuskan."))
        return redirect("schools:conflict_list")
    if action == "move":
        messages.success(
            request,
            _("%(name)s dipindahkan ke %(school)s.") % {"name": conflict.data.get("name"), "school": conflict.school},
        )
    else:
        messages.info(request, _("Baris ditolak; data peserta didik tidak berubah."))
    return redirect("schools:conflict_list")


@login_required
def left_list(request):
    if not can_decide_student_left(request.user):
        raise PermissionDenied
    schools = selectors.schools_with_pending_left(schools_visible_to(request.user))
    npsn = request.GET.get("sekolah", "")
    proposals = selectors.pending_left_proposals()
    if npsn:
        proposals = proposals.filter(student__school__npsn=npsn)
    page = Paginator(proposals, 100).get_page(request.GET.get("halaman"))
    return render(request, "schools/left_list.html", {"page": page, "schools": schools, "npsn": npsn})


@login_required
@require_POST
def left_decide(request):
    if not can_decide_student_left(request.user):
        raise PermissionDenied
    action = request.POST.get("action")
    ids = [int(pk) for pk in request.POST.getlist("proposal") if pk.isdigit()]
    if action not in ("confirm", "dismiss") or not ids:
        messages.error(request, _("Pilih peserta didik dan keputusannya."))
    else:
        proposals = LeftProposal.objects.filter(pk__in=ids)
        count = services.left_proposals_decide(proposals=proposals, by=request.user, confirm=action == "confirm")
        if action == "confirm":
            messages.success(request, _("%(count)s peserta didik ditandai keluar.") % {"count": count})
        else:
            messages.info(request, _("%(count)s usulan keluar dibatalkan.") % {"count": count})
    npsn = request.POST.get("sekolah", "")
    url = redirect("schools:left_list").url
    return redirect(f"{url}?sekolah={npsn}" if npsn.isdigit() else url)


# --- a school's students ----------------------------------------------------------------------


@login_required
def school_students(request, npsn: str):
    """A school's active students (numbers masked); filter those an upload flagged for follow-up."""
    school = get_visible_school_or_404(request.user, npsn=npsn)
    query = request.GET.get("q", "").strip()[:100]
    flagged = request.GET.get("perlu_diperiksa") == "1"
    rounded = request.GET.get("mungkin_dibulatkan") == "1"
    students = selectors.school_students(school, query=query, flagged=flagged, rounded=rounded)
    page = Paginator(students, 100).get_page(request.GET.get("halaman"))
    context = {
        "school": school,
        "page": page,
        "query": query,
        "flagged": flagged,
        "rounded": rounded,
        "warning_labels": WARNING_LABELS,
        "can_upload": can_upload_student_list(request.user, school),
    }
    template = "schools/_student_results.html" if request.htmx else "schools/student_list.html"
    return render(request, template, context)
