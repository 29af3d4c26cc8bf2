"""The migration that makes API tokens expire gives a token made without an expiry one, 90 days ahead (so a
working script keeps working for a while), and leaves tokens that had an expiry as they were."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("accounts", "0005_new_clinics_require_staff_mfa")]
AFTER = [("accounts", "0006_idle_timeouts_and_token_expiry")]


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_open_tokens_get_an_expiry(transactional_db: Any) -> None:
    old_apps = migrate(BEFORE)
    try:
        User = old_apps.get_model("accounts", "User")
        ApiToken = old_apps.get_model("accounts", "ApiToken")
        user = User.objects.create(email="script@example.org")
        open_token = ApiToken.objects.create(user=user, name="open", token_hash="a" * 64, hint="ep_a")
        soon = timezone.now() + dt.timedelta(days=2)
        dated = ApiToken.objects.create(
            user=user, name="dated", token_hash="b" * 64, hint="ep_b", expires_at=soon
        )
    finally:
        new_apps = migrate(AFTER)
    try:
        ApiToken = new_apps.get_model("accounts", "ApiToken")
        left = ApiToken.objects.get(pk=open_token.pk).expires_at - timezone.now()
        assert dt.timedelta(days=89, hours=23) < left <= dt.timedelta(days=90)
        assert ApiToken.objects.get(pk=dated.pk).expires_at == soon
    finally:
        # Back to the newest migrations (later ones than AFTER exist): the tests after this one in the same
        # process use this database.
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
