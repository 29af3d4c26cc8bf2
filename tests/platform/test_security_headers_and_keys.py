"""Browser-side and configuration controls: authenticated pages are never cached, the proxy's https header
is trusted only when configured, and production refuses typed or demo keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from emotipal.platform import config
from tests.factories import World


def test_every_page_of_a_logged_in_person_says_no_store(world: World) -> None:
    pages = {
        world.client_a.user: ["/today/", "/settings/", "/settings/seen-by/", "/api/v1/me"],
        world.therapist: ["/clients/", f"/clients/{world.client_a.pk}/", "/library/"],
        world.admin: ["/clinic/", "/clinic/audit/"],
    }
    for user, paths in pages.items():
        http = world.login(user)
        for path in paths:
            response = http.get(path)
            assert response.status_code == 200, path
            cache = response.get("Cache-Control", "")
            assert "no-store" in cache and "private" in cache, (path, cache)


def test_anonymous_pages_keep_their_own_caching(world: World) -> None:
    assert "no-store" not in world.login(None).get("/help/").get("Cache-Control", "")


def test_the_proxy_header_is_trusted_only_when_named() -> None:
    assert config.proxy_ssl_header("") is None
    assert config.proxy_ssl_header("X-Forwarded-Proto") == ("HTTP_X_FORWARDED_PROTO", "https")
    with pytest.raises(ImproperlyConfigured):
        config.proxy_ssl_header("X-Forwarded-Proto: https")


def test_production_refuses_a_typed_secret_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("EMOTIPAL_SECRET_KEY_FILE", raising=False)
    for weak in ("k" * 60, "abcabcabcabc" * 5):
        monkeypatch.setenv("EMOTIPAL_SECRET_KEY", weak)
        with pytest.raises(ImproperlyConfigured, match="looks typed"):
            config.secret_key("production", tmp_path)
    monkeypatch.setenv("EMOTIPAL_SECRET_KEY", "Zq8-" + "".join(chr(65 + (i * 7) % 58) for i in range(60)))
    assert config.secret_key("production", tmp_path)


def test_production_refuses_the_demo_field_key_and_a_patterned_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("EMOTIPAL_FIELD_KEYS_FILE", raising=False)
    demo = config.field_keys("demo", tmp_path)[0]  # what `make demo` writes to the local folder
    monkeypatch.setenv("EMOTIPAL_FIELD_KEYS", f"{Fernet.generate_key().decode()},{demo}")
    with pytest.raises(ImproperlyConfigured, match="demo's key"):
        config.field_keys("production", tmp_path)
    patterned = "A" * 43 + "="  # a valid Fernet key of 32 zero bytes
    monkeypatch.setenv("EMOTIPAL_FIELD_KEYS", patterned)
    with pytest.raises(ImproperlyConfigured, match="not random"):
        config.field_keys("production", tmp_path)
    fresh = Fernet.generate_key().decode()
    monkeypatch.setenv("EMOTIPAL_FIELD_KEYS", fresh)
    assert config.field_keys("production", tmp_path) == [fresh]


def test_production_refuses_weak_or_demo_backup_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMOTIPAL_BACKUP_KEY_FILE", raising=False)
    demo = config.field_keys("demo", tmp_path)[0]  # the demo's field key, in the local folder
    fresh = Fernet.generate_key().decode()
    for value, refusal in {
        "A" * 43 + "=": "not random",
        demo: "demo's key",
        "hunter2": "not a key",
        f"{fresh},{fresh}": "same key twice",
    }.items():
        monkeypatch.setenv("EMOTIPAL_BACKUP_KEY", value)
        with pytest.raises(ImproperlyConfigured, match=refusal):
            config.backup_keys("production", tmp_path, [Fernet.generate_key().decode()])
    monkeypatch.setenv("EMOTIPAL_BACKUP_KEY", f" {fresh} , {demo}")
    assert config.backup_keys("development", tmp_path, []) == [fresh, demo]


def test_the_api_docs_use_no_cdn_and_are_hidden_from_outsiders_in_production(
    world: World, settings: object
) -> None:
    from django.contrib.staticfiles import finders

    page = world.login(None).get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn." not in html and "jsdelivr" not in html
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert finders.find("ninja/swagger-ui-bundle.js") and finders.find("ninja/swagger-ui.css")
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    hidden = world.login(None).get("/api/v1/docs")
    assert hidden.status_code == 302 and "/accounts/login/" in hidden["Location"]
    assert world.login(world.therapist).get("/api/v1/docs").status_code == 200
    assert world.login(None).get("/api/v1/openapi.json").status_code == 302  # and its schema
    assert world.login(world.therapist).get("/api/v1/openapi.json").status_code == 200
