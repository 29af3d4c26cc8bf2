"""Fear ladders for exposure work: steps with expected distress, split into smaller steps, linked to practices."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from emotipal.accounts.access import can_assign_to
from emotipal.accounts.models import ClientProfile
from emotipal.homework.errors import HomeworkError
from emotipal.homework.models import FearLadder, LadderStep
from emotipal.platform.audit.services import record
from emotipal.platform.input_rules import parse_id, parse_index

MAX_STEPS = 40


def _audit(actor: Any, action: str, obj: Any, client: ClientProfile) -> None:
    record(actor, action, obj, subject_user_id=client.user_id, clinic_id=client.clinic_id)


def may_edit(actor: Any, client: ClientProfile) -> bool:
    """The client and their clinicians build the ladder together."""
    return client.user_id == getattr(actor, "pk", None) or can_assign_to(actor, client)


def get_ladder(actor: Any, ladder_id: int) -> FearLadder:
    ladder = FearLadder.objects.select_related("client__user").filter(pk=ladder_id).first()
    if ladder is None or not may_edit(actor, ladder.client):
        raise Http404("No such ladder")
    return ladder


def _check_distress(value: Any, name: str = "expected_distress") -> tuple[int | None, dict[str, str]]:
    number = parse_index(value.strip() if isinstance(value, str) else value)
    if number is None:
        return None, {name: "Give the expected distress as a number from 0 to 100."}
    if not 0 <= number <= 100:
        return None, {name: "Expected distress goes from 0 (none) to 100 (the most you can imagine)."}
    return number, {}


def create_ladder(actor: Any, client: ClientProfile, title: str) -> FearLadder:
    if not may_edit(actor, client):
        raise Http404("No such client")
    title = title.strip()
    if not title:
        raise HomeworkError(
            "Give the ladder a name.", {"title": "Give the ladder a name, e.g. 'Contamination fears'."}
        )
    ladder = FearLadder.objects.create(client=client, title=title[:200], created_by=actor)
    _audit(actor, "ladder.create", ladder, client)
    return ladder


def add_step(actor: Any, ladder_id: int, description: str, expected_distress: Any) -> LadderStep:
    ladder = get_ladder(actor, ladder_id)
    distress, errors = _check_distress(expected_distress)
    if not description.strip():
        errors["description"] = _("Describe the situation.")
    if ladder.steps.count() >= MAX_STEPS:
        errors["description"] = _("A ladder holds at most %(max)s steps.") % {"max": MAX_STEPS}
    if errors or distress is None:
        raise HomeworkError(_("The step needs another look."), errors)
    with transaction.atomic():
        step = LadderStep.objects.create(
            ladder=ladder, description=description.strip()[:500], expected_distress=distress
        )
        _renumber(ladder)
    _audit(actor, "ladder.step_add", step, ladder.client)
    return step


def _renumber(ladder: FearLadder) -> None:
    """Positions follow expected distress (lowest rung first); smaller steps come just before their parent."""
    steps = list(ladder.steps.all())
    steps.sort(key=lambda s: (s.expected_distress, s.parent_id is None, s.pk))
    for position, step in enumerate(steps, start=1):
        if step.position != position:
            LadderStep.objects.filter(pk=step.pk).update(position=position)


def _editable_step(actor: Any, step_id: int, ladder_id: int | None) -> LadderStep:
    """A step the actor may change; with `ladder_id`, only a step of that ladder (the page it was sent from)."""
    steps = LadderStep.objects.select_related("ladder__client").filter(pk=step_id)
    if ladder_id is not None:
        steps = steps.filter(ladder_id=ladder_id)
    step = steps.first()
    if step is None or not may_edit(actor, step.ladder.client):
        raise Http404("No such step")
    return step


def split_step(
    actor: Any, step_id: int, parts: list[tuple[str, Any]], *, ladder_id: int | None = None
) -> list[LadderStep]:
    """Break a step into smaller ones, each expected to be less distressing than the step itself."""
    step = _editable_step(actor, step_id, ladder_id)
    parts = [(d.strip(), v) for d, v in parts if d.strip()]
    errors: dict[str, str] = {}
    if not parts:
        errors["parts"] = _("Describe at least one smaller step.")
    cleaned: list[tuple[str, int]] = []
    for i, (description, value) in enumerate(parts):
        distress, problem = _check_distress(value, f"parts.{i}")
        errors.update(problem)
        if distress is not None and distress >= step.expected_distress:
            errors[f"parts.{i}"] = _("A smaller step should feel easier than %(distress)s.") % {
                "distress": step.expected_distress
            }
        if distress is not None:
            cleaned.append((description[:500], distress))
    if errors:
        raise HomeworkError(_("The smaller steps need another look."), errors)
    with transaction.atomic():
        created = [
            LadderStep.objects.create(ladder=step.ladder, parent=step, description=d, expected_distress=v)
            for d, v in cleaned
        ]
        _renumber(step.ladder)
    _audit(actor, "ladder.step_split", step, step.ladder.client)
    return created


def set_status(actor: Any, step_id: int, status: str, *, ladder_id: int | None = None) -> LadderStep:
    step = _editable_step(actor, step_id, ladder_id)
    if status not in LadderStep.Status.values:
        raise HomeworkError(_("Unknown status."), {"status": _("Choose planned, practising or done.")})
    step.status = status
    step.save(update_fields=["status"])
    _audit(actor, "ladder.step_status", step, step.ladder.client)
    return step


def step_for_practice(client: ClientProfile, step_id: Any) -> LadderStep | None:
    """The ladder step a practice is linked to; a step of another client's ladder is refused."""
    if step_id in (None, ""):
        return None
    pk = parse_id(step_id)  # ASCII digits only: "٣" or "1e3" is not a step, and a huge number not either
    step = LadderStep.objects.filter(pk=pk, ladder__client=client).first() if pk is not None else None
    if step is None:
        raise HomeworkError(
            "Choose a step of your own ladder.", {"ladder_step": "Choose a step of your own ladder."}
        )
    return step
