"""The account and care part of a client's data download: who they are to EmotiPal, their clinic and therapist,
their settings, and how they sign in (without any password, token or two-factor secret)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.utils.translation import get_language_info

from emotipal.accounts.models import ApiToken, ClientProfile, Invitation
from emotipal.privacy.my_data_common import person_name


@dataclass(frozen=True)
class Account:
    email: str
    name: str
    language: str  # the code ("es")
    language_name: str  # its name in the reader's language
    joined_at: dt.datetime
    last_login_at: dt.datetime | None


@dataclass(frozen=True)
class Care:
    clinic: str
    therapist: str
    client_since: dt.datetime
    time_zone: str
    reminder_time: dt.time | None
    discharged_on: dt.date | None
    invited_by: str  # who sent the invitation the account was made with ("" if none is kept)
    invitation_accepted_at: dt.datetime | None


@dataclass(frozen=True)
class EmailRow:
    email: str
    verified: bool
    primary: bool


@dataclass(frozen=True)
class SignInMethod:
    """A two-factor method: its kind and dates, never its secret (the TOTP key or the recovery codes)."""

    kind: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


@dataclass(frozen=True)
class TokenRow:
    """An API token by its name and dates; neither the token, its hash nor its first characters."""

    name: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def _language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def account(profile: ClientProfile) -> Account:
    user = profile.user
    return Account(
        email=user.email,
        name=user.display_name,
        language=user.language,
        language_name=_language_name(user.language),
        joined_at=user.date_joined,
        last_login_at=user.last_login,
    )


def care(profile: ClientProfile) -> Care:
    invitation = (
        Invitation.objects.filter(accepted_by=profile.user, clinic=profile.clinic)
        .select_related("invited_by")
        .order_by("-accepted_at")
        .first()
    )
    return Care(
        clinic=profile.clinic.name,
        therapist=person_name(profile.therapist),
        client_since=profile.created_at,
        time_zone=profile.timezone,
        reminder_time=profile.reminder_time,
        discharged_on=profile.discharged_on,
        invited_by=person_name(invitation.invited_by) if invitation else "",
        invitation_accepted_at=invitation.accepted_at if invitation else None,
    )


def email_addresses(profile: ClientProfile) -> list[EmailRow]:
    rows = EmailAddress.objects.filter(user_id=profile.user_id).order_by("-primary", "email")
    return [EmailRow(r.email, r.verified, r.primary) for r in rows]


def sign_in_methods(profile: ClientProfile) -> list[SignInMethod]:
    # .only(): the secret (Authenticator.data) is never even read.
    rows = (
        Authenticator.objects.filter(user_id=profile.user_id)
        .only("type", "created_at", "last_used_at")
        .order_by("created_at", "pk")
    )
    return [SignInMethod(str(r.get_type_display()), r.created_at, r.last_used_at) for r in rows]


def api_tokens(profile: ClientProfile) -> list[TokenRow]:
    rows = (
        ApiToken.objects.filter(user_id=profile.user_id)
        .only("name", "created_at", "expires_at", "last_used_at", "revoked_at")
        .order_by("created_at", "pk")
    )
    return [TokenRow(r.name, r.created_at, r.expires_at, r.last_used_at, r.revoked_at) for r in rows]
