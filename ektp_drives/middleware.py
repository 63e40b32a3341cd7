"""Language choice: Bahasa Indonesia unless the user picked another language."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    """Use the language cookie set by the language switcher, else LANGUAGE_CODE.

    Browsers in Indonesia often send ``Accept-Language: en-US``; the office works in Bahasa
    Indonesia, so the browser's header is ignored.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class PrivateNoStoreMiddleware:
    """Keep pages of logged-in users out of every cache: ``Cache-Control: private, no-store``.

    Nearly every page of a logged-in user shows personal data (student names, NIKs, outcomes), and
    a shared phone or a proxy must not keep them. A view that chose its own caching (the one-time
    password page, a page the service worker may keep) sets ``Cache-Control`` itself and is left
    alone. Static files never reach this middleware (WhiteNoise answers them earlier) and are
    skipped by path as well.
    """

    VALUE = "private, no-store"

    def __init__(self, get_response):
        self.get_response = get_response
        static = settings.STATIC_URL or ""
        self.static_prefix = static if static.startswith("/") else "/" + static

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not response.has_header("Cache-Control")
            and not request.path.startswith(self.static_prefix)
        ):
            response["Cache-Control"] = self.VALUE
        return response
