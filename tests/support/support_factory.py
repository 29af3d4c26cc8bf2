"""Support links made through the real flows (invite, then accept), for the support tests and the matrices."""

from __future__ import annotations

from emotipal.accounts.models import ClientProfile, User
from emotipal.platform import clock
from emotipal.support import services
from emotipal.support.models import SupportLink
from tests.factories import PASSWORD

COACH_EMAIL = "coach@example.org"


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def invite(client: ClientProfile, email: str = COACH_EMAIL, **share: bool) -> tuple[SupportLink, str]:
    """The client invites; returns the link and its token (as the e-mail holds it)."""
    new = services.invite(
        client.user,
        client,
        name="Cora Coach",
        email=email,
        share_days=share.get("share_days", False),
        share_goal=share.get("share_goal", False),
    )
    return new.link, token_of(new.url)


def coach_for(client: ClientProfile, email: str = COACH_EMAIL, **share: bool) -> tuple[User, SupportLink]:
    """A coach linked to `client` (a new account, or the existing coach account of that address)."""
    link, token = invite(client, email, **share)
    existing = User.objects.filter(email=email).first()
    if existing is None:
        coach = services.accept_new(token, password=PASSWORD, display_name="Cora Coach")
    else:
        services.accept_as(token, existing)
        coach = existing
    link.refresh_from_db()
    return coach, link


def matrix_coach(client: ClientProfile) -> tuple[User, SupportLink]:
    """The permission matrix's coach: linked to client A with both items shared (linked again when a row
    before ended the link)."""
    link = SupportLink.objects.filter(client=client, ended_at__isnull=True, coach__isnull=False).first()
    if link is not None and link.coach is not None:
        return link.coach, link
    SupportLink.objects.filter(client=client, ended_at__isnull=True).update(ended_at=clock.now())
    return coach_for(client, share_days=True, share_goal=True)
