"""The support person pages: the client's /support/, accepting an invitation, and the coach's page.

Views only parse and render; every write is a support.services function, every object comes through
support.access."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from allauth.account.utils import perform_login
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.access import own_client_profile
from emotipal.accounts.forms import AcceptInvitationForm
from emotipal.accounts.gates import client_required, request_user
from emotipal.accounts.models import ClientProfile, User
from emotipal.platform import clock
from emotipal.support import access, queries, services
from emotipal.support.forms import EncouragementForm, InviteForm, SharingForm
from emotipal.support.models import SupportLink

# --- the client's page ----------------------------------------------------------------------------------------


@client_required
def client_page(request: HttpRequest) -> HttpResponse:
    client = own_client_profile(request.user)
    link = access.open_link_of(client)
    if request.method != "POST":
        return _client_page(request, client, link)
    action = request.POST.get("action")
    if action == "invite":
        invite_form = InviteForm(request.POST)
        if invite_form.is_valid():
            data = invite_form.cleaned_data
            try:
                services.invite(
                    request.user,
                    client,
                    name=data["name"],
                    email=data["email"],
                    share_days=data["share_days"],
                    share_goal=data["share_goal"],
                )
            except services.SupportError as exc:
                invite_form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": data["email"].strip().lower()}
                )
                return redirect("support:support_page")
        return _client_page(request, client, link, invite_form=invite_form, status=400)
    if action == "sharing":
        sharing_form = SharingForm(request.POST)
        if sharing_form.is_valid():
            try:
                services.set_sharing(
                    request.user,
                    client,
                    share_days=sharing_form.cleaned_data["share_days"],
                    share_goal=sharing_form.cleaned_data["share_goal"],
                )
            except services.SupportError as exc:
                messages.error(request, str(exc))
                return redirect("support:support_page")
            messages.success(request, _("Saved. Your support person sees only what is ticked, from now on."))
            return redirect("support:support_page")
    messages.error(request, _("That request was not understood. Nothing was changed."))
    return redirect("support:support_page")


def _client_page(
    request: HttpRequest,
    client: ClientProfile,
    link: SupportLink | None,
    *,
    invite_form: InviteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {"link": link}
    if link is None or (link.coach_id is None and not _pending(link)):
        # No link, or an invitation nobody accepted in time: the client may invite (again).
        context["invite_form"] = invite_form or InviteForm()
        context["expired"] = link
    else:
        context["sharing_form"] = SharingForm(
            initial={"share_days": link.share_days, "share_goal": link.share_goal}
        )
        # An invitation posted while a link is open: its refusal is shown above the current link.
        context["refusal"] = invite_form.non_field_errors() if invite_form is not None else None
    return render(request, "support/client.html", context, status=status)


def _pending(link: SupportLink) -> bool:
    return link.coach_id is None and link.expires_at > clock.now()


@client_required
@require_POST
def end_link(request: HttpRequest) -> HttpResponse:
    client = own_client_profile(request.user)
    try:
        link = services.end_link(request.user, client)
    except services.SupportError as exc:
        messages.error(request, str(exc))
    else:
        if link.coach_id:
            messages.success(request, _("%(name)s is no longer your support person.") % {"name": link.name})
        else:
            messages.success(request, _("The invitation is withdrawn: the link no longer works."))
    return redirect("support:support_page")


@client_required
@require_POST
def dismiss(request: HttpRequest, encouragement_id: int) -> HttpResponse:
    services.dismiss(request.user, encouragement_id)
    return redirect("today")


# --- accepting an invitation ----------------------------------------------------------------------------------


def _refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(request, "support/invalid.html", {"reason": reason}, status=status)


def accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = services.find_invitation(token)
    except services.SupportError as exc:
        return _refused(request, str(exc), 410)
    current = request.user
    if current.is_authenticated and current.email.lower() != link.email.lower():
        return _refused(
            request,
            _(
                "This invitation is for %(invited)s, but you are logged in as %(current)s. Log out, then open the link again."
            )
            % {"invited": link.email, "current": current.email},
            403,
        )
    if User.objects.filter(email__iexact=link.email).exists():
        return _accept_as_existing_account(request, token, link)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_new(
                token,
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
                language=getattr(request, "LANGUAGE_CODE", "en"),
            )
        except services.SupportError as exc:
            return _refused(request, str(exc), 410)
        messages.success(request, _("You are now %(name)s's support person.") % {"name": link.client.user})
        # allauth's own login flow (its stages and signals), never a backend shortcut: the same login as
        # everyone's, so any MFA the account enrols later applies too.
        return perform_login(request, user, redirect_url=reverse("support:coach_page"))
    return render(
        request,
        "support/accept.html",
        {"link": link, "form": form, "mode": "new"},
        status=400 if form.errors else 200,
    )


def _accept_as_existing_account(request: HttpRequest, token: str, link: SupportLink) -> HttpResponse:
    """The address has an account: its owner logs in the normal way (password, and MFA where enrolled) and
    comes back; whatever was posted before that login is ignored."""
    if not request.user.is_authenticated:
        login_url = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
        return render(
            request,
            "support/accept.html",
            {"link": link, "mode": "login", "login_url": login_url},
            status=403 if request.method == "POST" else 200,
        )
    user = request_user(request)
    if not access.may_become_coach(user):
        return _refused(request, str(services.NOT_FOR_STAFF_OR_CLIENTS), 403)
    if request.method == "POST":
        try:
            services.accept_as(token, user)
        except services.SupportError as exc:
            return _refused(request, str(exc), 409)
        messages.success(request, _("You are now %(name)s's support person.") % {"name": link.client.user})
        return redirect("support:coach_page")
    return render(request, "support/accept.html", {"link": link, "mode": "confirm"})


# --- the coach's page -----------------------------------------------------------------------------------------


@access.coach_required
def coach_page(request: HttpRequest) -> HttpResponse:
    return _coach_page(request)


def _coach_page(
    request: HttpRequest, failed: tuple[int, EncouragementForm] | None = None, status: int = 200
) -> HttpResponse:
    links = list(access.coach_links(request.user))
    access.note_coach_reads(request.user, links)  # each client's shared items are about to be shown
    shown = queries.coach_page(links)
    forms = [
        (
            view,
            failed[1]
            if failed and failed[0] == view.link.pk
            else EncouragementForm(prefix=f"m{view.link.pk}"),
        )
        for view in shown
    ]
    return render(
        request,
        "support/coach.html",
        {"shown": forms, "per_day": services.MESSAGES_PER_DAY},
        status=status,
    )


@access.coach_required
@require_POST
def encourage(request: HttpRequest, link_id: int) -> HttpResponse:
    link = access.coach_link(request.user, link_id)  # 404 once the client has removed this coach
    form = EncouragementForm(request.POST, prefix=f"m{link.pk}")
    form.is_valid()
    try:
        services.send_encouragement(request.user, link.pk, form.cleaned_data.get("text", ""))
    except services.SupportError as exc:
        form.add_error("text", str(exc))
        return _coach_page(request, failed=(link.pk, form), status=400)
    messages.success(request, _("Your message was sent."))
    return redirect("support:coach_page")
