from django.urls import path

from schools import views, views_access, views_accounts, views_profile, views_students

app_name = "schools"

urlpatterns = [
    path("daftar-siswa/unggah/", views.upload_new, name="upload_new"),
    path("daftar-siswa/templat.<str:fmt>", views.template_download, name="template_download"),
    path("daftar-siswa/unggahan/", views.upload_list, name="upload_list"),
    path("daftar-siswa/unggahan/<int:pk>/", views.upload_detail, name="upload_detail"),
    path("daftar-siswa/unggahan/<int:pk>/simpan/", views.upload_commit, name="upload_commit"),
    path("daftar-siswa/unggahan/<int:pk>/batal/", views.upload_cancel, name="upload_cancel"),
    path("daftar-siswa/unggahan/<int:pk>/baris-bermasalah.xlsx", views.upload_problem_rows, name="upload_problem_rows"),
    path("daftar-siswa/unggahan/<int:pk>/berkas/", views.upload_file, name="upload_file"),
    path("daftar-siswa/konflik-nik/", views.conflict_list, name="conflict_list"),
    path("daftar-siswa/konflik-nik/<int:pk>/", views.conflict_decide, name="conflict_decide"),
    path("daftar-siswa/usulan-keluar/", views.left_list, name="left_list"),
    path("daftar-siswa/usulan-keluar/putuskan/", views.left_decide, name="left_decide"),
    path("sekolah/<str:npsn>/peserta-didik/", views.school_students, name="school_students"),
    path("sekolah/<str:npsn>/peserta-didik/<int:pk>/", views_students.student_detail, name="student_detail"),
    path("sekolah/<str:npsn>/peserta-didik/<int:pk>/ubah/", views_students.student_edit, name="student_edit"),
    path("sekolah/<str:npsn>/profil/", views_profile.school_profile, name="school_profile"),
    path("sekolah/<str:npsn>/profil/ubah/", views_profile.school_profile_edit, name="school_profile_edit"),
    path("koordinat-sekolah/impor/", views_profile.coordinates_import, name="coordinates_import"),
    path("koordinat-sekolah/templat.csv", views_profile.coordinates_template, name="coordinates_template"),
    path("akses-data-pribadi/", views_access.access_log, name="access_log"),
    path("akun-sekolah/", views_accounts.account_list, name="account_list"),
    path("akun-sekolah/baru/", views_accounts.account_create, name="account_create"),
    path("akun-sekolah/<int:pk>/sandi-baru/", views_accounts.account_reset_password, name="account_reset_password"),
    path("akun-sekolah/<int:pk>/nonaktifkan/", views_accounts.account_deactivate, name="account_deactivate"),
    path("akun/kata-sandi-baru/", views_accounts.password_first, name="password_first"),
]
