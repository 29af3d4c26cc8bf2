"""The one error type of the questionnaire actions: pages show it as form errors, the API as a 422."""

from __future__ import annotations


class MeasureError(Exception):
    """A request that cannot be carried out; `errors` maps field names to messages."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
