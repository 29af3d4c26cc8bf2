"""Exports, role changes, staff invitations, the clinic policy and new API tokens need a recent login: with a
login older than ACCOUNT_REAUTHENTICATION_TIMEOUT the page sends the person to confirm their password, changes
nothing, and carries on right after (a download is fetched, a posted form is replayed by allauth). The API asks
the same of a browser session (403 with the reason) and not of a token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from django.test import Client

from emotipal.accounts import services
from emotipal.accounts.models import ApiToken, ClientProfile, Invitation, Membership, Role
from emotipal.research.models import JobStatus, StudyExport, StudyRole
from tests.factories import PASSWORD, World, stale_login
from tests.research.experiment_factory import enrol, make_experiment, place_in_arm
from tests.research.study_factory import make_participant, make_study
from tests.research.team_factory import join, researcher_at


@pytest.fixture(autouse=True)
def fresh_rate_limits(db: Any) -> None:
    """allauth allows 10 password confirmations a minute per user (its cache); these tests confirm often, and
    the same user ids come back in every test."""
    cache.clear()


def reauth_url(path: str) -> str:
    return f"/accounts/reauthenticate/?next={quote(path, safe='')}"


def confirm_password(http: Client, path: str) -> Any:
    return http.post(f"/accounts/reauthenticate/?{urlencode({'next': path})}", {"password": PASSWORD})


def stale(world: World, user: Any) -> Client:
    http = world.login(user)
    stale_login(http)
    return http


@dataclass
class Guarded:
    """A guarded POST: who, where, what is posted, and whether its change has been made."""

    actor: str
    path: Callable[[World], str]
    data: Callable[[World], dict[str, Any]]
    done: Callable[[World], bool]


def _spare(world: World) -> Membership:
    return Membership.objects.get(user=world.colleague, role=Role.THERAPIST)


def _deactivated_spare(world: World) -> str:
    services.deactivate_membership(world.admin, world.clinic, _spare(world).pk)
    return f"/clinic/staff/{_spare(world).pk}/reactivate/"


def _staff_invitation(world: World) -> str:
    new = services.invite(
        clinic=world.clinic, email="new.staff@example.org", role=Role.THERAPIST, invited_by=world.admin
    )
    return f"/clinic/invitations/{new.invitation.pk}/resend/"


POSTS = {
    "deactivate a role": Guarded(
        "admin",
        lambda w: f"/clinic/staff/{_spare(w).pk}/deactivate/",
        lambda w: {},
        lambda w: _spare(w).deactivated_at is not None,
    ),
    "reactivate a role": Guarded(
        "admin", _deactivated_spare, lambda w: {}, lambda w: _spare(w).deactivated_at is None
    ),
    "add a role": Guarded(
        "admin",
        lambda w: "/clinic/staff/add-role/",
        lambda w: {"person": w.colleague.pk, "role": Role.RESEARCHER},
        lambda w: Membership.objects.filter(user=w.colleague, role=Role.RESEARCHER).exists(),
    ),
    "remove a role": Guarded(
        "admin",
        lambda w: f"/clinic/staff/{Membership.objects.get(user=w.researcher).pk}/remove/",
        lambda w: {},
        lambda w: not Membership.objects.filter(user=w.researcher).exists(),
    ),
    "move a client": Guarded(
        "admin",
        lambda w: "/clinic/clients/reassign/",
        lambda w: {"client": w.client_b.pk, "therapist": w.colleague.pk},
        lambda w: ClientProfile.objects.get(pk=w.client_b.pk).therapist_id == w.colleague.pk,
    ),
    "invite staff": Guarded(
        "admin",
        lambda w: "/clinic/",
        lambda w: {"action": "invite", "email": "new.admin@example.org", "role": Role.ADMIN},
        lambda w: Invitation.objects.filter(email="new.admin@example.org").exists(),
    ),
    "clinic policy": Guarded(
        "admin",
        lambda w: "/clinic/",
        lambda w: {"action": "policy", "require_staff_mfa": "on", "staff_idle_minutes": "20"},
        lambda w: type(w.clinic).objects.get(pk=w.clinic.pk).staff_idle_minutes == 20,
    ),
    "create an API token": Guarded(
        "therapist",
        lambda w: "/settings/tokens/",
        lambda w: {"name": "my script", "days_valid": "30"},
        lambda w: ApiToken.objects.filter(user=w.therapist, name="my script").exists(),
    ),
}


@pytest.mark.parametrize("name", POSTS)
def test_a_guarded_change_asks_for_the_password_then_is_made(world: World, name: str) -> None:
    case = POSTS[name]
    path = case.path(world)
    http = stale(world, getattr(world, case.actor))
    response = http.post(path, case.data(world))
    assert response.status_code == 302 and response["Location"] == reauth_url(path), name
    assert not case.done(world), name
    assert http.get(response["Location"]).status_code == 200  # the password page, in EmotiPal's layout
    replayed = confirm_password(http, path)
    assert replayed.status_code in {200, 302}, name
    assert case.done(world), name


def test_a_resent_staff_link_needs_the_password_too(world: World) -> None:
    path = _staff_invitation(world)
    first = Invitation.objects.get(email="new.staff@example.org").token_hash
    http = stale(world, world.admin)
    assert http.post(path)["Location"] == reauth_url(path)
    assert Invitation.objects.get(email="new.staff@example.org").token_hash == first
    page = confirm_password(http, path)
    assert page.status_code == 200 and b'id="invite-link"' in page.content  # the new link, shown once
    assert Invitation.objects.get(email="new.staff@example.org").token_hash != first


def test_a_client_invitation_and_revoking_do_not_ask(world: World) -> None:
    http = stale(world, world.admin)
    data = {
        "action": "invite",
        "email": "new.client@example.org",
        "role": "client",
        "therapist": world.therapist.pk,
    }
    assert http.post("/clinic/", data).status_code == 200
    invitation = Invitation.objects.get(email="new.client@example.org")
    assert http.post(f"/clinic/invitations/{invitation.pk}/revoke/").status_code == 302
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None


@pytest.mark.parametrize("path", ["/clinic/audit.csv?action=auth.login", "/clinic/export/compliance.csv"])
def test_a_clinic_download_asks_for_the_password_then_downloads(world: World, path: str) -> None:
    http = stale(world, world.admin)
    response = http.get(path)
    assert response.status_code == 302 and response["Location"] == reauth_url(path)
    back = confirm_password(http, path)
    assert back.status_code == 302 and back["Location"] == path
    download = http.get(path)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")


def test_a_fresh_login_passes_at_once(world: World) -> None:
    http = world.login(None)
    assert (
        http.post("/accounts/login/", {"login": world.admin.email, "password": PASSWORD}).status_code == 302
    )
    assert http.get("/clinic/export/compliance.csv").status_code == 200
    # A password confirmed a moment ago counts as well as the login itself.
    stale_login(http)
    assert http.get("/clinic/export/compliance.csv").status_code == 302
    assert confirm_password(http, "/").status_code == 302
    assert http.get("/clinic/export/compliance.csv").status_code == 200


def test_someone_refused_is_refused_before_any_password_prompt(world: World) -> None:
    assert stale(world, world.therapist).get("/clinic/audit.csv").status_code == 403
    assert (
        stale(world, world.therapist).post(f"/clinic/staff/{_spare(world).pk}/deactivate/").status_code == 403
    )


@pytest.fixture
def study_export(world: World, settings: Any, tmp_path: Path) -> StudyExport:
    settings.EMOTIPAL_EXPORT_ROOT = tmp_path
    folder = tmp_path / "export-1"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "participants.csv").write_text("participant_id,state\n")
    study = make_study(world, "recent-login-study")
    return StudyExport.objects.create(
        study=study, requested_by=world.researcher, status=JobStatus.DONE, folder=str(folder)
    )


def test_a_research_export_download_asks_on_the_page_and_of_a_session_in_the_api(
    world: World, study_export: StudyExport
) -> None:
    slug = study_export.study.slug
    page = f"/research/studies/{slug}/exports/{study_export.pk}/download/"
    api = f"/api/v1/research/studies/{slug}/exports/{study_export.pk}/download"
    http = stale(world, world.researcher)
    assert http.get(page)["Location"] == reauth_url(page)
    refused = http.get(api)
    assert refused.status_code == 403 and "Confirm your password first" in refused.json()["detail"]
    assert confirm_password(http, page)["Location"] == page
    assert http.get(page)["Content-Type"] == "application/zip"
    assert http.get(api).status_code == 200
    # A token is not a session: it is not asked (it was made after this proof, and it expires).
    token = services.create_api_token(world.researcher, "exports")
    assert world.login(None).get(api, HTTP_AUTHORIZATION=f"Bearer {token.secret}").status_code == 200


def test_the_allocation_log_asks_on_the_page_and_of_a_session_in_the_api(world: World) -> None:
    study = make_study(world, "recent-login-log")
    statistician = researcher_at(world.clinic, "stats@example.org", "Sam Stats")
    join(study, statistician, StudyRole.STATISTICIAN)
    participant = enrol(make_participant(world, study, world.client_a))
    experiment = make_experiment(study)
    place_in_arm(experiment, participant, "on")
    page = f"/research/studies/{study.slug}/experiments/{experiment.pk}/allocation-log.json"
    api = f"/api/v1/research/studies/{study.slug}/experiments/{experiment.pk}/allocation-log"
    http = stale(world, statistician)
    assert http.get(page)["Location"] == reauth_url(page)
    assert http.get(api).status_code == 403
    confirm_password(http, page)
    assert http.get(page).status_code == 200 and http.get(api).status_code == 200


def test_a_new_token_through_the_api_asks_a_stale_session_not_a_token(world: World) -> None:
    http = stale(world, world.therapist)
    refused = http.post("/api/v1/tokens", {"name": "cli"}, content_type="application/json")
    assert refused.status_code == 403 and "/accounts/reauthenticate/" in refused.json()["detail"]
    assert not ApiToken.objects.exists()
    parent = services.create_api_token(world.therapist, "parent")
    made = world.login(None).post(
        "/api/v1/tokens",
        {"name": "cli"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {parent.secret}",
    )
    assert made.status_code == 201
