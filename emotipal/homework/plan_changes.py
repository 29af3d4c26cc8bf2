"""Changing one homework after it was set: edit its plan, pause, resume and stop it.

Each action checks the actor through accounts.access.can_assign_to (another clinic's therapist, or a
colleague who is not the client's therapist, gets "not found"), re-reads the assignment under a lock, and
writes the change and its audit row in one transaction. Bad input raises HomeworkError and changes nothing.

Pausing sets Assignment.paused_at: a paused homework is not active (Assignment.is_active_on), so it leaves the
client's Today, gets no reminder and its days are not planned practice while it stays paused
(compliance.planned_days). Stopping sets ended_at, as the end of treatment does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from emotipal.accounts.access import can_assign_to, note_reads
from emotipal.homework.errors import HomeworkError
from emotipal.homework.models import Assignment
from emotipal.homework.services import AssignmentPlan, check_plan, default_practice_days, local_today
from emotipal.platform import clock
from emotipal.platform.audit.services import record

# The plan fields a therapist may change; the exercise, its version, variant and start stay as set (a
# different exercise is a new assignment, so its history stays readable).
EDITABLE = (
    "rationale",
    "instructions",
    "times_per_week",
    "minutes_per_practice",
    "practice_days",
    "end_date",
)


@dataclass
class PlanChange:
    rationale: str
    times_per_week: int
    minutes_per_practice: int
    end_date: dt.date
    instructions: str = ""
    practice_days: list[int] = field(default_factory=list)  # none: spread over the week


def _locked(actor: Any, assignment_id: int) -> Assignment:
    """The assignment, locked for this transaction, if the actor may change the client's homework."""
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("client", "template_version")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or not can_assign_to(actor, assignment.client):
        raise Http404("No such assignment")
    return assignment


def _refuse_if_stopped(assignment: Assignment) -> None:
    if assignment.ended_at is not None:
        message = _("This homework has been stopped, so it cannot be changed. Set a new one instead.")
        raise HomeworkError(message, {"__all__": message})


def _audit(actor: Any, action: str, assignment: Assignment, **detail: Any) -> None:
    client = assignment.client
    record(actor, action, assignment, subject_user_id=client.user_id, clinic_id=client.clinic_id, **detail)


def edit_plan(actor: Any, assignment_id: int, change: PlanChange) -> Assignment:
    """Change what and how often; the same rules as setting it (services.check_plan)."""
    with transaction.atomic():
        assignment = _locked(actor, assignment_id)
        _refuse_if_stopped(assignment)
        plan = AssignmentPlan(
            template_version=assignment.template_version,
            rationale=change.rationale,
            instructions=change.instructions,
            times_per_week=change.times_per_week,
            minutes_per_practice=change.minutes_per_practice,
            practice_days=change.practice_days,
            start_date=assignment.start_date,
            end_date=change.end_date,
        )
        errors = check_plan(plan)
        if "end_date" not in errors and change.end_date < local_today(assignment.client):
            # Ending it on a past day would rewrite what was asked of the client: stop it instead.
            errors["end_date"] = _("The end date cannot be in the past. To end it now, stop the homework.")
        if errors:
            raise HomeworkError(_("The changes have problems, so nothing was saved."), errors)
        new = {
            "rationale": change.rationale.strip(),
            "instructions": change.instructions.strip(),
            "times_per_week": change.times_per_week,
            "minutes_per_practice": change.minutes_per_practice,
            "practice_days": ",".join(
                str(d) for d in sorted(change.practice_days or default_practice_days(change.times_per_week))
            ),
            "end_date": change.end_date,
        }
        changed = sorted(name for name in EDITABLE if getattr(assignment, name) != new[name])
        if not changed:
            return assignment
        for name in changed:
            setattr(assignment, name, new[name])
        assignment.save(update_fields=changed)
        # The audit row names what changed, never the clinical text itself.
        _audit(actor, "assignment.edit", assignment, fields=changed)
    return assignment


def pause(actor: Any, assignment_id: int) -> Assignment:
    with transaction.atomic():
        assignment = _locked(actor, assignment_id)
        _refuse_if_stopped(assignment)
        if assignment.paused_at is not None:
            message = _("This homework is already paused.")
            raise HomeworkError(message, {"__all__": message})
        assignment.paused_at = clock.now()
        assignment.save(update_fields=["paused_at"])
        _audit(actor, "assignment.pause", assignment)
    return assignment


def resume(actor: Any, assignment_id: int) -> Assignment:
    with transaction.atomic():
        assignment = _locked(actor, assignment_id)
        _refuse_if_stopped(assignment)
        if assignment.paused_at is None:
            message = _("This homework is not paused.")
            raise HomeworkError(message, {"__all__": message})
        paused_on = assignment.paused_at
        assignment.paused_at = None
        assignment.save(update_fields=["paused_at"])
        _audit(actor, "assignment.resume", assignment, paused_at=paused_on.isoformat())
    return assignment


def stop(actor: Any, assignment_id: int) -> Assignment:
    """End the homework now; what the client did stays, nothing more is asked of them."""
    with transaction.atomic():
        assignment = _locked(actor, assignment_id)
        _refuse_if_stopped(assignment)
        assignment.ended_at = clock.now()
        assignment.save(update_fields=["ended_at"])
        _audit(actor, "assignment.stop", assignment)
    return assignment


def for_editing(actor: Any, assignment_id: int) -> Assignment:
    """The assignment for the edit page (a read of the client's homework, audited as such)."""
    assignment = (
        Assignment.objects.select_related("client__user", "template_version").filter(pk=assignment_id).first()
    )
    if assignment is None or not can_assign_to(actor, assignment.client):
        raise Http404("No such assignment")
    note_reads(actor, [assignment.client], "assignment_edit")
    return assignment
