"""Only a client opens "Download my data", and only for themself; the downloads need a recent login; each
download leaves an audit row that the clinic's audit log shows as the client's own."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.core.cache import cache

from emotipal.accounts import audit_log
from emotipal.platform.audit.models import AuditEvent
from tests.factories import PASSWORD, World, stale_login
from tests.privacy.my_data_factory import fill
from tests.privacy.test_my_data_content import PATHS
from tests.research.team_factory import researcher_at
from tests.support.support_factory import coach_for

PAGE = "/settings/my-data/"


@pytest.fixture(autouse=True)
def fresh_rate_limits(db: Any) -> None:
    """allauth limits password confirmations per user in its cache; user ids repeat between tests."""
    cache.clear()


def _downloads(world: World) -> int:
    return AuditEvent.objects.filter(action="privacy.my_data_download").count()


def test_staff_researchers_support_people_and_strangers_are_refused(world: World) -> None:
    coach, _link = coach_for(world.client_a)
    refused = {
        "therapist": world.therapist,
        "admin": world.admin,
        "researcher": world.researcher,
        "researcher elsewhere": researcher_at(world.other_clinic, "r.other@example.org", "Ola Other"),
        "support person": coach,
    }
    for who, user in refused.items():
        http = world.login(user)
        for path in (PAGE, *PATHS.values()):
            assert http.get(path).status_code == 403, (who, path)
    anonymous = world.login(None)
    for path in (PAGE, *PATHS.values()):
        response = anonymous.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path
    assert _downloads(world) == 0


def test_the_settings_page_links_to_it_for_clients_only(world: World) -> None:
    page = world.login(world.client_a.user).get("/settings/").content.decode()
    assert 'href="/settings/my-data/"' in page and "Download my data" in page
    assert 'href="/settings/my-data/"' not in world.login(world.therapist).get("/settings/").content.decode()
    mine = world.login(world.client_a.user).get(PAGE)
    assert mine.status_code == 200
    for path in PATHS.values():
        assert f'href="{path}"' in mine.content.decode()


def test_each_download_is_audited_and_shows_in_the_clinic_log_as_the_clients_own(world: World) -> None:
    http = world.login(world.client_a.user)
    http.get(PAGE)
    assert _downloads(world) == 0  # reading the explanation downloads nothing
    for path in PATHS.values():
        assert http.get(path).status_code == 200
    rows = AuditEvent.objects.filter(action="privacy.my_data_download").order_by("pk")
    assert [r.detail for r in rows] == [{"format": "html"}, {"format": "json"}, {"format": "fhir"}]
    user = world.client_a.user
    assert {(r.actor_id, r.subject_user_id, r.clinic_id) for r in rows} == {
        (user.pk, user.pk, world.clinic.pk)
    }
    log = audit_log.log_rows(world.clinic, audit_log.clinic_events(world.clinic, audit_log.LogFilters()))
    mine = [r for r in log if r.action == "privacy.my_data_download"]
    assert len(mine) == 3 and {(r.who, r.roles, r.client) for r in mine} == {
        (user.display_name, "the client", user.display_name)
    }
    assert audit_log.read_label("privacy.my_data_download") == "A copy of all your data, downloaded"
    # The clinic admin's page lists it; another clinic's log does not.
    admin_page = world.login(world.admin).get("/clinic/audit/?action=privacy.my_data_download")
    assert admin_page.status_code == 200 and "format=fhir" in admin_page.content.decode()
    assert (
        not audit_log.clinic_events(world.other_clinic, audit_log.LogFilters())
        .filter(action="privacy.my_data_download")
        .exists()
    )


def test_a_download_after_an_old_login_asks_for_the_password_then_downloads(world: World) -> None:
    fill(world, world.client_a, "ALPHA")
    http = world.login(world.client_a.user)
    stale_login(http)
    page = http.get(PAGE)
    assert page.status_code == 200 and "we will ask for your password first" in page.content.decode()
    for path in PATHS.values():
        response = http.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"/accounts/reauthenticate/?next={quote(path, safe='')}"
    assert _downloads(world) == 0
    path = PATHS["html"]
    back = http.post(f"/accounts/reauthenticate/?next={quote(path, safe='')}", {"password": PASSWORD})
    assert back.status_code == 302 and back["Location"] == path
    download = http.get(path)
    assert download.status_code == 200 and "ALPHA situation 0.0" in download.content.decode()
    assert _downloads(world) == 1


def test_the_summary_is_a_file_to_keep_that_loads_and_runs_nothing(world: World) -> None:
    fill(world, world.client_a, "ALPHA")
    response = world.login(world.client_a.user).get(PATHS["html"])
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    body = response.content.decode()
    for outside in ("<script", "<link", "src=", "@import", "url("):
        assert outside not in body, outside
