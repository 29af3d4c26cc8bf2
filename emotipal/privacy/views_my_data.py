"""A client's "Download my data" page and its three downloads: a readable HTML summary, JSON and a FHIR bundle.

Only a client, and only their own data: there is no id in the URL, the profile is the logged-in user's. The
downloads need a login from the last few minutes (a phone left unlocked should not hand over a person's whole
record), and each writes an audit row, so the clinic's audit log shows that the client took a copy."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from emotipal.accounts import access
from emotipal.accounts.gates import client_required, request_user
from emotipal.accounts.models import ClientProfile
from emotipal.accounts.reauth import recent_login_required, recently_authenticated
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.privacy import my_data, my_data_fhir, my_data_json
from emotipal.privacy.my_data_audit import by_day
from emotipal.privacy.my_data_coverage import not_included

DOWNLOAD_ACTION = "privacy.my_data_download"
# The summary is a file to keep, not a page of the site: nothing in it may run or load anything, should a
# browser show it straight from the response (its own <meta> says the same once it is saved).
SUMMARY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; sandbox"


def _attachment(
    request: HttpRequest, profile: ClientProfile, body: str, content_type: str, fmt: str, suffix: str
) -> HttpResponse:
    record(
        request_user(request),
        DOWNLOAD_ACTION,
        profile,
        subject_user_id=profile.user_id,
        clinic_id=profile.clinic_id,
        format=fmt,
    )
    day = clock.client_today(profile)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="emotipal-my-data-{day.isoformat()}{suffix}"'
    response["Cache-Control"] = "private, no-store"
    return response


@client_required
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/my_data.html",
        {"not_included": not_included(), "asks_password": not recently_authenticated(request)},
    )


@client_required
@require_GET
@recent_login_required
def summary_html(request: HttpRequest) -> HttpResponse:
    profile = access.own_client_profile(request.user)
    data = my_data.collect(profile)
    # Every time in the summary reads in the client's own zone, whatever the server's.
    with timezone.override(clock.zone_for_client(profile)):
        body = render_to_string(
            "privacy/my_data_summary.html",
            {
                "data": data,
                "own_action_days": by_day(data.own_actions, profile),
                "not_included": not_included(),
            },
        )
    response = _attachment(request, profile, body, "text/html; charset=utf-8", "html", ".html")
    response["Content-Security-Policy"] = SUMMARY_POLICY
    return response


@client_required
@require_GET
@recent_login_required
def data_json(request: HttpRequest) -> HttpResponse:
    profile = access.own_client_profile(request.user)
    body = my_data_json.dumps(my_data.collect(profile))
    return _attachment(request, profile, body, "application/json; charset=utf-8", "json", ".json")


@client_required
@require_GET
@recent_login_required
def fhir_bundle(request: HttpRequest) -> HttpResponse:
    profile = access.own_client_profile(request.user)
    body = json.dumps(my_data_fhir.bundle(profile), ensure_ascii=False, indent=2)
    return _attachment(request, profile, body, "application/fhir+json; charset=utf-8", "fhir", "-fhir.json")
