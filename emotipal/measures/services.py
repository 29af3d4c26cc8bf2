"""Questionnaire flows: load instruments, schedule and answer them, score them, raise and handle risk alerts.

Every write that matters is audited. Risk is checked on every save, complete or not: a partial response with a
risk answer raises the alert at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext, gettext_lazy

from emotipal.accounts.access import can_assign_to, caseload
from emotipal.accounts.models import ClientProfile, Clinic
from emotipal.definitions.instruments import (
    DefinitionError,
    check_definition,
    is_scored,
    item_options,
    item_range,
)
from emotipal.definitions.scoring import score_response
from emotipal.measures import tasks, translations
from emotipal.measures.access import is_usable
from emotipal.measures.errors import MeasureError
from emotipal.measures.models import (
    OPEN_STATUSES,
    CrisisResource,
    Instrument,
    InstrumentVersion,
    Response,
    RiskAlert,
    Schedule,
)
from emotipal.measures.queries import latest_version
from emotipal.measures.schedules import generate_due
from emotipal.platform import clock
from emotipal.platform.audit.services import record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django_stubs_ext import StrOrPromise

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"
TEXT_LIMIT = 3000
DEFAULT_CRISIS = (  # translated lazily: shown in the client's language
    gettext_lazy("If you are in danger now"),
    gettext_lazy(
        "If you might act on thoughts of harming yourself, or you are in danger right now, call your local "
        "emergency number (for example 112 in Europe, 911 in North America, 999 in the UK) or go to the nearest "
        "emergency department. You can also call a crisis line in your country, or ask someone you trust to stay "
        "with you."
    ),
)


# --- instruments ------------------------------------------------------------------------------------------------


def definition_hash(definition: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()


def store_instrument(
    definition: dict[str, Any], clinic: Clinic | None = None
) -> tuple[InstrumentVersion, bool]:
    """Create the instrument or a new version of it when the definition changed. Returns (version, created)."""
    check_definition(definition)
    stored = json.loads(json.dumps(definition))  # JSON keys, as the API and the database hold them
    digest = definition_hash(stored)
    with transaction.atomic():
        instrument, _ = Instrument.objects.get_or_create(key=stored["key"], clinic=clinic)
        latest = instrument.versions.order_by("-number").first()
        if latest is not None and latest.content_hash == digest:
            return latest, False
        version = InstrumentVersion.objects.create(
            instrument=instrument,
            number=(latest.number + 1) if latest else 1,
            definition=stored,
            content_hash=digest,
        )
    return version, True


def sync_instruments(directory: Path = INSTRUMENTS_DIR) -> list[str]:
    """Load the shipped instruments; an unchanged file creates nothing."""
    changed = []
    for path in sorted(directory.glob("*.yaml")):
        definition = yaml.safe_load(path.read_text(encoding="utf-8"))
        # The file's note on translations (which are shipped, and why not) is about the file, not the
        # instrument: kept out of the stored definition so that writing it down makes no new version.
        definition.pop("translations", None)
        try:
            version, created = store_instrument(definition)
        except DefinitionError as exc:
            raise DefinitionError(f"{path.name}: {exc}") from exc
        if created:
            changed.append(version.instrument.key)
    return changed


def instruments_for(clinic: Clinic | None) -> list[Instrument]:
    """The shipped instruments and the clinic's own."""
    query = Instrument.objects.filter(is_active=True, clinic__isnull=True)
    if clinic is not None:
        query = query | Instrument.objects.filter(is_active=True, clinic=clinic)
    return list(query.order_by("key"))


# --- answers ----------------------------------------------------------------------------------------------------


def clean_answers(definition: dict[str, Any], raw: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed answers and a message per item for anything out of range. Blank answers are left out."""
    if not isinstance(raw, dict):
        return {}, {"__all__": gettext("Answers must be given per question.")}
    items = {i["id"]: i for i in definition["items"]}
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        item = items.get(key)
        if item is None or item["type"] == "descriptive":
            errors[str(key)] = gettext("This is not a question of this questionnaire.")
            continue
        if value is None or value == "" or value == []:
            continue
        try:
            cleaned[key] = _clean_one(definition, item, value)
        except ValueError as exc:
            errors[key] = str(exc)
    return cleaned, errors


def _clean_one(definition: dict[str, Any], item: dict[str, Any], value: Any) -> Any:
    kind = item["type"]
    if kind in ("choice", "multi_choice"):
        allowed = {str(o["value"]): o["value"] for o in item_options(definition, item)}
        values = value if isinstance(value, list) else [value]
        if kind == "choice" and len(values) != 1:
            raise ValueError(gettext("Choose one answer."))
        if any(str(v) not in allowed for v in values):
            raise ValueError(gettext("Choose one of the answers shown."))
        typed = [allowed[str(v)] for v in values]
        return typed[0] if kind == "choice" else typed
    if kind in ("scale", "number"):
        try:
            number = float(str(value).strip())
        except ValueError as exc:
            raise ValueError(gettext("Enter a number.")) from exc
        if kind == "scale":
            lo, hi = item_range(definition, item)
            if not number.is_integer() or not lo <= number <= hi:
                raise ValueError(gettext("Choose a value from %(lo)s to %(hi)s.") % {"lo": lo, "hi": hi})
            return int(number)
        if ("min" in item and number < item["min"]) or ("max" in item and number > item["max"]):
            raise ValueError(
                gettext("Enter a number from %(min)s to %(max)s.")
                % {"min": item.get("min", "…"), "max": item.get("max", "…")}
            )
        return int(number) if number.is_integer() else number
    text = str(value).strip()
    if len(text) > TEXT_LIMIT:
        raise ValueError(gettext("Keep this to %(limit)s characters or fewer.") % {"limit": TEXT_LIMIT})
    return text


def risk_answers(definition: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Risk items answered above their lowest score, as the scoring rules decide (partial answers too)."""
    return {item_id: answers[item_id] for item_id in score_response(definition, answers).risk_items}


def own_response(user: Any, response_id: int) -> Response:
    response = (
        Response.objects.select_related("instrument_version__instrument", "client__clinic", "client__user")
        .filter(pk=response_id, client__user=user)
        .first()
    )
    if response is None:
        raise Http404("No such questionnaire")
    return response


@dataclass
class SaveResult:
    response: Response
    alert: RiskAlert | None  # set when this save raised a new alert: show crisis resources now


def save_answers(user: Any, response_id: int, raw: dict[str, Any], *, submit: bool = False) -> SaveResult:
    """Store what was answered so far (always), raise a risk alert if needed, and score when submitting."""
    response = own_response(user, response_id)
    if not response.is_open:
        raise MeasureError(gettext("This questionnaire is closed: it was completed or has expired."))
    definition = response.instrument_version.definition
    language = translations.shown_to(response).language
    cleaned, errors = clean_answers(definition, raw)
    if errors:
        raise MeasureError(gettext("Some answers need another look."), errors)
    now = clock.now()
    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response.pk)
        response.answers = {**(response.answers or {}), **cleaned}
        for key, value in raw.items():  # an answer cleared by the client is removed
            if value in (None, "", []) and key in response.answers:
                del response.answers[key]
        response.started_at = response.started_at or now
        response.status = Response.Status.IN_PROGRESS
        # The wording the client answered (scored by the version's own rules in every language).
        response.language = language
        score = score_response(definition, response.answers)
        unanswered: list[str] = []
        if submit:
            missing = [i for i in score.missing] if not score.complete else []
            unanswered = [*missing, *_required_missing(definition, response.answers)]
        completing = submit and not unanswered
        if completing:
            response.status = Response.Status.COMPLETED
            response.completed_at = now
            response.total = score.total
            response.band = score.band or ""
            response.subscales = score.subscales
            response.prorated = score.prorated
        response.save()
        alert = _raise_alert_if_needed(response, definition)
        record(
            user,
            "response.complete" if completing else "response.save",
            response,
            subject_user_id=response.client.user_id,
            clinic_id=response.client.clinic_id,
        )
    if unanswered:
        # Raised after the commit: a refused submit keeps every answer given so far (and a risk answer among
        # them has alerted), so nothing the client entered is lost.
        raise MeasureError(
            gettext("Please answer the questions marked."),
            {item: gettext("Please answer this one.") for item in unanswered},
        )
    return SaveResult(response, alert)


def _required_missing(definition: dict[str, Any], answers: dict[str, Any]) -> list[str]:
    """Unanswered items the client must answer before submitting, whatever the total may do without them.

    Unscored items marked required, and scored risk items: a total may be prorated over a missing item,
    but a risk item is never estimated, so a skipped PHQ-9 item 9 would silently raise no alert.
    """
    return [
        i["id"]
        for i in definition["items"]
        if i["type"] not in ("descriptive",)
        and i["id"] not in answers
        and (i.get("risk", False) if is_scored(definition, i) else i.get("required", False))
    ]


def _raise_alert_if_needed(response: Response, definition: dict[str, Any]) -> RiskAlert | None:
    found = risk_answers(definition, response.answers or {})
    if not found or RiskAlert.objects.filter(response=response).exists():
        return None
    try:
        with transaction.atomic():
            alert = RiskAlert.objects.create(client=response.client, response=response, items=found)
    except IntegrityError:
        return None
    record(
        None,
        "risk_alert.create",
        alert,
        subject_user_id=response.client.user_id,
        clinic_id=response.client.clinic_id,
    )
    transaction.on_commit(lambda: _queue_alert_tasks(alert))
    return alert


def _queue_alert_tasks(alert: RiskAlert) -> None:
    tasks.email_risk_alert.enqueue(alert.pk)
    hours = alert.client.clinic.alert_escalation_hours
    tasks.escalate_risk_alert.using(run_after=alert.created_at + dt.timedelta(hours=hours)).enqueue(alert.pk)


# --- alerts -----------------------------------------------------------------------------------------------------


def visible_alerts(actor: Any) -> Any:
    # The caseload, not every visible client: a supervisor's supervisees' alerts are for the treating clinicians.
    return RiskAlert.objects.filter(client__in=caseload(actor)).select_related(
        "client__user", "response__instrument_version", "acknowledged_by"
    )


def acknowledge_alert(actor: Any, alert_id: int, note: str) -> RiskAlert:
    alert = RiskAlert.objects.select_related("client").filter(pk=alert_id).first()
    if alert is None or not can_assign_to(actor, alert.client):
        raise Http404("No such alert")
    note = note.strip()
    if not note:
        raise MeasureError(
            gettext("Say what you did or will do."), {"note": gettext("An action note is required.")}
        )
    if len(note) > TEXT_LIMIT:
        raise MeasureError(
            gettext("The note is too long."),
            {"note": gettext("Keep it to %(limit)s characters.") % {"limit": TEXT_LIMIT}},
        )
    if alert.acknowledged_at is not None:
        raise MeasureError(
            gettext("This alert was already acknowledged."), {"note": gettext("Already acknowledged.")}
        )
    alert.acknowledged_at = clock.now()
    alert.acknowledged_by = actor
    alert.action_note = note
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "action_note"])
    record(
        actor,
        "risk_alert.acknowledge",
        alert,
        subject_user_id=alert.client.user_id,
        clinic_id=alert.client.clinic_id,
    )
    return alert


@transaction.atomic
def set_safety_policy(actor: Any, clinic: Clinic, hours: int, statement: str) -> None:
    """How long an alert may wait before the admins hear of it, and what clients are told about who reads."""
    statement = statement.strip()
    if not 1 <= hours <= 168 or not statement or len(statement) > 2000:
        raise MeasureError(
            gettext(
                "Give the escalation time in hours (1 to 168) and a statement for clients (up to 2000 characters)."
            )
        )
    clinic.alert_escalation_hours, clinic.answers_read_statement = hours, statement
    clinic.save(update_fields=["alert_escalation_hours", "answers_read_statement"])
    record(actor, "clinic.safety_policy", clinic, clinic_id=clinic.pk, hours=hours)


@transaction.atomic
def add_crisis_resource(
    actor: Any, clinic: Clinic, *, language: str, title: str, body: str
) -> CrisisResource:
    """A crisis resource clients of this clinic see in this language. Too long is refused, never cut short."""
    title, body, language = title.strip(), body.strip(), language.strip().lower() or "en"
    if not title or not body:
        raise MeasureError(gettext("A resource needs a title and what to do."))
    if len(title) > 200 or len(body) > 4000 or len(language) > 10:
        raise MeasureError(gettext("Keep the title to 200 characters and what to do to 4000."))
    resource = CrisisResource.objects.create(clinic=clinic, language=language, title=title, body=body)
    record(actor, "crisis_resource.add", clinic, clinic_id=clinic.pk, language=language)
    return resource


@transaction.atomic
def delete_crisis_resource(actor: Any, clinic: Clinic, resource_id: int) -> None:
    deleted, _count = CrisisResource.objects.filter(pk=resource_id, clinic=clinic).delete()
    if not deleted:
        raise Http404("No such resource")
    record(actor, "crisis_resource.delete", clinic, clinic_id=clinic.pk, resource=resource_id)


def crisis_resources(clinic: Clinic, language: str) -> Sequence[tuple[StrOrPromise, StrOrPromise]]:
    """The clinic's resources in the client's language, else in English, else the built-in default."""
    for lang in (language, "en"):
        found = list(CrisisResource.objects.filter(clinic=clinic, language=lang).values_list("title", "body"))
        if found:
            return found
    return [DEFAULT_CRISIS]


# --- schedules ----------------------------------------------------------------------------------------------------


def _not_usable() -> str:
    return gettext("Choose one of your clinic's questionnaires.")


def add_schedule(
    actor: Any,
    client: ClientProfile,
    instrument: Instrument,
    kind: str,
    *,
    weekday: int = 0,
    expires_after_days: int = 3,
) -> Schedule:
    if not can_assign_to(actor, client):
        raise Http404("No such client")
    errors = {}
    if kind not in Schedule.Kind.values:
        errors["kind"] = gettext("Choose when to ask.")
    if not 0 <= weekday <= 6:
        errors["weekday"] = gettext("Choose a day of the week.")
    if not 1 <= expires_after_days <= 14:
        errors["expires_after_days"] = gettext("Choose between 1 and 14 days.")
    if not is_usable(actor, client, instrument):
        errors["instrument"] = _not_usable()
    if errors:
        raise MeasureError(gettext("The schedule has problems."), errors)
    schedule = Schedule.objects.create(
        client=client,
        instrument=instrument,
        kind=kind,
        weekday=weekday,
        expires_after_days=expires_after_days,
        created_by=actor,
        created_at=clock.now(),
    )
    record(actor, "schedule.create", schedule, subject_user_id=client.user_id, clinic_id=client.clinic_id)
    generate_due([schedule])  # what is due today, the client's today
    return schedule


@transaction.atomic
def stop_schedule(actor: Any, client: ClientProfile, schedule_id: int) -> Schedule:
    """No more questionnaires from this schedule; those already sent stay open until they expire."""
    if not can_assign_to(actor, client):
        raise Http404("No such client")
    schedule = Schedule.objects.select_for_update().filter(pk=schedule_id, client=client).first()
    if schedule is None:
        raise Http404("No such schedule")
    if schedule.is_active:
        schedule.is_active = False
        schedule.save(update_fields=["is_active"])
        record(actor, "schedule.stop", schedule, subject_user_id=client.user_id, clinic_id=client.clinic_id)
    return schedule


def ask_now(actor: Any, client: ClientProfile, instrument: Instrument, days_open: int = 3) -> Response:
    """A one-off questionnaire for the client, due today."""
    if not can_assign_to(actor, client):
        raise Http404("No such client")
    if not is_usable(actor, client, instrument):
        raise MeasureError(gettext("The questionnaire cannot be sent."), {"instrument": _not_usable()})
    zone = clock.zone_for_client(client)
    today = clock.local_today(zone)
    now = clock.now()
    with transaction.atomic():
        ClientProfile.objects.select_for_update().filter(
            pk=client.pk
        ).first()  # take turns with the scheduler
        copies = Response.objects.filter(client=client, instrument=instrument, status__in=OPEN_STATUSES)
        copies.filter(expires_at__lt=now).update(status=Response.Status.EXPIRED)
        already = copies.first()
        if already is not None:
            # The client already has it open: a second copy would only be a duplicate card on Today.
            return already
        response = Response.objects.create(
            client=client,
            instrument=instrument,
            instrument_version=latest_version(instrument),
            due_date=today,
            expires_at=clock.end_of_local_day(today + dt.timedelta(days=days_open), zone),
        )
        record(actor, "response.ask", response, subject_user_id=client.user_id, clinic_id=client.clinic_id)
    return response


def open_responses(client: ClientProfile) -> list[Response]:
    return open_responses_of_many([client])[client.pk]


def open_responses_of_many(clients: list[ClientProfile]) -> dict[int, list[Response]]:
    """Each client's open questionnaires (by client id), soonest due first, in one query for all of them."""
    now = clock.now()
    found: dict[int, list[Response]] = {c.pk: [] for c in clients}
    rows = (
        Response.objects.filter(
            client__in=[c.pk for c in clients],
            status__in=[Response.Status.DUE, Response.Status.IN_PROGRESS],
            expires_at__gt=now,
        )
        .select_related("instrument_version")
        .order_by("due_date", "pk")
    )
    for response in rows:
        found[response.client_id].append(response)
    return found
