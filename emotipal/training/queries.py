"""Read models of the training pages: the list, a case page, an attempt's feedback, a trainee's progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max
from django.utils.translation import gettext as _

from emotipal.accounts.models import User
from emotipal.definitions.competence import PHASES, STEPS, Step
from emotipal.homework.barriers import BARRIERS
from emotipal.library.models import TemplateVersion
from emotipal.training import access
from emotipal.training.models import TrainingAttempt, Vignette
from emotipal.training.scoring import hints


def phase_label(phase: str) -> str:
    return {"review": _("Review"), "design": _("Design"), "plan": _("Plan")}[phase]


@dataclass
class VignetteRow:
    vignette: Vignette
    attempts: int
    last_at: Any


@dataclass
class TraineeRow:
    trainee: User
    attempts: int
    last_at: Any


def training_home(user: Any) -> dict[str, Any]:
    """The vignettes with the user's own attempts on each, and the trainees they oversee (3 queries)."""
    vignettes: list[VignetteRow] = []
    if access.can_practise(user):
        mine: dict[int, dict[str, Any]] = {
            row["vignette_id"]: dict(row)
            for row in TrainingAttempt.objects.filter(trainee=user)
            .values("vignette_id")
            .annotate(n=Count("pk"), last=Max("created_at"))
        }
        vignettes = [
            VignetteRow(v, mine.get(v.pk, {}).get("n", 0), mine.get(v.pk, {}).get("last"))
            for v in Vignette.objects.only("pk", "title", "profile", "seed")
        ]
    trainees = [
        TraineeRow(t, t.n, t.last)
        for t in access.overseen_trainees(user).annotate(
            n=Count("training_attempts", distinct=True), last=Max("training_attempts__created_at")
        )
    ]
    return {"vignettes": vignettes, "trainees": trainees, "can_practise": access.can_practise(user)}


def _exercise_titles(slugs: set[str]) -> dict[str, str]:
    versions = TemplateVersion.objects.filter(template__slug__in=slugs, template__clinic__isnull=True)
    titles: dict[str, tuple[int, str]] = {}
    for slug, number, title in versions.values_list("template__slug", "number", "title"):
        if slug not in titles or number > titles[slug][0]:
            titles[slug] = (number, title)
    return {slug: titles[slug][1] if slug in titles else slug.replace("-", " ") for slug in slugs}


def case(vignette: Vignette) -> dict[str, Any]:
    """The case page's view of a vignette: barrier labels, exercise names, the scores by week."""
    content = vignette.content
    titles = _exercise_titles({h["exercise"] for h in content["homework"]} | {content["exercise"]})
    homework = [
        {
            **h,
            "title": titles[h["exercise"]],
            "share": _percent(h["practised"], h["planned"]),
            "effort": _mean(e["effort"] for e in h["entries"]),
            "difficulty": _mean(e["difficulty"] for e in h["entries"]),
        }
        for h in content["homework"]
    ]
    last = content["last_homework"]
    return {
        "content": content,
        "exercise_title": titles[content["exercise"]],
        "homework": homework,
        "last": {
            **last,
            "title": titles[last["exercise"]],
            "share": _percent(last["practised"], last["planned"]),
        },
        "barrier_counts": [(BARRIERS.get(code, code), n) for code, n in content["barrier_counts"].items()],
        "barriers": [{**b, "label": BARRIERS.get(b["barrier"], b["barrier"])} for b in content["barriers"]],
        "scores": content["scores"],
    }


def _mean(values: Any) -> float | None:
    given = [v for v in values if v is not None]
    return sum(given) / len(given) if given else None


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


@dataclass
class Feedback:
    attempt: TrainingAttempt
    done: list[Step]
    missed: list[Step]
    not_applicable: list[Step]
    phases: list[dict[str, Any]] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


def feedback(attempt: TrainingAttempt) -> Feedback:
    done, skipped = set(attempt.done), set(attempt.not_applicable)
    return Feedback(
        attempt=attempt,
        done=[s for s in STEPS if s.key in done],
        missed=[s for s in STEPS if s.key not in done and s.key not in skipped],
        not_applicable=[s for s in STEPS if s.key in skipped],
        phases=[_phase_row(p, attempt.scores[p]) for p in PHASES],
        hints=hints(attempt.answers, attempt.vignette.content),
    )


def _phase_row(phase: str, s: dict[str, int]) -> dict[str, Any]:
    return {"phase": phase, "label": phase_label(phase), **s, "share": _percent(s["done"], s["applicable"])}


@dataclass
class ProgressRow:
    number: int
    attempt: TrainingAttempt
    phases: list[dict[str, Any]]
    done: int
    applicable: int

    @property
    def share(self) -> int | None:
        return _percent(self.done, self.applicable)


def progress(trainee: User) -> list[ProgressRow]:
    """Every attempt of the trainee in order, with the share of steps done per phase (one query)."""
    rows = []
    attempts = (
        TrainingAttempt.objects.filter(trainee=trainee)
        .select_related("vignette")
        .order_by("created_at", "pk")
    )
    for number, attempt in enumerate(attempts, start=1):
        phases = [_phase_row(p, attempt.scores[p]) for p in PHASES]
        rows.append(
            ProgressRow(
                number,
                attempt,
                phases,
                sum(p["done"] for p in phases),
                sum(p["applicable"] for p in phases),
            )
        )
    return rows
