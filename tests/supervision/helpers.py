"""A supervisor of the World's clinic, linked to its therapist; guided homework for the competence figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from emotipal.accounts.models import Membership, Role, SupervisionLink, User
from emotipal.homework import services
from emotipal.homework.models import Assignment
from tests.factories import World, make_user, plan_for

ALL_PLAN_STEPS: dict[str, Any] = {
    "goal": "Feel able to speak up in meetings",
    "practice_time": dt.time(18, 30),
    "practice_place": "At the kitchen table",
    "obstacles": "Tired after work",
    "backup_plan": "Do it at lunch instead",
    "confidence": 8,
    "rehearsed": True,
    "summary": "Write one thought record each evening after dinner.",
}


def supervisor_of(world: World, email: str = "sup@example.org", *, link_to: User | None = None) -> User:
    user = make_user(email, "Sam Supervisor")
    Membership.objects.create(user=user, clinic=world.clinic, role=Role.SUPERVISOR)
    SupervisionLink.objects.create(
        clinic=world.clinic, supervisor=user, therapist=link_to or world.therapist, created_by=world.admin
    )
    return user


def guided_assignment(world: World, client: Any = None, **steps: Any) -> Assignment:
    """Homework set through the services, then given the guided fields (what the guided assign flow stores)."""
    assignment = services.assign_homework(
        world.therapist,
        client or world.client_a,
        plan_for(world.thought_record, start_date=timezone.localdate()),
    )
    Assignment.objects.filter(pk=assignment.pk).update(**(steps or ALL_PLAN_STEPS))
    assignment.refresh_from_db()
    return assignment
