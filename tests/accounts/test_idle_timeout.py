"""Sessions end after the clinic's idle timeout: staff after 30 minutes by default (the strictest of their
clinics), clients after 7 days; polling does not count as activity; htmx and the API are answered in their way;
the logout is audited; a clinic admin sets both timeouts on the clinic page."""

from __future__ import annotations

import time

from django.test import Client

from emotipal.accounts import idle
from emotipal.accounts.models import Clinic, Membership, Role
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World

MINUTE = 60
DAY = 24 * 60 * MINUTE


def idle_for(http: Client, seconds: int) -> int:
    """Makes the session's last activity `seconds` old; returns that moment."""
    session = http.session
    moment = int(time.time()) - seconds
    session[idle.SESSION_KEY] = moment
    session.save()
    return moment


def last_activity(http: Client) -> int:
    return int(http.session[idle.SESSION_KEY])


def test_a_login_starts_the_idle_time(world: World) -> None:
    http = world.login(world.therapist)
    assert time.time() - last_activity(http) < 5


def test_staff_are_logged_out_after_30_minutes_and_told_why(world: World) -> None:
    http = world.login(world.therapist)
    idle_for(http, 31 * MINUTE)
    response = http.get("/clients/?sort=name")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fclients%2F%3Fsort%3Dname"
    login_page = http.get(response["Location"])
    assert "You were logged out after 30 minutes without activity." in login_page.content.decode()
    assert "_auth_user_id" not in http.session
    assert http.get("/clients/").status_code == 302  # still logged out
    [event] = AuditEvent.objects.filter(action="auth.idle_logout")
    assert event.actor_id == world.therapist.pk and event.detail == {"minutes": 30}
    assert not AuditEvent.objects.filter(action="auth.logout").exists()


def test_activity_within_the_timeout_keeps_the_session_and_restarts_the_clock(world: World) -> None:
    http = world.login(world.therapist)
    before = idle_for(http, 29 * MINUTE)
    assert http.get("/clients/").status_code == 200
    assert last_activity(http) > before + 28 * MINUTE
    # Within a minute of the last stamp nothing is written (no session write per request).
    recent = idle_for(http, 20)
    assert http.get("/clients/").status_code == 200
    assert last_activity(http) == recent


def test_polling_is_not_activity_but_still_ends_an_idle_session(world: World) -> None:
    http = world.login(world.therapist)
    background = {"HTTP_X_EMOTIPAL_BACKGROUND": "1"}
    before = idle_for(http, 20 * MINUTE)
    assert http.get("/clients/", **background).status_code == 200
    assert last_activity(http) == before
    idle_for(http, 31 * MINUTE)
    assert http.get("/clients/", **background).status_code == 302
    assert "_auth_user_id" not in http.session


def test_the_strictest_active_clinic_applies(world: World) -> None:
    Clinic.objects.filter(pk=world.other_clinic.pk).update(staff_idle_minutes=10)
    membership = Membership.objects.create(
        user=world.therapist, clinic=world.other_clinic, role=Role.THERAPIST
    )
    assert idle.idle_limit_minutes(world.therapist) == 10
    http = world.login(world.therapist)
    idle_for(http, 11 * MINUTE)
    response = http.get("/clients/", follow=True)
    assert "You were logged out after 10 minutes without activity." in response.content.decode()
    # A deactivated role is not the therapist's clinic any more: its timeout no longer applies.
    Membership.objects.filter(pk=membership.pk).update(deactivated_at=world.clinic.created_at)
    http = world.login(world.therapist)
    idle_for(http, 11 * MINUTE)
    assert http.get("/clients/").status_code == 200


def test_clients_have_a_longer_timeout_of_their_clinic(world: World) -> None:
    http = world.login(world.client_a.user)
    idle_for(http, 6 * DAY)
    assert http.get("/today/").status_code == 200
    idle_for(http, 7 * DAY + MINUTE)
    response = http.get("/today/", follow=True)
    assert "You were logged out after 7 days without activity." in response.content.decode()
    Clinic.objects.filter(pk=world.clinic.pk).update(client_idle_days=1)
    http = world.login(world.client_a.user)
    idle_for(http, DAY + MINUTE)
    assert http.get("/today/").status_code == 302


def test_htmx_is_sent_to_the_login_page_of_the_page_it_came_from(world: World) -> None:
    http = world.login(world.therapist)
    idle_for(http, 31 * MINUTE)
    response = http.get(
        "/clients/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/clients/{world.client_a.pk}/",
    )
    # 401: a draft being saved counts as not saved (exercise.js keeps it on the device); htmx follows HX-Redirect.
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"/accounts/login/?next=%2Fclients%2F{world.client_a.pk}%2F"


def test_the_api_answers_an_ended_session_itself(world: World) -> None:
    http = world.login(world.therapist)
    idle_for(http, 31 * MINUTE)
    response = http.get("/api/v1/me")
    assert response.status_code == 401 and "detail" in response.json()
    assert AuditEvent.objects.filter(action="auth.idle_logout").count() == 1


def test_the_clinic_admin_sets_both_timeouts(world: World) -> None:
    http = world.login(world.admin)
    page = http.get("/clinic/").content.decode()
    assert 'name="staff_idle_minutes" value="30"' in page and 'name="client_idle_days" value="7"' in page
    saved = http.post("/clinic/", {"action": "policy", "staff_idle_minutes": "15", "client_idle_days": "3"})
    assert saved.status_code == 302
    clinic = Clinic.objects.get(pk=world.clinic.pk)
    assert (clinic.staff_idle_minutes, clinic.client_idle_days) == (15, 3)
    event = AuditEvent.objects.filter(action="clinic.policy").latest("id")
    assert event.detail["staff_idle_minutes"] == 15 and event.detail["client_idle_days"] == 3
    assert idle.idle_limit_minutes(world.therapist) == 15
    # Empty keeps the clinic's values (a form that does not send them changes nothing).
    http.post("/clinic/", {"action": "policy"})
    clinic.refresh_from_db()
    assert (clinic.staff_idle_minutes, clinic.client_idle_days) == (15, 3)


def test_a_timeout_out_of_bounds_is_refused_with_a_message(world: World) -> None:
    http = world.login(world.admin)
    for staff, client in (("0", "7"), ("721", "7"), ("30", "0"), ("30", "15"), ("half an hour", "7")):
        response = http.post(
            "/clinic/", {"action": "policy", "staff_idle_minutes": staff, "client_idle_days": client}
        )
        assert response.status_code == 400, (staff, client)
        assert 'role="alert"' in response.content.decode()
    clinic = Clinic.objects.get(pk=world.clinic.pk)
    assert (clinic.staff_idle_minutes, clinic.client_idle_days) == (30, 7)
    assert not AuditEvent.objects.filter(action="clinic.policy").exists()
