"""The signed, expiring link in every reminder: it names the reminder and records its first opening."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "emotipal.notifications.reminder-link"


def token_for(reminder_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"r": reminder_id})


def reminder_id_from(token: str) -> int | None:
    """The reminder a token names, or None when it is forged, altered or older than REMINDER_LINK_DAYS."""
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(
            token, max_age=settings.REMINDER_LINK_DAYS * 24 * 3600
        )
    except signing.BadSignature:
        return None
    value = data.get("r") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


def link_for(reminder_id: int) -> str:
    return settings.SITE_URL + reverse("notifications:reminder_link", args=[token_for(reminder_id)])
