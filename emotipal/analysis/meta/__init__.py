"""Meta-analysis engine (pure Python: numpy/scipy only, no Django), validated against R's metafor.

Typical use::

    from emotipal.analysis.meta import fisher_z, meta_analysis
    es = fisher_z(r=[0.3, 0.1, 0.45], n=[40, 120, 25])
    res = meta_analysis(es.yi, es.vi, method="REML")
    res.estimate, res.ci_low, res.ci_high, res.tau2, res.i2

See :mod:`.models` (equal/random/mixed-effects models), :mod:`.moderators` (subgroups, meta-regression),
:mod:`.bias` (fail-safe N, Egger's test), :mod:`.plots` (forest/funnel) and :mod:`.cli` (``emotipal meta``).
"""

from .bias import EggerTest, egger_test, fail_safe_orwin, fail_safe_rosenberg, fail_safe_rosenthal
from .effects import (
    EffectSizes,
    check_effects,
    fisher_z,
    fisher_z_from_beta,
    hedges_correction,
    hedges_g,
    log_odds_ratio,
    log_risk_ratio,
    r_from_beta,
    risk_difference,
    z_to_r,
)
from .errors import ConvergenceError, MetaInputError
from .models import METHODS, Coefficient, MetaResult, Prediction, WaldTest, fit, meta_analysis
from .moderators import (
    RegressionAnalysis,
    SeparateSubgroups,
    SubgroupAnalysis,
    SubgroupEstimate,
    contrast,
    meta_regression,
    separate_subgroups,
    subgroup_analysis,
)

__all__ = [
    "METHODS",
    "Coefficient",
    "ConvergenceError",
    "EffectSizes",
    "EggerTest",
    "MetaInputError",
    "MetaResult",
    "Prediction",
    "RegressionAnalysis",
    "SeparateSubgroups",
    "SubgroupAnalysis",
    "SubgroupEstimate",
    "WaldTest",
    "check_effects",
    "contrast",
    "egger_test",
    "fail_safe_orwin",
    "fail_safe_rosenberg",
    "fail_safe_rosenthal",
    "fisher_z",
    "fisher_z_from_beta",
    "fit",
    "hedges_correction",
    "hedges_g",
    "log_odds_ratio",
    "log_risk_ratio",
    "meta_analysis",
    "meta_regression",
    "r_from_beta",
    "risk_difference",
    "separate_subgroups",
    "subgroup_analysis",
    "z_to_r",
]
