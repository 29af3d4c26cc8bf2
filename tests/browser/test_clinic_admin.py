"""The clinic admin page in Chromium: revoke one invitation, send another a new link and copy it with the
button, deactivate a therapist (who then has no access), and move a client to another therapist."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from emotipal.accounts import services
from emotipal.accounts.models import ClientProfile, Membership, Role
from tests.browser_helpers import PHONE, log_in
from tests.factories import build_world


def test_admin_revokes_resends_copies_deactivates_and_reassigns(
    transactional_db: Any, live_server: Any, browser: Any
) -> None:
    world = build_world()
    revoked = services.invite(
        clinic=world.clinic, email="gone@example.org", role=Role.THERAPIST, invited_by=world.admin
    )
    resent = services.invite(
        clinic=world.clinic, email="again@example.org", role=Role.THERAPIST, invited_by=world.admin
    )
    base = live_server.url
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    log_in(page, base, world.admin.email)
    page.goto(f"{base}/clinic/")

    page.get_by_role("button", name="Revoke the invitation of gone@example.org").click()
    expect(page.get_by_text("Invitation revoked.")).to_be_visible()
    expect(page.locator(f"#invitation-{revoked.invitation.pk}")).to_contain_text("revoked")

    page.get_by_role("button", name="Send a new link (again@example.org)").click()
    expect(page.get_by_text("The previous link no longer works.")).to_be_visible()
    link = page.locator("#invite-link").input_value()
    assert "/invite/" in link and link != resent.url
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link

    visitor = browser.new_page(viewport=PHONE)

    # The links name the configured site; here they are opened on the live test server.
    def local(url: str) -> str:
        return base + "/invite/" + url.split("/invite/", 1)[1]

    visitor.goto(local(revoked.url))
    expect(visitor.get_by_text("This invitation was withdrawn by the clinic.")).to_be_visible()
    visitor.goto(local(resent.url))
    expect(visitor.get_by_text("This invitation link is not valid.")).to_be_visible()
    visitor.goto(local(link))
    expect(visitor.get_by_label("Choose a password")).to_be_visible()

    page.get_by_role("button", name="Deactivate Cole Colleague (Therapist)").click()
    expect(page.get_by_text("Role deactivated.")).to_be_visible()
    colleague_role = Membership.objects.get(user=world.colleague, role=Role.THERAPIST)
    expect(page.locator(f"#membership-{colleague_role.pk}")).to_contain_text("deactivated")
    colleague = browser.new_page(viewport=PHONE)
    log_in(colleague, base, world.colleague.email)
    assert colleague.goto(f"{base}/clients/").status == 403

    page.get_by_role("combobox", name="Client").select_option(label="Ana Client (now with Tess Therapist)")
    # The deactivated colleague is not offered; move Ana to a second active therapist.
    assert "Cole Colleague" not in page.get_by_label("New therapist").inner_text()
    page.get_by_role("button", name="Reactivate").click()
    expect(page.get_by_text("Role reactivated.")).to_be_visible()
    page.get_by_role("combobox", name="Client").select_option(label="Ana Client (now with Tess Therapist)")
    page.get_by_label("New therapist").select_option(label="Cole Colleague")
    page.get_by_role("button", name="Reassign").click()
    expect(page.get_by_text("Ana Client is now looked after by Cole Colleague.")).to_be_visible()
    assert ClientProfile.objects.get(pk=world.client_a.pk).therapist_id == world.colleague.pk
    therapist = browser.new_page(viewport=PHONE)
    log_in(therapist, base, world.therapist.email)
    assert therapist.goto(f"{base}/clients/{world.client_a.pk}/").status == 404

    phone = browser.new_page(viewport=PHONE)
    log_in(phone, base, world.admin.email)
    phone.goto(f"{base}/clinic/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
