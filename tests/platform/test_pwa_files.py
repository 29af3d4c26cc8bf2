"""The installable app: the manifest, the service worker, the offline page, and logging out clearing the device."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.test import Client

from emotipal.homework import services
from tests.factories import build_world, plan_for


def test_manifest_has_what_installing_needs(db: Any, client: Client) -> None:
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    body = json.loads(response.content)
    assert body["start_url"] == "/today/" and body["scope"] == "/" and body["display"] == "standalone"
    assert body["theme_color"] == "#2f6f5e" and body["background_color"] == "#f6f7f4"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in body["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in body["icons"]:
        found = finders.find(icon["src"].removeprefix("/static/"))
        assert found, icon["src"]
        assert Path(found).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_service_worker_is_javascript_for_the_whole_site_and_never_cached(db: Any, client: Client) -> None:
    response = client.get("/sw.js")
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert "/offline/" in text and "X-EmotiPal-Offline-Copy" in text
    assert "&quot;" not in text  # JSON lists, not HTML-escaped
    # The one worker of the site also carries the push reminder handlers (a second worker would replace it).
    assert "importScripts" in text and "notifications/push-sw" in text


def test_every_page_links_the_manifest_and_only_clients_register_the_worker(db: Any, client: Client) -> None:
    world = build_world()
    assert b'rel="manifest"' in client.get("/accounts/login/").content  # allauth's layout too
    assert b"js/pwa.js" not in client.get("/accounts/login/").content
    client.force_login(world.client_a.user)
    today = client.get("/today/")
    assert b'rel="manifest"' in today.content and b"js/pwa.js" in today.content
    assert today["X-EmotiPal-Offline-Copy"] == "1"
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    assert client.get(f"/homework/{assignment.pk}/")["X-EmotiPal-Offline-Copy"] == "1"
    assert "X-EmotiPal-Offline-Copy" not in client.get("/settings/")
    client.force_login(world.therapist)
    caseload = client.get("/clients/")
    assert b'rel="manifest"' in caseload.content and b"js/pwa.js" not in caseload.content


def test_logging_out_clears_the_device(db: Any, client: Client) -> None:
    world = build_world()
    client.force_login(world.client_a.user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "Clear-Site-Data" not in client.get("/accounts/login/")


def test_the_offline_page_speaks_the_language_asked_for(db: Any, client: Client) -> None:
    assert 'lang="en" dir="ltr"' in client.get("/offline/").content.decode()
    spanish = client.get("/offline/?lang=es").content.decode()
    assert 'lang="es" dir="ltr"' in spanish
    arabic = client.get("/offline/?lang=ar").content.decode()
    assert 'lang="ar" dir="rtl"' in arabic
    # Anything else is the default language, never an error or a language we do not have.
    assert 'lang="en" dir="ltr"' in client.get("/offline/?lang=xx%3Cscript").content.decode()


def test_the_worker_carries_the_outbox_and_an_offline_page_per_language(db: Any, client: Client) -> None:
    text = client.get("/sw.js").content.decode()
    imports = json.loads(text.split("var IMPORTS = ", 1)[1].split(";", 1)[0])
    # The store first: the Background Sync handler uses it.
    assert [Path(i).name for i in imports] == ["outbox-store.js", "outbox-sw.js", "push-sw.js"]
    pages = json.loads(text.split("var OFFLINE_PAGES = ", 1)[1].split(";", 1)[0])
    assert pages == {code: f"/offline/?lang={code}" for code in ("en", "es", "ar")}
    shell = json.loads(text.split("var SHELL_FILES = ", 1)[1].split(";", 1)[0])
    assert set(pages.values()) <= set(shell) and any(s.endswith("outbox-store.js") for s in shell)
