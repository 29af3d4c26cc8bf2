"""The therapist's measures page for one client: scores with bands and reliable change next to engagement,
mechanism ratings, schedules and alerts; the NHS Talking Therapies outcome on the PHQ-9 and GAD-7 together."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from emotipal.accounts.models import ClientProfile
from emotipal.accounts.viewer import viewer_zone
from emotipal.analysis import engagement as eng
from emotipal.analysis.outcomes import jacobson_truax
from emotipal.definitions.instruments import MECHANISM, OUTCOME, item_range, scored_items
from emotipal.homework import compliance
from emotipal.homework.models import Entry
from emotipal.homework.queries import week_start
from emotipal.measures import charts as outcome_charts
from emotipal.measures import outcome_summary, services
from emotipal.measures.access import usable_instruments
from emotipal.measures.models import Response, Schedule
from emotipal.measures.queries import instrument_names
from emotipal.platform import clock

# The kind (not the slug) that marks a thought record, shipped or a clinic's copy.
THOUGHT_RECORD_KIND = "thought_record"


def score_series(responses: list[Response], tz: dt.tzinfo = clock.UTC) -> dict[str, dict[str, Any]]:
    """Per instrument: points with reliable-change status against the first score, and a summary."""
    by_key: dict[str, list[Response]] = defaultdict(list)
    for r in responses:
        if r.total is not None and r.completed_at is not None:
            by_key[r.instrument_version.instrument.key].append(r)
    series = {}
    for key, items in by_key.items():
        items.sort(key=lambda r: r.completed_at)  # type: ignore[arg-type,return-value]
        definition = items[-1].instrument_version.definition
        rc = definition.get("reliable_change")
        direction = definition.get("direction", "lower_is_better")
        baseline = items[0].total
        points = []
        for i, r in enumerate(items):
            status = "baseline" if i == 0 else None
            if rc and i > 0 and baseline is not None and r.total is not None:
                status = jacobson_truax(
                    baseline, r.total, sd=rc["sd"], reliability=rc["reliability"], direction=direction
                ).status
            day = clock.local_date(r.completed_at, tz)  # type: ignore[arg-type]  # the client's day of it
            points.append(
                {"date": day, "week": week_start(day), "total": r.total, "band": r.band, "status": status}
            )
        latest = items[-1].total
        # No recovery here: recovery is decided on the PHQ-9 and GAD-7 together (outcome_summary.paired_summary).
        summary = {
            "name": definition.get("name", key),
            "baseline": baseline,
            "baseline_prorated": items[0].prorated,
            "latest": latest,
            "latest_prorated": items[-1].prorated,
            "latest_band": items[-1].band,
            "change": (latest - baseline) if latest is not None and baseline is not None else None,
            "status": points[-1]["status"] if len(points) > 1 else None,
            # The chart's words for the same verdict (one vocabulary: outcome_summary.RELIABLE_CHANGE_WORDS).
            "status_words": outcome_summary.reliable_change_words(str(points[-1]["status"]))
            if len(points) > 1
            else "",
            "rci": outcome_summary.reliable_change_index(definition, baseline, latest)
            if len(items) > 1
            else None,
            "significance": outcome_summary.significance(definition, baseline, latest)
            if len(items) > 1
            else None,
            "n": len(items),
        }
        bands = definition.get("bands") or []
        top = max([float(b["max"]) for b in bands] or [float(p["total"] or 0) for p in points])  # type: ignore[arg-type]
        # The role is the instrument's, not the response's: read it from the newest version, so responses
        # given before a definition gained its role are drawn the same way as newer ones.
        newest = services.latest_version(items[-1].instrument_version.instrument).definition
        series[key] = {
            "summary": summary,
            "points": points,
            "bands": bands,
            "max": top,
            "role": newest.get("role", OUTCOME),
            "score_top": score_top(newest),
        }
    return series


def score_top(definition: dict[str, Any]) -> float | None:
    """The highest total an instrument can score (mean: the highest item; sum: all items at their highest)."""
    highs = [item_range(definition, item)[1] for item in scored_items(definition)]
    if not highs:
        return None
    method = (definition.get("scoring") or {}).get("method", "sum")
    return float(max(highs) if method == "mean" else sum(highs))


def thought_record_beliefs(client: ClientProfile) -> list[dict[str, Any]]:
    """Belief in the hot thought before and after each thought record, weekly means (0-100)."""
    before: dict[dt.date, list[float]] = defaultdict(list)
    after: dict[dt.date, list[float]] = defaultdict(list)
    entries = Entry.objects.filter(
        assignment__client=client,
        status=Entry.Status.SUBMITTED,
        # By kind, not slug: a clinic's own copy of the thought record has another slug but the same kind.
        assignment__template_version__template__kind=THOUGHT_RECORD_KIND,
    ).only("answers", "practice_date")
    for entry in entries:
        answers = entry.answers or {}
        thoughts = [t for t in answers.get("thoughts") or [] if isinstance(t.get("belief"), int | float)]
        hot = [t for t in thoughts if t.get("hot") == "yes"] or thoughts
        week = week_start(entry.practice_date)
        if hot:
            before[week].append(max(t["belief"] for t in hot))
        if isinstance(answers.get("hot_thought_belief_after"), int | float):
            after[week].append(answers["hot_thought_belief_after"])
    rows = [
        {"week": w, "name": _("Belief in hot thought, before"), "value": sum(v) / len(v)}
        for w, v in before.items()
    ]
    rows += [
        {"week": w, "name": _("Belief in hot thought, after"), "value": sum(v) / len(v)}
        for w, v in after.items()
    ]
    return rows


def build(actor: Any, client: ClientProfile) -> dict[str, Any]:
    zone = clock.zone_for_client(client)
    now = clock.now()
    today = clock.local_today(zone, now)
    responses = list(
        Response.objects.filter(client=client)
        .select_related("instrument_version__instrument")
        .order_by("-due_date")
    )
    # One order on every database: by instrument key (responses due the same day tie in "-due_date").
    series = dict(sorted(score_series(responses, zone).items()))
    records = compliance.gather([client], until=today, now=now)[client.pk]
    start = compliance.treatment_start(records) or today
    by_week = compliance.weekly(records, first_week=week_start(start), last_week=week_start(today), now=now)
    engagement = [{"week": w, "value": eng.engagement_index(f).value} for w, f in sorted(by_week.items())]
    charts = [
        outcome_charts.symptom_trajectory(
            s["summary"]["name"], s["points"], s["bands"], s["max"], engagement, f"chart-{key}"
        )
        for key, s in sorted(series.items())
        if s["role"] != MECHANISM
    ]
    mechanism_rows = thought_record_beliefs(client)
    # Mechanism questionnaires (the shipped skills confidence, or a clinic's own copy of it: selected by the
    # definition's role, not its key) share the 0-100 mechanisms chart with the belief ratings.
    for s in series.values():
        top = s["score_top"]
        if s["role"] != MECHANISM or not top:
            continue
        factor = 100 / top
        name = _("%(name)s (x%(factor)s)") % {"name": s["summary"]["name"], "factor": f"{factor:g}"}
        for point in s["points"]:
            if point["total"] is not None:
                mechanism_rows.append({"week": point["week"], "name": name, "value": point["total"] * factor})
    charts.append(outcome_charts.mechanisms(mechanism_rows))
    schedules = list(Schedule.objects.filter(client=client, is_active=True).select_related("instrument"))
    instruments = list(usable_instruments(actor, client).order_by("key"))
    names = instrument_names([i.pk for i in instruments] + [s.instrument_id for s in schedules])
    for schedule in schedules:
        schedule.instrument_name = names.get(schedule.instrument_id, schedule.instrument.key)  # type: ignore[attr-defined]
        schedule.weekday_name = WEEKDAYS.get(schedule.weekday, "")  # type: ignore[attr-defined]
    for instrument in instruments:
        instrument.display_name = names.get(instrument.pk, instrument.key)  # type: ignore[attr-defined]
    instruments.sort(key=lambda i: str(i.display_name).casefold())  # type: ignore[attr-defined]
    return {
        "client": client,
        "series": series,
        "paired": outcome_summary.paired_summary(responses, zone),
        "charts": charts,
        "responses": responses[:60],
        "schedules": schedules,
        "instruments": instruments,
        # Instruments by name (the PHQ-9), never by key (phq9): from each one's newest version.
        "instrument_names": names,
        "kinds": [(k.value, k.label) for k in Schedule.Kind],
        "alerts": list(client.risk_alerts.select_related("response__instrument_version")[:10]),
        "viewer_zone": viewer_zone(actor),  # the alert's time as the therapist reads it
    }
