"""Account flows: invitations, accepting them, API tokens. Called by views, the API and the command line."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from emotipal.accounts.emails import language_of, send_in_language
from emotipal.accounts.mfa_policy import MFARequired, must_set_up_mfa
from emotipal.accounts.models import ApiToken, ClientProfile, Clinic, Invitation, Membership, Role, User
from emotipal.accounts.signals import reminder_settings_changed
from emotipal.platform import clock
from emotipal.platform.api import ActionError
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
    if (
        Membership.objects.filter(
            clinic=clinic, user__email__iexact=email, deactivated_at__isnull=False
        ).exists()
        and not Membership.objects.active().filter(clinic=clinic, user__email__iexact=email).exists()
    ):
        raise InvitationError(
            _("%(email)s has a deactivated role here: reactivate it in the staff list. Nothing was sent.")
            % {"email": email}
        )
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
    url = _invitation_url(token)
    _send_invitation(invitation, url, invited_by)
    record(invited_by, "invitation.create", invitation, clinic_id=clinic.pk, role=role)
    return NewInvitation(invitation, url)


def _invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[token])


def _send_invitation(invitation: Invitation, url: str, invited_by: Any) -> None:
    clinic = invitation.clinic
    # The invitee has no account yet (or has one in another clinic): write in their language if we know it,
    # else in the inviter's, who chose to invite them and most likely shares it.
    existing = User.objects.filter(email__iexact=invitation.email).first()
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

    send_in_language(language_of(existing or invited_by), [invitation.email], render)


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
    if invitation.revoked_at is not None:
        raise InvitationError(
            _("This invitation was withdrawn by the clinic. Ask them to send you a new one if you need it.")
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
    # Revoked or resent (a new token) between the first look and the lock: the old link no longer works.
    if invitation.revoked_at is not None or invitation.token_hash != Invitation.hash_token(token):
        raise InvitationError(
            _("This invitation was withdrawn by the clinic. Ask them to send you a new one if you need it.")
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


class TokenError(ActionError):
    """A token that cannot be made as asked (its validity), with a message for the person; nothing is made."""


class TokenRefused(Exception):
    """A request's API token that does not let it in, with a message saying why (expired, revoked, unknown)."""


def token_days_allowed() -> int:
    return int(settings.API_TOKEN_MAX_DAYS)


def create_api_token(
    user: User, name: str, *, days_valid: int | None = None, made_with: ApiToken | None = None
) -> NewToken:
    """A new personal token, valid `days_valid` days (settings.API_TOKEN_DAYS when not given, never more than
    settings.API_TOKEN_MAX_DAYS). Made through the API with another token (`made_with`), it expires no later
    than that token: a token cannot keep its holder in for ever by renewing itself."""
    # A token is a way in that skips the login page, so it is not handed out before the MFA the clinic requires.
    if must_set_up_mfa(user):
        raise MFARequired()
    days = settings.API_TOKEN_DAYS if days_valid is None else days_valid
    most = token_days_allowed()
    if not 1 <= days <= most:
        message = ngettext(
            "A token is valid for 1 to %(most)d day.", "A token is valid for 1 to %(most)d days.", most
        ) % {"most": most}
        raise TokenError(message, {"days_valid": message})
    now = timezone.now()
    expires_at = now + dt.timedelta(days=days)
    if made_with is not None:
        expires_at = min(expires_at, made_with.expires_at)
    secret = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API token",
        token_hash=ApiToken.hash_token(secret),
        hint=secret[:10],
        expires_at=expires_at,
    )
    record(user, "api_token.create", token, days=days)
    return NewToken(token, secret)


def revoke_api_token(user: User, token_id: int) -> bool:
    updated = ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        record(user, "api_token.revoke", None, token_id=token_id)
    return bool(updated)


def token_for_secret(secret: str) -> ApiToken:
    """The usable token of a request (its use noted), or TokenRefused saying plainly why it is not usable."""
    token = ApiToken.objects.select_related("user").filter(token_hash=ApiToken.hash_token(secret)).first()
    if token is None or not token.user.is_active:
        raise TokenRefused(_("This API token is not valid. Check that you copied the whole token."))
    if token.revoked_at is not None:
        raise TokenRefused(_("This API token was revoked. Create a new one in Settings → API tokens."))
    if token.is_expired():
        raise TokenRefused(
            _("This API token expired on %(date)s (UTC). Create a new one in Settings → API tokens.")
            % {"date": token.expires_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")}
        )
    note_token_use(token)
    return token


def note_token_use(token: ApiToken) -> None:
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
def set_clinic_policy(
    actor: User,
    clinic: Clinic,
    *,
    require_staff_mfa: bool,
    timezone: str,
    staff_idle_minutes: int | None = None,
    client_idle_days: int | None = None,
) -> None:
    """The clinic's staff-MFA rule, time zone (the day its exports and fall-back schedules use) and idle
    timeouts (None keeps the clinic's)."""
    if clock.zone(timezone) is None:
        raise ValueError(f"not a time zone: {timezone!r}")  # the form validates it with a clear message
    clinic.require_staff_mfa = require_staff_mfa
    clinic.timezone = timezone
    if staff_idle_minutes is not None:
        clinic.staff_idle_minutes = staff_idle_minutes
    if client_idle_days is not None:
        clinic.client_idle_days = client_idle_days
    # The model's own bounds (the form checks them first, with a message): never a zero or endless timeout.
    timeouts = {"staff_idle_minutes", "client_idle_days"}
    clinic.clean_fields(exclude=[f.name for f in Clinic._meta.concrete_fields if f.name not in timeouts])
    clinic.save(update_fields=["require_staff_mfa", "timezone", "staff_idle_minutes", "client_idle_days"])
    record(
        actor,
        "clinic.policy",
        clinic,
        clinic_id=clinic.pk,
        mfa=require_staff_mfa,
        timezone=timezone,
        staff_idle_minutes=clinic.staff_idle_minutes,
        client_idle_days=clinic.client_idle_days,
    )


# --- clinic admin: staff, roles, clients, invitations -----------------------------------------------------------
#
# Every action re-checks that the actor is an active admin of the clinic and finds the object inside that clinic
# (another clinic's id is "not found"), locks what it changes, and writes its audit row in the same transaction.
# A refused action raises AdminError with a message for the admin and changes nothing.


class AdminError(Exception):
    """A clinic admin action refused, with a message fit to show to the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _require_admin(actor: Any, clinic: Clinic) -> None:
    if not (
        getattr(actor, "is_authenticated", False)
        and Membership.objects.active().filter(user=actor, clinic=clinic, role=Role.ADMIN).exists()
    ):
        raise PermissionDenied


def _membership_in(clinic: Clinic, membership_id: int) -> Membership:
    found = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(clinic=clinic, pk=membership_id)
        .first()
    )
    if found is None:
        raise Http404("No such membership")
    return found


def _is_last_admin(membership: Membership) -> bool:
    if membership.role != Role.ADMIN or membership.deactivated_at is not None:
        return False
    others = Membership.objects.active().filter(clinic_id=membership.clinic_id, role=Role.ADMIN)
    return not others.exclude(pk=membership.pk).exists()


def _guard_admin_membership(actor: Any, membership: Membership) -> None:
    """An admin never takes away their own admin role (someone else must), and a clinic keeps an admin."""
    if membership.role != Role.ADMIN:
        return
    if membership.user_id == actor.pk:
        raise AdminError(_("You cannot take away your own admin role. Ask another admin of the clinic."))
    if _is_last_admin(membership):
        raise AdminError(
            _("%(person)s is the clinic's last admin. Add another admin first.") % {"person": membership.user}
        )


@transaction.atomic
def deactivate_membership(actor: Any, clinic: Clinic, membership_id: int) -> Membership:
    """The role stops granting anything (pages, API, alerts); the row stays so past work still names it."""
    _require_admin(actor, clinic)
    membership = _membership_in(clinic, membership_id)
    if membership.deactivated_at is not None:
        raise AdminError(_("That role is already deactivated."))
    _guard_admin_membership(actor, membership)
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["deactivated_at"])
    record(
        actor,
        "membership.deactivate",
        membership,
        subject_user_id=membership.user_id,
        clinic_id=clinic.pk,
        role=membership.role,
    )
    return membership


@transaction.atomic
def reactivate_membership(actor: Any, clinic: Clinic, membership_id: int) -> Membership:
    _require_admin(actor, clinic)
    membership = _membership_in(clinic, membership_id)
    if membership.deactivated_at is None:
        raise AdminError(_("That role is already active."))
    membership.deactivated_at = None
    membership.save(update_fields=["deactivated_at"])
    record(
        actor,
        "membership.reactivate",
        membership,
        subject_user_id=membership.user_id,
        clinic_id=clinic.pk,
        role=membership.role,
    )
    return membership


@transaction.atomic
def add_role(actor: Any, clinic: Clinic, user_id: int, role: str) -> Membership:
    """Gives a member of the clinic's staff another role here (new people are invited instead)."""
    _require_admin(actor, clinic)
    if role not in Role.values:
        raise AdminError(_("Choose a role."))
    person = User.objects.filter(pk=user_id, memberships__clinic=clinic).distinct().first()
    if person is None:
        raise Http404("No such staff member")
    existing = Membership.objects.filter(user=person, clinic=clinic, role=role).first()
    if existing is not None:
        if existing.deactivated_at is not None:
            raise AdminError(
                _("%(person)s has this role, deactivated: reactivate it instead.") % {"person": person}
            )
        raise AdminError(_("%(person)s already has this role.") % {"person": person})
    membership = Membership.objects.create(user=person, clinic=clinic, role=role)
    record(actor, "membership.add", membership, subject_user_id=person.pk, clinic_id=clinic.pk, role=role)
    return membership


@transaction.atomic
def remove_role(actor: Any, clinic: Clinic, membership_id: int) -> None:
    """Removes one role. A therapist who still looks after clients keeps the role until they are reassigned."""
    _require_admin(actor, clinic)
    membership = _membership_in(clinic, membership_id)
    _guard_admin_membership(actor, membership)
    if membership.role == Role.THERAPIST:
        count = ClientProfile.objects.filter(clinic=clinic, therapist_id=membership.user_id).count()
        if count:
            raise AdminError(
                ngettext(
                    "%(person)s still looks after %(count)d client. Reassign them first.",
                    "%(person)s still looks after %(count)d clients. Reassign them first.",
                    count,
                )
                % {"person": membership.user, "count": count}
            )
    record(
        actor,
        "membership.remove",
        membership,
        subject_user_id=membership.user_id,
        clinic_id=clinic.pk,
        role=membership.role,
    )
    membership.delete()


@transaction.atomic
def reassign_client(actor: Any, clinic: Clinic, client_id: int, therapist_id: int) -> ClientProfile:
    """Moves a client to another active therapist of the same clinic; the old therapist loses access."""
    _require_admin(actor, clinic)
    client = ClientProfile.objects.select_for_update().filter(clinic=clinic, pk=client_id).first()
    if client is None:
        raise Http404("No such client")
    therapist = User.objects.filter(
        pk__in=Membership.objects.active()
        .filter(clinic=clinic, role=Role.THERAPIST, user_id=therapist_id)
        .values("user_id")
    ).first()
    if therapist is None:
        raise AdminError(_("Choose an active therapist of this clinic."))
    if therapist.pk == client.therapist_id:
        raise AdminError(_("%(person)s already looks after this client.") % {"person": therapist})
    previous = client.therapist_id
    client.therapist = therapist
    client.save(update_fields=["therapist"])
    record(
        actor,
        "client.reassign",
        client,
        subject_user_id=client.user_id,
        clinic_id=clinic.pk,
        from_therapist=previous,
        to_therapist=therapist.pk,
    )
    return client


def _open_invitation_in(clinic: Clinic, invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("clinic")
        .filter(clinic=clinic, pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation")
    if invitation.accepted_at is not None:
        raise AdminError(_("This invitation has already been accepted."))
    if invitation.revoked_at is not None:
        raise AdminError(_("This invitation was revoked. Send a new invitation instead."))
    return invitation


@transaction.atomic
def resend_invitation(actor: Any, clinic: Clinic, invitation_id: int) -> NewInvitation:
    """A new link with a new expiry, sent again; the old link stops working (its token is replaced)."""
    _require_admin(actor, clinic)
    invitation = _open_invitation_in(clinic, invitation_id)
    token = Invitation.new_token()
    invitation.token_hash = Invitation.hash_token(token)
    invitation.expires_at = timezone.now() + dt.timedelta(days=settings.INVITATION_DAYS_VALID)
    invitation.save(update_fields=["token_hash", "expires_at"])
    url = _invitation_url(token)
    _send_invitation(invitation, url, actor)
    record(actor, "invitation.resend", invitation, clinic_id=clinic.pk, role=invitation.role)
    return NewInvitation(invitation, url)


@transaction.atomic
def revoke_invitation(actor: Any, clinic: Clinic, invitation_id: int) -> Invitation:
    _require_admin(actor, clinic)
    invitation = _open_invitation_in(clinic, invitation_id)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record(actor, "invitation.revoke", invitation, clinic_id=clinic.pk, role=invitation.role)
    return invitation
