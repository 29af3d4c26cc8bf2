"""Encouragement: 1-280 characters, 5 a day per client, stored encrypted, shown on the client's Today until
dismissed; removing the coach in one step cuts everything at once; the therapist sees existence only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from emotipal.platform import clock
from emotipal.platform.audit.models import AuditEvent
from emotipal.support.models import Encouragement, SupportLink
from tests.factories import World
from tests.support.support_factory import coach_for


def _send(world: World, coach: Any, link: SupportLink, text: str) -> Any:
    return world.login(coach).post(f"/support/coach/{link.pk}/encourage/", {f"m{link.pk}-text": text})


def test_encouragement_reaches_today_and_can_be_dismissed(world: World) -> None:
    coach, link = coach_for(world.client_a)
    response = _send(world, coach, link, "  Proud of you for trying this week!  ")
    assert response.status_code == 302
    message = Encouragement.objects.get(link=link)
    assert message.text == "Proud of you for trying this week!"
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT text FROM support_encouragement WHERE id = %s", [message.pk])
        assert "Proud" not in cursor.fetchone()[0]
    assert AuditEvent.objects.filter(
        action="support.encourage", actor=coach, subject_user_id=world.client_a.user_id
    ).exists()
    http = world.login(world.client_a.user)
    today = http.get("/today/").content.decode()
    assert "Proud of you for trying this week!" in today and "Cora Coach" in today
    assert "Proud" not in world.login(world.client_b.user).get("/today/").content.decode()
    # Another client cannot dismiss it; the client can, and it is gone from Today.
    assert (
        world.login(world.client_b.user).post(f"/support/messages/{message.pk}/dismiss/").status_code == 404
    )
    assert http.post(f"/support/messages/{message.pk}/dismiss/").status_code == 302
    message.refresh_from_db()
    assert message.dismissed_at is not None
    assert "Proud of you" not in http.get("/today/").content.decode()
    assert AuditEvent.objects.filter(action="support.dismiss", actor=world.client_a.user).exists()


def test_bad_messages_are_refused_with_a_clear_reason(world: World) -> None:
    coach, link = coach_for(world.client_a)
    for text, words in (
        ("   ", "Write a message first"),
        ("x" * 281, "280 characters (it has 281)"),
    ):
        response = _send(world, coach, link, text)
        assert response.status_code == 400 and words in response.content.decode(), text
    assert not Encouragement.objects.exists()
    assert _send(world, coach, link, "y" * 280).status_code == 302


def test_five_messages_a_day_at_most(world: World) -> None:
    coach, link = coach_for(world.client_a)
    for i in range(5):
        assert _send(world, coach, link, f"Message {i}").status_code == 302
    response = _send(world, coach, link, "One more")
    assert response.status_code == 400 and "Try again tomorrow" in response.content.decode()
    assert Encouragement.objects.filter(link=link).count() == 5
    # A day later the coach may write again.
    Encouragement.objects.filter(link=link).update(sent_at=clock.now() - dt.timedelta(hours=25))
    assert _send(world, coach, link, "New day").status_code == 302


def test_removing_the_coach_cuts_access_at_once(world: World) -> None:
    coach, link = coach_for(world.client_a, share_days=True, share_goal=True)
    _send(world, coach, link, "Keep going")
    http = world.login(world.client_a.user)
    assert "Keep going" in http.get("/today/").content.decode()
    page = http.get("/support/").content.decode()
    assert "Remove Cora Coach now" in page
    assert http.post("/support/end/").status_code == 302
    link.refresh_from_db()
    assert link.ended_at is not None
    html = world.login(coach).get("/support/coach/").content.decode()
    assert world.client_a.user.display_name not in html and f"shared-days-{link.pk}" not in html
    assert _send(world, coach, link, "Still there?").status_code == 404
    assert Encouragement.objects.filter(link=link).count() == 1
    assert "Keep going" not in http.get("/today/").content.decode()
    assert AuditEvent.objects.filter(
        action="support.remove", actor=world.client_a.user, subject_user_id=world.client_a.user_id
    ).exists()
    assert not AuditEvent.objects.filter(action="read.support", actor=coach, pk__gt=_last_remove()).exists()
    # The client may invite someone again.
    assert "invite-form" in http.get("/support/").content.decode()


def _last_remove() -> int:
    return AuditEvent.objects.filter(action="support.remove").order_by("-pk").values_list("pk", flat=True)[0]


def test_another_coach_cannot_write_to_someone_elses_client(world: World) -> None:
    _coach, link = coach_for(world.client_a)
    other, _ = coach_for(world.client_b, "other.coach@example.org")
    assert _send(world, other, link, "Hi").status_code == 404
    assert (
        world.login(world.therapist)
        .post(f"/support/coach/{link.pk}/encourage/", {f"m{link.pk}-text": "Hi"})
        .status_code
        == 403
    )
    assert not Encouragement.objects.filter(link=link).exists()


def test_the_therapist_sees_that_a_coach_exists_and_nothing_else(world: World) -> None:
    http = world.login(world.therapist)
    assert "No support person" in http.get(f"/clients/{world.client_a.pk}/").content.decode()
    coach, link = coach_for(world.client_a, share_days=True)
    _send(world, coach, link, "You can do it")
    html = http.get(f"/clients/{world.client_a.pk}/").content.decode()
    assert "Has a support person since" in html
    for hidden in ("Cora Coach", coach.email, "You can do it"):
        assert hidden not in html, hidden


def test_the_since_date_is_the_clients_day_not_the_servers(world: World) -> None:
    import datetime as dt

    _coach, link = coach_for(world.client_a)
    world.client_a.timezone = "Pacific/Auckland"  # 13 hours ahead of UTC in December
    world.client_a.save(update_fields=["timezone"])
    link.accepted_at = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)  # already 2 December in Auckland
    link.save(update_fields=["accepted_at"])
    html = world.login(world.therapist).get(f"/clients/{world.client_a.pk}/").content.decode()
    assert "Has a support person since 2 Dec 2026" in html
