"""The durable outbox (static/js/outbox-store.js, IndexedDB): offline, the client opens Today, does two
exercises and sends them; the entries wait on the phone, survive a reload and a closed page, and arrive
exactly once when the connection is back. A send the server refuses stays on the phone with its reason until
the client deletes it; logging out warns about unsent entries, then leaves nothing on the phone. At 375 px,
in English, Spanish and Arabic."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import BrowserContext, Page, expect

from emotipal.homework import services
from emotipal.homework.models import Entry
from tests.browser.test_offline_send import fill_exposure, fill_thought_record, go_offline, go_online
from tests.browser_helpers import PHONE, log_in, open_menu, queued_entries, wait_for_worker, wait_until
from tests.factories import build_world, plan_for

LANGUAGES = ["en", "es", "ar"]
SEND = "#submit-entry"


def waiting(language: str, n: int) -> str:
    """The status line as the server's catalogue words it (the page carries the plural forms)."""
    with translation.override(language):
        return ngettext("%(n)s entry waiting to be sent", "%(n)s entries waiting to be sent", n) % {"n": n}


def sent(language: str, title: str) -> str:
    with translation.override(language):
        return gettext("Sent: %(title)s") % {"title": title}


def submitted(assignment: Any) -> list[Entry]:
    return list(Entry.objects.filter(assignment=assignment, status=Entry.Status.SUBMITTED))


def client_world(language: str) -> Any:
    world = build_world()
    user = world.client_a.user
    user.language = language
    user.save()
    return world


def start(
    context: BrowserContext, base: str, email: str, language: str, urls: list[str], worker: bool = True
) -> Page:
    """Logged in, with the worker active and Today and the exercises opened once, as on a phone in use."""
    page = context.new_page()
    log_in(page, base, email)
    if worker:
        wait_for_worker(page)
    for url in [f"{base}/today/", *urls]:
        page.goto(url)
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    return page


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_two_offline_exercises_after_a_closed_page_arrive_once(
    transactional_db: Any, live_server: Any, browser: Any, language: str
) -> None:
    world = client_world(language)
    record = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    exposure = services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    urls = [f"{base}/homework/{record.pk}/", f"{base}/homework/{exposure.pk}/"]
    page = start(context, base, world.client_a.user.email, language, urls)

    go_offline(context, live_server)
    page.goto(f"{base}/today/")  # Today opens without a connection (the worker's copy)
    expect(page.locator(f"a[href='/homework/{record.pk}/']").first).to_be_visible()
    page.goto(urls[0])
    record_title = page.locator("h1").inner_text()
    fill_thought_record(page)
    page.locator(SEND).click()
    expect(page.locator("#outbox-status")).to_have_text(waiting(language, 1))
    page.goto(urls[1])
    exposure_title = page.locator("h1").inner_text()
    fill_exposure(page)
    page.locator(SEND).click()
    expect(page.locator("#outbox-status")).to_have_text(waiting(language, 2))
    fits(page)

    # A reload without a connection still has both, with their keys.
    page.goto(f"{base}/today/")
    expect(page.locator("#outbox-status")).to_have_text(waiting(language, 2))
    queue = queued_entries(page)
    assert sorted(i["assignment"] for i in queue) == sorted([str(record.pk), str(exposure.pk)])
    assert all(i["key"] and i["user"] == str(world.client_a.user.pk) and i["queuedAt"] for i in queue)
    keys = {i["assignment"]: i["key"] for i in queue}
    page.close()
    assert submitted(record) == [] and submitted(exposure) == []

    # Back online, a new page (or the worker's Background Sync, whichever is first) sends each once.
    go_online(context, live_server)
    today = context.new_page()
    today.goto(f"{base}/today/")
    status = today.locator("#outbox-status")
    expect(status).to_contain_text(sent(language, record_title), timeout=15_000)
    expect(status).to_contain_text(sent(language, exposure_title))
    expect(status).not_to_contain_text(waiting(language, 1))
    assert queued_entries(today) == []
    [record_entry] = submitted(record)
    [exposure_entry] = submitted(exposure)
    assert record_entry.idempotency_key == keys[str(record.pk)]
    assert exposure_entry.idempotency_key == keys[str(exposure.pk)]
    assert record_entry.answers["situation"] == "Bus home, phone had no signal"
    assert exposure_entry.answers["suds_peak"] == 80
    fits(today)

    # Said once: the next page does not announce them again, and nothing is sent twice.
    today.goto(f"{base}/today/")
    today.wait_for_load_state("networkidle")
    expect(today.locator("#outbox-status")).to_be_hidden()
    assert len(submitted(record)) == 1 and len(submitted(exposure)) == 1
    context.close()


def test_entries_from_the_localstorage_outbox_move_over_and_arrive_once(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = client_world("en")
    record = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    page = start(context, base, world.client_a.user.email, "en", [])
    key = "7c1d2a6e-4b0f-4a53-9d55-0c6b8f1e2a11"
    values = [
        ["idempotency_key", key],
        ["a.situation", "Queued by the first version"],
        ["a.emotions.0.emotion", "Worry"],
        ["a.emotions.0.intensity", "70"],
        ["a.thoughts.0.thought", "Nobody will answer my message"],
        ["a.thoughts.0.belief", "65"],
        ["effort", "2"],
    ]
    # As the localStorage version kept it (no title yet).
    old = {
        "key": key,
        "user": str(world.client_a.user.pk),
        "assignment": str(record.pk),
        "url": f"/homework/{record.pk}/",
        "values": values,
        "queuedAt": 1,
    }
    page.evaluate("item => localStorage.setItem('emotipal-outbox', JSON.stringify([item]))", old)
    page.goto(f"{base}/today/")
    # Moved to IndexedDB with its key, then sent once and removed from the phone.
    expect(page.locator("#outbox-status")).to_be_hidden()
    wait_until(page, "key => window.EmotiPalOutboxStore.sentTo(key).then(r => r !== null)", key)
    # The receipt is written just before the entry leaves the queue (a receipt without the entry gone is
    # harmless; the other way round a tab could miss where its send landed).
    wait_until(page, "() => window.EmotiPalOutboxStore.all().then(items => items.length === 0)")
    assert page.evaluate("localStorage.getItem('emotipal-outbox')") is None
    assert queued_entries(page) == []
    [entry] = submitted(record)
    assert entry.idempotency_key == key and entry.answers["situation"] == "Queued by the first version"
    context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_entry_the_server_refuses_stays_with_its_reason_until_deleted(
    transactional_db: Any, live_server: Any, browser: Any, language: str
) -> None:
    world = client_world(language)
    record = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    url = f"{base}/homework/{record.pk}/"
    page = start(context, base, world.client_a.user.email, language, [url])
    title = page.locator("h1").inner_text()

    go_offline(context, live_server)
    fill_thought_record(page)
    page.fill("[name='a.emotions.0.intensity']", "500")  # out of range: only the server can say so offline
    page.locator(SEND).click()
    expect(page.locator("#outbox-status")).to_have_text(waiting(language, 1))
    page.close()

    go_online(context, live_server)
    today = context.new_page()
    today.goto(f"{base}/today/")
    refused = today.locator("#outbox-attention li")
    expect(refused).to_have_count(1, timeout=15_000)
    with translation.override(language):
        expect(refused).to_contain_text(gettext("Not sent: %(title)s") % {"title": title})
    reason = refused.locator(".outbox-reason").inner_text()
    assert reason  # the server's own words (its form error), not an empty line
    # Kept on the phone with everything typed, not retried, and nothing on the server.
    [item] = queued_entries(today)
    assert item["attention"]["code"] == 400
    assert ["a.situation", "Bus home, phone had no signal"] in item["values"]
    assert submitted(record) == []
    expect(today.locator("#outbox-status")).to_be_hidden()  # nothing *waiting*: it needs the client
    fits(today)
    today.reload()
    expect(today.locator("#outbox-attention li")).to_have_count(1)

    today.once("dialog", lambda dialog: dialog.accept())
    refused.locator("button").click()
    expect(today.locator("#outbox-attention")).to_be_hidden()
    assert queued_entries(today) == []
    assert submitted(record) == []
    context.close()


def queue_one_send(context: BrowserContext, page: Page, url: str) -> None:
    """Online, but the exercise's send does not get through (a captive portal, a flaky network). These
    contexts run without the service worker, whose Background Sync would send it past the test's route."""
    context.route(
        "**/homework/*/",
        lambda route: (
            route.abort("internetdisconnected") if route.request.method == "POST" else route.fallback()
        ),
    )
    page.goto(url)
    fill_thought_record(page)
    page.locator(SEND).click()
    expect(page.locator("#outbox-status")).to_contain_text("1")


@pytest.mark.parametrize("language", LANGUAGES)
def test_logging_out_warns_about_unsent_entries_and_can_send_them_first(
    transactional_db: Any, live_server: Any, browser: Any, language: str
) -> None:
    world = client_world(language)
    record = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    base = live_server.url
    context = browser.new_context(viewport=PHONE, service_workers="block")
    url = f"{base}/homework/{record.pk}/"
    page = start(context, base, world.client_a.user.email, language, [], worker=False)
    queue_one_send(context, page, url)
    page.goto(f"{base}/today/")

    # From the folded phone menu: the warning shows, and "Stay logged in" keeps everything.
    open_menu(page)
    page.locator("form[data-clears-device] button").click()
    dialog = page.locator("#logout-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#logout-dialog-count")).to_have_text(waiting(language, 1))
    fits(page)
    page.locator("[data-logout=stay]").click()
    expect(dialog).to_be_hidden()
    assert len(queued_entries(page)) == 1
    assert page.url.endswith("/today/")

    # The connection is back: "Try to send now" sends it, then logs out and clears the phone.
    open_menu(page)
    page.locator("form[data-clears-device] button").click()
    expect(dialog).to_be_visible()
    context.unroute("**/homework/*/")
    page.locator("[data-logout=send]").click()
    page.wait_for_url("**/accounts/login/")
    assert len(submitted(record)) == 1
    assert page.evaluate("indexedDB.databases().then(dbs => dbs.map(db => db.name))") == []
    assert page.evaluate("caches.keys()") == []
    context.close()


def test_log_out_anyway_deletes_the_unsent_entry_from_the_phone(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = client_world("en")
    record = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    base = live_server.url
    context = browser.new_context(viewport=PHONE, service_workers="block")
    url = f"{base}/homework/{record.pk}/"
    page = start(context, base, world.client_a.user.email, "en", [], worker=False)
    queue_one_send(context, page, url)

    open_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("dialog")).to_contain_text("Some entries have not been sent yet")
    page.get_by_role("button", name="Delete them and log out").click()
    page.wait_for_url("**/accounts/login/")
    assert page.evaluate("indexedDB.databases().then(dbs => dbs.map(db => db.name))") == []
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("localStorage.length") == 0
    assert submitted(record) == []
    context.close()


def test_the_worker_sends_with_background_sync_when_no_page_is_open(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = client_world("en")
    record = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    url = f"{base}/homework/{record.pk}/"
    page = start(context, base, world.client_a.user.email, "en", [url])
    go_offline(context, live_server)
    fill_thought_record(page)
    page.locator(SEND).click()
    expect(page.locator("#outbox-status")).to_have_text(waiting("en", 1))
    [item] = queued_entries(page)
    page.goto("about:blank")  # no page of the app is open: only the worker can send it now
    cdp = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    go_online(context, live_server)
    deadline = time.monotonic() + 15
    while not submitted(record) and time.monotonic() < deadline:
        # Chromium fires the sync by itself when the connection is back; this only makes it not wait.
        for registration in [r for r in registrations if not r.get("isDeleted")]:
            cdp.send(
                "ServiceWorker.dispatchSyncEvent",
                {
                    "origin": base,
                    "registrationId": registration["registrationId"],
                    "tag": "emotipal-outbox",
                    "lastChance": False,
                },
            )
        page.wait_for_timeout(500)
    [entry] = submitted(record)
    assert entry.idempotency_key == item["key"]

    # The next page of the app says it was sent, once, and nothing is left on the phone.
    page.goto(f"{base}/today/")
    title = record.template_version.title
    expect(page.locator("#outbox-status")).to_have_text(sent("en", title))
    assert queued_entries(page) == []
    page.reload()
    expect(page.locator("#outbox-status")).to_be_hidden()
    assert len(submitted(record)) == 1
    context.close()


def test_a_refused_send_on_its_own_page_keeps_the_fixes_until_sent(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = client_world("en")
    record = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    base = live_server.url
    context = browser.new_context(viewport=PHONE)
    url = f"{base}/homework/{record.pk}/"
    page = start(context, base, world.client_a.user.email, "en", [url])
    fill_thought_record(page)
    page.fill("[name='a.emotions.0.intensity']", "500")
    page.locator(SEND).click()
    expect(page.locator("#form-error")).to_be_visible()
    [item] = queued_entries(page)
    assert item["attention"]["code"] == 400

    # The fix is kept on the phone with the refused entry: a reload shows it, still to be sent.
    page.fill("[name='a.emotions.0.intensity']", "70")
    wait_until(
        page,
        "() => window.EmotiPalOutboxStore.all().then(items => items.length === 1 && items[0].values"
        ".some(pair => pair[0] === 'a.emotions.0.intensity' && pair[1] === '70'))",
    )
    page.reload()
    expect(page.locator("[name='a.emotions.0.intensity']")).to_have_value("70")
    expect(page.locator("#form-error")).to_be_visible()
    assert submitted(record) == []

    page.locator(SEND).click()
    page.wait_for_url("**/my/entries/*/?sent=1")
    [entry] = submitted(record)
    assert entry.idempotency_key == item["key"] and entry.answers["emotions"][0]["intensity"] == 70
    assert queued_entries(page) == []
    context.close()
