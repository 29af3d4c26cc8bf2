"""The page benchmark's clinic and floor: the seeded therapist signs in with password and TOTP and sees the
seeded clients on the caseload and a client's page; the static floor page has exactly the bytes asked for."""

from __future__ import annotations

import pyotp
import pytest
from django.test import Client, override_settings

from bench.pages_seed import seed_clinic

PASSWORD = "bench-test-pass-2026"


@pytest.mark.django_db
def test_the_seeded_therapist_signs_in_with_totp_and_sees_the_clinic() -> None:
    clinic = seed_clinic(3, PASSWORD)
    http = Client()
    answer = http.post("/accounts/login/", {"login": clinic.therapist_email, "password": PASSWORD})
    assert answer.status_code == 302 and "/accounts/2fa/authenticate/" in answer["Location"]
    answer = http.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(clinic.totp_secret).now()})
    assert answer.status_code == 302 and "/accounts/" not in answer["Location"]
    caseload = http.get("/clients/")
    assert caseload.status_code == 200
    assert all(f"Client 3-{i}" in caseload.content.decode() for i in range(3))
    page = http.get(f"/clients/{clinic.client_id}/")
    assert page.status_code == 200 and "Client 3-0" in page.content.decode()
    # Set in the first weekly session, the homework was due for review in the second, which has passed.
    assert "due for review in session 2" in page.content.decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.pages_urls")
@pytest.mark.parametrize("size", [200, 38_631])
def test_the_floor_is_a_page_of_exactly_the_size_asked(size: int) -> None:
    answer = Client().get(f"/bench/static-page/{size}/")
    assert answer.status_code == 200 and len(answer.content) == size
    assert answer["Content-Type"].startswith("text/html")
