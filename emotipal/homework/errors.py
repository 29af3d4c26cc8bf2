"""The one error type of the homework actions: the page shows it as form errors, the API as a 422."""

from __future__ import annotations

from emotipal.platform.api import ActionError


class HomeworkError(ActionError):
    """A homework request that cannot be carried out (see ActionError)."""
