"""Trainees, supervisors and vignettes for the training tests (a vignette is built once per test run)."""

from __future__ import annotations

import functools
from typing import Any

from emotipal.accounts.models import Clinic, Membership, Role, User
from emotipal.analysis import simulate, vignettes
from emotipal.training.models import Vignette
from tests.factories import make_user


def member(clinic: Clinic, email: str, role: str, name: str = "Tara Trainee") -> User:
    """A user with this role at `clinic` (made once; later calls return the same user)."""
    user = User.objects.filter(email=email).first() or make_user(email, name)
    Membership.objects.get_or_create(user=user, clinic=clinic, role=role)
    return user


def trainee_at(clinic: Clinic, email: str = "trainee@example.org") -> User:
    return member(clinic, email, Role.TRAINEE)


@functools.cache
def _content(profile: str) -> dict[str, Any]:
    return vignettes.build_vignette(profile, vignettes.DEFAULT_SEEDS[profile], simulate.load_templates())


def make_vignette(profile: str = "worry-no-time") -> Vignette:
    content = _content(profile)
    return Vignette.objects.get_or_create(
        profile=profile, defaults={"seed": content["seed"], "title": content["title"], "content": content}
    )[0]


def full_answers(**overrides: Any) -> dict[str, Any]:
    """A POST of the attempt form that does every step."""
    data: dict[str, Any] = {
        "client_review_first": "on",
        "quantity": "2",
        "quality": "3",
        "learned": "Worry time fits better straight after dinner than at bedtime.",
        "change_next": "Keep the time fixed and shorten it to ten minutes.",
        "goal": "Fall asleep within half an hour on work nights",
        "rationale": "If I park the worries earlier, they do not keep me up.",
        "task": "Worry time",
        "practice_time": "19:30",
        "practice_place": "Kitchen table",
        "times_per_week": "4",
        "minutes_per_practice": "10",
        "obstacles": "Work runs late and there is no time left in the evening.",
        "backup_plan": "If work runs late, do five minutes on the train home.",
        "confidence": "8",
        "rehearsed": "on",
        "summary": "Worry time, 10 minutes at 19:30 at the kitchen table, four evenings a week.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
