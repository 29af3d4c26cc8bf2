"""API tokens always expire: 90 days unless chosen otherwise, never more than the configured most; an expired,
revoked or unknown token is refused with 401 and the reason; last use is kept to the minute; the token list
shows expiry and last use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from emotipal.accounts import services
from emotipal.accounts.models import ApiToken
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World


def days_left(token: ApiToken) -> float:
    return (token.expires_at - timezone.now()).total_seconds() / 86400


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_token_expires_after_90_days_unless_chosen(world: World) -> None:
    new = services.create_api_token(world.therapist, "script")
    assert 89.99 < days_left(new.token) <= 90
    assert AuditEvent.objects.get(action="api_token.create").detail == {"days": 90}
    chosen = services.create_api_token(world.therapist, "short", days_valid=7)
    assert 6.99 < days_left(chosen.token) <= 7


@override_settings(API_TOKEN_MAX_DAYS=30)
def test_more_than_the_configured_most_is_refused_everywhere(world: World) -> None:
    with pytest.raises(services.TokenError, match="1 to 30 days"):
        services.create_api_token(world.therapist, "long", days_valid=31)
    http = world.login(world.therapist)
    page = http.post("/settings/tokens/", {"name": "long", "days_valid": "31"}, follow=True)
    assert "valid for 1 to 30 days. No token was made." in page.content.decode()
    api = http.post("/api/v1/tokens", {"name": "long", "days_valid": 31}, content_type="application/json")
    assert api.status_code == 422 and "1 to 30 days" in api.json()["errors"]["days_valid"]
    assert not ApiToken.objects.exists()
    made = http.post("/settings/tokens/", {"name": "ok", "days_valid": "30"})
    assert made.status_code == 200 and 29.99 < days_left(ApiToken.objects.get()) <= 30


def test_a_token_made_with_a_token_does_not_outlive_it(world: World) -> None:
    parent = services.create_api_token(world.therapist, "parent", days_valid=3)
    http = world.login(None)
    child = http.post(
        "/api/v1/tokens",
        {"name": "child", "days_valid": 90},
        content_type="application/json",
        **bearer(parent.secret),
    )
    assert child.status_code == 201
    assert ApiToken.objects.get(pk=child.json()["id"]).expires_at == parent.token.expires_at


def test_expired_revoked_and_unknown_tokens_get_401_with_the_reason(world: World) -> None:
    http = world.login(None)
    expired = services.create_api_token(world.therapist, "old", days_valid=1)
    ApiToken.objects.filter(pk=expired.token.pk).update(
        expires_at=dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    )
    response = http.get("/api/v1/me", **bearer(expired.secret))
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "This API token expired on 2026-01-02 03:04 (UTC). Create a new one in Settings → API tokens."
    )
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    revoked = services.create_api_token(world.therapist, "gone")
    services.revoke_api_token(world.therapist, revoked.token.pk)
    response = http.get("/api/v1/me", **bearer(revoked.secret))
    assert response.status_code == 401 and "was revoked" in response.json()["detail"]
    response = http.get("/api/v1/me", **bearer("ep_not-a-token"))
    assert response.status_code == 401 and "not valid" in response.json()["detail"]
    # Refused tokens are not "used".
    assert not ApiToken.objects.filter(last_used_at__isnull=False).exists()


def test_last_use_is_written_at_most_once_a_minute(world: World) -> None:
    new = services.create_api_token(world.therapist, "script")
    http = world.login(None)
    assert http.get("/api/v1/me", **bearer(new.secret)).status_code == 200
    first = ApiToken.objects.get(pk=new.token.pk).last_used_at
    assert first is not None and timezone.now() - first < dt.timedelta(seconds=5)
    # Seconds ago, in the same clock hour: the next request writes nothing.
    now = timezone.now()
    recent = max(now - dt.timedelta(seconds=10), now.replace(minute=0, second=0, microsecond=0))
    ApiToken.objects.filter(pk=new.token.pk).update(last_used_at=recent)
    assert http.get("/api/v1/me", **bearer(new.secret)).status_code == 200
    assert ApiToken.objects.get(pk=new.token.pk).last_used_at == recent
    # Two minutes ago: brought up to date.
    ApiToken.objects.filter(pk=new.token.pk).update(last_used_at=now - dt.timedelta(minutes=2))
    assert http.get("/api/v1/me", **bearer(new.secret)).status_code == 200
    assert timezone.now() - ApiToken.objects.get(pk=new.token.pk).last_used_at < dt.timedelta(seconds=5)


def test_the_token_list_shows_expiry_and_last_use(world: World) -> None:
    used = services.create_api_token(world.therapist, "used script", days_valid=10)
    services.create_api_token(world.therapist, "unused script")
    old = services.create_api_token(world.therapist, "old script")
    ApiToken.objects.filter(pk=old.token.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    world.login(None).get("/api/v1/me", **bearer(used.secret))
    http = world.login(world.therapist)
    page = http.get("/settings/")
    html = page.content.decode()
    assert 'name="days_valid" value="90"' in html  # the default, shown
    rows = {t.name: t for t in page.context["tokens"]}
    assert rows["used script"].last_used_at is not None
    used_row = html.split(f'id="token-{used.token.pk}"', 1)[1].split("</li>", 1)[0]
    assert "expires" in used_row and "last used" in used_row
    unused_row = html.split(f'id="token-{rows["unused script"].pk}"', 1)[1].split("</li>", 1)[0]
    assert "never used" in unused_row
    old_row = html.split(f'id="token-{old.token.pk}"', 1)[1].split("</li>", 1)[0]
    assert "expired" in old_row and "Revoke" not in old_row
