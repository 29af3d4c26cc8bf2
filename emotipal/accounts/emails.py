"""E-mail in the recipient's language.

E-mails are rendered outside any request (in the task worker, or while an admin in another language acts),
so the active language is whatever happens to be active: the sender's, or none. Each e-mail is therefore
rendered inside translation.override of the person who will read it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation


def language_of(user: Any | None) -> str:
    """The user's chosen language if EmotiPal offers it, else the site default."""
    code = str(getattr(user, "language", "") or "")
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def send_in_language(
    language: str, recipients: list[str], render: Callable[[], tuple[str, str]], connection: Any = None
) -> None:
    """Render (subject, body) with ``language`` active and send it to ``recipients`` (over `connection`, a
    mail connection to share, else a new one)."""
    with translation.override(language):
        subject, body = render()
        send_mail(
            subject=str(subject),
            message=str(body),
            from_email=None,
            recipient_list=recipients,
            connection=connection,
        )


def send_to_users(users: Iterable[Any], render: Callable[[], tuple[str, str]]) -> int:
    """One e-mail per language among ``users``, each rendered in that language. Returns e-mails sent."""
    by_language: dict[str, list[str]] = defaultdict(list)
    for user in users:
        by_language[language_of(user)].append(user.email)
    for language, recipients in sorted(by_language.items()):
        send_in_language(language, recipients, render)
    return len(by_language)
