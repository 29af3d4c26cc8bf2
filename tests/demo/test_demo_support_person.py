"""The demo client has a support person: the coach logs in, sees the client's shared days and goal, and the
client's Today shows the coach's encouragement."""

from __future__ import annotations

from typing import Any

from django.test import Client

from emotipal.demo.loader import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from emotipal.demo.support import ENCOURAGEMENT


def _login(email: str) -> Client:
    browser = Client()
    response = browser.post("/accounts/login/", {"login": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return browser


def test_demo_support_person(db: Any) -> None:
    load_demo(clients=6, seed=5)
    coach = _login(DEMO_LOGINS["support person"])
    page = coach.get("/support/coach/")
    assert page.status_code == 200
    html = page.content.decode()
    client_page = _login(DEMO_LOGINS["client"])
    today = client_page.get("/today/").content.decode()
    assert ENCOURAGEMENT.replace("'", "&#x27;") in today
    from emotipal.accounts.models import User

    client_name = User.objects.get(email=DEMO_LOGINS["client"]).display_name
    assert client_name in html
    assert client_page.get("/support/").status_code == 200
