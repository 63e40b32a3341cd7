from django.urls import path

from recordings.urls_progress import urlpatterns as progress_urlpatterns
from recordings.urls_visits import urlpatterns as visit_urlpatterns
from recordings.views import home

urlpatterns = [
    path("", home.home, name="home"),
    *visit_urlpatterns,
    *progress_urlpatterns,
]
