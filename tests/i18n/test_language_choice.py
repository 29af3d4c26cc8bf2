"""Each user chooses their language: pages come in Spanish or Arabic (right to left), with dates and numbers
written the local way; visitors who are not logged in get the language their browser asks for."""

from __future__ import annotations

import datetime as dt
import re

from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from emotipal.accounts.models import ApiToken, User
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World

# English strings of the page frame that must never reach a Spanish or Arabic page untranslated.
FRAME_ENGLISH = ("Log out", "Skip to content", ">Settings<", ">Today<", "open-source homework for therapy")


def _html_tag(html: str) -> str:
    match = re.search(r"<html[^>]*>", html)
    assert match, "no <html> tag"
    return match.group(0)


def _as(world: World, language: str) -> tuple[User, Client]:
    user = world.client_a.user
    User.objects.filter(pk=user.pk).update(language=language)
    user.refresh_from_db()
    return user, world.login(user)


def test_client_pages_in_spanish(world: World) -> None:
    _user, http = _as(world, "es")
    for url in ("/today/", "/settings/", "/help/"):
        html = http.get(url).content.decode()
        assert 'lang="es"' in _html_tag(html) and 'dir="ltr"' in _html_tag(html), url
        assert "Cerrar sesión" in html and "Ajustes" in html, url
        leaks = [text for text in FRAME_ENGLISH if text in html]
        assert not leaks, f"{url}: untranslated {leaks}"
    today = http.get("/today/").content.decode()
    assert "Hola, Ana Client" in today


def test_client_pages_in_arabic_are_right_to_left(world: World) -> None:
    _user, http = _as(world, "ar")
    for url in ("/today/", "/settings/", "/help/"):
        html = http.get(url).content.decode()
        assert 'lang="ar"' in _html_tag(html) and 'dir="rtl"' in _html_tag(html), url
        assert "تسجيل الخروج" in html and "الإعدادات" in html, url
        leaks = [text for text in FRAME_ENGLISH if text in html]
        assert not leaks, f"{url}: untranslated {leaks}"


def test_staff_pages_follow_the_therapists_language(world: World) -> None:
    User.objects.filter(pk=world.therapist.pk).update(language="es")
    http = world.login(User.objects.get(pk=world.therapist.pk))
    html = http.get("/clients/").content.decode()
    assert 'lang="es"' in _html_tag(html) and "Clientes" in html and "Log out" not in html


def test_the_language_setting_is_saved_audited_and_used_at_once(world: World) -> None:
    user, http = _as(world, "en")
    page = http.get("/settings/").content.decode()
    assert 'name="language"' in page and "Español" in page and "العربية" in page
    saved = http.post("/settings/", {"action": "language", "language": "es"})
    assert saved.status_code == 302
    user.refresh_from_db()
    assert user.language == "es"
    event = AuditEvent.objects.get(action="settings.language")
    assert (
        event.actor_id == user.pk and event.target_id == str(user.pk) and event.detail == {"language": "es"}
    )
    after = http.get("/settings/").content.decode()
    assert 'lang="es"' in _html_tag(after)
    assert "Idioma guardado." in after  # the confirmation is already in the new language
    assert 'value="es" selected' in after


def test_an_unknown_language_is_refused(world: World) -> None:
    user, http = _as(world, "es")
    refused = http.post("/settings/", {"action": "language", "language": "xx"})
    assert refused.status_code == 400
    user.refresh_from_db()
    assert user.language == "es"
    assert not AuditEvent.objects.filter(action="settings.language").exists()


def test_the_language_setting_does_not_touch_reminders(world: World) -> None:
    profile = world.client_a
    profile.reminder_time = dt.time(18, 30)
    profile.save(update_fields=["reminder_time"])
    _user, http = _as(world, "en")
    http.post("/settings/", {"action": "language", "language": "ar"})
    profile.refresh_from_db()
    assert profile.reminder_time == dt.time(18, 30)


def test_dates_use_the_users_language(world: World) -> None:
    # API tokens (whose dates are shown) are listed for staff only.
    user = world.therapist
    User.objects.filter(pk=user.pk).update(language="es")
    http = world.login(user)
    token = ApiToken.objects.create(
        user=user,
        name="diario",
        token_hash="x" * 64,
        hint="ep_abc",
        expires_at=timezone.now() + dt.timedelta(days=90),
    )
    moment = timezone.make_aware(dt.datetime(2026, 1, 15, 12, 0))
    ApiToken.objects.filter(pk=token.pk).update(created_at=moment)
    assert "15 de enero de 2026" in http.get("/settings/").content.decode()  # Spanish spells it out
    User.objects.filter(pk=user.pk).update(language="ar")
    assert "15 يناير 2026" in http.get("/settings/").content.decode()
    User.objects.filter(pk=user.pk).update(language="en")
    assert "15 Jan 2026" in http.get("/settings/").content.decode()


def test_numbers_use_the_locales_decimal_separator() -> None:
    template = Template("{{ value|floatformat:1 }}")
    with translation.override("es"):
        assert template.render(Context({"value": 3.75})) == "3,8"
    with translation.override("en"):
        assert template.render(Context({"value": 3.75})) == "3.8"


def test_visitors_get_the_language_their_browser_asks_for(db: None) -> None:
    http = Client()
    spanish = http.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content.decode()
    assert 'lang="es"' in _html_tag(spanish) and "Iniciar sesión" in spanish
    arabic = http.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert 'dir="rtl"' in _html_tag(arabic)
    other = http.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'lang="en"' in _html_tag(other) and "Log in" in other


def test_the_users_choice_beats_the_browser(world: World) -> None:
    _user, http = _as(world, "ar")
    html = http.get("/today/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'lang="ar"' in _html_tag(html)


def test_an_unsupported_stored_language_falls_back_to_negotiation(world: World) -> None:
    _user, http = _as(world, "fr")
    html = http.get("/today/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'lang="es"' in _html_tag(html)


def test_service_messages_come_in_the_users_language(world: World) -> None:
    _user, http = _as(world, "es")
    assert http.post("/settings/tokens/", {"name": ""}).status_code == 302
    page = http.get("/settings/").content.decode()
    assert "Ponle un nombre al token" in page


def test_the_built_in_crisis_help_is_in_the_users_language(world: World) -> None:
    _user, http = _as(world, "ar")
    html = http.get("/help/").content.decode()
    assert "إذا كنت في خطر الآن" in html and "If you are in danger now" not in html
    visitor = Client().get("/help/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Si estás en peligro ahora" in visitor
