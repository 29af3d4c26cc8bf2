"""Questionnaires in a client's data download: schedules, every response (answers under their questions, in the
wording the client answered), totals and severity bands, and the risk alerts their answers raised."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.dates import WEEKDAYS

from emotipal.accounts.models import ClientProfile
from emotipal.definitions.instruments import item_options
from emotipal.definitions.translations import definition_language, localized
from emotipal.measures.models import InstrumentTranslation, Response, RiskAlert, Schedule
from emotipal.measures.queries import alert_lines, instrument_names
from emotipal.platform import clock
from emotipal.platform.formatting import NO_ANSWER, scale_value
from emotipal.privacy.my_data_common import person_name


@dataclass(frozen=True)
class ScheduleRow:
    questionnaire: str
    kind: str
    weekday: str  # for weekly schedules
    active: bool
    created_by: str
    created_at: dt.datetime


@dataclass(frozen=True)
class AnswerRow:
    item: str  # the item's id
    question: str
    value: Any
    answer: str


@dataclass
class ResponseRow:
    questionnaire: str
    version: int
    language: str
    due_date: dt.date
    status: str
    status_label: str
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    expires_at: dt.datetime | None
    total: float | None
    band: str
    subscales: dict[str, Any]
    prorated: bool
    answers: list[AnswerRow] = field(default_factory=list)


@dataclass(frozen=True)
class AlertRow:
    questionnaire: str
    created_at: dt.datetime
    answers: list[AnswerRow]
    acknowledged_at: dt.datetime | None
    acknowledged_by: str
    escalated_at: dt.datetime | None


def schedules(profile: ClientProfile) -> list[ScheduleRow]:
    rows = list(Schedule.objects.filter(client=profile).select_related("created_by").order_by("created_at"))
    names = instrument_names([s.instrument_id for s in rows])
    return [
        ScheduleRow(
            questionnaire=names.get(s.instrument_id, ""),
            kind=str(s.get_kind_display()),
            weekday=str(WEEKDAYS[s.weekday])
            if s.kind == Schedule.Kind.WEEKLY and s.weekday in WEEKDAYS
            else "",
            active=s.is_active,
            created_by=person_name(s.created_by),
            created_at=s.created_at,
        )
        for s in rows
    ]


def _answer(definition: dict[str, Any], item: dict[str, Any], value: Any) -> str:
    if value is None or value == "" or value == []:
        return NO_ANSWER
    if item["type"] in ("choice", "multi_choice"):
        labels = {str(o["value"]): str(o["label"]) for o in item_options(definition, item)}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in values)
    if item["type"] == "scale":
        return scale_value(value, item.get("max"), (item.get("anchors") or {}).get(str(value)))
    return str(value)


def _answers(definition: dict[str, Any], answers: dict[str, Any]) -> list[AnswerRow]:
    rows = [
        AnswerRow(
            item["id"],
            str(item["text"]),
            answers.get(item["id"]),
            _answer(definition, item, answers.get(item["id"])),
        )
        for item in definition["items"]
        if item["type"] != "descriptive"
    ]
    asked = {item["id"] for item in definition["items"]}
    return rows + [AnswerRow(k, k, v, str(v)) for k, v in answers.items() if k not in asked]


def responses(profile: ClientProfile) -> list[ResponseRow]:
    found = list(
        Response.objects.filter(client=profile)
        .select_related("instrument_version")
        .order_by("-due_date", "-pk")
    )
    # The wording each was answered in: a clinic's imported translation when the client answered in it.
    translations: dict[tuple[int, str], InstrumentTranslation] = {}
    candidates = InstrumentTranslation.objects.filter(
        Q(clinic_id=profile.clinic_id) | Q(clinic__isnull=True),
        version_id__in={r.instrument_version_id for r in found},
        language__in={r.language for r in found},
    )
    # The clinic's own before a shipped one; sorted here, as databases disagree on where NULL sorts.
    for t in sorted(candidates, key=lambda t: t.clinic_id is None):
        translations.setdefault((t.version_id, t.language), t)
    rows = []
    for r in found:
        base = r.instrument_version.definition
        definition = base
        translation = translations.get((r.instrument_version_id, r.language))
        if r.language != definition_language(base) and translation is not None:
            definition = localized(base, translation.texts, r.language)
        rows.append(
            ResponseRow(
                questionnaire=r.instrument_version.name,
                version=r.instrument_version.number,
                language=r.language,
                due_date=r.due_date,
                status=r.status,
                status_label=str(r.get_status_display()),
                started_at=r.started_at,
                completed_at=r.completed_at,
                expires_at=r.expires_at,
                total=r.total,
                band=r.band,
                subscales=r.subscales,
                prorated=r.prorated,
                answers=_answers(definition, r.answers if isinstance(r.answers, dict) else {}),
            )
        )
    return rows


def risk_alerts(profile: ClientProfile) -> list[AlertRow]:
    alerts = list(
        RiskAlert.objects.filter(client=profile)
        .select_related("response__instrument_version", "acknowledged_by")
        .defer("action_note")  # the care team's own note of what they did: not part of the download
        .order_by("-created_at")
    )
    for alert in alerts:
        alert.client = profile
    lines = alert_lines(alerts, clock.zone_for_client(profile))
    return [
        AlertRow(
            questionnaire=line.instrument,
            created_at=line.alert.created_at,
            answers=[AnswerRow("", a.question, a.value, a.label) for a in line.answers],
            acknowledged_at=line.alert.acknowledged_at,
            acknowledged_by=person_name(line.alert.acknowledged_by) if line.alert.acknowledged_by_id else "",
            escalated_at=line.alert.escalated_at,
        )
        for line in lines
    ]
