"""Fear ladders and their steps in a client's data download (the steps' practice is in the homework entries)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import FearLadder, LadderStep
from emotipal.privacy.my_data_common import person_name


@dataclass(frozen=True)
class StepRow:
    position: int
    description: str
    expected_distress: int | None  # 0-100, as expected when the step was written
    status: str
    status_label: str
    smaller_step_of: str  # the description of the step this one was split from
    created_at: dt.datetime


@dataclass
class LadderRow:
    title: str
    created_by: str
    created_at: dt.datetime
    steps: list[StepRow] = field(default_factory=list)


def ladders(profile: ClientProfile) -> list[LadderRow]:
    found = list(
        FearLadder.objects.filter(client=profile).select_related("created_by").order_by("created_at")
    )
    rows = {
        ladder.pk: LadderRow(ladder.title, person_name(ladder.created_by), ladder.created_at)
        for ladder in found
    }
    steps = list(LadderStep.objects.filter(ladder__client=profile).order_by("ladder_id", "position", "pk"))
    descriptions = {s.pk: s.description for s in steps}
    for s in steps:
        rows[s.ladder_id].steps.append(
            StepRow(
                position=s.position,
                description=s.description,
                expected_distress=s.expected_distress,
                status=s.status,
                status_label=str(s.get_status_display()),
                smaller_step_of=descriptions.get(s.parent_id, "") if s.parent_id else "",
                created_at=s.created_at,
            )
        )
    return list(rows.values())
