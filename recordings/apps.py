from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recordings"
    verbose_name = _("Perekaman KTP-el")

    def ready(self):
        from recordings.base_data import ensure_base_data

        post_migrate.connect(ensure_base_data, sender=self, dispatch_uid="ektp_ensure_base_data")
