"""Error pages in Bahasa Indonesia, in the app's layout, each with a way back.

403 and 404 render with the request (the menu of a logged-in user stays); 500 renders without
the request's context processors, which may need the database that has just failed.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token


def _error(request, *, status: int, title: str, message: str, template: str = "errors/error.html", **extra):
    context = {"status": status, "title": title, "message": message, **extra}
    return render(request, template, context, status=status)


def _page_sent_from(request) -> str:
    """The page the failed form was on (same site only), to open again; the login page otherwise."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return reverse("login")


# Endpoints that scripts (the offline queue, the service worker) talk to: they read JSON, never a page.
JSON_URL_NAMES = ("visit_sync",)


def _wants_json(request) -> bool:
    if request.content_type == "application/json" or "application/json" in request.headers.get("Accept", ""):
        return True
    for name in JSON_URL_NAMES:
        try:
            if request.path == reverse(name):
                return True
        except NoReverseMatch:
            continue
    return False


@requires_csrf_token
def bad_request(request, exception=None):
    """A request Django refused before any view ran (e.g. a body over the upload limit)."""
    too_big = isinstance(exception, RequestDataTooBig)
    if _wants_json(request):
        message = _("Data terlalu besar untuk dikirim sekaligus.") if too_big else _("Data tidak terbaca.")
        return JsonResponse({"error": message}, status=413 if too_big else 400)
    return _error(
        request,
        status=400,
        title=_("Permintaan tidak dapat dibaca"),
        message=_("Data yang dikirim terlalu besar atau rusak. Kembali ke halaman sebelumnya dan coba lagi.")
        if too_big
        else _("Data yang dikirim tidak dapat dibaca. Kembali ke halaman sebelumnya dan coba lagi."),
    )


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error(
        request,
        status=403,
        title=_("Akses ditolak"),
        message=_(
            "Akun Anda tidak berhak membuka halaman ini. Jika menurut Anda ini keliru, hubungi supervisor Dukcapil."
        ),
    )


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error(
        request,
        status=404,
        title=_("Halaman tidak ditemukan"),
        message=_(
            "Alamat ini tidak ada, atau datanya tidak dapat Anda buka. Periksa alamatnya atau mulai dari beranda."
        ),
    )


@requires_csrf_token
def csrf_failure(request, reason: str = ""):
    """A form sent with a missing or stale security token (e.g. a page left open overnight)."""
    return _error(
        request,
        status=403,
        title=_("Formulir kedaluwarsa"),
        message=_(
            "Formulir ini tidak dapat dikirim karena halamannya sudah terlalu lama terbuka atau cookie "
            "diblokir. Muat ulang halaman, lalu kirim lagi."
        ),
        template="errors/csrf.html",
        back_url=_page_sent_from(request),
    )


@requires_csrf_token
def server_error(request):
    template = loader.get_template("errors/error.html")
    context = {
        "status": 500,
        "title": _("Terjadi kesalahan"),
        "message": _("Maaf, terjadi kesalahan di server. Kesalahan ini sudah dicatat; coba lagi sebentar lagi."),
    }
    return HttpResponseServerError(template.render(context))
