"""Features an experiment may switch for a participant: one registry, asked by the code path each one names.

An experiment's arm (in `research`) says, per feature, which parameters its participants get; the app's code
(`homework`, `notifications`, `library`) asks `settings_for(client)` here and never imports `research`. A
client in no running experiment gets every feature's defaults, which are the app's ordinary behaviour, so
switching a feature never changes anything for anyone outside a trial.

Every feature names the code path that reads it (`used_in`), and each is tested per arm there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from emotipal.platform.extensions import Slot


class FeatureError(ValueError):
    """An arm's feature settings that the registry does not accept (the message says which and why)."""


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str  # "bool", "choice" or "time" ("HH:MM", or "" for the client's own choice)
    default: Any
    label: Any
    choices: tuple[tuple[str, Any], ...] = ()

    def clean(self, value: Any) -> Any:
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise FeatureError(_("%(name)s must be true or false.") % {"name": self.name})
        if self.kind == "choice":
            if value in {key for key, _label in self.choices}:
                return value
            raise FeatureError(
                _("%(name)s must be one of: %(choices)s.")
                % {"name": self.name, "choices": ", ".join(key for key, _label in self.choices)}
            )
        if value in ("", None):
            return ""
        try:
            dt.time.fromisoformat(str(value))
        except ValueError:
            raise FeatureError(
                _("%(name)s must be a time of day such as 18:30, or empty.") % {"name": self.name}
            ) from None
        return str(value)[:5]


@dataclass(frozen=True)
class Feature:
    key: str
    label: Any
    description: Any
    used_in: str  # the code path that reads it
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}

    def clean(self, values: Mapping[str, Any]) -> dict[str, Any]:
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise FeatureError(
                _("%(feature)s has no setting %(name)s.") % {"feature": self.key, "name": unknown[0]}
            )
        return {**self.defaults(), **{name: known[name].clean(v) for name, v in values.items()}}


REMINDER_WORDINGS = (
    ("standard", _("Standard: what is waiting today")),
    ("encouraging", _("Encouraging: a word of support, then what is waiting")),
    ("brief", _("Brief: one line")),
)

FEATURES: dict[str, Feature] = {
    f.key: f
    for f in (
        Feature(
            "reminders",
            _("Homework reminders"),
            _("Whether the daily reminder is sent, at what time, and in which wording."),
            "emotipal.notifications.services.send_reminder / next_run_at",
            (
                Parameter("enabled", "bool", True, _("Send reminders")),
                Parameter("time", "time", "", _("Reminder time (empty: the client's own choice)")),
                Parameter("wording", "choice", "standard", _("Wording"), REMINDER_WORDINGS),
            ),
        ),
        Feature(
            "review_lead",
            _("Who leads the homework review"),
            _(
                "Client self-review first (the client is asked to review before the session), or therapist-led."
            ),
            "emotipal.homework.queries.today_items / homework review pages",
            (
                Parameter(
                    "lead",
                    "choice",
                    "client",
                    _("Review led by"),
                    (("client", _("The client reviews first")), ("therapist", _("The therapist leads"))),
                ),
            ),
        ),
        Feature(
            "rationale_framing",
            _("Framing of an exercise's rationale"),
            _(
                "Self-improvement (the template's own wording) or family and community (the template's family variant)."
            ),
            "emotipal.homework client exercise page (library.variants)",
            (
                Parameter(
                    "framing",
                    "choice",
                    "self",
                    _("Framing"),
                    (("self", _("Self-improvement")), ("family", _("Family and community"))),
                ),
            ),
        ),
        Feature(
            "rewards",
            _("Rewards and streaks"),
            _("Whether Today shows the client's run of practice days and the milestones reached."),
            "emotipal.homework Today page",
            (Parameter("streaks", "bool", False, _("Show streaks and milestones")),),
        ),
        Feature(
            "progress_feedback",
            _("Progress feedback after each entry"),
            _(
                "Whether the client sees, after sending, how all their homework this week and their ratings "
                "before and after are going (everyone sees the week's count for the exercise just sent)."
            ),
            "emotipal.homework entry sent page",
            (Parameter("enabled", "bool", False, _("Show progress after each entry")),),
        ),
    )
}


def check_settings(settings: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """An arm's {feature: {parameter: value}} checked against the registry, with defaults filled in."""
    if not isinstance(settings, Mapping):
        raise FeatureError(_("Feature settings must be a mapping of feature to settings."))
    cleaned: dict[str, dict[str, Any]] = {}
    for key, values in settings.items():
        feature = FEATURES.get(key)
        if feature is None:
            raise FeatureError(_("There is no feature called %(key)s.") % {"key": key})
        if not isinstance(values, Mapping):
            raise FeatureError(_("The settings of %(key)s must be a mapping.") % {"key": key})
        cleaned[key] = feature.clean(values)
    return cleaned


# client profile -> {feature key: parameters} the client's running experiments set (research answers it)
experiment_settings: Slot[Callable[[Any], Mapping[str, Mapping[str, Any]]]] = Slot("experiment_settings")

# client ids -> {client id: {feature key: parameters}}, the same for many clients in one query
experiment_settings_of_many: Slot[Callable[[list[int]], Mapping[int, Mapping[str, Mapping[str, Any]]]]] = (
    Slot("experiment_settings_of_many")
)

_CACHE_ATTR = "_emotipal_feature_settings"


def settings_for(client: Any) -> dict[str, dict[str, Any]]:
    """Every feature's parameters for this client: defaults, overridden by their experiments' arms.

    Cached on the client object for the length of a request (one query however many features a page asks)."""
    cached = getattr(client, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    chosen: Mapping[str, Mapping[str, Any]] = {}
    try:
        ask = experiment_settings.answer
    except LookupError:
        ask = None
    if ask is not None and client is not None:
        chosen = ask(client)
    return _remember(client, chosen)


def _remember(client: Any, chosen: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    result = {key: {**f.defaults(), **dict(chosen.get(key, {}))} for key, f in FEATURES.items()}
    with contextlib.suppress(AttributeError):
        setattr(client, _CACHE_ATTR, result)
    return result


def preload(clients: list[Any]) -> None:
    """Cache every client's settings with one query for all of them (settings_for then asks none)."""
    try:
        ask = experiment_settings_of_many.answer
    except LookupError:
        chosen: Mapping[int, Mapping[str, Mapping[str, Any]]] = {}
    else:
        chosen = ask([c.pk for c in clients]) if clients else {}
    for client in clients:
        _remember(client, chosen.get(client.pk, {}))


def value(client: Any, feature: str) -> dict[str, Any]:
    """One feature's parameters for this client."""
    return settings_for(client)[feature]


def forget(client: Any) -> None:
    """Drop the cached settings (after an allocation changed them within one request)."""
    if hasattr(client, _CACHE_ATTR):
        delattr(client, _CACHE_ATTR)


# --- micro-randomised reminders ------------------------------------------------------------------------


# Why a decision point is not available (stored on the decision point and exported as they are).
NOTHING_PLANNED = "nothing planned"  # no homework due that day
ALREADY_DONE = "already done"  # every practice due that day submitted before the decision moment
PAUSED = "paused"  # reminders off in an experiment's arm, or no channel to send one through
QUIET_HOURS = "quiet hours"  # the decision moment falls inside the client's quiet hours


@dataclass(frozen=True)
class Availability:
    """Whether a reminder decision point may be randomised: the reminder path knows, research does not."""

    available: bool
    reason: str = ""  # when not available: one of the reasons above


@dataclass(frozen=True)
class ReminderDecision:
    """What a micro-randomised trial decided at one decision point."""

    send: bool
    probability: float | None
    decision_id: int | None


@dataclass(frozen=True)
class DecisionAsk:
    """One decision point to decide: the client, their local day, the decision moment and its availability."""

    client: Any
    day: dt.date
    moment: dt.datetime
    availability: Availability


# Decision points -> for each, in order, the decision of the running micro-randomised trial its client is in,
# or None when they are in none (the reminder follows its settings). Many at once: a batch of reminders asks
# for all of its points in one go (research reads and writes them in a few queries, not a few per point).
reminder_decisions: Slot[Callable[[list[DecisionAsk]], list[ReminderDecision | None]]] = Slot(
    "reminder_decisions"
)


def decide_reminders(asks: list[DecisionAsk]) -> list[ReminderDecision | None]:
    try:
        ask = reminder_decisions.answer
    except LookupError:
        return [None] * len(asks)
    return ask(asks) if asks else []


def decide_reminder(
    client: Any, day: dt.date, moment: dt.datetime, availability: Availability
) -> ReminderDecision | None:
    return decide_reminders([DecisionAsk(client, day, moment, availability)])[0]


# [(decision id, what the reminder path did: its ScheduledReminder outcome)] -> None. Research stores each on
# its decision point, in the reminders' own transaction.
reminders_sent: Slot[Callable[[list[tuple[int, str]]], None]] = Slot("reminders_sent")


def note_reminders_sent(done: list[tuple[ReminderDecision | None, str]]) -> None:
    """Tell the trial what was sent at the decision points it decided (nothing to tell where it decided none)."""
    told = [(d.decision_id, outcome) for d, outcome in done if d is not None and d.decision_id is not None]
    if not told:
        return
    try:
        ask = reminders_sent.answer
    except LookupError:
        return
    ask(told)


def note_reminder_sent(decision: ReminderDecision | None, outcome: str) -> None:
    note_reminders_sent([(decision, outcome)])
