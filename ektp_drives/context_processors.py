"""Values every page needs: the release (footer, service worker), the offline limits and the office."""

from django.conf import settings


def app(request):
    return {
        "app_version": settings.APP_VERSION,
        "offline_warn_hours": f"{settings.OFFLINE_WARN_HOURS:g}".replace(".", ","),
        "offline_warn_ms": int(settings.OFFLINE_WARN_HOURS * 3600 * 1000),
        "offline_max_age_ms": int(settings.OFFLINE_COPY_MAX_HOURS * 3600 * 1000),
    }


def office(request):
    """The office's names from settings, for letterheads and the login page (no queries)."""
    return {
        "office": {
            "name": settings.OFFICE_NAME,
            "regency": settings.OFFICE_REGENCY,
            "address": settings.OFFICE_ADDRESS,
            "contact": settings.OFFICE_CONTACT,
            "place": settings.OFFICE_PLACE,
            "signer_title": settings.REPORT_SIGNER_TITLE,
            "signer_name": settings.REPORT_SIGNER_NAME,
            "signer_nip": settings.REPORT_SIGNER_NIP,
        }
    }
