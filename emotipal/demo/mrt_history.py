"""The demo's micro-randomised reminder trial, with a history: the decision points of the days gone by.

For each participant enrolled now, each day from the day after their enrolment to yesterday is replayed on the
platform clock at their reminder time, through the same steps the reminder path takes (notifications'
availability, the trial's decision through the feature registry, what was done told back), and then every
decision point whose window has passed gets its proximal outcome from the demo's simulated practice. No
e-mail is sent for the past. Participants who withdrew have no history here (the trial only decides for those
enrolled at the time it is asked).
"""

from __future__ import annotations

import datetime as dt

from emotipal.homework.queries import today_items
from emotipal.notifications.availability import availability
from emotipal.notifications.services import NOT_RANDOMISED, OFF_IN_EXPERIMENT
from emotipal.platform import clock, features
from emotipal.research.models import Experiment, ParticipantState
from emotipal.research.mrt_outcomes import settle_due


def replay_decision_points(timing: Experiment, until: dt.datetime) -> int:
    """Record the trial's past decision points and settle their outcomes; returns how many were recorded."""
    recorded = 0
    participants = timing.study.participants.filter(state=ParticipantState.ENROLLED).select_related(
        "client__user", "client__clinic"
    )
    for participant in participants:
        client = participant.client
        if client.reminder_time is None or participant.enrolled_at is None:
            continue
        zone = clock.zone_for_client(client)
        day = clock.local_date(participant.enrolled_at, zone) + dt.timedelta(days=1)
        last = clock.local_date(until, zone) - dt.timedelta(days=1)
        while day <= last:
            moment = clock.at_local_time(day, client.reminder_time, zone)
            with clock.replaying(moment):
                features.forget(client)
                settings_ = features.value(client, "reminders")
                items = today_items(client, day)
                point = availability(client, day, moment, settings_, [i.assignment for i in items])
                decision = features.decide_reminder(client, day, moment, point)
                if decision is not None:
                    if not settings_["enabled"]:
                        outcome = OFF_IN_EXPERIMENT
                    else:
                        outcome = "sent" if decision.send else NOT_RANDOMISED
                    features.note_reminder_sent(decision, outcome)
                    recorded += 1
            day += dt.timedelta(days=1)
    settle_due(until)
    return recorded
