"""The demo clinic loads once, with believable data, and the demo logins work."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from emotipal.accounts.models import ClientProfile, Membership, Role, User
from emotipal.homework.models import Entry, EntryReview
from emotipal.web.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo


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
        client.logout()
    client.post("/accounts/login/", {"login": DEMO_LOGINS["client"], "password": DEMO_PASSWORD})
    today = client.get("/today/")
    assert b"Activity planning" in today.content and b"Due today" in today.content
