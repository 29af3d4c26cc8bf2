"""Homework compliance and outcome on exported or simulated platform data (issue 6, items 4-6).

Pure Python (numpy, scipy, statsmodels; no Django): :func:`load_dataset` reads a data set directory in the
export format, :func:`analyse` runs the compliance-outcome correlations (within and between therapists,
with a client bootstrap that respects the shared clients and the caseloads), their mean over the figures
and the source/type/timing moderator contrasts the figure set can separate, the within/between-person
mixed model and the mediation analysis; :func:`render_text` and :func:`render_html` present the result. The command line is
:mod:`emotipal.analysis.analyse_cli` (``emotipal analyse DIR``).
"""

from .correlations import ComplianceOutcome, Correlation, compliance_outcome, correlate
from .dataset import AnalysisInputError, Dataset, load_dataset
from .figures import FIGURES, FigureSpec, client_figures, improvements, weekly_panel
from .html_report import render_html
from .mediation import mediation
from .mixed import within_between_model
from .report import Analysis, analyse, render_text

__all__ = [
    "FIGURES",
    "Analysis",
    "AnalysisInputError",
    "ComplianceOutcome",
    "Correlation",
    "Dataset",
    "FigureSpec",
    "analyse",
    "client_figures",
    "compliance_outcome",
    "correlate",
    "improvements",
    "load_dataset",
    "mediation",
    "render_html",
    "render_text",
    "weekly_panel",
    "within_between_model",
]
