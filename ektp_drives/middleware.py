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
