"""Writes of the training mode: loading the vignettes, and storing a scored attempt with its audit row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from emotipal.accounts.models import User
from emotipal.analysis import simulate, vignettes
from emotipal.platform.audit.services import record
from emotipal.training.models import TrainingAttempt, Vignette
from emotipal.training.scoring import score_attempt


@dataclass
class LoadReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


@transaction.atomic
def load_vignettes() -> LoadReport:
    """Build the training set (emotipal/analysis/vignettes.py) and store it; running it again changes nothing
    unless the builder changed, and then the vignette is rewritten in place (attempts keep their vignette)."""
    report = LoadReport([], [], [])
    templates = simulate.load_templates()
    for profile_key, seed in vignettes.default_set():
        content = vignettes.build_vignette(profile_key, seed, templates)
        existing = Vignette.objects.filter(profile=profile_key).first()
        if existing is None:
            Vignette.objects.create(profile=profile_key, seed=seed, title=content["title"], content=content)
            report.created.append(profile_key)
        elif existing.content != content or existing.seed != seed:
            existing.seed, existing.title, existing.content = seed, content["title"], content
            existing.save(update_fields=["seed", "title", "content"])
            report.updated.append(profile_key)
        else:
            report.unchanged.append(profile_key)
    return report


@transaction.atomic
def submit_attempt(trainee: User, vignette: Vignette, answers: dict[str, Any]) -> TrainingAttempt:
    """Score and store one attempt (answers: AttemptForm.answers(), already validated)."""
    outcome = score_attempt(answers, vignette.content)
    attempt = TrainingAttempt.objects.create(
        trainee=trainee,
        vignette=vignette,
        answers=answers,
        done=outcome.done,
        not_applicable=outcome.not_applicable,
        scores=outcome.scores,
    )
    record(trainee, "training.attempt", attempt, subject_user_id=trainee.pk, vignette=vignette.profile)
    return attempt
