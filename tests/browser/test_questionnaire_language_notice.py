"""At 375 px in Spanish and Arabic: the PHQ-9 without a checked translation says it is offered in English only,
its wording is marked as English (left to right inside a right-to-left page), and the risk path still works."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from emotipal.measures import services
from emotipal.measures.models import Instrument, Response
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world


@pytest.mark.parametrize(("language", "page_dir"), [("es", "ltr"), ("ar", "rtl")])
def test_english_only_notice_on_a_phone(
    transactional_db: Any, live_server: Any, browser: Any, language: str, page_dir: str
) -> None:
    world = build_world()
    user = world.client_a.user
    user.language = language
    user.save()
    response = services.ask_now(
        world.therapist, world.client_a, Instrument.objects.get(key="phq9", clinic=None)
    )
    base = live_server.url

    page = browser.new_page(viewport=PHONE)
    log_in(page, base, user.email)
    page.goto(f"{base}/questionnaires/{response.pk}/")
    assert page.evaluate("document.documentElement.dir") == page_dir
    notice = page.locator("#language-notice")
    expect(notice).to_be_visible()
    assert notice.bounding_box()["width"] <= PHONE["width"]  # type: ignore[index]
    wording = page.locator("#questionnaire-wording")
    assert (wording.get_attribute("lang"), wording.get_attribute("dir")) == ("en", "ltr")
    assert wording.evaluate("e => getComputedStyle(e).direction") == "ltr"
    # The items too: a screen reader reads "Little interest ..." as English.
    first = page.locator("#item-phq9_1")
    assert first.evaluate("e => e.closest('[lang]').getAttribute('lang')") == "en"
    for i in range(1, 10):
        page.locator(f"#item-phq9_{i} input[value='{1 if i == 9 else 0}']").check()
    page.locator("button[name=action][value=submit]").click()
    page.wait_for_url(lambda url: "/help/" in url)  # the risk answer leads straight to help
    answered = Response.objects.get(pk=response.pk)
    assert answered.language == "en" and answered.status == Response.Status.COMPLETED
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
