"""Change scores adjusted for the baseline, shared by the simulator's truth and the analysis."""

from __future__ import annotations

import numpy as np


def baseline_adjusted_change(baseline: np.ndarray, end: np.ndarray) -> np.ndarray:
    """baseline - end, adjusted to the average baseline by the least-squares slope of end on baseline.

    change_i - (1 - b) * (baseline_i - mean baseline): minus each client's residual from the regression of
    the end score on the baseline, shifted by the mean change, so its mean is the mean change and its
    spread is free of regression to the mean (ANCOVA's change; Vickers & Altman 2001).
    """
    centred = baseline - baseline.mean()
    sxx = float(centred @ centred)
    slope = float(centred @ (end - end.mean())) / sxx if sxx > 0 else 1.0
    return baseline - end - (1.0 - slope) * centred
