"""The one error type of the questionnaire actions: pages show it as form errors, the API as a 422."""

from __future__ import annotations

from emotipal.platform.api import ActionError


class MeasureError(ActionError):
    """A questionnaire request that cannot be carried out (see ActionError)."""
