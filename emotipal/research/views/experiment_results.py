"""The results sections of an experiment's page (CONSORT, arm effects, power, the MRT's effect), and the power
request. The page itself is research/views/experiments.py; this adds its results context."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from emotipal.accounts.gates import request_user
from emotipal.research import access
from emotipal.research.actions.experiment_power import PowerRequest, request_power
from emotipal.research.errors import ResearchError
from emotipal.research.models import Experiment
from emotipal.research.queries_experiment_results import (
    arm_effects,
    consort_panel,
    mrt_results,
    power_outcome_choices,
    power_rows,
)


def results_context(experiment: Experiment) -> dict[str, Any]:
    runs = power_rows(experiment)
    return {
        "consort": consort_panel(experiment),
        "effects": arm_effects(experiment),
        "power_runs": runs,
        "power_waiting": any(r.status == "queued" for r in runs),
        "power_outcomes": power_outcome_choices(),
        "power_form": {},
        "mrt": mrt_results(experiment),
    }


def _number(raw: str | None, kind: type, label: str) -> Any:
    text = (raw or "").strip().replace(",", ".")
    try:
        value = kind(text)
    except (TypeError, ValueError):
        raise ResearchError(_("%(label)s must be a number.") % {"label": label}) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ResearchError(_("%(label)s must be a number.") % {"label": label})
    return value


@login_required
def power(request: HttpRequest, slug: str, experiment_id: int) -> HttpResponse:
    """POST: queue a power run (the study's managers). GET: back to the page's power section (htmx polls it)."""
    user = request_user(request)
    if request.method != "POST":
        found = access.get_experiment(user, access.get_study(user, slug), experiment_id)
        return redirect(f"{found_url(found)}#power")
    found = access.get_managed_experiment(user, slug, experiment_id)
    try:
        req = PowerRequest(
            outcome=str(request.POST.get("outcome", "")),
            effect=_number(request.POST.get("effect"), float, _("The effect")),
            n_clients=_number(request.POST.get("n_clients"), int, _("The number of clients")),
            n_trials=_number(request.POST.get("n_trials"), int, _("The number of simulated trials")),
            weeks=_number(request.POST.get("weeks") or "12", int, _("The number of weeks")),
        )
        request_power(user, found, req)
    except ResearchError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Simulating %(n)d trials; the power appears below when they are done.") % {"n": req.n_trials},
        )
    return redirect(f"{found_url(found)}#power")


def found_url(experiment: Experiment) -> str:
    return reverse(
        "research_experiment", kwargs={"slug": experiment.study.slug, "experiment_id": experiment.pk}
    )
