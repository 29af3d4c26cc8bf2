"""The clinic admin's data-rights pages: the plan is shown before anything happens, a typed confirmation and a
recent login are needed, a hold is placed and lifted there, and bad input changes nothing."""

from __future__ import annotations

from emotipal.accounts.models import ClientProfile, Membership, Role
from emotipal.homework.models import Entry
from emotipal.privacy.models import LegalHold, RetentionPolicy
from tests.factories import World, make_user, stale_login
from tests.privacy.erasure_world import enrolled, give_history


def _url(client: ClientProfile, what: str = "erase") -> str:
    return f"/clinic/data-rights/clients/{client.pk}/{what}/"


def test_the_page_shows_what_a_study_keeps_before_anything_is_erased(world: World) -> None:
    give_history(world, world.client_a)
    enrolled(world, world.client_a)
    page = world.login(world.admin).get(_url(world.client_a))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Which homework helps" in html and "keeps the data its protocol allows" in html
    assert "Free text" in html  # the client did not consent to free text: it will be removed
    assert Entry.objects.filter(assignment__client=world.client_a).count() == 3


def test_a_wrong_confirmation_or_an_old_login_changes_nothing(world: World) -> None:
    give_history(world, world.client_a)
    http = world.login(world.admin)
    wrong = http.post(_url(world.client_a), {"email": "client.b@example.org"})
    assert wrong.status_code == 400 and "not this client" in wrong.content.decode()
    stale_login(http)
    old = http.post(_url(world.client_a), {"email": "client.a@example.org"})
    assert old.status_code == 302 and "reauthenticate" in old["Location"]
    assert ClientProfile.objects.filter(pk=world.client_a.pk).exists()


def test_the_admin_erases_with_the_typed_address(world: World) -> None:
    give_history(world, world.client_a)
    http = world.login(world.admin)
    done = http.post(_url(world.client_a), {"email": " Client.A@example.org "})
    assert done.status_code == 302 and done["Location"] == "/clinic/data-rights/"
    assert not ClientProfile.all_profiles.filter(pk=world.client_a.pk).exists()
    assert "was erased" in http.get("/clinic/data-rights/").content.decode()
    assert http.get(_url(world.client_a)).status_code == 404


def test_a_hold_is_placed_shown_blocks_erasure_and_is_lifted(world: World) -> None:
    http = world.login(world.admin)
    empty = http.post(_url(world.client_a, "hold"), {"action": "place", "reason": "  "})
    assert empty.status_code == 400 and not LegalHold.objects.exists()
    assert (
        http.post(_url(world.client_a, "hold"), {"action": "place", "reason": "Complaint 9"}).status_code
        == 302
    )
    page = http.get(_url(world.client_a)).content.decode()
    assert "Legal hold in force" in page and "Complaint 9" in page and 'id="erase-form"' not in page
    assert "Legal hold" in http.get("/clinic/data-rights/").content.decode()
    refused = http.post(_url(world.client_a), {"email": "client.a@example.org"})
    assert refused.status_code == 409 and ClientProfile.objects.filter(pk=world.client_a.pk).exists()
    assert http.post(_url(world.client_a, "hold"), {"action": "lift"}).status_code == 302
    assert LegalHold.objects.get().lifted_by == world.admin
    again = http.post(_url(world.client_a, "hold"), {"action": "lift"})
    assert again.status_code == 409


def test_only_an_admin_of_the_clients_clinic_opens_it(world: World) -> None:
    other_admin = make_user("admin.elsewhere@example.org", "Ola Admin")
    Membership.objects.create(user=other_admin, clinic=world.other_clinic, role=Role.ADMIN)
    http = world.login(other_admin)
    assert http.get(_url(world.client_a)).status_code == 404
    assert http.post(_url(world.client_a), {"email": "client.a@example.org"}).status_code == 404
    assert http.post(_url(world.client_a, "hold"), {"action": "place", "reason": "x"}).status_code == 404
    assert world.login(world.therapist).get(_url(world.client_a)).status_code == 403
    assert ClientProfile.objects.filter(pk=world.client_a.pk).exists() and not LegalHold.objects.exists()


def test_retention_rules_are_checked_saved_and_previewed(world: World) -> None:
    http = world.login(world.admin)
    bad = http.post("/clinic/data-rights/retention/", {"draft_days": "5", "anonymise_after_years": "x"})
    assert bad.status_code == 400 and not RetentionPolicy.objects.exists()
    saved = http.post("/clinic/data-rights/retention/", {"draft_days": "90", "anonymise_after_years": ""})
    assert saved.status_code == 302
    policy = RetentionPolicy.objects.get(clinic=world.clinic)
    assert (policy.draft_days, policy.anonymise_after_years) == (90, None)
    page = http.get("/clinic/data-rights/").content.decode()
    assert 'id="retention-due"' in page and "The rules have not run yet" in page
    stale_login(http)
    later = http.post("/clinic/data-rights/retention/", {"draft_days": ""})
    assert later.status_code == 302 and "reauthenticate" in later["Location"]
    assert RetentionPolicy.objects.get().draft_days == 90
