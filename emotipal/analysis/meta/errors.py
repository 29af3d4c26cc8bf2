"""Errors raised by the meta-analysis engine.

Every problem a user can fix by changing their data or options is a ``MetaInputError``; the command line
prints its message on one line and exits with status 2, so the message must stand on its own.
"""

from __future__ import annotations


class MetaInputError(ValueError):
    """Input that cannot be analysed (bad values, too few studies, a constant moderator, ...)."""


class ConvergenceError(MetaInputError):
    """An iterative tau² estimator did not converge; usually a symptom of degenerate data."""
