"""The study team's experiment pages: the list, a new or edited draft, the experiment's page with its
state buttons, the participants not allocated yet, and, for the roles research/access.py allows, the
allocation log (download and replay) and a generated REDCap allocation table.

Concealment: no page shows the method's state, the seed or which arm comes next; allocation is always the
action's (the method chooses), never a person's.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.gates import request_user
from emotipal.accounts.reauth import require_recent_login
from emotipal.analysis.trials.allocation import DesignError
from emotipal.research import access, queries_experiments
from emotipal.research.actions import experiments as actions
from emotipal.research.errors import ResearchError
from emotipal.research.forms_experiments import (
    ExperimentForm,
    TableDownloadForm,
    arm_formset,
    build_draft,
    experiment_initial,
)
from emotipal.research.models import Experiment, ExperimentKind, ExperimentState
from emotipal.research.views.experiment_results import results_context


def _page(experiment: Experiment) -> HttpResponse:
    return redirect("research_experiment", slug=experiment.study.slug, experiment_id=experiment.pk)


@login_required
def experiments(request: HttpRequest, slug: str) -> HttpResponse:
    user = request_user(request)
    study = access.get_study(user, slug)
    rows = queries_experiments.experiment_rows(access.experiments_of(user, study))
    return render(
        request,
        "research/experiments/list.html",
        {"study": study, "rows": rows, "may_manage": access.can_manage(user, study)},
    )


def _form_page(request: HttpRequest, study: object, experiment: Experiment | None) -> HttpResponse:
    user = request_user(request)
    initial = experiment_initial(experiment) if experiment is not None else None
    form = ExperimentForm(request.POST or None, request.FILES or None, experiment=experiment, initial=initial)
    arms = arm_formset(request.POST or None, experiment)
    if request.method == "POST":
        draft = build_draft(form, arms)
        if draft is not None:
            try:
                if experiment is None:
                    saved = actions.create_experiment(user, study, draft)  # type: ignore[arg-type]
                    messages.success(request, _("Experiment saved as a draft."))
                else:
                    saved = actions.update_experiment(user, experiment, draft)
                    messages.success(request, _("Experiment saved."))
            except ResearchError as exc:
                form.add_error(None, exc.message)
            else:
                return _page(saved)
    return render(
        request,
        "research/experiments/form.html",
        {"study": study, "experiment": experiment, "form": form, "arms": arms},
    )


@login_required
def create(request: HttpRequest, slug: str) -> HttpResponse:
    study = access.get_managed_study(request_user(request), slug)
    return _form_page(request, study, None)


@login_required
def edit(request: HttpRequest, slug: str, experiment_id: int) -> HttpResponse:
    experiment = access.get_managed_experiment(request_user(request), slug, experiment_id)
    refusal = None
    if actions.has_allocations(experiment):
        refusal = _(
            "Participants have been allocated: the arms and the method cannot change. Make a new version."
        )
    elif experiment.state != ExperimentState.DRAFT:
        refusal = _("Only a draft experiment can be edited. Make a new version.")
    if refusal is not None:
        return render(
            request,
            "research/experiments/form.html",
            {"study": experiment.study, "experiment": experiment, "refusal": refusal},
            status=409 if request.method == "POST" else 200,
        )
    return _form_page(request, experiment.study, experiment)


@login_required
def experiment(request: HttpRequest, slug: str, experiment_id: int) -> HttpResponse:
    user = request_user(request)
    study = access.get_study(user, slug)
    found = access.get_experiment(user, study, experiment_id)
    pending = queries_experiments.pending_participants(found)
    access.note_participant_reads(user, study, [p.participant.client for p in pending])
    mrt = found.kind == ExperimentKind.MRT
    arms = queries_experiments.arm_counts(found)
    return render(
        request,
        "research/experiments/detail.html",
        {
            "study": study,
            "experiment": found,
            "summary": queries_experiments.design_summary(found),
            "arms": [(a, queries_experiments.feature_rows(a.arm)) for a in arms],
            "allocated": sum(a.participants for a in arms),
            "pending": pending,
            "decisions": queries_experiments.decision_counts(found) if mrt else None,
            "may_manage": access.can_manage(user, study),
            "may_replay": access.may_replay_log(user, study),
            "may_download": access.may_download_log(user, found),
            "newer": Experiment.objects.filter(replaces=found).first(),
            "table_form": TableDownloadForm(),
            **results_context(found),
        },
    )


def _act(request: HttpRequest, slug: str, experiment_id: int) -> tuple[object, Experiment]:
    user = request_user(request)
    return user, access.get_managed_experiment(user, slug, experiment_id)


@require_POST
@login_required
def start(request: HttpRequest, slug: str, experiment_id: int) -> HttpResponse:
    user, found = _act(request, slug, experiment_id)
    try:
        problems = actions.start(user, found)
    except ResearchError as exc:
        messages.error(request, exc.message)
        return _page(found)
    messages.success(request, _("The experiment is running: participants are allocated as they enrol."))
    for problem in problems:
        messages.warning(request, problem)
    return _page(found)


@require_POST
@login_required
def stop(request: HttpRequest, slug: str, experiment_id: int) -> HttpResponse:
    user, found = _act(request, slug, experiment_id)
    try:
        actions.stop(user, found)
    except ResearchError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The experiment has stopped: nobody more is allocated."))
    return _page(found)


@require_POST
@login_required
def new_version(request: HttpRequest, slug: str, experiment_id: int) -> HttpResponse:
    user, found = _act(request, slug, experiment_id)
    try:
        copy = actions.new_version(user, found)
    except ResearchError as exc:
        messages.error(request, exc.message)
        return _page(found)
    messages.success(
        request,
        _("Version %(v)d is a draft copy; version %(old)d has stopped.")
        % {"v": copy.version, "old": found.version},
    )
    return _page(copy)


@require_POST
@login_required
def allocate_pending(request: HttpRequest, slug: str, experiment_id: int) -> HttpResponse:
    """Ask the method again for everyone enrolled and not allocated (the method chooses; nobody picks)."""
    user, found = _act(request, slug, experiment_id)
    done, problems = 0, []
    for row in queries_experiments.pending_participants(found):
        try:
            actions.allocate(found, row.participant, user, "try again")
        except ResearchError as exc:
            problems.append(f"{row.pseudonym}: {exc.message}")
        else:
            done += 1
    if done:
        messages.success(request, _("%(n)d allocated by the method.") % {"n": done})
    for problem in problems:
        messages.warning(request, problem)
    if not done and not problems:
        messages.info(request, _("Nobody is waiting to be allocated."))
    return _page(found)


def _log_experiment(request: HttpRequest, slug: str, experiment_id: int) -> Experiment:
    user = request_user(request)
    return access.get_experiment(user, access.get_study(user, slug), experiment_id)


@login_required
def allocation_log(request: HttpRequest, slug: str, experiment_id: int) -> HttpResponse:
    """The allocation log as JSON (audited), for the roles that may see it (research/access.py)."""
    user = request_user(request)
    found = _log_experiment(request, slug, experiment_id)
    if not access.may_download_log(user, found):
        raise PermissionDenied
    require_recent_login(request)  # the log names clients (pseudonymously): as any export
    document = queries_experiments.allocation_log_document(found)
    access.note_allocation_log_download(user, found, queries_experiments.log_clients(found))
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    name = f"{found.study.slug}-{found.slug}-v{found.version}-allocation-log.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def replay(request: HttpRequest, slug: str, experiment_id: int) -> HttpResponse:
    """Replay the stored log with the engine: ok, or the first allocation where it diverges."""
    user = request_user(request)
    found = _log_experiment(request, slug, experiment_id)
    if not access.may_replay_log(user, found.study):
        raise PermissionDenied
    try:
        result = queries_experiments.replay_stored(found)
    except DesignError as exc:
        ok, reason = False, str(exc)
    else:
        ok, reason = result.ok, result.reason
    template = (
        "research/experiments/_replay.html"
        if request.headers.get("HX-Request")
        else "research/experiments/replay.html"
    )
    return render(request, template, {"study": found.study, "experiment": found, "ok": ok, "reason": reason})


@login_required
def redcap_table(request: HttpRequest, slug: str, experiment_id: int) -> HttpResponse:
    """A REDCap allocation table generated from the design's seed (it holds a sequence: same roles as the log)."""
    user = request_user(request)
    found = _log_experiment(request, slug, experiment_id)
    if not access.may_download_log(user, found):
        raise PermissionDenied
    form = TableDownloadForm(request.GET)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _page(found)
    try:
        text = queries_experiments.redcap_table(found, form.cleaned_data["per_stratum"])
    except DesignError as exc:
        messages.error(request, str(exc))
        return _page(found)
    access.note_allocation_table_download(user, found)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = f"{found.study.slug}-{found.slug}-v{found.version}-redcap-allocation.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
