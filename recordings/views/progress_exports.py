"""Exports of the progress pages: per-school summary, students still to record, outcomes of a visit.

Scope follows the pages: Dukcapil staff export any school; a school admin only their own school
(another school's list or visit is a 404). Lists with personal data need ``can_view_personal_data``,
and each of their downloads is written to the personal-data access log.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from recordings.exports import DATE, DATETIME, DECIMAL, IDENTITY, INT, Column, export_response
from recordings.permissions import get_visible_visit_or_404
from recordings.selectors import FOLLOW_UP_REASONS, Progress, students_to_record_rows, visit_outcomes
from recordings.selectors.progress import FIGURES, OUTSIDE_FIGURES, TABLE_FIGURES, figure
from recordings.views.progress import progress_scope, scope_rows
from recordings.views.progress_forms import ProgressFilterForm, filter_rows, sort_param, sort_rows
from schools.models import PersonalDataAccess
from schools.permissions import can_view_personal_data, get_visible_school_or_404, schools_visible_to
from schools.services import personal_data_access_record

PERSONAL_NOTE = _("Berisi data pribadi (NIK, No KK): simpan dan bagikan hanya untuk tindak lanjut perekaman.")


def _info(request, drive, scope_text: str, *, personal: bool) -> list[tuple[str, str]]:
    info = [
        (_("Kegiatan"), drive.name),
        (_("Periode"), f"{drive.start_date:%d-%m-%Y} – {drive.end_date:%d-%m-%Y}"),
        (_("Tanggal acuan umur"), f"{drive.reference_date:%d-%m-%Y}"),
        (_("Cakupan"), scope_text),
        (_("Dibuat"), timezone.localtime().strftime("%d-%m-%Y %H:%M WIB")),
        (_("Oleh"), request.user.get_full_name() or request.user.get_username()),
    ]
    if personal:
        info.append((_("Perhatian"), str(PERSONAL_NOTE)))
    # The same column names and definitions as the pages and the printed report.
    info.extend((str(f.label), str(f.definition)) for f in FIGURES)
    return info


def _stamp(drive) -> str:
    return f"{drive.pk}_{timezone.localdate():%Y%m%d}"


def _figure_column(code: str) -> Column:
    definition = figure(code)
    kind = DECIMAL if code == "completion" else INT
    return Column(str(definition.label), lambda r: r.progress.value(code), kind, 12)


def _summary_columns() -> list[Column]:
    return [
        Column("NPSN", lambda r: r.npsn, width=11),
        Column(_("Nama sekolah"), lambda r: r.name, width=34),
        Column(_("Jenjang"), lambda r: r.level_label, width=9),
        Column(_("Status"), lambda r: r.status_label, width=9),
        Column(_("Kecamatan"), lambda r: r.kecamatan_name, width=18),
        *(_figure_column(code) for code in (*TABLE_FIGURES, *OUTSIDE_FIGURES)),
        Column(_("Kunjungan terakhir"), lambda r: r.visits.last_visit, DATE, 12),
        Column(_("Kunjungan berikutnya"), lambda r: r.visits.next_visit, DATE, 12),
        Column(_("Status kunjungan"), lambda r: r.visit_state_label, width=18),
    ]


@login_required
def summary(request, fmt: str):
    """Per-school summary of a drive (the dashboard's filters and sort apply)."""
    scope = progress_scope(request)
    if scope.drive is None:
        raise Http404
    rows = list(scope_rows(scope).rows.values())
    choices = sorted({(r.kecamatan_id, r.kecamatan_name) for r in rows}, key=lambda c: c[1])
    values = ProgressFilterForm(request.GET or None, kecamatan_choices=choices).values()
    key, descending = sort_param(values.get("sort"))
    rows = sort_rows(filter_rows(rows, values), key, descending)
    total = Progress.total(r.progress for r in rows)
    totals = [
        "",
        _("Jumlah (%(n)s sekolah)") % {"n": len(rows)},
        "",
        "",
        "",
        *(total.value(code) for code in (*TABLE_FIGURES, *OUTSIDE_FIGURES)),
        None,
        None,
        "",
    ]
    scope_text = _("Semua sekolah kegiatan") if scope.is_staff else _("Sekolah Anda")
    return export_response(
        fmt,
        name=f"capaian-per-sekolah_{_stamp(scope.drive)}",
        title=_("Capaian per sekolah"),
        columns=_summary_columns(),
        rows=rows,
        totals=totals,
        info=_info(request, scope.drive, str(scope_text), personal=False),
    )


def _reason(student) -> str:
    return str(FOLLOW_UP_REASONS.get(student.latest_outcome, student.latest_outcome or ""))


def _notes(student) -> str:
    notes = []
    if not student.nik:
        notes.append(_("NIK kosong"))
    if not student.kk:
        notes.append(_("No KK kosong"))
    return "; ".join(notes)


def _student_columns() -> list[Column]:
    return [
        Column("NPSN", lambda s: s.npsn, width=11),
        Column(_("Sekolah"), lambda s: s.school_name, width=30),
        Column(_("Rombel"), lambda s: s.class_name, width=12),
        Column(_("Nama"), lambda s: s.name, width=30),
        Column(_("L/P"), lambda s: s.gender, width=5),
        Column(_("Tanggal lahir"), lambda s: s.birth_date, DATE, 12),
        Column("NISN", lambda s: s.nisn, IDENTITY, 12),
        Column("NIK", lambda s: s.nik, IDENTITY, 19),
        Column(_("No KK"), lambda s: s.kk, IDENTITY, 19),
        Column(_("Alasan belum terekam"), _reason, width=26),
        Column(_("Waktu hasil terakhir"), lambda s: s.latest_at, DATETIME, 17),
        Column(_("Catatan data"), _notes, width=22),
    ]


def _log_access(request, *, kind, schools, detail: str) -> None:
    """One access-log entry per school of the download, or one without a school for a wider one."""
    for school in schools or [None]:
        personal_data_access_record(user=request.user, school=school, kind=kind, detail=detail)


def _students_export(request, fmt: str, drive, *, schools, scope_text: str, name: str, log_schools=None):
    response = export_response(
        fmt,
        name=name,
        title=_("Belum terekam"),
        columns=_student_columns(),
        rows=students_to_record_rows(drive, schools=schools),
        info=_info(request, drive, scope_text, personal=True),
    )
    _log_access(
        request,
        kind=PersonalDataAccess.Kind.STUDENTS_EXPORTED,
        schools=log_schools,
        detail=f"{drive.name}: {scope_text} ({fmt.upper()})",
    )
    return response


@login_required
def students(request, fmt: str):
    """Students still to record in the drive (staff: every school, filters apply; school admin: own school)."""
    scope = progress_scope(request)
    if scope.drive is None:
        raise Http404
    if scope.is_staff:
        filters = {k: v for k, v in request.GET.items() if k not in ("drive", "page", "sort")}
        if filters:
            rows = list(scope_rows(scope).rows.values())
            choices = sorted({(r.kecamatan_id, r.kecamatan_name) for r in rows}, key=lambda c: c[1])
            values = ProgressFilterForm(request.GET, kecamatan_choices=choices).values()
            schools = [r.school_id for r in filter_rows(rows, values)]
            scope_text = _("Sekolah sesuai filter (%(n)s sekolah)") % {"n": len(schools)}
        else:
            schools, scope_text = None, _("Semua sekolah kegiatan")
    else:
        schools = sorted(scope.school_ids)
        scope_text = _("Sekolah Anda")
    log_schools = None if scope.is_staff else list(schools_visible_to(request.user).filter(pk__in=schools))
    return _students_export(
        request,
        fmt,
        scope.drive,
        schools=schools,
        scope_text=str(scope_text),
        name=f"belum-terekam_{_stamp(scope.drive)}",
        log_schools=log_schools,
    )


@login_required
def school_students(request, school_id: int, fmt: str):
    """Students still to record at one school, for follow-up with the school."""
    scope = progress_scope(request, with_schools=False)
    school = get_visible_school_or_404(request.user, pk=school_id)
    if scope.drive is None or not can_view_personal_data(request.user, school):
        raise Http404
    if not scope.drive.drive_schools.filter(school=school).exists():
        raise Http404
    return _students_export(
        request,
        fmt,
        scope.drive,
        schools=[school.pk],
        scope_text=f"{school.name} (NPSN {school.npsn})",
        name=f"belum-terekam_{school.npsn}_{_stamp(scope.drive)}",
        log_schools=[school],
    )


def _outcome_columns() -> list[Column]:
    return [
        Column(_("Rombel"), lambda r: r.student.class_name, width=12),
        Column(_("Nama"), lambda r: r.student.name, width=30),
        Column(_("L/P"), lambda r: r.student.gender, width=5),
        Column("NISN", lambda r: r.student.nisn, IDENTITY, 12),
        Column("NIK", lambda r: r.student.nik, IDENTITY, 19),
        Column(_("No KK"), lambda r: r.student.kk, IDENTITY, 19),
        Column(_("Hasil"), lambda r: r.get_outcome_display(), width=26),
        Column(_("Alasan"), lambda r: r.reason, width=24),
        Column(_("Waktu"), lambda r: r.recorded_at, DATETIME, 17),
        Column(
            _("Petugas"),
            lambda r: (r.recorded_by.get_full_name() or r.recorded_by.get_username()) if r.recorded_by else "",
            width=20,
        ),
    ]


@login_required
def visit(request, visit_id: int, fmt: str):
    """Outcomes of one visit."""
    visit_obj = get_visible_visit_or_404(request.user, pk=visit_id)
    if not can_view_personal_data(request.user, visit_obj.school):
        raise Http404
    school = visit_obj.school
    response = export_response(
        fmt,
        name=f"hasil-kunjungan_{school.npsn}_{visit_obj.date:%Y%m%d}",
        title=_("Hasil kunjungan"),
        columns=_outcome_columns(),
        rows=visit_outcomes(visit_obj).iterator(chunk_size=2000),
        info=_info(
            request,
            visit_obj.drive,
            f"{school.name} (NPSN {school.npsn}), {visit_obj.date:%d-%m-%Y} — {visit_obj.get_status_display()}",
            personal=True,
        ),
    )
    _log_access(
        request,
        kind=PersonalDataAccess.Kind.VISIT_EXPORTED,
        schools=[school],
        detail=_("Kunjungan %(date)s (#%(id)s), %(format)s")
        % {"date": f"{visit_obj.date:%d-%m-%Y}", "id": visit_obj.pk, "format": fmt.upper()},
    )
    return response
