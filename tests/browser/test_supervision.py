"""The supervisor sees the competence figures move: a supervisee sets fully planned homework, and the plan-phase
figure of the current month on the supervisee's page goes up (Chromium, laptop and phone widths)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from emotipal.supervision.charts import month_label
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world
from tests.supervision.helpers import guided_assignment, supervisor_of

LAPTOP = {"width": 1280, "height": 900}


def _plan_share_this_month(page: Page) -> str:
    figure = page.locator("#chart-competence-figure")
    figure.locator("summary").click()
    row = figure.locator("tbody tr", has_text=month_label(timezone.localdate()))
    return row.locator("td").nth(3).inner_text()  # Homework set, Review, Design, Plan


def test_supervisor_sees_the_plan_figure_rise(transactional_db: Any, live_server: Any, browser: Any) -> None:
    world = build_world()
    supervisor = supervisor_of(world)
    guided_assignment(world, goal="")  # set without any of the plan steps
    base = live_server.url

    page = browser.new_page(viewport=LAPTOP)
    log_in(page, base, supervisor.email)
    expect(page).to_have_url(f"{base}/supervision/")
    page.get_by_role("link", name=world.therapist.display_name).click()
    expect(page.get_by_role("heading", name=world.therapist.display_name)).to_be_visible()
    expect(page.locator("#chart-competence svg, #chart-competence canvas").first).to_be_visible()
    assert _plan_share_this_month(page) == "0%"

    guided_assignment(world)  # the therapist sets homework with every plan step
    page.reload()
    assert _plan_share_this_month(page) == "50%"  # pooled over the month's two homework

    phone = browser.new_page(viewport=PHONE)
    log_in(phone, base, supervisor.email)
    phone.goto(f"{base}/supervision/therapists/{world.therapist.pk}/")
    assert _plan_share_this_month(phone) == "50%"
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
