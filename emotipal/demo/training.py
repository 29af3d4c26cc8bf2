"""The demo's trainee: the simulated vignettes, and three past attempts that show progress over two weeks.

The attempts are typed here as a trainee might have answered: the first sets homework without a backup plan,
rehearsal or summary and skips the client's own review; the second hears the client first and adds obstacles
and a backup plan; the third does every step. Their scores come from the real scoring (services.submit_attempt).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from emotipal.accounts.models import Clinic, Membership, Role, User
from emotipal.training.forms import AttemptForm
from emotipal.training.models import TrainingAttempt, Vignette
from emotipal.training.services import load_vignettes, submit_attempt

FIRST: dict[str, Any] = {
    "quantity": "1",
    "quality": "2",
    "task": "Worry time",
    "goal": "Sleep better",
    "practice_time": "21:00",
    "practice_place": "Living room",
    "times_per_week": "7",
    "minutes_per_practice": "20",
    "confidence": "8",
}
SECOND: dict[str, Any] = FIRST | {
    "client_review_first": "on",
    "learned": "Worry time at 21:00 is too close to bed; on busy days it did not happen.",
    "change_next": "Move it earlier and make it shorter.",
    "rationale": "Putting the worries somewhere earlier means they do not follow me to bed.",
    "practice_time": "19:30",
    "times_per_week": "4",
    "minutes_per_practice": "10",
    "obstacles": "Late work days leave no time in the evening.",
    "backup_plan": "On a late day, five minutes on the train home.",
    "confidence": "6",
    "made_smaller": "on",
}
THIRD: dict[str, Any] = SECOND | {
    "goal": "Fall asleep within half an hour on work nights",
    "confidence": "8",
    "rehearsed": "on",
    "summary": "Worry time, ten minutes at 19:30 at the kitchen table, four evenings a week; "
    "on late days five minutes on the train.",
    "practice_place": "Kitchen table",
}


def store(clinic: Clinic, email: str, password_hash: str, make_user: Any) -> User:
    """Load the vignettes and the demo trainee of `clinic` with their past attempts."""
    load_vignettes()
    trainee: User = make_user(email, "Tam Trainee (demo)", password_hash)
    Membership.objects.create(user=trainee, clinic=clinic, role=Role.TRAINEE)
    vignette = Vignette.objects.get(profile="worry-no-time")
    now = timezone.now()
    for days_ago, answers in ((14, FIRST), (7, SECOND), (2, THIRD)):
        form = AttemptForm(answers)
        if not form.is_valid():  # the demo's own answers: a failure here is a bug in this file
            raise ValueError(f"demo training answers are invalid: {form.errors.as_json()}")
        attempt = submit_attempt(trainee, vignette, form.answers())
        TrainingAttempt.objects.filter(pk=attempt.pk).update(created_at=now - dt.timedelta(days=days_ago))
    return trainee
