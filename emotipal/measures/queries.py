"""Read models for the caseload: open alerts and reliable change per client, in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from emotipal.analysis.outcomes import jacobson_truax
from emotipal.measures.errors import MeasureError
from emotipal.measures.models import Instrument, InstrumentVersion, Response, RiskAlert


@dataclass
class OutcomeFlags:
    open_alerts: int = 0
    deteriorated: list[str] = field(default_factory=list)  # names of instruments with reliable deterioration
    latest: dict[str, float] = field(default_factory=dict)  # instrument name -> latest total


def caseload_flags(client_ids: list[int]) -> dict[int, OutcomeFlags]:
    """Three queries: open alerts, completed scores (answers are not decrypted), the definitions used."""
    flags: dict[int, OutcomeFlags] = defaultdict(OutcomeFlags)
    for row in (
        RiskAlert.objects.filter(client_id__in=client_ids)
        .values("client_id")
        .annotate(n=Count("id", filter=Q(acknowledged_at__isnull=True)))
    ):
        flags[row["client_id"]].open_alerts = row["n"]
    # The total is inside the encrypted scores blob, so responses without a total are skipped here in Python.
    scored = (
        Response.objects.filter(client_id__in=client_ids, status=Response.Status.COMPLETED)
        .order_by("completed_at")
        .values_list("client_id", "instrument_version_id", "instrument_version__instrument_id", "scores")
    )
    series: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for client_id, version_id, instrument_id, scores in scored:
        total = (scores or {}).get("total")
        if total is not None:
            series[(client_id, instrument_id)].append((version_id, total))
    version_ids = {v for values in series.values() for v, _ in values}
    definitions = {v.pk: v.definition for v in InstrumentVersion.objects.filter(pk__in=version_ids)}
    for (client_id, _instrument), values in series.items():
        definition = definitions[values[-1][0]]
        name = definition.get("name", "")
        flags[client_id].latest[name] = values[-1][1]
        rc = definition.get("reliable_change")
        if rc and len(values) > 1:
            change = jacobson_truax(
                values[0][1],
                values[-1][1],
                sd=rc["sd"],
                reliability=rc["reliability"],
                direction=definition.get("direction", "lower_is_better"),
            )
            if change.status == "reliable_deterioration":
                flags[client_id].deteriorated.append(name)
    return flags


def latest_version(instrument: Instrument) -> InstrumentVersion:
    version = instrument.versions.order_by("-number").first()
    if version is None:
        raise MeasureError(f"Instrument {instrument.key} has no version.")
    return version
