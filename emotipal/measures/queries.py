"""Read models for the caseload and the alerts: open alerts and reliable change per client, each alert as a
sentence, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, TextField
from django.db.models.functions import Cast

from emotipal.accounts.access import is_clinician, visible_clients
from emotipal.analysis.outcomes import jacobson_truax
from emotipal.definitions.instruments import item_options
from emotipal.definitions.translations import definition_language
from emotipal.measures.errors import MeasureError
from emotipal.measures.models import (
    Instrument,
    InstrumentTranslation,
    InstrumentVersion,
    Response,
    RiskAlert,
)
from emotipal.measures.outcome_summary import reliable_change_words
from emotipal.platform import formatting
from emotipal.platform.encryption import decrypt_json
from emotipal.platform.extensions import ClientIds


@dataclass
class OutcomeChange:
    """First -> latest total of one instrument, with the Jacobson-Truax verdict in the outcomes page's words."""

    name: str
    first: float
    latest: float
    first_at: dt.datetime
    latest_at: dt.datetime
    n: int
    status: str | None  # reliable_improvement | reliable_deterioration | no_reliable_change | None
    words: str  # translated; "" with one score or no configured reliability


@dataclass
class OutcomeFlags:
    open_alerts: int = 0
    deteriorated: list[str] = field(default_factory=list)  # names of instruments with reliable deterioration
    latest: dict[str, float] = field(default_factory=dict)  # instrument name -> latest total
    changes: list[OutcomeChange] = field(default_factory=list)  # one per instrument with a total


def caseload_flags(client_ids: ClientIds) -> dict[int, OutcomeFlags]:
    """Three queries: open alerts, completed scores (answers are not decrypted), the definitions used.

    What the caseload shows beside each client of its page, and the client summary. Only what the flags need
    is decrypted: of each client's series on an instrument, the first and the latest response with a total
    (walking inward past any without one), not every weekly score between them. Filtering and sorting a whole
    clinic by risk reads the kept verdicts instead (measures/verdicts.py: risk_flags).
    """
    flags = open_alerts(client_ids)
    series, definitions = scored_series(client_ids)
    for (client_id, _instrument), one in series.items():
        definition = definitions[one.latest.version_id]
        name = definition.get("name", "")
        flags[client_id].latest[name] = one.latest.total
        status = reliable_change_status(definition, one)
        if status == "reliable_deterioration":
            flags[client_id].deteriorated.append(name)
        flags[client_id].changes.append(
            OutcomeChange(
                name=name,
                first=one.first.total,
                latest=one.latest.total,
                first_at=one.first.at,
                latest_at=one.latest.at,
                n=one.n,
                status=status,
                words=reliable_change_words(status),
            )
        )
    for flag in flags.values():
        flag.changes.sort(key=lambda c: c.name)
    return flags


def open_alerts(client_ids: ClientIds) -> defaultdict[int, OutcomeFlags]:
    """Flags with each client's count of open risk alerts filled in (one query)."""
    flags: defaultdict[int, OutcomeFlags] = defaultdict(OutcomeFlags)
    for row in (
        RiskAlert.objects.filter(client_id__in=client_ids)
        .values("client_id")
        .annotate(n=Count("id", filter=Q(acknowledged_at__isnull=True)))
    ):
        flags[row["client_id"]].open_alerts = row["n"]
    return flags


SeriesKey = tuple[int, int]  # (client id, instrument id)


def scored_series(client_ids: ClientIds) -> tuple[dict[SeriesKey, _Series], dict[int, dict[str, Any]]]:
    """Each series' first and latest response with a total (two queries), and the definitions of the
    latest ones' versions by id. Series with no total at all are absent."""
    # The scores blob read as its stored token (a plain text column, no decrypting converter).
    scored = (
        Response.objects.filter(
            client_id__in=client_ids, status=Response.Status.COMPLETED, completed_at__isnull=False
        )
        .order_by("completed_at", "pk")
        .annotate(token=Cast("scores", TextField()))
        .values_list(
            "client_id", "instrument_version_id", "instrument_version__instrument_id", "token", "completed_at"
        )
    )
    stored: dict[SeriesKey, list[tuple[int, str | None, dt.datetime]]] = defaultdict(list)
    for client_id, version_id, instrument_id, token, completed_at in scored:
        if completed_at is not None:  # filtered in SQL; the column is nullable
            stored[(client_id, instrument_id)].append((version_id, token, completed_at))
    series = {key: ends for key, values in stored.items() if (ends := _scored_ends(values))}
    version_ids = {one.latest.version_id for one in series.values()}
    definitions = dict(InstrumentVersion.objects.filter(pk__in=version_ids).values_list("pk", "definition"))
    return series, definitions


def reliable_change_status(definition: dict[str, Any], one: _Series) -> str | None:
    """The Jacobson-Truax verdict of a series (None with one score or no configured reliability): the same
    index, SD and reliability as the outcomes page (client_page.score_series)."""
    rc = definition.get("reliable_change")
    if not rc or one.n <= 1:
        return None
    return jacobson_truax(
        one.first.total,
        one.latest.total,
        sd=rc["sd"],
        reliability=rc["reliability"],
        direction=definition.get("direction", "lower_is_better"),
    ).status


def _total(token: str | None) -> float | None:
    scores = decrypt_json(token)
    return scores.get("total") if isinstance(scores, dict) else None


@dataclass(frozen=True)
class _Scored:
    version_id: int
    total: float
    at: dt.datetime


@dataclass(frozen=True)
class _Series:
    first: _Scored
    latest: _Scored
    n: int  # responses from the first to the latest scored one (those between are not decrypted)


def _scored_ends(values: list[tuple[int, str | None, dt.datetime]]) -> _Series | None:
    """The first and the latest response with a total, decrypting from each end only until one is found;
    None when no response of the series has a total."""
    first = _first_scored(enumerate(values))
    if first is None:
        return None
    latest = _first_scored((i, v) for i, v in reversed(list(enumerate(values))) if i > first[0]) or first
    return _Series(first=first[1], latest=latest[1], n=latest[0] - first[0] + 1)


def _first_scored(
    indexed: Iterable[tuple[int, tuple[int, str | None, dt.datetime]]],
) -> tuple[int, _Scored] | None:
    for i, (version_id, token, at) in indexed:
        total = _total(token)
        if total is not None:
            return i, _Scored(version_id, total, at)
    return None


def open_alert_count(user: Any) -> int:
    """The open risk alerts of the clients a clinician sees: one COUNT query (the navigation's badge)."""
    if not is_clinician(user):
        return 0
    return RiskAlert.objects.filter(
        client__in=visible_clients(user).exclude(user=user), acknowledged_at__isnull=True
    ).count()


@dataclass
class AnsweredItem:
    question: str
    label: str  # the option's label as the client saw it ("More than half the days")
    value: Any
    maximum: int | None


@dataclass
class AlertLine:
    """One alert as the alerts page says it: who answered what, with which answer, when, and how to reach them."""

    alert: RiskAlert
    instrument: str
    answers: list[AnsweredItem]
    when: str  # date and time in the viewer's zone and locale
    email: str  # the only contact detail EmotiPal keeps (no phone number is stored)
    escalated: bool
    escalated_when: str


def alert_lines(alerts: list[RiskAlert], tz: dt.tzinfo) -> list[AlertLine]:
    """No query: the alerts come with their client, user and response's version (services.visible_alerts)."""
    lines = []
    for alert in alerts:
        definition = alert.response.instrument_version.definition
        items = {i["id"]: i for i in definition.get("items", [])}
        answered = []
        for item_id, value in (alert.items or {}).items():
            item = items.get(item_id, {})
            options = item_options(definition, item) if item else []
            labels = {o["value"]: str(o["label"]) for o in options}
            numbers = [o["value"] for o in options if isinstance(o["value"], int)]
            answered.append(
                AnsweredItem(
                    question=str(item.get("text") or item_id),
                    label=labels.get(value, str(value)),
                    value=value,
                    maximum=max(numbers) if numbers else item.get("max"),
                )
            )
        lines.append(
            AlertLine(
                alert=alert,
                instrument=alert.response.instrument_version.name,
                answers=answered,
                when=formatting.moment(alert.created_at, tz),
                email=alert.client.user.email,
                escalated=alert.escalated_at is not None,
                escalated_when=formatting.moment(alert.escalated_at, tz) if alert.escalated_at else "",
            )
        )
    return lines


def instrument_names(instrument_ids: list[int]) -> dict[int, str]:
    """Instrument id -> its name as its newest version gives it ("PHQ-9"), in one query."""
    names: dict[int, str] = {}
    versions = (
        InstrumentVersion.objects.filter(instrument_id__in=set(instrument_ids))
        .order_by("instrument_id", "number")
        .values_list("instrument_id", "definition")
    )
    for instrument_id, definition in versions:  # the newest comes last and wins
        if definition.get("name"):
            names[instrument_id] = str(definition["name"])
    return names


def latest_version(instrument: Instrument) -> InstrumentVersion:
    version = instrument.versions.order_by("-number").first()
    if version is None:
        raise MeasureError(f"Instrument {instrument.key} has no version.")
    return version


def versions_with_languages(instrument: Instrument, clinic_id: int) -> list[InstrumentVersion]:
    """Newest first, each with the translations this clinic's clients may be shown."""
    versions = list(instrument.versions.order_by("-number"))
    shown = InstrumentTranslation.objects.filter(
        Q(clinic_id=clinic_id) | Q(clinic__isnull=True), version__in=versions
    )
    by_version: dict[int, list[InstrumentTranslation]] = {}
    for t in shown.select_related("imported_by"):
        by_version.setdefault(t.version_id, []).append(t)
    for version in versions:
        version.languages = by_version.get(version.pk, [])  # type: ignore[attr-defined]
        version.own_language = definition_language(version.definition)  # type: ignore[attr-defined]
    return versions
