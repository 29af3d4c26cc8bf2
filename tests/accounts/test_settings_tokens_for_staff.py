"""Settings shows API tokens to staff, not to clients (tokens are for staff and researchers' programs)."""

from __future__ import annotations

from tests.factories import World


def test_api_tokens_shown_to_staff_hidden_from_clients(world: World) -> None:
    assert "API tokens" in world.login(world.therapist).get("/settings/").content.decode()
    assert "API tokens" not in world.login(world.client_a.user).get("/settings/").content.decode()
