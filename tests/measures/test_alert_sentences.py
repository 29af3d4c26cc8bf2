"""The alerts page says each alert as a sentence (question, the answer's label, when in the viewer's zone, the
client's e-mail), marks escalated alerts, and the navigation counts open alerts in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from emotipal.accounts.models import ClientProfile
from emotipal.measures import escalation, services
from emotipal.measures.models import Instrument, RiskAlert
from emotipal.platform import clock
from tests.factories import World, make_user

RISK_ITEM = "Thoughts that you would be better off dead or of hurting yourself in some way"


def raise_alert(world: World, profile: ClientProfile, item9: int = 2) -> RiskAlert:
    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    response = services.ask_now(world.therapist, profile, phq9)
    answers = {f"phq9_{i}": 1 for i in range(1, 9)} | {"phq9_9": item9}
    result = services.save_answers(profile.user, response.pk, answers, submit=True)
    assert result.alert is not None
    return result.alert


def test_an_alert_reads_as_a_sentence_in_the_viewers_zone(world: World) -> None:
    world.clinic.timezone = "Europe/Berlin"
    world.clinic.save()
    alert = raise_alert(world, world.client_a)
    RiskAlert.objects.filter(pk=alert.pk).update(created_at=dt.datetime(2026, 3, 2, 13, 5, tzinfo=clock.UTC))
    html = world.login(world.therapist).get("/alerts/").content.decode()
    section = re.search(rf'<section[^>]*id="alert-{alert.pk}".*?</section>', html, re.S)
    assert section is not None
    text = re.sub(r"\s+", " ", section.group(0))
    # The question, the answer's label (not the bare number), the instrument and when, at 14:05 in Berlin.
    assert (
        f"On March 2, 2026, 2:05 p.m., Ana Client answered “{RISK_ITEM}” with “More than half the days” on the PHQ-9."
        in text
    )
    assert "(2 of 3)" in text
    assert 'href="mailto:client.a@example.org"' in text
    assert "Escalated" not in text


def test_an_escalated_alert_is_marked(world: World) -> None:
    alert = raise_alert(world, world.client_a)
    later = alert.created_at + dt.timedelta(hours=world.clinic.alert_escalation_hours + 1)
    assert escalation.escalate(alert.pk, now=later) == "escalated"
    html = world.login(world.therapist).get("/alerts/").content.decode()
    section = re.search(rf'<section[^>]*id="alert-{alert.pk}".*?</section>', html, re.S)
    assert section is not None
    assert '<span class="badge danger">Escalated</span>' in section.group(0)
    assert "Escalated to the clinic admins on" in section.group(0)


def nav_count(html: str) -> int | None:
    found = re.search(r'<span class="nav-count" id="nav-alert-count">(\d+)', html)
    return int(found.group(1)) if found else None


def test_navigation_counts_open_alerts_with_constant_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    http = world.login(world.therapist)
    assert nav_count(http.get("/clients/").content.decode()) is None  # nothing open: no badge
    alert = raise_alert(world, world.client_a)
    page = http.get("/settings/").content.decode()
    assert nav_count(page) == 1 and "1 open alert" not in page.replace("open alerts", "")  # hidden text
    assert re.search(r"<span class=\"visually-hidden\"> open alert</span>", page)
    with CaptureQueriesContext(connection) as one:
        http.get("/settings/")
    for i in range(6):
        profile = ClientProfile.objects.create(
            user=make_user(f"more{i}@example.org", f"More {i}"),
            clinic=world.clinic,
            therapist=world.therapist,
        )
        raise_alert(world, profile)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert nav_count(http.get("/settings/").content.decode()) == 7
    # An acknowledged alert no longer counts; another clinic's therapist never sees ours.
    services.acknowledge_alert(world.therapist, alert.pk, "Phoned, safety plan reviewed.")
    assert nav_count(http.get("/settings/").content.decode()) == 6
    assert nav_count(world.login(world.foreign_therapist).get("/settings/").content.decode()) is None
    # A client has no alerts item at all.
    assert nav_count(world.login(world.client_a.user).get("/today/").content.decode()) is None


def test_alerts_page_queries_do_not_grow(world: World, django_assert_max_num_queries: Any) -> None:
    http = world.login(world.therapist)
    raise_alert(world, world.client_a)
    with CaptureQueriesContext(connection) as small:
        http.get("/alerts/")
    for i in range(8):
        profile = ClientProfile.objects.create(
            user=make_user(f"other{i}@example.org", f"Other {i}"),
            clinic=world.clinic,
            therapist=world.therapist,
        )
        raise_alert(world, profile, item9=1 + i % 3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert http.get("/alerts/").status_code == 200
