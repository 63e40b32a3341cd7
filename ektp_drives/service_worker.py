"""The service worker script and the offline page (docs/adr/0022-offline-visit-pages-service-worker.md).

``/sw.js`` is served from the site root so its scope is the whole site. It is a short script
naming this release (so each release installs a new worker and new caches) and the app-shell
files, then loads the worker's code from ``static/js/offline/``. Neither response holds data of
any user, so both are served to anyone.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

# Everything a page needs to run without the network (the app shell): every script, style sheet
# and icon of the project's own static folder, so a new script can never be left out of it.
SHELL_SUFFIXES = (".js", ".css", ".svg")


@cache
def shell_files() -> list[str]:
    folder = Path(settings.BASE_DIR) / "static"
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.suffix in SHELL_SUFFIXES and path.name != "sw.js"
    )


# Loaded into the worker, in this order (each one sets a global the next ones use).
WORKER_SCRIPTS = ["js/offline/queue.js", "js/offline/drain.js", "js/offline/store.js", "js/offline/copies.js"]


def worker_config() -> dict:
    return {
        "version": settings.APP_VERSION,
        "shell": [static(name) for name in shell_files()],
        "staticUrl": static(""),
        "offlineUrl": reverse("offline_page"),
        "visitPattern": r"^/kunjungan/\d+/$",
        "syncUrl": reverse("visit_sync"),
        "maxAgeMs": settings.OFFLINE_COPY_MAX_HOURS * 3600 * 1000,
    }


@require_GET
def service_worker(request):
    scripts = [static(name) for name in WORKER_SCRIPTS] + [static("js/offline/sw.js")]
    body = "self.EKTP_SW = {config};\nimportScripts({scripts});\n".format(
        config=json.dumps(worker_config()), scripts=", ".join(json.dumps(s) for s in scripts)
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # The browser checks for a new release on every navigation; never from a stale HTTP cache.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline_page(request):
    """Shown by the service worker for any page not kept on the device while offline."""
    response = render(request, "offline.html")
    response["Cache-Control"] = "no-cache"
    return response
