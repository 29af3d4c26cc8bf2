"""The demo study's experiments, set up through the research actions as a researcher would:

- "Reminders on or off": a running two-arm randomised trial (unit client, permuted blocks of random sizes).
  It starts before recruitment, so every participant is allocated by the method when they sign their
  consent (the demo replays that history on the platform clock), never by hand;
- "Reminder timing (micro-randomised)": a running micro-randomised trial of reminders (probability 0.5,
  outcome window 120 minutes). Its decision points are recorded by the reminder path as days go by.
"""

from __future__ import annotations

import datetime as dt

from emotipal.accounts.models import User
from emotipal.platform import clock
from emotipal.research.actions import experiments as actions
from emotipal.research.models import Experiment, Study

REMINDERS = actions.ExperimentDraft(
    title="Reminders on or off",
    question="Do daily practice reminders help clients do their homework between sessions?",
    kind="parallel",
    unit="client",
    method="blocks",
    arms=(
        actions.ArmDraft(
            key="on",
            name="Reminders on",
            description="A reminder on each planned practice day at the client's reminder time.",
            features={"reminders": {"enabled": True}},
        ),
        actions.ArmDraft(
            key="off",
            name="Reminders off",
            description="No practice reminders.",
            features={"reminders": {"enabled": False}},
        ),
    ),
    primary_outcomes=("completion",),
    secondary_outcomes=("phq9_change",),
)

REMINDER_TIMING = actions.ExperimentDraft(
    title="Reminder timing (micro-randomised)",
    question="Does a reminder at the client's reminder time make starting the practice within two hours more "
    "likely?",
    kind="mrt",
    unit="client",
    mrt_probability={"constant": 0.5},
    mrt_window_minutes=120,
)


def load_experiments(study: Study, researcher: User, at: dt.datetime) -> tuple[Experiment, Experiment]:
    """Both experiments, created and started at `at` (before anyone enrols)."""
    with clock.replaying(at):
        reminders = actions.create_experiment(researcher, study, REMINDERS)
        actions.start(researcher, reminders)
        timing = actions.create_experiment(researcher, study, REMINDER_TIMING)
        actions.start(researcher, timing)
    reminders.refresh_from_db()
    timing.refresh_from_db()
    return reminders, timing
