"""Fear ladder pages, shared by the client and their therapist (they build it together)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from emotipal.accounts.access import (
    get_visible_client,
    is_client,
    is_clinician,
    note_reads,
    own_client_profile,
)
from emotipal.accounts.gates import request_user
from emotipal.homework import exposure_charts, ladders
from emotipal.homework.models import Entry, FearLadder
from emotipal.homework.services import HomeworkError
from emotipal.platform.input_rules import parse_id


def my_ladders(request: HttpRequest) -> HttpResponse:
    """A client's ladders (or, for a therapist, a client's ladders via ?client=)."""
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    user = request_user(request)
    client_id = request.GET.get("client") or request.POST.get("client")
    if client_id and is_clinician(user):
        client = get_visible_client(user, parse_id(client_id) or 0)  # "٣" or "1e3" is no client
        note_reads(user, [client], "ladders")
    elif is_client(user):
        client = own_client_profile(user)
    else:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    error = None
    if request.method == "POST":
        try:
            ladder = ladders.create_ladder(user, client, request.POST.get("title", ""))
        except HomeworkError as exc:
            error = exc.message
        else:
            return redirect("ladder", ladder_id=ladder.pk)
    return render(
        request,
        "homework/ladders/list.html",
        {
            "client": client,
            "ladders": FearLadder.objects.filter(client=client).prefetch_related("steps"),
            "error": error,
            "as_therapist": client.user_id != user.pk,
        },
        status=400 if error else 200,
    )


def _practices(ladder: FearLadder) -> list[dict[str, Any]]:
    entries = (
        Entry.objects.filter(ladder_step__ladder=ladder, status=Entry.Status.SUBMITTED)
        .select_related("ladder_step")
        .order_by("practice_date", "submitted_at")
    )
    rows = []
    for e in entries:
        answers = e.answers or {}
        step = e.ladder_step
        assert step is not None
        rows.append(
            {
                "date": e.practice_date,
                "step": f"{step.position}. {step.description[:40]}",
                "before": answers.get("suds_before"),
                "peak": answers.get("suds_peak"),
                "after": answers.get("suds_after"),
            }
        )
    return rows


def _step_id(request: HttpRequest) -> int:
    return (
        parse_id(request.POST.get("step")) or 0
    )  # not an ASCII number: no such step (404), not a server error


def ladder(request: HttpRequest, ladder_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    user = request_user(request)
    ladder_obj = ladders.get_ladder(user, ladder_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add":
                ladders.add_step(
                    user,
                    ladder_obj.pk,
                    request.POST.get("description", ""),
                    request.POST.get("expected_distress"),
                )
                messages.success(request, _("Step added."))
            elif action == "split":
                parts = [
                    (request.POST.get(f"part_{i}", ""), request.POST.get(f"distress_{i}")) for i in range(3)
                ]
                ladders.split_step(user, _step_id(request), parts, ladder_id=ladder_obj.pk)
                messages.success(request, _("Smaller steps added. There is always a smaller step."))
            elif action == "status":
                ladders.set_status(
                    user, _step_id(request), request.POST.get("status", ""), ladder_id=ladder_obj.pk
                )
            else:
                raise Http404("Unknown action")
        except HomeworkError as exc:
            errors = exc.errors
            messages.error(request, exc.message + " " + " ".join(exc.errors.values()))
        else:
            return redirect("ladder", ladder_id=ladder_obj.pk)
    note_reads(user, [ladder_obj.client], "ladder")
    practices = _practices(ladder_obj)
    # One query for the steps and their practice counts (not one count per step).
    steps = list(
        ladder_obj.steps.annotate(
            n_practices=Count("practices", filter=Q(practices__status=Entry.Status.SUBMITTED))
        )
    )
    return render(
        request,
        "homework/ladders/detail.html",
        {
            "ladder": ladder_obj,
            "steps": steps,
            "charts": [exposure_charts.peak_by_step(practices), exposure_charts.drop_within(practices)],
            "errors": errors,
            "statuses": ladder_obj.steps.model.Status.choices,
            "as_therapist": ladder_obj.client.user_id != user.pk,
        },
        status=400 if errors else 200,
    )
