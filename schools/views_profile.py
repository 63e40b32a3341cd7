"""A school's profile (address, contact, location, travel from the office), its edit form, and the
import of many schools' coordinates from a file (NPSN, Lintang, Bujur).

Who: Dukcapil staff and the school's own admins read the profile; supervisors edit all of it, a
school admin only the contact of their own school; operators read. Another school's profile is a
404 for a school admin. The import is for supervisors.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from schools import services
from schools.forms import CoordinateImportForm, SchoolProfileForm
from schools.geo import in_regency, travel_from_office
from schools.importing import coordinates
from schools.importing.readers import UnreadableFile
from schools.permissions import (
    can_import_school_coordinates,
    get_visible_school_or_404,
    school_profile_editable_fields,
    schools_visible_to,
)
from schools.roles import is_dukcapil_staff

IMPORT_SALT = "schools.coordinates-import"
IMPORT_MAX_AGE = 2 * 60 * 60  # a preview can be confirmed for two hours
PROBLEMS_SHOWN = 200
CHANGES_SHOWN = 500


@login_required
@never_cache
def school_profile(request, npsn: str):
    """The school's profile; the straight-line distance stands in for a missing travel figure."""
    school = get_object_or_404(schools_visible_to(request.user).select_related("desa__kecamatan"), npsn=npsn)
    has_point = school.latitude is not None and school.longitude is not None
    context = {
        "school": school,
        "kecamatan": school.desa.kecamatan,
        "travel": travel_from_office(school),
        "has_point": has_point,
        "outside_regency": has_point and not in_regency(school.latitude, school.longitude),
        "can_edit": bool(school_profile_editable_fields(request.user, school)),
        "is_staff": is_dukcapil_staff(request.user),
    }
    return render(request, "schools/school_profile.html", context)


@login_required
@never_cache
def school_profile_edit(request, npsn: str):
    school = get_visible_school_or_404(request.user, npsn=npsn)
    fields = school_profile_editable_fields(request.user, school)
    if not fields:
        raise PermissionDenied
    form = SchoolProfileForm(request.POST or None, fields=fields, school=school)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.school_profile_update(
                school=school, by=request.user, **{name: form.cleaned_data[name] for name in fields}
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            if changed:
                messages.success(request, _("Profil sekolah disimpan."))
            else:
                messages.info(request, _("Tidak ada yang berubah."))
            return redirect("schools:school_profile", npsn=school.npsn)
    return render(
        request,
        "schools/school_profile_form.html",
        {"school": school, "form": form, "contact_only": "latitude" not in fields},
        status=422 if form.errors else 200,
    )


def _require_importer(user) -> None:
    if not can_import_school_coordinates(user):
        raise PermissionDenied


def _pack(changes: list[coordinates.CoordinateChange]) -> str:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return signing.dumps(
        [
            [c.school_id, c.npsn, c.name, c.row, text(c.old_latitude), text(c.old_longitude), str(c.latitude),
             str(c.longitude), c.outside]
            for c in changes
        ],
        salt=IMPORT_SALT,
        compress=True,
    )  # fmt: skip


def _unpack(token: str) -> list[coordinates.CoordinateChange]:
    def number(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    rows = signing.loads(token, salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
    return [
        coordinates.CoordinateChange(
            school_id=pk, npsn=npsn, name=name, row=row, old_latitude=number(old_lat), old_longitude=number(old_lon),
            latitude=Decimal(lat), longitude=Decimal(lon), outside=outside,
        )
        for pk, npsn, name, row, old_lat, old_lon, lat, lon, outside in rows
    ]  # fmt: skip


@login_required
@never_cache
def coordinates_import(request):
    """Upload a file → preview (every bad row named, old → new) → confirm: all schools at once, or none."""
    _require_importer(request.user)
    form = CoordinateImportForm()
    context = {"form": form, "max_rows": coordinates.MAX_ROWS}
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    if request.method == "POST":
        form = CoordinateImportForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                plan = services.school_coordinates_preview(data=uploaded.read(), name=uploaded.name)
            except UnreadableFile as exc:
                context["failure"] = exc.message
            else:
                context.update(_preview_context(plan, name=uploaded.name))
        status = 422 if form.errors or context.get("failure") else 200
        return render(request, "schools/coordinates_import.html", context, status=status)
    return render(request, "schools/coordinates_import.html", context)


def _preview_context(plan: coordinates.CoordinatePlan, *, name: str) -> dict:
    return {
        "plan": plan,
        "file_name": name,
        "problems": plan.problems[:PROBLEMS_SHOWN],
        "changes": plan.changes[:CHANGES_SHOWN],
        "token": _pack(plan.changes) if plan.can_commit else "",
    }


def _confirm(request):
    try:
        changes = _unpack(request.POST.get("token", ""))
    except (signing.BadSignature, ValueError, TypeError):
        messages.error(request, _("Pratinjau sudah kedaluwarsa atau rusak. Unggah berkasnya lagi."))
        return redirect("schools:coordinates_import")
    if any(c.outside for c in changes) and request.POST.get("warnings_checked") != "1":
        messages.error(request, _("Centang bahwa titik di luar wilayah kabupaten sudah diperiksa, lalu simpan lagi."))
        return redirect("schools:coordinates_import")
    try:
        count = services.school_coordinates_import(
            changes=changes, by=request.user, source=request.POST.get("file_name", "")
        )
    except services.CoordinatesChanged:
        messages.error(
            request,
            _(
                "Koordinat sebagian sekolah berubah sejak pratinjau dibuat; tidak ada yang disimpan. "
                "Unggah berkasnya lagi."
            ),
        )
        return redirect("schools:coordinates_import")
    messages.success(request, _("Koordinat %(n)s sekolah disimpan.") % {"n": count})
    return redirect("schools:coordinates_import")


@login_required
@require_GET
def coordinates_template(request):
    _require_importer(request.user)
    response = HttpResponse(coordinates.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="templat-koordinat-sekolah.csv"'
    return response
