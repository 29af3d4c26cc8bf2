"""Meta-analysis engine (pure Python: numpy/scipy only, no Django), validated against R's metafor.

Typical use::

    from emotipal.analysis.meta import fisher_z, meta_analysis
    es = fisher_z(r=[0.3, 0.1, 0.45], n=[40, 120, 25])
    res = meta_analysis(es.yi, es.vi, method="REML")
    res.estimate, res.ci_low, res.ci_high, res.tau2, res.i2

See :mod:`.models` (equal/random/mixed-effects models, z or Knapp-Hartung tests), :mod:`.moderators`
(subgroups, meta-regression), :mod:`.heterogeneity` (Q-profile CIs for tau²), :mod:`.influence`
(leave-one-out, case diagnostics), :mod:`.bias` (fail-safe N, Egger's and the rank-correlation test),
:mod:`.trimfill` (trim and fill), :mod:`.multiplicity` (Holm and Benjamini-Hochberg), :mod:`.plots`
(forest/funnel) and :mod:`.cli` (``emotipal meta``).
"""

from .bias import (
    EggerTest,
    OrwinFailSafe,
    RankCorrelationTest,
    egger_test,
    fail_safe_orwin,
    fail_safe_rosenberg,
    fail_safe_rosenthal,
    orwin,
    rank_correlation_test,
)
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
from .heterogeneity import Tau2Interval, tau2_ci
from .influence import CaseDiagnostics, LeaveOneOutRow, influence, leave_one_out, leave_one_out_fits
from .models import (
    KNHA_BELOW_K,
    METHODS,
    TESTS,
    Coefficient,
    MetaResult,
    Prediction,
    WaldTest,
    fit,
    meta_analysis,
    small_sample_test,
)
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
from .multiplicity import adjust_p, adjust_p_map
from .trimfill import TrimAndFill, trim_and_fill

__all__ = [
    "KNHA_BELOW_K",
    "METHODS",
    "TESTS",
    "CaseDiagnostics",
    "Coefficient",
    "ConvergenceError",
    "EffectSizes",
    "EggerTest",
    "LeaveOneOutRow",
    "MetaInputError",
    "MetaResult",
    "OrwinFailSafe",
    "Prediction",
    "RankCorrelationTest",
    "RegressionAnalysis",
    "SeparateSubgroups",
    "SubgroupAnalysis",
    "SubgroupEstimate",
    "Tau2Interval",
    "TrimAndFill",
    "WaldTest",
    "adjust_p",
    "adjust_p_map",
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
    "influence",
    "leave_one_out",
    "leave_one_out_fits",
    "log_odds_ratio",
    "log_risk_ratio",
    "meta_analysis",
    "meta_regression",
    "orwin",
    "r_from_beta",
    "rank_correlation_test",
    "risk_difference",
    "separate_subgroups",
    "small_sample_test",
    "subgroup_analysis",
    "tau2_ci",
    "trim_and_fill",
    "z_to_r",
]
