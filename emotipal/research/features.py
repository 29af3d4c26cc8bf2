"""What a client's running experiments switch: the research answer to platform.features' question.

A participant gets their arm's feature settings while they are enrolled (or lost to follow-up: still in
care, still analysed as allocated) in a running experiment. Withdrawal, completion or the experiment
stopping return them to the app's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emotipal.research.models import ExperimentKind, ExperimentState, ParticipantAllocation, ParticipantState

FEATURE_STATES = (ParticipantState.ENROLLED, ParticipantState.LOST)


def experiment_settings(client: Any) -> Mapping[str, Mapping[str, Any]]:
    """{feature: parameters} from the arms the client is allocated to (one query)."""
    return experiment_settings_of_many([client.pk]).get(client.pk, {})


def experiment_settings_of_many(client_ids: list[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """{client id: {feature: parameters}} for many clients in one query (clients in no experiment left out);
    for jobs that go through every client (queuing everyone's reminders)."""
    rows = (
        ParticipantAllocation.objects.filter(
            participant__client_id__in=client_ids,
            participant__state__in=FEATURE_STATES,
            experiment__state=ExperimentState.RUNNING,
            experiment__kind=ExperimentKind.PARALLEL,
        )
        .order_by("experiment__started_at", "experiment_id")
        .values_list("participant__client_id", "allocation__arm__features")
    )
    merged: dict[int, dict[str, dict[str, Any]]] = {}
    for client_id, arm_features in rows:
        for key, params in (arm_features or {}).items():
            merged.setdefault(client_id, {}).setdefault(key, {}).update(params)
    return merged
