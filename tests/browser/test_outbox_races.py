"""The outbox's page state against IndexedDB's timing (static/js/outbox.js): what the page says waits on the
phone is what is written there. The store's reads and writes are held open from the test, so each race is
played out in one order, not left to the machine's speed."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from emotipal.homework import services
from tests.browser.test_offline_outbox import client_world, submitted, waiting
from tests.browser.test_offline_send import fill_thought_record, go_offline
from tests.browser_helpers import PHONE, log_in, queued_entries, wait_until
from tests.factories import plan_for

# Each call of the store's all() reads at once but hands its result over only when the test releases it.
HOLD_READS = """() => {
  const store = window.EmotiPalOutboxStore;
  const read = store.all;
  window.heldReads = [];
  window.readAtOnce = () => { store.all = read; };
  store.all = () => read().then(items => new Promise(resolve => window.heldReads.push(() => resolve(items))));
}"""
RELEASE_READS = (
    "() => { const held = window.heldReads.splice(0); held.forEach(r => r()); return held.length; }"
)
# Each write of a send waits until the test releases it.
HOLD_WRITES = """() => {
  const store = window.EmotiPalOutboxStore;
  const write = store.put;
  window.heldWrites = [];
  store.put = item => new Promise(resolve => window.heldWrites.push(resolve)).then(() => write(item));
}"""


def _open_exercise(world: Any, live_server: Any, browser: Any) -> Any:
    record = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    log_in(page, live_server.url, world.client_a.user.email)
    page.goto(f"{live_server.url}/homework/{record.pk}/")
    page.evaluate("window.EmotiPalOutbox.ready")
    go_offline(context, live_server)
    return context, page


def test_a_send_is_said_to_wait_only_once_it_is_written_on_the_phone(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = client_world("en")
    context, page = _open_exercise(world, live_server, browser)
    page.evaluate(HOLD_WRITES)
    fill_thought_record(page)
    page.locator("#submit-entry").click()
    wait_until(page, "() => window.heldWrites.length === 1")
    # Closing the page now would lose it: the page must not have promised it is kept.
    expect(page.locator("#outbox-status")).to_be_hidden()
    page.evaluate("() => window.heldWrites.splice(0).forEach(r => r())")
    expect(page.locator("#outbox-status")).to_have_text(waiting("en", 1))
    assert len(queued_entries(page)) == 1
    context.close()


def test_a_read_that_began_before_a_send_does_not_hide_it(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = client_world("en")
    context, page = _open_exercise(world, live_server, browser)
    fill_thought_record(page)
    page.locator("#submit-entry").click()
    expect(page.locator("#outbox-status")).to_have_text(waiting("en", 1))

    page.evaluate(HOLD_READS)
    page.evaluate("() => { window.EmotiPalOutbox.flush(); }")  # tries (offline), then reads the queue
    wait_until(page, "() => window.heldReads.length === 1")
    # A second send lands while that read (one entry) is on its way back.
    page.evaluate(
        """user => window.EmotiPalOutbox.put({key: "b6f1c1de-0d0e-4a57-8a35-2f2b1f6d9c01", user: user,
             assignment: "0", url: "/homework/0/", title: "Second", values: [], queuedAt: 1})""",
        str(world.client_a.user.pk),
    )
    expect(page.locator("#outbox-status")).to_have_text(waiting("en", 2))
    # That read comes back: it must not replace the newer state (any read the page makes again stays held,
    # so what shows now is what the stale read left).
    assert page.evaluate(RELEASE_READS) == 1
    page.wait_for_timeout(300)
    expect(page.locator("#outbox-status")).to_have_text(waiting("en", 2), timeout=100)
    page.evaluate("() => { window.readAtOnce(); window.heldReads.splice(0).forEach(r => r()); }")
    expect(page.locator("#outbox-status")).to_have_text(waiting("en", 2))
    assert len(queued_entries(page)) == 2
    context.close()


def test_a_send_that_hangs_gives_way_to_the_next_try(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = client_world("en")
    record = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    log_in(page, live_server.url, world.client_a.user.email)
    page.goto(f"{live_server.url}/homework/{record.pk}/")
    hung: list[Any] = []  # a captive portal: the request goes out and no answer ever comes

    def hang(route: Any) -> None:
        if route.request.method == "POST" and not hung:
            hung.append(route)
        else:
            route.fallback()

    context.route("**/homework/*/", hang)
    fill_thought_record(page)
    page.locator("#submit-entry").click()
    _poll(page, lambda: len(hung) == 1, seconds=10)
    # The next try (the connection works again) must not wait behind the hung one for ever: the hung send
    # gives up, stays queued, and is sent again with its key.
    page.evaluate("() => { window.EmotiPalOutbox.flush(); }")
    _poll(page, lambda: len(submitted(record)) == 1, seconds=30)
    context.close()


def _poll(page: Any, done: Any, seconds: float) -> None:
    """Waits on the test's side (the page's events, and so Playwright's route handlers, keep running)."""
    for _ in range(int(seconds * 10)):
        if done():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"not within {seconds} s")
