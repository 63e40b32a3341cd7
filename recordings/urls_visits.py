"""URLs for drives, visit planning, recording at the visit and field sheets."""

from django.urls import path

from recordings.views import drives, kits, visits, visits_field_sheet, visits_notices, visits_recording

urlpatterns = [
    path("kegiatan/", drives.drive_list, name="drive_list"),
    path("kegiatan/baru/", drives.drive_create, name="drive_create"),
    path("kegiatan/<int:pk>/", drives.drive_detail, name="drive_detail"),
    path("kegiatan/<int:pk>/ubah/", drives.drive_edit, name="drive_edit"),
    path("kegiatan/<int:pk>/kunjungan/baru/", drives.visit_plan, name="visit_plan"),
    path("kegiatan/<int:pk>/perjalanan/", drives.drive_trip, name="drive_trip"),
    path("kegiatan/<int:pk>/alat-bebas/", kits.drive_kits_free, name="drive_kits_free"),
    path("alat-rekam/", kits.kit_list, name="kit_list"),
    path("alat-rekam/baru/", kits.kit_create, name="kit_create"),
    path("alat-rekam/<int:pk>/", kits.kit_detail, name="kit_detail"),
    path("alat-rekam/<int:pk>/ubah/", kits.kit_edit, name="kit_edit"),
    path("alat-rekam/<int:pk>/status/", kits.kit_status, name="kit_status"),
    path("kunjungan/", visits.visit_list, name="visit_list"),
    path("kunjungan/sinkron/", visits_recording.visit_sync, name="visit_sync"),
    path("kunjungan/<int:pk>/", visits.visit_detail, name="visit_detail"),
    path("kunjungan/<int:pk>/hasil/", visits_recording.visit_outcome, name="visit_outcome"),
    path("kunjungan/<int:pk>/mulai/", visits.visit_start, name="visit_start"),
    path("kunjungan/<int:pk>/selesai/", visits.visit_finish, name="visit_finish"),
    path("kunjungan/<int:pk>/jadwal-ulang/", visits.visit_reschedule, name="visit_reschedule"),
    path("kunjungan/<int:pk>/tunda/", visits.visit_postpone, name="visit_postpone"),
    path("kunjungan/<int:pk>/batal/", visits.visit_cancel, name="visit_cancel"),
    path("kunjungan/<int:pk>/riwayat/", visits.visit_history, name="visit_history"),
    path("kunjungan/<int:pk>/koreksi/", visits_recording.visit_outcome_correct, name="visit_outcome_correct"),
    path("kunjungan/<int:pk>/daftar-hadir/", visits.visit_attendance, name="visit_attendance"),
    path("kunjungan/<int:pk>/whatsapp/", visits_notices.visit_notice_whatsapp, name="visit_notice_whatsapp"),
    path(
        "kunjungan/<int:pk>/lembar-lapangan.xlsx", visits_field_sheet.field_sheet_download, name="field_sheet_download"
    ),
    path("kunjungan/<int:pk>/lembar-lapangan/", visits_field_sheet.field_sheet_upload, name="field_sheet_upload"),
    path(
        "kunjungan/<int:pk>/lembar-lapangan/<int:upload_pk>/",
        visits_field_sheet.field_sheet_preview,
        name="field_sheet_preview",
    ),
    path(
        "kunjungan/<int:pk>/lembar-lapangan/<int:upload_pk>/simpan/",
        visits_field_sheet.field_sheet_confirm,
        name="field_sheet_confirm",
    ),
    path(
        "kunjungan/<int:pk>/lembar-lapangan/<int:upload_pk>/batal/",
        visits_field_sheet.field_sheet_cancel,
        name="field_sheet_cancel",
    ),
]
