"""Experiments in the JSON API: a study's experiments, one with its arm counts, and the allocation log.

Mounted inside the research router (research/api.py), with the same authentication (researcher API tokens
or the session). A study not on the caller's team is 404; the log is for the roles research/access.py
allows (403 for other team members). Pseudonymous only; never the method's state, the seed outside the log,
or which arm comes next.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from emotipal.accounts.api import refuse_stale_session
from emotipal.platform.api import require
from emotipal.research import access, queries_experiments
from emotipal.research.models import Experiment

router = Router(tags=["research"])


class ArmOut(Schema):
    key: str
    name: str
    description: str
    ratio: int
    features: dict[str, dict[str, Any]]
    allocated: int
    units: int


class ExperimentOut(Schema):
    id: int
    slug: str
    version: int
    title: str
    question: str
    kind: str
    unit: str
    method: str
    state: str
    open_design: bool
    primary_outcomes: list[str]
    secondary_outcomes: list[str]
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    allocated: int
    arms: list[ArmOut]


def _out(experiment: Experiment) -> dict[str, Any]:
    counts = queries_experiments.arm_counts(experiment)
    return {
        "id": experiment.pk,
        "slug": experiment.slug,
        "version": experiment.version,
        "title": experiment.title,
        "question": experiment.question,
        "kind": experiment.kind,
        "unit": experiment.unit,
        "method": experiment.method,
        "state": experiment.state,
        "open_design": experiment.open_design,
        "primary_outcomes": list(experiment.primary_outcomes),
        "secondary_outcomes": list(experiment.secondary_outcomes),
        "started_at": experiment.started_at,
        "stopped_at": experiment.stopped_at,
        "allocated": sum(c.participants for c in counts),
        "arms": [
            {
                "key": c.arm.key,
                "name": c.arm.name,
                "description": c.arm.description,
                "ratio": c.arm.ratio,
                "features": dict(c.arm.features or {}),
                "allocated": c.participants,
                "units": c.units,
            }
            for c in counts
        ],
    }


@router.get("/research/studies/{slug}/experiments", response=list[ExperimentOut])
def experiments(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    study = access.get_study(request.user, slug)
    return [_out(e) for e in access.experiments_of(request.user, study).prefetch_related("arms")]


@router.get("/research/studies/{slug}/experiments/{experiment_id}", response=ExperimentOut)
def experiment(request: HttpRequest, slug: str, experiment_id: int) -> dict[str, Any]:
    study = access.get_study(request.user, slug)
    return _out(access.get_experiment(request.user, study, experiment_id))


@router.get(
    "/research/studies/{slug}/experiments/{experiment_id}/allocation-log",
    response=dict[str, Any],
    openapi_extra={
        "description": "The allocation log document the engine replays (format emotipal-allocation-log)."
    },
)
def allocation_log(request: HttpRequest, slug: str, experiment_id: int) -> dict[str, Any]:
    study = access.get_study(request.user, slug)
    found = access.get_experiment(request.user, study, experiment_id)
    require(access.may_download_log(request.user, found))
    refuse_stale_session(request)  # as the page asks before a download (a token is not asked)
    document = queries_experiments.allocation_log_document(found)
    access.note_allocation_log_download(request.user, found, queries_experiments.log_clients(found))
    return document
