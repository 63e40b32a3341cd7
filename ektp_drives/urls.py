from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from ektp_drives import service_worker

admin.site.site_header = _("e-KTP Sekolah — Admin data")
admin.site.site_title = _("e-KTP Sekolah")
admin.site.index_title = _("Perbaikan data")

urlpatterns = [
    path("masuk/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("sw.js", service_worker.service_worker, name="service_worker"),
    path("luring/", service_worker.offline_page, name="offline_page"),
    path("admin/", admin.site.urls),
    path("", include("schools.urls")),
    path("", include("recordings.urls")),
]

handler400 = "ektp_drives.views_errors.bad_request"
handler403 = "ektp_drives.views_errors.permission_denied"
handler404 = "ektp_drives.views_errors.page_not_found"
handler500 = "ektp_drives.views_errors.server_error"
