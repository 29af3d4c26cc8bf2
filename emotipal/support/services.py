"""Support person flows: invite, withdraw or remove, choose what to share, accept, encourage, dismiss.

Each write runs in one transaction with its audit row. Every refusal is a SupportError whose message is fit to
show to the person who asked, and changes nothing."""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from emotipal.accounts.emails import language_of, send_in_language
from emotipal.accounts.models import ClientProfile, User
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.platform.input_rules import text_problem
from emotipal.support import access
from emotipal.support.models import Encouragement, SupportLink

INVITATION_DAYS = 14
MESSAGE_MAX_CHARS = 280
# Messages one support person may send one client within a day (a rolling 24 hours): encouragement, not a
# stream of notifications the client has to clear.
MESSAGES_PER_DAY = 5
NAME_MAX_CHARS = 120


class SupportError(Exception):
    """A refused request, with a message for the person who made it."""


@dataclass(frozen=True)
class NewSupportInvitation:
    link: SupportLink
    url: str  # holds the token: e-mailed, never stored


def _audit(actor: Any, action: str, link: SupportLink, **detail: Any) -> None:
    record(
        actor, action, link, subject_user_id=link.client.user_id, clinic_id=link.client.clinic_id, **detail
    )


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise SupportError(_("Write the name of the person you want to invite."))
    if len(name) > NAME_MAX_CHARS:
        raise SupportError(_("Keep the name to %(n)s characters.") % {"n": NAME_MAX_CHARS})
    problem = text_problem(name)
    if problem:
        raise SupportError(problem)
    return name


def invite(
    user: Any, client: ClientProfile, *, name: str, email: str, share_days: bool, share_goal: bool
) -> NewSupportInvitation:
    """Invite one support person by e-mail. A client has one open link at a time (say so when refused).

    Whether the address belongs to a staff member or a client is not checked here: telling the client so
    would let anyone with a client login find out who has an account. Such an address is refused when the
    link is opened (accept_new / accept_as)."""
    name = _clean_name(name)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise SupportError(_("Enter a valid e-mail address.")) from exc
    if email == client.user.email.lower():
        raise SupportError(_("That is your own address. Enter the address of the person you want to invite."))
    now = clock.now()
    token = SupportLink.new_token()
    url = settings.SITE_URL + reverse("support:support_accept", args=[token])
    with transaction.atomic():
        # Locks the client's open link, so two invitations sent at once cannot both pass the check.
        current = SupportLink.objects.select_for_update().filter(client=client, ended_at__isnull=True).first()
        if current is not None and current.coach_id is None and current.expires_at <= now:
            # An invitation nobody accepted in time ends now, so the client can invite again.
            current.ended_at = now
            current.save(update_fields=["ended_at"])
            _audit(None, "support.invitation_expired", current)
            current = None
        if current is not None:
            raise SupportError(
                _(
                    "You can have one support person at a time. Remove the current one (or withdraw the "
                    "invitation) first."
                )
            )
        link = SupportLink.objects.create(
            client=client,
            name=name,
            email=email,
            token_hash=SupportLink.hash_token(token),
            invited_at=now,
            expires_at=now + dt.timedelta(days=INVITATION_DAYS),
            share_days=share_days,
            share_goal=share_goal,
        )
        _audit(user, "support.invite", link, share_days=share_days, share_goal=share_goal)
        try:
            _send_invitation(link, url, client)
        except (OSError, smtplib.SMTPException) as exc:
            # Raised inside the transaction: the link is not kept when its e-mail could not be sent.
            raise SupportError(_("The invitation e-mail could not be sent. Try again later.")) from exc
    return NewSupportInvitation(link, url)


def _send_invitation(link: SupportLink, url: str, client: ClientProfile) -> None:
    inviter = client.user
    existing = User.objects.filter(email__iexact=link.email).first()

    def render() -> tuple[str, str]:
        subject = _("%(name)s invites you to be their support person on EmotiPal") % {"name": inviter}
        body = _(
            "Hello %(invitee)s,\n\n%(name)s invites you to be their support person on EmotiPal. You will see "
            "only what %(name)s chooses to share (for example on which days they practised), never what they "
            "wrote, and you can send them short messages of encouragement.\n\n"
            "Open this link to accept (it works once, for %(days)s days):\n\n%(url)s\n\n"
            "If you were not expecting this, you can ignore this e-mail.\n"
        ) % {"invitee": link.name, "name": inviter, "days": INVITATION_DAYS, "url": url}
        return subject, body

    # The invitee's language if they have an account, else the client's (who chose to invite them).
    send_in_language(language_of(existing or inviter), [link.email], render)


def end_link(user: Any, client: ClientProfile) -> SupportLink:
    """Withdraw the open invitation, or remove the support person: one step, effective at once (the coach's
    next request finds nothing of this client)."""
    with transaction.atomic():
        link = SupportLink.objects.select_for_update().filter(client=client, ended_at__isnull=True).first()
        if link is None:
            raise SupportError(_("You have no support person or open invitation to remove."))
        link.ended_at = clock.now()
        link.save(update_fields=["ended_at"])
        _audit(user, "support.remove" if link.coach_id else "support.invitation_withdrawn", link)
    return link


def set_sharing(user: Any, client: ClientProfile, *, share_days: bool, share_goal: bool) -> SupportLink:
    """What the support person sees from now on (their next page view reads these)."""
    with transaction.atomic():
        link = SupportLink.objects.select_for_update().filter(client=client, ended_at__isnull=True).first()
        if link is None:
            raise SupportError(_("Invite a support person first."))
        link.share_days, link.share_goal = share_days, share_goal
        link.save(update_fields=["share_days", "share_goal"])
        _audit(user, "support.sharing", link, share_days=share_days, share_goal=share_goal)
    return link


# --- accepting ------------------------------------------------------------------------------------------------


def find_invitation(token: str) -> SupportLink:
    """The usable invitation of a token, or SupportError saying plainly why not."""
    link = (
        SupportLink.objects.select_related("client__user", "client__clinic")
        .filter(token_hash=SupportLink.hash_token(token))
        .first()
    )
    if link is None:
        raise SupportError(_("This invitation link is not valid. Check that you copied the whole link."))
    if link.coach_id is not None:
        raise SupportError(_("This invitation has already been used. Log in with your e-mail and password."))
    if link.ended_at is not None:
        raise SupportError(_("This invitation was withdrawn. Ask the person who invited you for a new one."))
    if link.expires_at <= clock.now():
        raise SupportError(_("This invitation has expired. Ask the person who invited you for a new one."))
    return link


def _lock_unused(token: str) -> SupportLink:
    link = find_invitation(token)
    # Locked and checked again, so two clicks on the link cannot both accept it.
    link = (
        SupportLink.objects.select_for_update()
        .select_related("client__user", "client__clinic")
        .get(pk=link.pk)
    )
    if link.coach_id is not None or link.ended_at is not None:
        raise SupportError(_("This invitation can no longer be used."))
    return link


NOT_FOR_STAFF_OR_CLIENTS = _(
    "This address belongs to an account with another role (staff or client) in EmotiPal, and such an "
    "account cannot be a support person. Ask the person who invited you to use another e-mail address."
)


def _grant(link: SupportLink, coach: User) -> None:
    if not access.may_become_coach(coach):
        raise SupportError(str(NOT_FOR_STAFF_OR_CLIENTS))
    link.coach = coach
    link.accepted_at = clock.now()
    link.save(update_fields=["coach", "accepted_at"])
    _audit(coach, "support.accept", link)


@transaction.atomic
def accept_new(token: str, *, password: str, display_name: str = "", language: str = "en") -> User:
    """Creates the support person's account. An address that has an account already accepts with
    `accept_as`, logged in through the normal login (knowing the link is no proof of owning the account)."""
    link = _lock_unused(token)
    if User.objects.filter(email__iexact=link.email).exists():
        raise SupportError(
            _("An account with this e-mail address already exists. Log in, then open the link again.")
        )
    known = {code for code, _name in settings.LANGUAGES}
    user = User.objects.create_user(
        link.email,
        password,
        display_name=display_name.strip() or link.name,
        language=language if language in known else "en",
    )
    # Opening the e-mailed link proves the mailbox, as for clinic invitations.
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    _grant(link, user)
    return user


@transaction.atomic
def accept_as(token: str, user: User) -> SupportLink:
    """An existing account accepts, logged in (password and, where enrolled, MFA): only the account the
    invitation was sent to, and only one that may be a coach."""
    link = _lock_unused(token)
    if user.email.lower() != link.email.lower():
        raise SupportError(
            _("This invitation is for another e-mail address. Log out, then log in with the invited address.")
        )
    _grant(link, user)
    return link


# --- encouragement --------------------------------------------------------------------------------------------


def clean_message(text: str) -> str:
    text = text.strip()
    if not text:
        raise SupportError(_("Write a message first."))
    if len(text) > MESSAGE_MAX_CHARS:
        raise SupportError(
            _("Keep the message to %(max)s characters (it has %(n)s).")
            % {"max": MESSAGE_MAX_CHARS, "n": len(text)}
        )
    problem = text_problem(text)
    if problem:
        raise SupportError(problem)
    return text


def send_encouragement(coach: Any, link_id: int, text: str) -> Encouragement:
    text = clean_message(text)
    with transaction.atomic():
        link = access.coach_link(coach, link_id)  # 404 when the client ended the link
        # The lock serialises one coach's messages to one client, so the daily limit holds under double posts.
        link = SupportLink.objects.select_for_update().select_related("client").get(pk=link.pk)
        now = clock.now()
        recent = Encouragement.objects.filter(link=link, sent_at__gt=now - dt.timedelta(days=1)).count()
        if recent >= MESSAGES_PER_DAY:
            raise SupportError(
                _(
                    "You have sent %(n)s messages in the last 24 hours, the most for one day. Try again tomorrow."
                )
                % {"n": MESSAGES_PER_DAY}
            )
        message = Encouragement.objects.create(link=link, text=text, sent_at=now)
        _audit(coach, "support.encourage", link)
    return message


def dismiss(user: Any, encouragement_id: int) -> Encouragement:
    with transaction.atomic():
        message = access.own_encouragement(user, encouragement_id)
        if message.dismissed_at is None:
            message.dismissed_at = clock.now()
            message.save(update_fields=["dismissed_at"])
            _audit(user, "support.dismiss", message.link)
    return message
