"""Extension points: a lower app asks a question that a higher app answers, so the lower one never imports it.

The homework pages show what the questionnaires app knows (a client's open questionnaires on Today, risk alerts
and reliable change on the caseload), but `homework` sits below `measures` in the layers. Each such question is
a Slot here: the app that answers it fills it in its AppConfig.ready(); the page asks the slot. Features that a
research experiment switches will be asked the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet

F = TypeVar("F", bound=Callable[..., Any])


class Slot(Generic[F]):
    """One named question with exactly one answering function."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._answer: F | None = None

    def provide(self, answer: F) -> None:
        if self._answer is not None and self._answer is not answer:
            raise RuntimeError(f"{self.name} is already answered by {self._answer!r}")
        self._answer = answer

    @property
    def answer(self) -> F:
        if self._answer is None:
            raise LookupError(f"No installed app answers {self.name}")
        return self._answer


class Hooks(Generic[F]):
    """One named question that several apps answer (research and training both add navigation items).

    `answer` is a function of the same shape that asks every app, in the order they were installed, and
    combines their answers with `combine` (lists: concatenated; a landing page: the first that is not None).
    """

    def __init__(self, name: str, combine: Callable[[list[Any]], Any]) -> None:
        self.name = name
        self._combine = combine
        self._answers: list[F] = []

    def provide(self, answer: F) -> None:
        if answer not in self._answers:
            self._answers.append(answer)

    @property
    def answer(self) -> F:
        if not self._answers:
            raise LookupError(f"No installed app answers {self.name}")
        answers, combine = tuple(self._answers), self._combine

        def combined(*args: Any, **kwargs: Any) -> Any:
            return combine([a(*args, **kwargs) for a in answers])

        return combined  # type: ignore[return-value]


def _concatenated(answers: list[list[Any]]) -> list[Any]:
    return [item for answer in answers for item in answer]


def _first_given(answers: list[Any]) -> Any:
    return next((a for a in answers if a is not None), None)


# client profile -> the questionnaires the client has open (shown on Today)
open_questionnaires: Slot[Callable[[Any], list[Any]]] = Slot("open_questionnaires")
# Client ids as a list, or as a query of ids (`clients.values("pk")`) the database runs as a subquery: a
# clinic's whole caseload as thousands of bound parameters costs more to send and parse than to answer.
ClientIds = Collection[int] | QuerySet[Any, Any]
# client ids -> {client id: outcome flags with .open_alerts and .deteriorated} (the caseload's risk columns)
caseload_outcomes: Slot[Callable[[ClientIds], dict[int, Any]]] = Slot("caseload_outcomes")
# client ids -> {client id: flags with .open_alerts and .deteriorated only}: the same risk as caseload_outcomes
# for a whole clinic at once (the caseload's filters and risk sort), without the scores shown beside a name
caseload_risks: Slot[Callable[[ClientIds], dict[int, Any]]] = Slot("caseload_risks")
# user -> [(label, url, count waiting for the user)]: links higher apps add to the user's settings page
# (research: "Studies"; support: "Support person"), in the order the apps are installed
settings_links: Hooks[Callable[[Any], list[tuple[str, str, int]]]] = Hooks("settings_links", _concatenated)
# user -> extra (label, url) items for the main navigation (research: "Studies", and "Study sites" for clinic
# admins whose clinic is proposed as a study site; training: "Training"), in the order the apps are installed
navigation_items: Hooks[Callable[[Any], list[tuple[str, str]]]] = Hooks("navigation_items", _concatenated)
# user -> the URL a user who is no clinician lands on, or None (research: a researcher's studies; training:
# a trainee's vignettes); the first app that gives one wins
staff_landing: Hooks[Callable[[Any], str | None]] = Hooks("staff_landing", _first_given)
# client profile -> [(experiment title, arm name)] of the client's running experiments whose design is open:
# what the client's care team sees on the client's page (research answers it; blinded designs give nothing)
client_study_arms: Slot[Callable[[Any], list[tuple[str, str]]]] = Slot("client_study_arms")
# user -> how many open risk alerts wait for this clinician (measures answers it; one query): the navigation's
# count beside "Alerts"
open_alert_count: Slot[Callable[[Any], int]] = Slot("open_alert_count")
# (client profile, wall-clock time) -> (refusal, notice) about a reminder at that time (notifications answers):
# a refusal (the time is inside the client's quiet hours) stops "Schedule it with a reminder" with that message;
# a notice (reminders are off, or a study sets their time) is said after saving
reminder_check: Slot[Callable[[Any, Any], tuple[str | None, str | None]]] = Slot("reminder_check")
# (client profile, since) -> what the care team sees of the client's reminders, or None (notifications answers)
reminder_summary: Slot[Callable[[Any, Any], Any]] = Slot("reminder_summary")
# client profile -> the unread encouragement from the client's support person (support answers it; shown on
# Today through the support/_encouragement.html include)
client_encouragement: Slot[Callable[[Any], list[Any]]] = Slot("client_encouragement")
# client profile -> when the client's current support person accepted, or None: all the care team sees of it
support_person_since: Slot[Callable[[Any], Any]] = Slot("support_person_since")
# () -> [(job name, whether this call started it)]: a starting worker makes sure each recurring job's chain of
# tasks is running (measures: the questionnaire job; privacy: the retention job)
periodic_jobs: Hooks[Callable[[], list[tuple[str, bool]]]] = Hooks("periodic_jobs", _concatenated)
