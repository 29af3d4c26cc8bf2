"""The time-ordered mediation design on a data set: practice, then mastery, then the improvement after it.

The course is split at week h = weeks // 2:

* **engagement** (x): the share of the planned practices of weeks 0 .. h - 1 that were submitted;
* **mechanism** (m): the therapist's mastery ratings given in the reviews of weeks 1 .. h (which review
  the practice of those weeks), averaged;
* **outcome** (y): the improvement *after* the mechanism was rated: the scores seen (below) minus the
  PHQ-9 at the end (week weeks - 1);
* **covariates**: the week-0 score and the scores the rater had seen when rating: for each rating, the
  latest PHQ-9 the client had answered by then, averaged over the ratings.

Why: a mechanism averaged over the whole course and set against the whole course's improvement is partly
measured *after* the outcome it is said to cause, and a rater who sees the client getting better rates
their mastery up (a halo): both make mediation appear where there is none. Here the mechanism is rated
before the outcome it predicts, and the outcome regression holds the scores the rater had seen fixed, so a
rating that follows the scores seen so far cannot predict the later improvement through them. The rater
still sees the client: anything else they notice about how the client is doing is not held fixed, which
the report says.

A missing end score is multiply imputed with x as the auxiliary figure. The mechanism is left out of the
imputation model on purpose: a rating made by someone who saw the scores responds to their noise, which
the model cannot represent, and it would carry the rating into the imputed outcome - a path b from
nothing. Leaving it out can only pull b towards 0 for the clients whose end score is imputed. The
bootstrap resamples therapists, then clients, and every path has a fixed effect per therapist.
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np

from .dataset import ClientData, Dataset
from .figures import IMPROVEMENT_DEFINITION
from .imputation import impute_scores
from .mediation import DEFAULT_RESAMPLES, DEFAULT_SEED, mediation
from .mixed import UNIT

MEDIATOR_RATER = "therapist"
RATER_WARNING = (
    "The mechanism (mastery) is rated by the therapist, who sees the client's PHQ-9 scores and how they are "
    "doing: a rating can follow the improvement it is meant to explain (halo). The design rates it before "
    "the outcome and adjusts for the scores the therapist had seen, which removes a halo that follows those "
    "scores, not one that follows anything else the therapist noticed; an indirect effect here is not "
    "evidence that mastery causes improvement."
)


def _first_half_practice(c: ClientData, half: int) -> float | None:
    planned = [d for d in c.planned_days if d // 7 < half]
    if not planned:
        return None
    done = sum(1 for d in c.submitted_days if d // 7 < half)
    return min(100.0, 100.0 * done / len(planned))


def _window_mastery(c: ClientData, half: int) -> float | None:
    values = [v for day, v in c.therapist_mastery_days if 1 <= day // 7 <= half]
    return statistics.fmean(values) if values else None


def _scores_seen(c: ClientData, half: int) -> float | None:
    """Mean over the window's mastery ratings of the latest PHQ-9 answered by the rating's week."""
    seen = []
    for day, _value in c.therapist_mastery_days:
        week = day // 7
        if 1 <= week <= half:
            answered = [w for w in c.scores if w <= week]
            if answered:
                seen.append(c.scores[max(answered)])
    return statistics.fmean(seen) if seen else None


def time_ordered_mediation(
    data: Dataset, *, seed: int = DEFAULT_SEED, resamples: int = DEFAULT_RESAMPLES, **options: Any
) -> dict[str, Any]:
    """The mediation analysis of the design above; JSON-ready, with its variables described."""
    weeks = data.weeks
    half = weeks // 2
    described: dict[str, Any] = {
        "design": f"time-ordered: engagement and mastery up to week {half}, improvement after it",
        "split_week": half,
        "engagement": f"share of the planned practices of weeks 0-{half - 1} submitted, per {UNIT:g} "
        "percentage points",
        "mechanism": f"mastery (0-4) rated by the {MEDIATOR_RATER} in the reviews of weeks 1-{half}, mean",
        "mechanism_rater": MEDIATOR_RATER,
        "rater_sees_outcome": True,
        "warning": RATER_WARNING,
        "outcome": f"improvement after the ratings: the scores seen when rating minus the PHQ-9 of week "
        f"{weeks - 1} (positive = improved; a missing end score multiply imputed)",
        "covariates": "week-0 PHQ-9 and the scores seen when rating (per rating, the latest PHQ-9 answered "
        "by then; averaged)",
        "improvement_definition": IMPROVEMENT_DEFINITION,
    }
    if half < 2 or weeks - 1 <= half:
        return {
            **described,
            "error": "at least 4 weeks are needed to put practice, mastery and outcome in order",
        }
    if not any(c.therapist_mastery_days for c in data.clients):
        return {
            **described,
            "error": "the therapist reviews have no day, so mastery cannot be put in time order",
        }
    practice = {c.key: v for c in data.clients if (v := _first_half_practice(c, half)) is not None}
    mastery = {c.key: v for c in data.clients if (v := _window_mastery(c, half)) is not None}
    seen = {c.key: v for c in data.clients if (v := _scores_seen(c, half)) is not None}
    # Mastery stays out of the imputation model: it is rated by someone who saw the scores, so it answers
    # to their noise, and the model would carry that into the imputed outcome (a spurious path b).
    imp = impute_scores(data, {"practice_first_half": practice}, seed=seed)
    rows = [i for i, k in enumerate(imp.clients) if k in practice and k in mastery and k in seen]
    keys = [imp.clients[i] for i in rows]
    therapist = {c.key: c.therapist_key for c in data.clients}
    completed = imp.completed[:, rows, :]  # (imputations, clients, weeks)
    seen_scores = np.broadcast_to(np.array([seen[k] for k in keys]), completed.shape[:2])
    outcome = seen_scores - completed[:, :, -1]
    covariates = np.stack([completed[:, :, 0], seen_scores], axis=2)
    result = mediation(
        [practice[k] / UNIT for k in keys],
        [mastery[k] for k in keys],
        outcome,
        covariates=covariates,
        clusters=[therapist[k] for k in keys],
        seed=seed,
        resamples=resamples,
        **options,
    )
    observed_end = imp.observed[rows, -1]
    return {
        **described,
        "share_outcome_imputed": float(1.0 - observed_end.mean()) if rows else None,
        **result,
    }
