"""Values every page needs: the release (footer, service worker) and the offline limits."""

from django.conf import settings


def app(request):
    return {
        "app_version": settings.APP_VERSION,
        "offline_warn_hours": f"{settings.OFFLINE_WARN_HOURS:g}".replace(".", ","),
        "offline_warn_ms": int(settings.OFFLINE_WARN_HOURS * 3600 * 1000),
        "offline_max_age_ms": int(settings.OFFLINE_COPY_MAX_HOURS * 3600 * 1000),
    }
