from django.urls import path

from recordings.urls_progress import urlpatterns as progress_urlpatterns
from recordings.urls_visits import urlpatterns as visit_urlpatterns
from recordings.views import home, search

urlpatterns = [
    path("", home.home, name="home"),
    path("cari-peserta-didik/", search.student_search, name="student_search"),
    *visit_urlpatterns,
    *progress_urlpatterns,
]
