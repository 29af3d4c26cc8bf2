"""Questionnaire pages: the client answers (with save-and-continue and immediate crisis resources), the
therapist sees scores and alerts, schedules questionnaires and acknowledges alerts."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.access import get_visible_client, note_reads, own_client_profile, read_client
from emotipal.accounts.gates import client_required, clinician_required, request_user
from emotipal.accounts.viewer import viewer_zone
from emotipal.measures import client_page as measures_view
from emotipal.measures import services, translations
from emotipal.measures.access import usable_instruments
from emotipal.measures.models import Response
from emotipal.measures.phone_links import with_phone_links
from emotipal.measures.queries import alert_lines
from emotipal.measures.questionnaire_form import bind_items, parse_items
from emotipal.platform.input_rules import parse_id, parse_index


@client_required
def questionnaire(request: HttpRequest, response_id: int) -> HttpResponse:
    response = services.own_response(request.user, response_id)
    if not response.is_open:
        if response.status == Response.Status.COMPLETED:
            return redirect("questionnaire_done", response_id=response.pk)
        messages.info(request, _("This questionnaire has closed. Your therapist will send the next one."))
        return redirect("today")
    shown = translations.shown_to(response)
    # Parsed and scored by the version's own definition; only the wording shown may be a translation's.
    definition = response.instrument_version.definition
    answers, errors = dict(response.answers or {}), {}
    if request.method == "POST":
        raw = parse_items(definition, request.POST)
        submit = request.POST.get("action") == "submit"
        try:
            result = services.save_answers(request.user, response.pk, raw, submit=submit)
        except services.MeasureError as exc:
            errors = exc.errors
            answers = {**answers, **{k: v for k, v in raw.items() if v not in ("", [])}}
            messages.error(request, exc.message)
        else:
            if result.alert is not None:
                return redirect("support")
            if submit:
                return redirect("questionnaire_done", response_id=response.pk)
            messages.success(request, _("Saved. You can come back and finish later."))
            return redirect("today")
    return render(
        request,
        "measures/questionnaire.html",
        {
            "response": response,
            "definition": shown.definition,
            "shown": shown,
            "items": bind_items(shown.definition, answers, errors),
        },
        status=400 if errors else 200,
    )


@client_required
def questionnaire_done(request: HttpRequest, response_id: int) -> HttpResponse:
    response = services.own_response(request.user, response_id)
    if response.status != Response.Status.COMPLETED:
        raise Http404("Not completed")
    return render(request, "measures/done.html", {"response": response})


def support(request: HttpRequest) -> HttpResponse:
    """Crisis resources: for clients after a risk answer, and for anyone who opens the page."""
    user = request.user
    client = own_client_profile(user) if user.is_authenticated and hasattr(user, "client_profile") else None
    language = getattr(user, "language", "en") if user.is_authenticated else "en"
    resources = services.crisis_resources(client.clinic, language) if client else [services.DEFAULT_CRISIS]
    recent_alert = (
        client.risk_alerts.filter(created_at__gte=timezone.now() - dt.timedelta(hours=1)).exists()
        if client
        else False
    )
    return render(
        request,
        "measures/support.html",
        {
            "resources": [(title, with_phone_links(str(body))) for title, body in resources],
            "client": client,
            "recent_alert": recent_alert,
            # Opened from the menu (not after an answer): the page starts with a way back and a calm heading.
            "from_menu": not recent_alert,
        },
    )


@clinician_required
def client_measures(request: HttpRequest, client_id: int) -> HttpResponse:
    client = read_client(request.user, client_id, "measures")
    return render(
        request, "measures/client_measures.html", measures_view.build(request_user(request), client)
    )


@clinician_required
@require_POST
def add_schedule(request: HttpRequest, client_id: int) -> HttpResponse:
    client = get_visible_client(request.user, client_id)
    raw_id = request.POST.get("instrument") or ""
    if not raw_id:
        messages.error(request, _("Choose a questionnaire."))
        return redirect("client_measures", client_id=client.pk)
    # Only what the page offered can be asked: another clinic's private questionnaire is "not found".
    instrument_id = parse_id(raw_id)
    instrument = (
        usable_instruments(request.user, client).filter(pk=instrument_id).first() if instrument_id else None
    )
    if instrument is None:
        raise Http404("No such questionnaire")
    # Out-of-range or non-ASCII numbers become -1, which the service refuses with its own message.
    weekday = parse_index(request.POST.get("weekday", "0"), maximum=1000)
    days = parse_index(request.POST.get("expires_after_days", "3"), maximum=1000)
    weekday = -1 if weekday is None else weekday
    days = -1 if days is None else days
    try:
        if request.POST.get("kind") == "now":
            services.ask_now(request.user, client, instrument)
            messages.success(request, _("Sent: it is on the client's Today page now."))
        else:
            services.add_schedule(
                request.user,
                client,
                instrument,
                request.POST.get("kind", ""),
                weekday=weekday,
                expires_after_days=days,
            )
            messages.success(request, _("Schedule added."))
    except services.MeasureError as exc:
        messages.error(request, exc.message + " " + " ".join(exc.errors.values()))
    return redirect("client_measures", client_id=client.pk)


@clinician_required
@require_POST
def stop_schedule(request: HttpRequest, client_id: int, schedule_id: int) -> HttpResponse:
    client = get_visible_client(request.user, client_id)
    services.stop_schedule(request.user, client, schedule_id)
    messages.success(request, _("Schedule stopped."))
    return redirect("client_measures", client_id=client.pk)


@clinician_required
def alerts(request: HttpRequest) -> HttpResponse:
    visible = services.visible_alerts(request.user)
    zone = viewer_zone(request.user)
    shown = {
        "open": alert_lines(list(visible.filter(acknowledged_at__isnull=True)), zone),
        "done": alert_lines(list(visible.filter(acknowledged_at__isnull=False)[:30]), zone),
    }
    note_reads(request.user, {line.alert.client for lines in shown.values() for line in lines}, "alerts")
    return render(request, "measures/alerts.html", {**shown, "zone": zone})


@clinician_required
@require_POST
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    try:
        services.acknowledge_alert(request.user, alert_id, request.POST.get("note", ""))
    except services.MeasureError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Alert acknowledged."))
    return redirect("alerts")
