"""The demo clinic loads once, with believable data, and the demo logins work."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from emotipal.accounts.models import ClientProfile, Membership, Role, User
from emotipal.demo.loader import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from emotipal.homework.models import Entry, EntryReview


def test_demo_clinic(db: Any, client: Any) -> None:
    first = load_demo(clients=12, seed=5)
    again = load_demo(clients=12, seed=5)
    assert first.created and not again.created and again.entries == first.entries
    assert ClientProfile.objects.count() == 12
    assert Membership.objects.filter(role=Role.THERAPIST).count() == 3
    assert all(u.email.endswith(".invalid") for u in User.objects.all())
    assert Entry.objects.filter(submitted_at__gt=timezone.now()).count() == 0
    assert EntryReview.objects.exists() and Entry.objects.filter(review__isnull=True).exists()
    for role, email in DEMO_LOGINS.items():
        response = client.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, role
        # The printed logins work without an authenticator app: the demo clinic does not require staff MFA.
        assert not client.get("/").get("Location", "").startswith("/accounts/2fa/"), role
        client.logout()
    client.post("/accounts/login/", {"login": DEMO_LOGINS["client"], "password": DEMO_PASSWORD})
    today = client.get("/today/")
    assert b"Activity planning" in today.content and b"Due today" in today.content
    # A calm Today, also after the questionnaire scheduler has run: one next step, no questionnaire twice.
    from emotipal.measures.schedules import generate_due

    generate_due()
    page = client.get("/today/").content.decode()
    assert page.count('<section class="next-step"') == 1
    titles = re.findall(r'href="/questionnaires/\d+/"', page)
    shown = re.findall(r"<h3>([^<]*Questionnaire[^<]*|[^<]*scale[^<]*)</h3>", page)
    assert titles and len(shown) == len(set(shown))


def test_demo_has_every_kind_of_review_data(db: Any) -> None:
    from emotipal.homework.models import (
        Barrier,
        ReminderEvent,
        RetroactiveRating,
        SelfReview,
        TherapistReview,
        TherapySession,
    )

    load_demo(clients=15, seed=11)
    assert TherapySession.objects.filter(
        date__gt=timezone.localdate()
    ).exists()  # the next session is planned
    assert SelfReview.objects.exists() and TherapistReview.objects.exists()
    assert (
        Barrier.objects.filter(strategy__gt="").exists()
        and Barrier.objects.filter(resolved_at__isnull=True).exists()
    )
    assert RetroactiveRating.objects.filter(rater_role="client").exists()
    assert ReminderEvent.objects.filter(opened_at__isnull=False).exists()
    assert Entry.objects.filter(status=Entry.Status.DRAFT).exists()
    assert Entry.objects.filter(edits_after_submit__gt=0).exists()
    assert not SelfReview.objects.filter(created_at__gt=timezone.now()).exists()


def test_demo_has_months_of_questionnaires_and_an_open_alert(db: Any) -> None:
    from emotipal.measures.models import Response, RiskAlert
    from emotipal.measures.queries import caseload_flags

    load_demo(clients=12, seed=3)
    phq9 = Response.objects.filter(instrument_version__instrument__key="phq9", status="completed")
    assert phq9.values("client").distinct().count() == 12 and phq9.count() > 12 * 8
    assert all(r.total is not None and r.band for r in phq9)
    open_alerts = RiskAlert.objects.filter(acknowledged_at__isnull=True)
    assert [a.client.therapist.email for a in open_alerts] == [DEMO_LOGINS["therapist"]]
    assert Response.objects.filter(client__user__email=DEMO_LOGINS["client"], status="due").count() == 2
    flags = caseload_flags(list(Response.objects.values_list("client_id", flat=True).distinct()))
    assert any(f.latest for f in flags.values())


def test_demo_has_exposure_ladders_and_clients_in_spanish_and_arabic(db: Any) -> None:
    from emotipal.homework.models import Assignment, FearLadder

    load_demo(clients=30, seed=2026)
    ladder = FearLadder.objects.filter(steps__practices__isnull=False).distinct().first()
    assert ladder is not None
    practices = Entry.objects.filter(ladder_step__ladder=ladder).order_by("practice_date")
    assert practices.count() >= 3 and all("suds_peak" in e.answers for e in practices)
    for language in ("es", "ar"):
        user = User.objects.get(language=language)
        variants = set(Assignment.objects.filter(client__user=user).values_list("variant_key", flat=True))
        assert variants and variants != {"base"}, (language, variants)
