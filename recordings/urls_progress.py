"""URLs of the progress pages, reports and exports (issue 5)."""

from django.urls import path, re_path

from recordings.views import progress, progress_exports

FMT = r"(?P<fmt>xlsx|csv)"

urlpatterns = [
    path("progres/", progress.dashboard, name="progress_dashboard"),
    path("progres/laporan/", progress.report, name="progress_report"),
    path("progres/peta/", progress.school_map, name="progress_map"),
    path("progres/sekolah/<int:school_id>/", progress.school, name="progress_school"),
    re_path(rf"^progres/ekspor/capaian-per-sekolah\.{FMT}$", progress_exports.summary, name="progress_export_summary"),
    re_path(rf"^progres/ekspor/belum-terekam\.{FMT}$", progress_exports.students, name="progress_export_students"),
    re_path(
        rf"^progres/sekolah/(?P<school_id>[0-9]+)/belum-terekam\.{FMT}$",
        progress_exports.school_students,
        name="progress_export_school_students",
    ),
    re_path(
        rf"^progres/kunjungan/(?P<visit_id>[0-9]+)/hasil\.{FMT}$", progress_exports.visit, name="progress_export_visit"
    ),
]
