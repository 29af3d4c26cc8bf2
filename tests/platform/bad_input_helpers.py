"""Shared by the tests/platform/test_bad_input_*.py files: a snapshot of every table, to show nothing changed."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.test import Client

from emotipal.accounts.services import create_api_token

# Logging in (force_login) and token use write these; they are not what a refused request may change.
IGNORED = {"sessions.Session", "accounts.ApiToken"}


def snapshot() -> dict[str, Any]:
    """Every row of every project table (by primary key and all values), so any write shows up."""
    state: dict[str, Any] = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in IGNORED or not model._meta.managed:
            continue
        rows = model.objects.all()
        if label == "audit.AuditEvent":
            # Looking (an audited staff read), logging in and using a token are recorded even when the request
            # is then refused.
            rows = rows.exclude(action__startswith="read.").exclude(action__startswith="auth.")
            rows = rows.exclude(action="api_token.use")
        state[label] = sorted(map(repr, rows.values_list()))
    return state


def api_client(user: Any) -> Client:
    http = Client()
    http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {create_api_token(user, 'bad input').secret}"
    return http
