from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "schools"
    verbose_name = _("Sekolah dan peserta didik")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from schools.middleware import remember_password_state

        user_logged_in.connect(remember_password_state, dispatch_uid="schools.remember_password_state")
