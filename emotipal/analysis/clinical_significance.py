"""Clinically significant change (Jacobson & Truax 1991): did a reliable change end in the functional range?

Pure Python. Jacobson and Truax (1991, J Consult Clin Psychol 59:12-19) give three cut-offs between the
dysfunctional (clinical) and the functional (general population) range of a measure, from the two samples'
means and SDs (``emotipal.definitions.norms`` holds them, with their sources). For a measure on which lower is
better:

* criterion a: ``M_dys - 2 x SD_dys``, two SDs beyond the clinical mean in the functional direction, so
  outside the clinical range (needs the clinical sample only);
* criterion b: ``M_fun + 2 x SD_fun``, within two SDs of the general population's mean (needs the functional
  sample only);
* criterion c: ``(SD_dys x M_fun + SD_fun x M_dys) / (SD_dys + SD_fun)``, the point as many of its own SDs
  from either mean, so past it a score is more likely to come from the functional population. Jacobson and
  Truax prefer c when both samples are known and overlap; pages report c and list a and b beside it.

For a higher-is-better measure every "+" and "-" above flips. A score is past a cut-off when it is strictly
on the functional side (a score exactly on it is not). A change is *clinically significant* on a criterion
when it is a reliable improvement by the Jacobson-Truax reliable change index and the score moved from the
dysfunctional side of the cut-off (at the start) to its functional side (at the end). Jacobson and Truax
call such a client "recovered"; EmotiPal says "clinically significant change" so that the only recovery
shown is the NHS Talking Therapies one (:mod:`emotipal.analysis.paired_outcomes`).
"""

from __future__ import annotations

from dataclasses import dataclass

from emotipal.analysis.outcomes import jacobson_truax
from emotipal.definitions.norms import Norms

CRITERIA: tuple[str, ...] = ("a", "b", "c")
PREFERRED_CRITERION = "c"


@dataclass(frozen=True)
class Cutoffs:
    a: float
    b: float
    c: float

    def get(self, criterion: str) -> float:
        return {"a": self.a, "b": self.b, "c": self.c}[criterion]


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's verdict on one change."""

    criterion: str
    cutoff: float
    dysfunctional_at_start: bool  # the first score is not past the cut-off
    functional_at_end: bool  # the latest score is past the cut-off
    clinically_significant: bool  # reliable improvement, from the dysfunctional to the functional side


@dataclass(frozen=True)
class ClinicalSignificance:
    reliable_improvement: bool  # by the Jacobson-Truax index, with the configured SD and reliability
    criteria: dict[str, CriterionResult]
    norms: Norms

    @property
    def preferred(self) -> CriterionResult:
        return self.criteria[PREFERRED_CRITERION]


def cutoffs(norms: Norms, direction: str = "lower_is_better") -> Cutoffs:
    """The three Jacobson-Truax cut-offs of a measure with these norms."""
    if direction not in ("lower_is_better", "higher_is_better"):
        raise ValueError(f"direction must be lower_is_better or higher_is_better, not {direction!r}")
    fun, dys = norms.functional, norms.dysfunctional
    if fun.sd <= 0 or dys.sd <= 0:
        raise ValueError("norm SDs must be positive")
    sign = -1.0 if direction == "lower_is_better" else 1.0  # the functional direction, from the clinical mean
    c = (dys.sd * fun.mean + fun.sd * dys.mean) / (dys.sd + fun.sd)
    return Cutoffs(a=dys.mean + sign * 2 * dys.sd, b=fun.mean - sign * 2 * fun.sd, c=c)


def clinical_significance(
    before: float,
    after: float,
    norms: Norms,
    *,
    sd: float,
    reliability: float,
    direction: str = "lower_is_better",
) -> ClinicalSignificance:
    """Clinically significant change from ``before`` to ``after`` on criteria a, b and c.

    ``sd`` and ``reliability`` are the instrument's configured reliable change values (the same as the
    page's reliable change index); ``norms`` give the cut-offs.
    """
    change = jacobson_truax(before, after, sd=sd, reliability=reliability, direction=direction)
    reliable_improvement = change.status == "reliable_improvement"
    limits = cutoffs(norms, direction)
    results = {}
    for criterion in CRITERIA:
        cutoff = limits.get(criterion)
        start_functional = _past(before, cutoff, direction)
        end_functional = _past(after, cutoff, direction)
        results[criterion] = CriterionResult(
            criterion=criterion,
            cutoff=cutoff,
            dysfunctional_at_start=not start_functional,
            functional_at_end=end_functional,
            clinically_significant=reliable_improvement and not start_functional and end_functional,
        )
    return ClinicalSignificance(reliable_improvement=reliable_improvement, criteria=results, norms=norms)


def _past(score: float, cutoff: float, direction: str) -> bool:
    return score < cutoff if direction == "lower_is_better" else score > cutoff
