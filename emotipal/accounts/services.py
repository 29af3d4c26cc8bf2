"""Account flows: invitations, accepting them, API tokens. Called by views, the API and the command line."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from emotipal.accounts.emails import language_of, send_in_language
from emotipal.accounts.models import ApiToken, ClientProfile, Clinic, Invitation, Membership, User
from emotipal.audit.services import record


class InvitationError(Exception):
    """An invitation that cannot be used, with a message fit to show to the person holding the link."""


@dataclass
class NewInvitation:
    invitation: Invitation
    url: str


def invite(
    *, clinic: Clinic, email: str, role: str, invited_by: Any, therapist: User | None = None
) -> NewInvitation:
    email = email.strip().lower()
    if role == Invitation.CLIENT and therapist is None:
        raise InvitationError(_("A client invitation needs a therapist."))
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        clinic=clinic,
        email=email,
        role=role,
        therapist=therapist,
        token_hash=Invitation.hash_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + dt.timedelta(days=settings.INVITATION_DAYS_VALID),
    )
    url = settings.SITE_URL + reverse("invitation_accept", args=[token])
    # The invitee has no account yet (or has one in another clinic): write in their language if we know it,
    # else in the inviter's, who chose to invite them and most likely shares it.
    existing = User.objects.filter(email__iexact=email).first()
    days = settings.INVITATION_DAYS_VALID

    def render() -> tuple[str, str]:
        subject = _("You are invited to %(clinic)s on EmotiPal") % {"clinic": clinic.name}
        body = _(
            "Hello,\n\n%(inviter)s has invited you to join %(clinic)s on EmotiPal (%(role)s).\n"
            "Open this link to choose your password (it works once, for %(days)s days):\n\n%(url)s\n\n"
            "If you were not expecting this, you can ignore this e-mail.\n"
        ) % {
            "inviter": invited_by,
            "clinic": clinic.name,
            "role": invitation.get_role_display(),
            "days": days,
            "url": url,
        }
        return subject, body

    send_in_language(language_of(existing or invited_by), [email], render)
    record(invited_by, "invitation.create", invitation, clinic_id=clinic.pk, role=role)
    return NewInvitation(invitation, url)


def find_invitation(token: str) -> Invitation:
    """The usable invitation for a token, or InvitationError saying plainly why not."""
    invitation = (
        Invitation.objects.select_related("clinic").filter(token_hash=Invitation.hash_token(token)).first()
    )
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid. Check that you copied the whole link."))
    if invitation.accepted_at is not None:
        raise InvitationError(
            _("This invitation has already been used. Log in with your e-mail and password.")
        )
    if invitation.is_expired:
        raise InvitationError(_("This invitation has expired. Ask the clinic to send you a new one."))
    return invitation


@transaction.atomic
def accept_invitation(token: str, *, password: str, display_name: str = "", language: str = "en") -> User:
    invitation = find_invitation(token)
    # Lock the row so two clicks on the same link cannot both create an account.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationError(
            _("This invitation has already been used. Log in with your e-mail and password.")
        )
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        # A new account starts in the language the person's browser asked for (they can change it in Settings).
        known = {code for code, _name in settings.LANGUAGES}
        user = User.objects.create_user(
            invitation.email,
            password,
            display_name=display_name,
            language=language if language in known else "en",
        )
    # The person proved they read the mailbox by opening the link, so the address counts as verified.
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    if invitation.role == Invitation.CLIENT:
        assert invitation.therapist is not None
        ClientProfile.objects.get_or_create(
            user=user, defaults={"clinic": invitation.clinic, "therapist": invitation.therapist}
        )
    else:
        Membership.objects.get_or_create(user=user, clinic=invitation.clinic, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record(user, "invitation.accept", invitation, clinic_id=invitation.clinic_id, role=invitation.role)
    return user


@dataclass
class NewToken:
    token: ApiToken
    secret: str  # shown to the user once, never stored


def create_api_token(user: User, name: str, *, days_valid: int | None = None) -> NewToken:
    secret = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API token",
        token_hash=ApiToken.hash_token(secret),
        hint=secret[:10],
        expires_at=timezone.now() + dt.timedelta(days=days_valid) if days_valid else None,
    )
    record(user, "api_token.create", token)
    return NewToken(token, secret)


def revoke_api_token(user: User, token_id: int) -> bool:
    updated = ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        record(user, "api_token.revoke", None, token_id=token_id)
    return bool(updated)


def user_for_token(secret: str) -> User | None:
    token = ApiToken.objects.select_related("user").filter(token_hash=ApiToken.hash_token(secret)).first()
    if token is None or not token.is_usable() or not token.user.is_active:
        return None
    now = timezone.now()
    # Write at most once a minute: tokens are used on every request of an API client.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
