"""The demo supervisor logs in, sees their supervisees, and the first therapist's figures and agreement."""

from __future__ import annotations

from typing import Any

from emotipal.accounts.models import User
from emotipal.demo.loader import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from emotipal.supervision.models import ObserverRating


def test_demo_supervisor_sees_supervisee_figures(db: Any, client: Any) -> None:
    load_demo(clients=12, seed=5)
    assert DEMO_LOGINS["supervisor"] == "supervisor@demo.emotipal.invalid"
    response = client.post(
        "/accounts/login/", {"login": DEMO_LOGINS["supervisor"], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").url == "/supervision/"
    therapist = User.objects.get(email=DEMO_LOGINS["therapist"])
    home = client.get("/supervision/").content.decode()
    assert str(therapist) in home
    page = client.get(f"/supervision/therapists/{therapist.pk}/").content.decode()
    assert "Guideline steps done, by phase" in page and "Planned practices done by the clients" in page
    assert "ICC(2,1)" in page  # two raters rated the same work
    assert ObserverRating.objects.values("rater").distinct().count() == 2
    assert "%" in page
