"""Simulated micro-randomised trials of reminders with a known causal excursion effect.

Pure Python (numpy, pandas). Each participant has one decision point a day, ``day = 0 .. n_days - 1`` in
treatment, at their reminder time. The generative model, per participant and day:

* a fixed engagement type ``k`` (low, middle, high; in equal thirds, column ``engagement`` = -1, 0, 1) shifts
  the baseline chance of practising by ``-0.1, 0, +0.1`` and the reminder's effect by ``-effect_spread, 0,
  +effect_spread`` (reminders help the engaged more);
* ``practised_yesterday`` (0 on day 0) is the history that matters: practice the day before raises today's
  baseline by :data:`HABIT`, and such participants have often practised already before the reminder time;
* **availability**: the participant is unavailable if reminders are paused or the reminder time falls in
  quiet hours (probability ``1 - availability``, independent of everything), or else, after a day with
  practice, if they have already practised today (probability :data:`EARLY`). An unavailable day counts as a
  day with practice if they had already practised, without if paused;
* at an available point the reminder is sent with the design ``probability``: a constant, or a function
  ``probability(day, practised_yesterday)`` (the second argument is 0.0 or 1.0), so it may change over time
  and depend on the history (then an unweighted regression is confounded);
* the proximal outcome (practice started within the window) is Bernoulli with probability
  ``mu0(k, practised_yesterday, day) + treated * effect(k, day)``, with
  ``mu0 = base_rate + type shift + HABIT * practised_yesterday - FADE * day / (n_days - 1)`` and
  ``effect(k, day) = effect_intercept + effect_slope * day + effect_spread * (-1, 0, 1)[k]``. Every such
  probability is checked to lie in [0, 1] for every type, history and day of the design, so none is ever
  clipped (a ``ValueError`` says which parameters break it).

The truth
---------
Given the history, a reminder changes the outcome probability by ``effect(k, day)``. The causal excursion
effect WCLS estimates is marginal over everything but its moderators: on day ``t`` it is the mean of
``effect(k, t)`` over the participants available then, ``beta(t) = m_t / w_t`` with
``w_t = P(available on day t)`` and ``m_t = E[available on day t * effect(k, t)]``. Who is available on a
day depends on type and yesterday's practice, and so on the design's reminders on earlier days; ``w_t`` and
``m_t`` are computed exactly (not by simulation) by walking the Markov chain of (type, practised yesterday).
:class:`MRTTruth` gives

* ``marginal = sum_t m_t / sum_t w_t``: the estimand of WCLS without moderators (the effect averaged over
  available decision points);
* ``intercept, slope``: the estimand of WCLS with ``moderators=("day",)``, the least-squares line through
  ``beta(t)`` weighted by ``w_t`` (solving ``sum_t w_t f_t (beta(t) - f_t' b) = 0``, ``f_t = (1, t)``). With
  ``effect_spread=0`` the effect does not depend on the history, and these are exactly ``effect_intercept``
  and ``effect_slope``; otherwise they differ slightly.

Controls in ``g(H)`` (e.g. ``practised_yesterday``) do not change these estimands. All are risk differences
on the proximal-outcome probability, the scale of WCLS with a binary outcome.

Columns of the returned frame (one row per participant and day, see :mod:`.mrt` for their meaning):
``participant, decision, day, available, probability, treated, outcome, practised_yesterday, engagement``;
``probability`` and ``outcome`` are missing (NaN) where the participant was not available, and ``treated`` is 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

TYPE_SHIFTS = (-0.1, 0.0, 0.1)  # engagement types, equally common: shift of the baseline practice probability
HABIT = 0.15  # practice yesterday raises today's baseline probability by this
EARLY = 0.15  # after a day with practice, chance of having practised before the reminder time (unavailable)
FADE = 0.05  # the baseline falls by this much, linearly, over the design's days

_TRUTHS: dict[bytes, tuple[float, float, float]] = {}  # the exact estimands of recent designs


@dataclass(frozen=True)
class MRTTruth:
    """The true causal excursion effect, as a risk difference of the proximal outcome.

    ``intercept`` is the effect on day 0 and ``slope`` its change per day in treatment (the estimand of WCLS
    moderated by day); ``marginal`` is the effect averaged over the available decision points of the design
    (the estimand of WCLS without moderators). See the module docstring for how they are computed.
    """

    intercept: float
    slope: float
    marginal: float


def simulate_mrt(
    n_participants: int,
    n_days: int,
    *,
    probability: float | Callable[[int, float], float] = 0.5,
    effect_intercept: float = 0.1,
    effect_slope: float = -0.002,
    base_rate: float = 0.3,
    availability: float = 0.8,
    effect_spread: float = 0.1,
    seed: int = 0,
) -> tuple[pd.DataFrame, MRTTruth]:
    """Simulate one micro-randomised trial of reminders; return its decision points and the true effect."""
    if n_participants < 1 or n_days < 1:
        raise ValueError("n_participants and n_days must be at least 1")
    if not 0 < availability <= 1:
        raise ValueError(f"availability must be in (0, 1] (got {availability!r})")
    days = np.arange(n_days)
    design = _design_probabilities(probability, n_days)
    shifts = np.array(TYPE_SHIFTS)
    # effect[k, day]: the reminder's effect for engagement type k (low, middle, high).
    effect = effect_intercept + effect_slope * days[None, :] + effect_spread * np.sign(shifts)[:, None]
    fade = FADE * days / max(n_days - 1, 1)
    # baseline[k, prev, day]
    baseline = (
        base_rate + shifts[:, None, None] + HABIT * np.array([0.0, 1.0])[None, :, None] - fade[None, None, :]
    )
    treated_p = baseline + effect[:, None, :]
    if baseline.min() < 0 or baseline.max() > 1 or treated_p.min() < 0 or treated_p.max() > 1:
        raise ValueError(
            "base_rate, effect_intercept, effect_slope and effect_spread give an outcome probability outside [0, 1] for "
            f"some participant type, history or day (range {min(baseline.min(), treated_p.min()):.3f} to "
            f"{max(baseline.max(), treated_p.max()):.3f}); choose a base rate and effect that stay inside"
        )

    rng = np.random.default_rng(seed)
    kind = rng.permutation(np.arange(n_participants) % len(TYPE_SHIFTS))  # types in (nearly) equal thirds
    uniform = rng.random((4, n_days, n_participants))
    paused = uniform[0] >= availability  # paused or quiet hours: independent of everything
    prev = np.zeros(n_participants, dtype=int)
    shape = (n_days, n_participants)
    available = np.zeros(shape, dtype=bool)
    design_p = np.zeros(shape)
    treated = np.zeros(shape, dtype=int)
    practised = np.zeros(shape, dtype=bool)
    yesterday = np.zeros(shape, dtype=int)
    for t in days:
        yesterday[t] = prev
        early = ~paused[t] & (prev == 1) & (uniform[1, t] < EARLY)  # already practised today
        avail = ~paused[t] & ~early
        design_p[t] = design[t, prev]
        a = avail & (uniform[2, t] < design_p[t])
        y = avail & (uniform[3, t] < baseline[kind, prev, t] + a * effect[kind, t])
        available[t], treated[t], practised[t] = avail, a, y
        prev = (early | y).astype(int)
    prob = np.where(available, design_p, np.nan)
    outcome = np.where(available, practised.astype(float), np.nan)

    # One row per participant and day, participant by participant.
    frame = pd.DataFrame(
        {
            "participant": np.repeat(np.arange(n_participants), n_days),
            "decision": np.tile(days, n_participants),
            "day": np.tile(days, n_participants),
            "available": available.T.ravel(),
            "probability": prob.T.ravel(),
            "treated": treated.T.ravel(),
            "outcome": outcome.T.ravel(),
            "practised_yesterday": yesterday.T.ravel(),
            "engagement": np.repeat(kind - 1, n_days),
        }
    )
    # The truth depends only on the design, not on the draws: computed once per design.
    key = b"".join(a.tobytes() for a in (design, baseline, effect, np.float64(availability)))
    if key not in _TRUTHS:
        if len(_TRUTHS) >= 64:
            _TRUTHS.clear()
        _TRUTHS[key] = _true_effects(design, baseline, effect, availability)
    intercept, slope, marginal = _TRUTHS[key]
    return frame, MRTTruth(intercept=intercept, slope=slope, marginal=marginal)


def _design_probabilities(probability: float | Callable[[int, float], float], n_days: int) -> np.ndarray:
    """The randomisation probability for each day and history (practised yesterday 0 or 1): shape (days, 2)."""
    if callable(probability):
        table = np.array([[probability(t, prev) for prev in (0.0, 1.0)] for t in range(n_days)], dtype=float)
    else:
        table = np.full((n_days, 2), float(probability))
    if not (np.isfinite(table).all() and (table > 0).all() and (table < 1).all()):
        raise ValueError("the randomisation probability must be strictly between 0 and 1 on every day")
    return table


def _true_effects(
    design: np.ndarray, baseline: np.ndarray, effect: np.ndarray, availability: float
) -> tuple[float, float, float]:
    """The WCLS estimands (day-0 effect, slope per day, marginal effect), exactly, from the Markov chain.

    Walks the distribution of (type, practised yesterday) day by day under the design's reminders. With
    ``w_t = P(available on day t)`` and ``m_t = E[available on day t * effect]``, the marginal effect is
    ``sum m_t / sum w_t`` and (intercept, slope) solve ``sum_t w_t f_t f_t' beta = sum_t m_t f_t`` with
    ``f_t = (1, t)``: the least-squares line through the daily effects among available points.
    """
    n_types, n_days = effect.shape
    state = np.zeros((n_types, 2))  # P(type k, practised yesterday = prev) on the current day
    state[:, 0] = 1 / n_types
    prev = np.array([0.0, 1.0])
    avail = availability * (1 - EARLY * prev)  # P(available | prev)
    w = np.empty(n_days)
    m = np.empty(n_days)
    for t in range(n_days):
        reach = state * avail  # P(type k, prev, available)
        w[t] = reach.sum()
        m[t] = (reach * effect[:, t, None]).sum()
        # P(practised today | k, prev): already before the reminder time, or at an available point.
        practised = availability * EARLY * prev + avail * (baseline[:, :, t] + design[t] * effect[:, t, None])
        p1 = (state * practised).sum(axis=1)
        state = np.column_stack([state.sum(axis=1) - p1, p1])
    marginal = float(m.sum() / w.sum())
    if n_days == 1:
        return marginal, 0.0, marginal
    f = np.column_stack([np.ones(n_days), np.arange(n_days)])
    intercept, slope = np.linalg.solve(f.T @ (w[:, None] * f), f.T @ m)
    return float(intercept), float(slope), marginal
