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
from emotipal.accounts.mfa_policy import MFARequired, must_set_up_mfa
from emotipal.accounts.models import ApiToken, ClientProfile, Clinic, Invitation, Membership, User
from emotipal.accounts.signals import reminder_settings_changed
from emotipal.platform import clock
from emotipal.platform.audit.services import record


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
    if already_in_clinic(clinic, email):
        raise InvitationError(
            _("%(email)s already has an account in this clinic. Nothing was sent.") % {"email": email}
        )
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


def already_in_clinic(clinic: Clinic, email: str) -> bool:
    """Whether the address belongs to a staff member or a client of this clinic already."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        return False
    return (
        Membership.objects.filter(user=user, clinic=clinic).exists()
        or ClientProfile.objects.filter(user=user, clinic=clinic).exists()
    )


def account_exists_for(invitation: Invitation) -> bool:
    return User.objects.filter(email__iexact=invitation.email).exists()


def _lock_unused(token: str) -> Invitation:
    invitation = find_invitation(token)
    # Lock the row so two clicks on the same link cannot both use it.
    invitation = Invitation.objects.select_for_update().select_related("clinic").get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationError(
            _("This invitation has already been used. Log in with your e-mail and password.")
        )
    return invitation


def _grant(invitation: Invitation, user: User) -> None:
    """Adds the invitation's role to the account and marks the invitation used (inside the caller's lock)."""
    if invitation.role == Invitation.CLIENT:
        assert invitation.therapist is not None
        profile = ClientProfile.objects.filter(user=user).first()
        # A person is a client of one clinic at a time: silently keeping the other clinic's profile would
        # mark the invitation used while the inviting clinic gets nothing.
        if profile is not None and profile.clinic_id != invitation.clinic_id:
            raise InvitationError(
                _("This account is already a client of another clinic. Ask the clinic that invited you.")
            )
        if profile is None:
            # A new client starts in the clinic's zone (they can change it in Settings), so their days and
            # reminders are the clinic's days, not the server's UTC ones.
            ClientProfile.objects.create(
                user=user,
                clinic=invitation.clinic,
                therapist=invitation.therapist,
                timezone=clock.zone_for_clinic(invitation.clinic).key,
            )
    else:
        Membership.objects.get_or_create(user=user, clinic=invitation.clinic, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record(user, "invitation.accept", invitation, clinic_id=invitation.clinic_id, role=invitation.role)


@transaction.atomic
def accept_invitation(token: str, *, password: str, display_name: str = "", language: str = "en") -> User:
    """Creates the account an invitation is for. Never touches an existing account: knowing the link is not
    proof of owning the account, so an existing account accepts with `accept_invitation_as`, logged in."""
    invitation = _lock_unused(token)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationError(
            _(
                "An account with this e-mail address already exists. Log in to it, then open the invitation "
                "link again to accept."
            )
        )
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
    _grant(invitation, user)
    return user


@transaction.atomic
def accept_invitation_as(token: str, user: User) -> User:
    """Adds the invitation's role to an existing account whose owner is logged in (password and, where
    enrolled, MFA: the normal login). The invitation must be for that account's own address."""
    invitation = _lock_unused(token)
    if not user.is_authenticated or user.email.lower() != invitation.email.lower():
        raise InvitationError(
            _(
                "This invitation is for another e-mail address. Log out, then log in with the address the "
                "invitation was sent to."
            )
        )
    _grant(invitation, user)
    return user


@dataclass
class NewToken:
    token: ApiToken
    secret: str  # shown to the user once, never stored


def create_api_token(user: User, name: str, *, days_valid: int | None = None) -> NewToken:
    # A token is a way in that skips the login page, so it is not handed out before the MFA the clinic requires.
    if must_set_up_mfa(user):
        raise MFARequired()
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
    _note_token_use(token)
    return token.user


def _note_token_use(token: ApiToken) -> None:
    """Keeps last_used_at current (to the minute) and writes one audit row per token per clock hour.

    A script calls the API many times a minute: one audit row per request would bury every other event and
    make each read a write. The first use in each hour still answers "was this token used, and when"; the
    exact latest use is last_used_at. The update is conditional on the value read, so of two concurrent
    requests only one writes the row.
    """
    now = timezone.now()
    last = token.last_used_at
    new_hour = last is None or last.replace(minute=0, second=0, microsecond=0) != now.replace(
        minute=0, second=0, microsecond=0
    )
    if not new_hour and last is not None and now - last <= dt.timedelta(minutes=1):
        return
    updated = ApiToken.objects.filter(pk=token.pk, last_used_at=last).update(last_used_at=now)
    token.last_used_at = now
    if updated and new_hour:
        record(token.user, "api_token.use", token)


# --- settings ---------------------------------------------------------------------------------------------------


@transaction.atomic
def set_language(user: User, language: str) -> None:
    """The language the user reads EmotiPal (and its e-mails) in."""
    user.language = language
    user.save(update_fields=["language"])
    record(user, "settings.language", user, language=language)


@transaction.atomic
def save_reminder_settings(
    user: User, profile: ClientProfile, reminder_time: Any, timezone_name: str
) -> None:
    """A client's reminder time and time zone; notifications re-queue the next reminder (in this transaction)."""
    if clock.zone(timezone_name) is None:
        raise ValueError(f"not a time zone: {timezone_name!r}")  # the form offers only real zones
    profile.reminder_time = reminder_time
    profile.timezone = timezone_name
    profile.save(update_fields=["reminder_time", "timezone"])
    record(user, "settings.update", profile, subject_user_id=user.pk, clinic_id=profile.clinic_id)
    reminder_settings_changed.send(sender=ClientProfile, profile=profile)


@transaction.atomic
def set_clinic_policy(actor: User, clinic: Clinic, *, require_staff_mfa: bool, timezone: str) -> None:
    """The clinic's staff-MFA rule and time zone (the day its exports and fall-back schedules use)."""
    if clock.zone(timezone) is None:
        raise ValueError(f"not a time zone: {timezone!r}")  # the form validates it with a clear message
    clinic.require_staff_mfa = require_staff_mfa
    clinic.timezone = timezone
    clinic.save(update_fields=["require_staff_mfa", "timezone"])
    record(actor, "clinic.policy", clinic, clinic_id=clinic.pk, mfa=require_staff_mfa, timezone=timezone)
