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
    rows = (
        ParticipantAllocation.objects.filter(
            participant__client_id=client.pk,
            participant__state__in=FEATURE_STATES,
            experiment__state=ExperimentState.RUNNING,
            experiment__kind=ExperimentKind.PARALLEL,
        )
        .order_by("experiment__started_at", "experiment_id")
        .values_list("allocation__arm__features", flat=True)
    )
    merged: dict[str, dict[str, Any]] = {}
    for arm_features in rows:
        for key, params in (arm_features or {}).items():
            merged.setdefault(key, {}).update(params)
    return merged
