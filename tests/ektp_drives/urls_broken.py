"""The app's URLs and error handlers, plus one view that fails (for the 500 page test)."""

from django.urls import path

from ektp_drives.urls import handler403, handler404, handler500
from ektp_drives.urls import urlpatterns as app_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def broken(request):
    raise RuntimeError("a failure the user must not see")


urlpatterns = [*app_urlpatterns, path("rusak/", broken)]
