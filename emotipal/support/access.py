"""Who may see what of a support link.

A support person ("coach") is an account with no staff role and no client profile. They see only the clients
whose link to them is open, and of those only what each client ticked; every such view is audited here, as a
read of the client's data (`read.support`). A client sees and changes only their own link. Anything else is
"not found", so a denial never tells whether a link or message exists."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from emotipal.accounts import access as accounts_access
from emotipal.accounts.models import ClientProfile, Membership
from emotipal.platform.audit.services import record_many
from emotipal.support.models import Encouragement, SupportLink

View = Callable[..., HttpResponse]


def may_become_coach(user: Any) -> bool:
    """No staff membership (not even a deactivated one: it may be reactivated) and no client profile: a
    clinician or a client who became someone's coach would mix two roles on one login."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        not Membership.objects.filter(user=user).exists()
        and not ClientProfile.objects.filter(user=user).exists()
    )


def is_coach(user: Any) -> bool:
    """An account that accepted a support invitation and holds no other role (cached for one request)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_emotipal_is_coach", None)
    if cached is None:
        # The role checks the navigation has cached already come first, so staff and client pages pay no
        # query for this; only an account with neither role is looked up.
        cached = (
            not accounts_access.roles_of(user)
            and not accounts_access.is_client(user)
            and SupportLink.objects.filter(coach=user).exists()
            and may_become_coach(user)
        )
        user._emotipal_is_coach = cached
    return cached


def coach_required(view: View) -> View:
    """Coach pages: a logged-in coach only (staff, researchers and clients get 403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_coach(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def coach_links(user: Any) -> QuerySet[SupportLink]:
    """The open links of this coach: the clients who share with them now. A client whose account the clinic
    closed shares nothing any more (the link stays, so reopening the account restores what they chose)."""
    if not is_coach(user):
        return SupportLink.objects.none()
    return (
        SupportLink.objects.filter(coach=user, ended_at__isnull=True, client__user__is_active=True)
        .select_related("client__user", "client__clinic")
        .order_by("accepted_at", "pk")
    )


def coach_link(user: Any, link_id: int) -> SupportLink:
    """One open link of this coach, or 404 (a link the client ended is gone for the coach at once)."""
    found = coach_links(user).filter(pk=link_id).first()
    if found is None:
        raise Http404("No such link")
    return found


def note_coach_reads(user: Any, links: Iterable[SupportLink]) -> int:
    """Audit that a coach saw what these clients share with them, one row per client, in one INSERT."""
    return record_many(
        user,
        "read.support",
        [(link.client, link.client.user_id, link.client.clinic_id) for link in links],
        via="support",
    )


def open_link_of(client: ClientProfile) -> SupportLink | None:
    """The client's support link that is not ended (an invitation or an accepted link), if any."""
    return SupportLink.objects.filter(client=client, ended_at__isnull=True).select_related("coach").first()


def own_encouragement(user: Any, encouragement_id: int) -> Encouragement:
    """A message sent to this client (404 for anyone else's, and for a message of an ended link)."""
    if not accounts_access.is_client(user):
        raise Http404("No such message")
    found = (
        Encouragement.objects.filter(
            pk=encouragement_id, link__client__user=user, link__ended_at__isnull=True
        )
        .select_related("link__client")
        .first()
    )
    if found is None:
        raise Http404("No such message")
    return found
