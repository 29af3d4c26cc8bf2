"""The API counts requests per token, per signed-in person and per client address (for requests that do not
authenticate): over the rate, 429 with a JSON message and Retry-After; the 429 is in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from emotipal.accounts.services import create_api_token
from tests.factories import World

ME = "/api/v1/me"


@pytest.fixture
def low_rates(settings: Any) -> None:
    settings.API_THROTTLE_RATES = {"token": "3/m", "session": "2/m", "anon": "4/m"}


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def assert_throttled(response: Any, window_seconds: int = 60) -> None:
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["errors"] == {}
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= window_seconds
    assert body["detail"].startswith("Too many requests: try again in ") and str(seconds) in body["detail"]


def test_a_token_over_its_rate_is_refused_and_another_token_is_not(world: World, low_rates: None) -> None:
    first = create_api_token(world.therapist, "script one").secret
    second = create_api_token(world.therapist, "script two").secret  # the same person's other script
    http = Client()
    assert [http.get(ME, **bearer(first)).status_code for _ in range(3)] == [200, 200, 200]
    assert_throttled(http.get(ME, **bearer(first)))
    assert_throttled(http.get("/api/v1/tokens", **bearer(first)))  # the count is the token's, on every path
    assert http.get(ME, **bearer(second)).status_code == 200
    other_person = create_api_token(world.colleague, "colleague").secret
    assert http.get(ME, **bearer(other_person)).status_code == 200


def test_a_signed_in_session_has_its_own_count(world: World, low_rates: None) -> None:
    browser = world.login(world.therapist)
    assert [browser.get(ME).status_code for _ in range(2)] == [200, 200]
    assert_throttled(browser.get(ME))
    # The same person's token is counted apart from their browser.
    token = create_api_token(world.therapist, "script").secret
    assert Client().get(ME, **bearer(token)).status_code == 200
    assert world.login(world.colleague).get(ME).status_code == 200


def test_requests_that_do_not_authenticate_are_counted_per_address(world: World, low_rates: None) -> None:
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    wrong = bearer("ep_not-a-token")
    assert [guesser.get(ME, **wrong).status_code for _ in range(4)] == [401] * 4
    assert_throttled(guesser.get(ME, **wrong))
    assert_throttled(guesser.get(ME))  # no token at all: the same address, the same count
    assert Client(REMOTE_ADDR="198.51.100.3").get(ME, **wrong).status_code == 401  # another address
    # A valid token from the throttled address is not an anonymous request.
    token = create_api_token(world.therapist, "script").secret
    assert guesser.get(ME, **bearer(token)).status_code == 200


def test_the_rate_window_is_what_retry_after_counts_down(world: World, settings: Any) -> None:
    settings.API_THROTTLE_RATES = {"token": "1/h", "session": "1/h", "anon": "1/h"}
    token = create_api_token(world.therapist, "hourly").secret
    assert Client().get(ME, **bearer(token)).status_code == 200
    refused = Client().get(ME, **bearer(token))
    assert_throttled(refused, window_seconds=3600)
    assert int(refused["Retry-After"]) > 3500  # the one request was just now: nearly the whole hour to wait


def test_every_operation_documents_the_429(world: World) -> None:
    schema = world.login(world.therapist).get("/api/v1/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) > 20
    for path, method, operation in operations:
        answer = operation["responses"].get("429")
        assert answer, f"{method.upper()} {path} does not document 429"
        assert "Retry-After" in answer["headers"]
        assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {"detail", "errors"}
