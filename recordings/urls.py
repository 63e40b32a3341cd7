from django.urls import path

from recordings.views import home

urlpatterns = [
    path("", home.home, name="home"),
]
