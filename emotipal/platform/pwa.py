"""The installable app (PWA): the web app manifest and the service worker. Both are public: they hold no
client data (the browser fetches them without a session to check installability and to update the worker),
and the worker itself decides what it may cache (see templates/pwa/sw.js)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

THEME_COLOUR = "#2f6f5e"  # --brand in static/css/emotipal.css
BACKGROUND_COLOUR = "#f6f7f4"  # --bg
# Handlers other parts add to the worker (web push: notifications). Imported only when the file exists, so the
# worker still installs on a branch without them.
# The outbox: its store first (outbox-sw.js uses it), then the Background Sync handler.
SERVICE_WORKER_IMPORTS = ["js/outbox-store.js", "js/outbox-sw.js", "notifications/push-sw.js"]
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
        static("js/outbox-store.js"),
        static("js/outbox.js"),
        static("js/exercise.js"),
        static("js/groups.js"),
        static("vendor/htmx-2.0.11.min.js"),
        static("favicon.svg"),
    ]
    # One offline page per language: the worker shows the one of the client's language (outbox.js saves it).
    offline_pages = {code: f"{reverse('pwa_offline')}?lang={code}" for code, _name in settings.LANGUAGES}
    shell += list(offline_pages.values())
    script = render_to_string(
        "pwa/sw.js",
        {
            "imports_json": json.dumps(imports),
            "shell_json": json.dumps(shell),
            "offline_json": json.dumps(offline_pages),
            "default_language": settings.LANGUAGE_CODE.split("-")[0],
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
    """Shown by the worker for a page that is not on the phone. No user data: it is cached once per language
    (?lang=, one of LANGUAGES; anything else gets the default language)."""
    languages = dict(settings.LANGUAGES)
    code = request.GET.get("lang", "")
    language = code if code in languages else settings.LANGUAGE_CODE.split("-")[0]
    with translation.override(language):
        page = render_to_string(
            "pwa/offline.html", {"language": language, "bidi": translation.get_language_bidi()}, request=None
        )
    return HttpResponse(page)


# The outbox says "N entries waiting to be sent" without a connection, so the page carries the plural forms
# of its language: 0..110 covers every case of the plural rules of our languages (they depend on n % 100);
# outbox.js picks the form of a larger n by n % 100 (or 100 + n % 100 for the ones of 0..10).
PLURAL_TABLE_SIZE = 111


def outbox_texts() -> dict[str, Any]:
    """The outbox's texts for the page script, in the active language (base.html embeds them with json_script)."""
    forms: list[str] = []
    index: list[int] = []
    for n in range(PLURAL_TABLE_SIZE):
        text = ngettext("%(n)s entry waiting to be sent", "%(n)s entries waiting to be sent", n)
        if text not in forms:
            forms.append(text)
        index.append(forms.index(text))
    return {
        "waitingForms": forms,
        "waitingIndex": index,
        "sent": _("Sent: %(title)s"),
        "attention": _("Not sent: %(title)s"),
        "refused": _("The server did not take this entry; it may no longer be open."),
        "open": _("Open the exercise"),
        "delete": _("Delete from this phone"),
        "confirmDelete": _("Delete this entry from this phone? It has not been sent."),
        "logoutWarning": _("Some entries have not been sent yet. Delete them from this phone and log out?"),
    }


def offline_copy(response: HttpResponse) -> HttpResponse:
    """Mark a page of the signed-in client's own as one the service worker may keep for offline use."""
    response[OFFLINE_HEADER] = "1"
    return response
