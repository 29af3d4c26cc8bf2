"""The one error type of the research actions: the page shows it as form errors, the API as a 422."""

from __future__ import annotations

from emotipal.platform.api import ActionError


class ResearchError(ActionError):
    """A research request that cannot be carried out (see ActionError)."""
