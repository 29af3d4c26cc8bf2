"""The messages shown after logging in are in the user's language (User.language), whatever the browser asks
for: allauth's "Successfully signed in as ..." is rendered during the login request itself."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.test import Client

from emotipal.accounts.models import User
from tests.factories import PASSWORD, World

SIGNED_IN = {
    "en": "Successfully signed in as",
    "es": "Ha iniciado sesión exitosamente como",
    "ar": "لقد سجلت الدخول بنجاح",
}


@pytest.mark.parametrize(("language", "browser"), [("es", "en"), ("ar", "en"), ("en", "es"), ("es", "ar")])
def test_the_login_message_is_in_the_users_language(world: World, language: str, browser: str) -> None:
    user = world.client_a.user
    User.objects.filter(pk=user.pk).update(language=language)
    http = Client(HTTP_ACCEPT_LANGUAGE=browser)
    assert f'lang="{browser}"' in http.get("/accounts/login/").content.decode()  # the browser's, before
    response = http.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, follow=True)
    page = html.unescape(response.content.decode())
    assert SIGNED_IN[language] in page
    assert SIGNED_IN[browser] not in page
    assert f'lang="{language}"' in page
    # After logging out, the login page stays in the user's language rather than the browser's.
    assert http.cookies[settings.LANGUAGE_COOKIE_NAME].value == language


def test_a_failed_login_keeps_the_browsers_language(world: World) -> None:
    User.objects.filter(pk=world.client_a.user.pk).update(language="ar")
    http = Client(HTTP_ACCEPT_LANGUAGE="es")
    response = http.post("/accounts/login/", {"login": world.client_a.user.email, "password": "wrong"})
    assert response.status_code == 200 and 'lang="es"' in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in http.cookies
