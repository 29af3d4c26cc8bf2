"""The demo's trainee: lands on training, with the vignettes loaded and past attempts that show progress."""

from __future__ import annotations

from typing import Any

from emotipal.accounts.models import Membership, Role
from emotipal.analysis.vignettes import PROFILES
from emotipal.demo.loader import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from emotipal.training.models import TrainingAttempt, Vignette
from emotipal.training.queries import progress


def test_demo_trainee(db: Any, client: Any) -> None:
    load_demo(clients=6, seed=5)
    membership = Membership.objects.get(user__email=DEMO_LOGINS["trainee"])
    assert membership.role == Role.TRAINEE and membership.clinic.slug == "demo"
    assert Vignette.objects.count() == len(PROFILES)
    rows = progress(membership.user)
    assert len(rows) == 3 and TrainingAttempt.objects.count() == 3
    shares = [r.share for r in rows]
    assert shares == sorted(shares) and shares[0] < shares[-1] == 100
    assert rows[0].attempt.created_at < rows[1].attempt.created_at < rows[2].attempt.created_at
    client.post("/accounts/login/", {"login": DEMO_LOGINS["trainee"], "password": DEMO_PASSWORD})
    assert client.get("/")["Location"] == "/training/"
    assert client.get("/clients/").status_code == 403
