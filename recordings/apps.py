from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recordings"
    verbose_name = _("Perekaman KTP-el")

    def ready(self):
        from recordings.base_data import ensure_base_data
        from recordings.selectors.drives import drive_reference_date
        from schools import selectors as school_selectors

        school_selectors.reference_date_source = drive_reference_date
        post_migrate.connect(ensure_base_data, sender=self, dispatch_uid="ektp_ensure_base_data")
