"""Plot-ready numbers for forest and funnel plots, shared by the Vega-Lite and SVG outputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .._stats import z_crit
from ..models import MetaResult
from ..moderators import SubgroupAnalysis

Transform = Callable[[float], float]


@dataclass(frozen=True)
class ForestRow:
    """One line of a forest plot: a study, a subgroup heading, or a pooled (summary) estimate.

    Values are on the display scale (e.g. r for Fisher's z when a back-transform is given).
    """

    label: str
    kind: str  # "study" | "header" | "summary"
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    weight: float | None = None  # percent of the total weight in the overall model
    pi_low: float | None = None
    pi_high: float | None = None


@dataclass(frozen=True)
class ForestData:
    rows: list[ForestRow]
    xlabel: str
    null_value: float
    title: str = "Forest plot"

    @property
    def x_extent(self) -> tuple[float, float]:
        values = [self.null_value]
        for row in self.rows:
            values += [v for v in (row.ci_low, row.ci_high, row.pi_low, row.pi_high) if v is not None]
        return min(values), max(values)


@dataclass(frozen=True)
class FunnelData:
    yi: list[float]
    sei: list[float]
    labels: list[str]
    estimate: float
    xlabel: str
    crit: float = 1.959963984540054
    title: str = "Funnel plot"
    se_max: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "se_max", max(self.sei) if self.sei else 1.0)


def _identity(x: float) -> float:
    return x


def unique_labels(labels: Sequence[str]) -> list[str]:
    """Make labels unique (a plot axis cannot show two rows with the same name): 'A', 'A (2)', ..."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        count = seen.get(label, 0) + 1
        seen[label] = count
        out.append(label if count == 1 else f"{label} ({count})")
    return out


def _summary_label(result: MetaResult) -> str:
    return "EE model" if result.method == "EE" else f"RE model ({result.method})"


def forest_data(
    result: MetaResult,
    labels: Sequence[str] | None = None,
    transform: Transform | None = None,
    xlabel: str = "Effect size",
    null_value: float = 0.0,
    subgroups: SubgroupAnalysis | None = None,
    groups: Sequence[str | None] | None = None,
) -> ForestData:
    """Rows for a forest plot of a model without moderators, optionally grouped by a categorical moderator.

    With ``subgroups``/``groups`` the studies are listed by level, each level followed by its pooled
    estimate from the common-tau² subgroup model; studies with a missing level come last under '(missing)'.
    """
    tf = transform or _identity
    k = result.k
    names = unique_labels(list(labels) if labels is not None else [f"Study {i + 1}" for i in range(k)])
    if len(names) != k:
        raise ValueError("one label per study is needed")
    weights = result.weights_percent
    # A study's own interval is normal whatever test the pooled model uses (Knapp-Hartung adjusts the
    # pooled estimate's interval, not the studies').
    crit = z_crit(result.level)
    se = np.sqrt(result.vi)

    def study_row(i: int) -> ForestRow:
        y = float(result.yi[i])
        return ForestRow(
            names[i],
            "study",
            tf(y),
            tf(y - crit * float(se[i])),
            tf(y + crit * float(se[i])),
            float(weights[i]),
        )

    rows: list[ForestRow] = []
    if subgroups is not None and groups is not None:
        kept = set(subgroups.kept)
        for level in subgroups.levels:
            rows.append(ForestRow(str(level), "header"))
            rows += [study_row(i) for i in range(k) if i in kept and str(groups[i]).strip() == level]
            sub = subgroups.subgroups[level]
            rows.append(
                ForestRow(
                    f"{level} (k = {sub.k})", "summary", tf(sub.estimate), tf(sub.ci_low), tf(sub.ci_high)
                )
            )
        missing = [i for i in range(k) if i not in kept]
        if missing:
            rows.append(ForestRow("(missing)", "header"))
            rows += [study_row(i) for i in missing]
    else:
        rows += [study_row(i) for i in range(k)]
    pred = result.predict()
    show_pi = result.method != "EE"
    rows.append(
        ForestRow(
            _summary_label(result),
            "summary",
            tf(pred.pred),
            tf(pred.ci_low),
            tf(pred.ci_high),
            100.0,
            tf(pred.pi_low) if show_pi else None,
            tf(pred.pi_high) if show_pi else None,
        )
    )
    uniq = unique_labels([r.label for r in rows])
    rows = [replace(r, label=u) for u, r in zip(uniq, rows, strict=True)]
    return ForestData(rows, xlabel, tf(null_value))


def funnel_data(
    result: MetaResult, labels: Sequence[str] | None = None, xlabel: str = "Effect size"
) -> FunnelData:
    """Effects against standard errors on the analysis scale, centred on the model's pooled estimate."""
    k = result.k
    names = unique_labels(list(labels) if labels is not None else [f"Study {i + 1}" for i in range(k)])
    return FunnelData(
        [float(v) for v in result.yi],
        [float(v) for v in np.sqrt(result.vi)],
        names,
        result.estimate,
        xlabel,
        crit=z_crit(result.level),  # the pseudo-confidence region of the funnel is normal-theory
    )
