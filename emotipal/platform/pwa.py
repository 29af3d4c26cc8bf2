"""The installable app (PWA): the web app manifest and the service worker. Both are public: they hold no
client data (the browser fetches them without a session to check installability and to update the worker),
and the worker itself decides what it may cache (see templates/pwa/sw.js)."""

from __future__ import annotations

import json

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

THEME_COLOUR = "#2f6f5e"  # --brand in static/css/emotipal.css
BACKGROUND_COLOUR = "#f6f7f4"  # --bg
# Handlers other parts add to the worker (web push: notifications). Imported only when the file exists, so the
# worker still installs on a branch without them.
SERVICE_WORKER_IMPORTS = ["notifications/push-sw.js"]
# Pages the worker keeps for offline use (network first), when the server marks them as the client's own.
OFFLINE_HEADER = "X-EmotiPal-Offline-Copy"


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    icon = static("icons/icon-192.png")
    body = {
        "name": "EmotiPal",
        "short_name": "EmotiPal",
        "description": _("Your homework between therapy sessions."),
        "id": "/",
        "start_url": reverse("today"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": icon, "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = HttpResponse(json.dumps(body), content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    imports = [static(path) for path in SERVICE_WORKER_IMPORTS if finders.find(path)]
    shell = [
        static("css/emotipal.css"),
        static("js/emotipal.js"),
        static("js/outbox.js"),
        static("js/exercise.js"),
        static("js/groups.js"),
        static("vendor/htmx-2.0.11.min.js"),
        static("favicon.svg"),
        reverse("pwa_offline"),
    ]
    script = render_to_string(
        "pwa/sw.js",
        {
            "imports_json": json.dumps(imports),
            "shell_json": json.dumps(shell),
            "header": OFFLINE_HEADER,
            "login_url": reverse("account_login"),
        },
    )
    response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache, no-store"  # a new worker reaches phones at once
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the worker for a page that is not on the phone. No user data: it is cached once for all."""
    return HttpResponse(render_to_string("pwa/offline.html", request=None))


def offline_copy(response: HttpResponse) -> HttpResponse:
    """Mark a page of the signed-in client's own as one the service worker may keep for offline use."""
    response[OFFLINE_HEADER] = "1"
    return response
