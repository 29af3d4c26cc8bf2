"""Homework flows: assign, save a draft, submit, review, and read a client's entries (audited).

Every write that matters goes through here and leaves an audit event; views and the API stay thin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from emotipal.accounts.access import can_assign_to, visible_clients
from emotipal.accounts.models import ClientProfile
from emotipal.definitions.competence import CONFIDENCE_ENOUGH
from emotipal.definitions.fields import validate_answers
from emotipal.homework.access import client_assignment
from emotipal.homework.competence import GuidedPlan, plan_steps
from emotipal.homework.errors import HomeworkError
from emotipal.homework.framing import shown_variant_key
from emotipal.homework.goals import mark_earned
from emotipal.homework.guided import last_homework, setting_session
from emotipal.homework.ladders import step_for_practice
from emotipal.homework.models import Assignment, Entry, EntryReview, TherapySession
from emotipal.homework.signals import assignment_created
from emotipal.library import variants
from emotipal.library.access import assignable_versions
from emotipal.library.models import TemplateVersion
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.platform.input_rules import check_json_shape, text_problem

MAX_ACTIVE_SECONDS_PER_SAVE = 15 * 60  # a single save cannot claim more than this: guards against bad clocks
RATIONALE_LIMIT = 2000
INSTRUCTIONS_LIMIT = 4000
GOAL_LIMIT = 1000
PLACE_LIMIT = 300
OBSTACLES_LIMIT = 2000
BACKUP_PLAN_LIMIT = 2000
SUMMARY_LIMIT = 4000
REVIEW_NOTE_LIMIT = 5000

# A draft is the answers dict as typed: {field: value or [values] or [{field: value}]} is 4 levels deep. The
# limits leave room for the largest template (20 group rows of long texts) and stop a client from storing
# megabytes or deeply nested junk in a row that every page of the client's therapist decrypts.
MAX_DRAFT_CHARS = 500_000
MAX_DRAFT_DEPTH = 6
MAX_DRAFT_KEYS = 2_000
IDEMPOTENCY_KEY_MAX = 80  # the column's length: a longer key is refused, never cut (two keys would collide)


@dataclass
class AssignmentPlan:
    template_version: TemplateVersion
    rationale: str
    times_per_week: int
    minutes_per_practice: int
    start_date: dt.date
    end_date: dt.date
    instructions: str = ""
    practice_days: list[int] = field(default_factory=list)
    session: TherapySession | None = None  # the session it is set in
    variant_key: str = "auto"  # a variant of the template; "auto" picks the client's language if there is one
    # The guided flow (see emotipal/definitions/competence.py): empty values mean the step was not done.
    goal: str = ""
    practice_time: dt.time | None = None
    practice_place: str = ""
    obstacles: str = ""
    backup_plan: str = ""
    confidence: int | None = None
    made_smaller: bool = False
    rehearsed: bool = False
    summary: str = ""


# The free texts of a plan: (field, limit, message when too long; translated where it is used).
PLAN_TEXTS = (
    ("goal", GOAL_LIMIT, gettext_noop("Keep the goal to %(limit)s characters or fewer.")),
    (
        "instructions",
        INSTRUCTIONS_LIMIT,
        gettext_noop("Keep the instructions to %(limit)s characters or fewer."),
    ),
    ("practice_place", PLACE_LIMIT, gettext_noop("Keep the place to %(limit)s characters or fewer.")),
    ("obstacles", OBSTACLES_LIMIT, gettext_noop("Keep the obstacles to %(limit)s characters or fewer.")),
    (
        "backup_plan",
        BACKUP_PLAN_LIMIT,
        gettext_noop("Keep the backup plan to %(limit)s characters or fewer."),
    ),
    ("summary", SUMMARY_LIMIT, gettext_noop("Keep the summary to %(limit)s characters or fewer.")),
)


def default_practice_days(times_per_week: int) -> list[int]:
    """Spread N practices over the week (5 -> Mon-Fri, 3 -> Mon/Wed/Fri); 7 or more -> every day."""
    if times_per_week >= 7:
        return list(range(7))
    step = 7 / times_per_week
    return sorted({int(i * step) for i in range(times_per_week)})


def check_confidence(plan: AssignmentPlan, require_confidence: bool = False) -> dict[str, str]:
    """The confidence gate: 0-10, and below CONFIDENCE_ENOUGH the task is made smaller before it is saved.

    The therapist either resizes and asks again, or records that it was made smaller and the client's
    confidence stayed where it was (made_smaller)."""
    value = plan.confidence
    if value is None:
        if require_confidence:
            return {"confidence": _("Ask the client how confident they are that they will do it (0-10).")}
        return {}
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        return {"confidence": _("Confidence is a whole number from 0 to 10.")}
    if value < CONFIDENCE_ENOUGH and not plan.made_smaller:
        return {
            "confidence": _(
                "At %(value)d out of 10 the task may be too big. Make it smaller together (a first step, "
                "shorter, less often) and ask again, or record that you made it smaller."
            )
            % {"value": value}
        }
    return {}


def check_plan(plan: AssignmentPlan, require_confidence: bool = False) -> dict[str, str]:
    """Every rule an assignment must meet, for the page and the API alike (the form only parses).

    The page asks for the client's confidence (require_confidence); the API records it when it is sent."""
    errors: dict[str, str] = {}
    if not plan.rationale.strip():
        errors["rationale"] = _("Say why this exercise is being set: the client sees it first.")
    elif len(plan.rationale.strip()) > RATIONALE_LIMIT:
        errors["rationale"] = _("Keep the reason to %(limit)s characters or fewer.") % {
            "limit": RATIONALE_LIMIT
        }
    for name, limit, too_long in PLAN_TEXTS:
        value = getattr(plan, name)
        problem = text_problem(value) if isinstance(value, str) else _("Write this as text.")
        if problem:
            errors[name] = problem
        elif len(value.strip()) > limit:
            errors[name] = _(too_long) % {"limit": limit}
    problem = text_problem(plan.rationale)
    if problem:
        errors["rationale"] = problem
    errors.update(check_confidence(plan, require_confidence))
    if plan.practice_time is not None and (
        not isinstance(plan.practice_time, dt.time) or plan.practice_time.tzinfo is not None
    ):
        # The time is a wall-clock time in the client's zone; a time with its own offset would be ambiguous.
        errors["practice_time"] = _("Give the time of day as hours and minutes, e.g. 18:30.")
    if not 1 <= plan.times_per_week <= 14:
        errors["times_per_week"] = _("Choose between 1 and 14 practices a week.")
    if not 1 <= plan.minutes_per_practice <= 240:
        errors["minutes_per_practice"] = _("Choose between 1 and 240 minutes.")
    if plan.end_date < plan.start_date:
        errors["end_date"] = _("The end date must be on or after the start date.")
    elif (plan.end_date - plan.start_date).days > 366:
        errors["end_date"] = _("Plan at most a year ahead.")
    if any(d not in range(7) for d in plan.practice_days) or len(set(plan.practice_days)) != len(
        plan.practice_days
    ):
        errors["practice_days"] = _("Choose each practice day once.")
    elif (
        plan.practice_days
        and 1 <= plan.times_per_week <= 7
        and len(plan.practice_days) != plan.times_per_week
    ):
        # Chosen days are the plan the client sees: they must add up to the practices a week.
        errors["practice_days"] = ngettext(
            "Pick %(count)d day, or none to spread them out.",
            "Pick %(count)d days, or none to spread them out.",
            plan.times_per_week,
        ) % {"count": plan.times_per_week}
    return errors


def resolve_variant(version: TemplateVersion, key: str, language: str) -> str | None:
    """The variant to use: the one asked for, or for "auto" a plain translation into the client's language."""
    keys = {v["key"] for v in version.variants or []}
    if key == "auto":
        translation = next(
            (
                v
                for v in version.variants or []
                if v.get("language") == language and v.get("adapts") == ["language"]
            ),
            None,
        )
        return translation["key"] if translation else "base"
    return key if key == "base" or key in keys else None


def variant_choices(version: TemplateVersion | None) -> list[tuple[str, str]]:
    """The variants one exercise offers: automatic, its own wording, and the variants it has."""
    choices = [
        ("auto", _("Automatic (the client's language if this exercise has it)")),
        ("base", _("Original")),
    ]
    if version is not None:
        choices += [(v["key"], str(v.get("label") or v["key"])) for v in version.variants or []]
    return choices


def assign_homework(
    actor: Any, client: ClientProfile, plan: AssignmentPlan, require_confidence: bool = False
) -> Assignment:
    """Store the plan agreed with the client, with an audit row naming the guideline steps it shows.

    Whether the last homework was reviewed is read here, not taken from the caller: True when the homework
    due in the session where this one is set was reviewed there, False when it was not, None when none was
    due."""
    if not can_assign_to(actor, client):
        raise Http404("No such client")
    errors = check_plan(plan, require_confidence)
    if not assignable_versions(client.clinic, actor).filter(pk=plan.template_version.pk).exists():
        # Another clinic's private exercise (or a retired one) is refused whatever the caller offered.
        errors["template_version"] = _("Choose an exercise from your library.")
    variant_key = resolve_variant(plan.template_version, plan.variant_key, client.user.language)
    if variant_key is None and "template_version" not in errors:
        errors["variant"] = _(
            "%(exercise)s has no version called “%(variant)s”: choose one of the versions it has."
        ) % {"exercise": plan.template_version.title, "variant": plan.variant_key}
    if plan.session is not None and plan.session.client_id != client.pk:
        errors["session"] = _("Not this client's session.")
    if errors:
        raise HomeworkError(_("The assignment has problems."), errors)
    assert variant_key is not None
    days = plan.practice_days or default_practice_days(plan.times_per_week)
    previous = last_homework(client, setting_session(client, plan.session))
    guided = GuidedPlan(
        goal=plan.goal.strip(),
        rationale=plan.rationale.strip(),
        practice_time=plan.practice_time,
        practice_place=plan.practice_place.strip(),
        times_per_week=plan.times_per_week,
        minutes_per_practice=plan.minutes_per_practice,
        obstacles=plan.obstacles.strip(),
        backup_plan=plan.backup_plan.strip(),
        confidence=plan.confidence,
        # Made smaller only means something when confidence was low: above the line nothing was resized.
        made_smaller=plan.made_smaller
        and plan.confidence is not None
        and plan.confidence < CONFIDENCE_ENOUGH,
        rehearsed=plan.rehearsed,
        summary=plan.summary.strip(),
    )
    with transaction.atomic():
        assignment = _create_assignment(actor, client, plan, guided, variant_key, days, previous.reviewed)
        record(
            actor,
            "assignment.create",
            assignment,
            subject_user_id=client.user_id,
            clinic_id=client.clinic_id,
            template=plan.template_version.template.slug,
            version=plan.template_version.number,
            steps=sorted(plan_steps(guided)),
            confidence=guided.confidence,
            made_smaller=guided.made_smaller,
            previous_reviewed=previous.reviewed,
        )
    assignment_created.send(sender=Assignment, assignment=assignment)
    return assignment


def _create_assignment(
    actor: Any,
    client: ClientProfile,
    plan: AssignmentPlan,
    guided: GuidedPlan,
    variant_key: str,
    days: list[int],
    previous_reviewed: bool | None,
) -> Assignment:
    return Assignment.objects.create(
        client=client,
        assigned_by=actor,
        template_version=plan.template_version,
        session=plan.session,
        variant_key=variant_key,
        rationale=plan.rationale.strip(),
        instructions=plan.instructions.strip(),
        times_per_week=plan.times_per_week,
        minutes_per_practice=plan.minutes_per_practice,
        practice_days=",".join(str(d) for d in sorted(days)),
        start_date=plan.start_date,
        end_date=plan.end_date,
        goal=guided.goal,
        practice_time=guided.practice_time,
        practice_place=guided.practice_place,
        obstacles=guided.obstacles,
        backup_plan=guided.backup_plan,
        confidence=guided.confidence,
        made_smaller=guided.made_smaller,
        rehearsed=guided.rehearsed,
        summary=guided.summary,
        previous_reviewed=previous_reviewed,
    )


def confirm_rationale(user: Any, assignment_id: int, wording: str = "") -> Assignment:
    """The client confirms the reason for their homework as written (empty wording) or in their own words.

    Either way it is dated; a later call replaces the wording (the client may change their mind)."""
    assignment = client_assignment(user, assignment_id)
    text = wording.strip() if isinstance(wording, str) else None
    problem = _("Write your reason as text.") if text is None else text_problem(text)
    if problem is None and text is not None and len(text) > RATIONALE_LIMIT:
        problem = _("Keep it to %(limit)s characters or fewer.") % {"limit": RATIONALE_LIMIT}
    if problem:
        raise HomeworkError(problem, {"client_rationale": problem})
    assert text is not None
    with transaction.atomic():
        assignment.client_rationale = text
        assignment.rationale_confirmed_at = clock.now()
        assignment.save(update_fields=["client_rationale", "rationale_confirmed_at"])
        client = assignment.client
        record(
            user,
            "assignment.rationale_confirm",
            assignment,
            subject_user_id=client.user_id,
            clinic_id=client.clinic_id,
            reworded=bool(text),
        )
    return assignment


def local_today(client: ClientProfile) -> dt.date:
    """The client's date now, in their zone (else their clinic's): the day their practice counts on."""
    return clock.client_today(client)


def lock_assignment(assignment: Assignment) -> None:
    """Serialise the writers of one assignment's entries until the surrounding transaction ends.

    Two submits, or a submit and an autosave, each read the open draft and then change it; without a lock the
    second acts on what the first already changed (a 500, or a lost practice). On PostgreSQL this is a row
    lock; on SQLite select_for_update is a no-op, and the "IMMEDIATE" transactions in settings already make
    every writer wait for the database's write lock (with a busy timeout instead of "database is locked").
    """
    assert transaction.get_connection().in_atomic_block, "lock_assignment needs a transaction"
    list(Assignment.objects.select_for_update().filter(pk=assignment.pk).values_list("pk", flat=True))


def open_draft(assignment: Assignment) -> Entry:
    """The client's draft for this assignment, created on first use (one open draft per assignment)."""
    draft = assignment.entries.filter(status=Entry.Status.DRAFT).first()
    if draft is not None:
        return draft
    with transaction.atomic():
        lock_assignment(assignment)
        # Read again under the lock: a parallel request may have created (or submitted) it meanwhile.
        draft = assignment.entries.filter(status=Entry.Status.DRAFT).first()
        if draft is not None:
            return draft
        draft = _new_entry(assignment)
        draft.save()
        return draft


def _new_entry(assignment: Assignment) -> Entry:
    """An empty entry of this assignment for the client's today, not yet saved."""
    return Entry(assignment=assignment, practice_date=local_today(assignment.client), answers={})


def _keyed_and_draft(assignment: Assignment, key: str | None) -> tuple[Entry | None, Entry]:
    """Under the assignment's lock: the entry already submitted with `key` (or None), and the open draft, or a
    new unsaved entry where there is none (saved once, submitted: no empty draft written first)."""
    wanted = Q(status=Entry.Status.DRAFT)
    if key:
        wanted |= Q(status=Entry.Status.SUBMITTED, idempotency_key=key)
    found = list(assignment.entries.filter(wanted))
    keyed = next((e for e in found if e.status == Entry.Status.SUBMITTED), None)
    draft = next((e for e in found if e.status == Entry.Status.DRAFT), None)
    return keyed, draft if draft is not None else _new_entry(assignment)


def _add_active_time(entry: Entry, active_seconds: int) -> None:
    entry.active_seconds += max(0, min(int(active_seconds), MAX_ACTIVE_SECONDS_PER_SAVE))


def _is_empty(answers: dict[str, Any]) -> bool:
    return all(value in (None, "", [], {}) for value in answers.values())


def save_draft(
    user: Any, assignment_id: int, answers: dict[str, Any], active_seconds: int = 0
) -> Entry | None:
    """Store what the client typed so far, exactly as typed; only its size and shape are checked.

    A draft that is too large, too deep or holds text that cannot be stored is refused (HomeworkError) and the
    draft saved before stays as it was."""
    assignment = client_assignment(user, assignment_id)
    check_draft(answers)
    with transaction.atomic():
        lock_assignment(assignment)  # so a submit cannot take this draft away while we write it
        existing = assignment.entries.filter(status=Entry.Status.DRAFT).first()
        if _is_empty(answers) and (existing is None or not existing.answers):
            # Nothing typed yet: no row (an opened-and-left exercise is not an abandoned draft).
            return existing
        draft = existing or open_draft(assignment)
        draft.answers = answers
        draft.last_saved_at = clock.now()
        draft.draft_saves += 1
        _add_active_time(draft, active_seconds)
        draft.save()
    return draft


def check_draft(answers: Any) -> None:
    """Raise HomeworkError if the answers are not a dict of a sane size and shape."""
    if not isinstance(answers, dict):
        problem: str | None = _("Answers must be an object keyed by field id.")
    else:
        problem = check_json_shape(
            answers, max_chars=MAX_DRAFT_CHARS, max_depth=MAX_DRAFT_DEPTH, max_keys=MAX_DRAFT_KEYS
        )
    if problem:
        raise HomeworkError(
            _("The draft was not saved: %(reason)s") % {"reason": problem}, {"__all__": problem}
        )


def check_idempotency_key(raw: str | None) -> str | None:
    """The key as sent (blank means none), or HomeworkError if it is too long to store or holds bad text."""
    key = (raw or "").strip() or None
    if key is None:
        return None
    problem = text_problem(key)
    if problem is None and len(key) > IDEMPOTENCY_KEY_MAX:
        problem = _("The Idempotency-Key is too long (at most %(max)s characters).") % {
            "max": IDEMPOTENCY_KEY_MAX
        }
    if problem:
        raise HomeworkError(problem, {"idempotency_key": problem})
    return key


@dataclass
class Submission:
    answers: dict[str, Any]
    effort: int | None
    difficulty: int | None
    helpfulness: int | None
    active_seconds: int = 0
    idempotency_key: str | None = None
    practice_date: dt.date | None = None
    ladder_step_id: int | str | None = None  # for exposure practice: the step of the client's fear ladder


def _check_rating(name: str, value: Any, errors: dict[str, str]) -> None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 4):
        return
    errors[name] = _("Choose a rating from 0 to 4.")


def submit_entry(user: Any, assignment_id: int, submission: Submission) -> tuple[Entry, bool]:
    """Validate and submit. Returns (entry, created). The same idempotency key twice returns the first entry.

    On a validation error the draft keeps the submitted answers, so the client loses nothing.
    """
    assignment = client_assignment(user, assignment_id)
    key = check_idempotency_key(submission.idempotency_key)
    check_draft(submission.answers)  # refused before validation, so that the draft kept is the earlier one
    if key:
        existing = assignment.entries.filter(idempotency_key=key, status=Entry.Status.SUBMITTED).first()
        if existing is not None:
            return existing, False
    result = validate_answers(assignment.template_version.field_list, submission.answers)
    errors = dict(result.errors)
    for name in ("effort", "difficulty", "helpfulness"):
        _check_rating(name, getattr(submission, name), errors)
    today = local_today(assignment.client)
    practice_date = submission.practice_date or today
    if practice_date > today:
        errors["practice_date"] = _("The practice date cannot be in the future.")
    elif practice_date < assignment.start_date - dt.timedelta(days=7):
        errors["practice_date"] = _("That date is long before this homework started.")

    step = None
    try:
        step = step_for_practice(assignment.client, submission.ladder_step_id)
    except HomeworkError as exc:
        errors.update(exc.errors)
    if errors:
        save_draft(user, assignment_id, submission.answers, submission.active_seconds)
        raise HomeworkError(_("Some answers need another look."), errors)
    try:
        # One transaction for the entry, its side effects and its audit row: a crash half way leaves none of
        # them, so a replay of the same key creates the entry again, audited once (never an unaudited entry).
        with transaction.atomic():
            lock_assignment(assignment)
            # Under the lock, in one read: this key's entry (a parallel request with it may have just
            # finished) and the open draft as it is now (a parallel submit with another key may have just
            # sent the one we saw; then this practice is a new entry: two keys are two practices, both kept).
            existing, entry = _keyed_and_draft(assignment, key)
            if existing is not None:
                return existing, False
            entry.answers = result.cleaned
            entry.status = Entry.Status.SUBMITTED
            entry.submitted_at = clock.now()
            entry.practice_date = practice_date
            entry.effort = submission.effort
            entry.difficulty = submission.difficulty
            entry.helpfulness = submission.helpfulness
            entry.idempotency_key = key
            entry.variant_key = shown_variant_key(assignment)  # the framing and language the client was shown
            entry.language = variants.language_of_key(assignment.template_version.variants, entry.variant_key)
            entry.ladder_step = step
            _add_active_time(entry, submission.active_seconds)
            entry.save()

            mark_earned(assignment)
            if step is not None and step.status == step.Status.PLANNED:
                step.status = step.Status.PRACTISING
                step.save(update_fields=["status"])
            record(
                user,
                "entry.submit",
                entry,
                subject_user_id=assignment.client.user_id,
                clinic_id=assignment.client.clinic_id,
            )
    except IntegrityError:
        # The unique key still holds if some writer skipped the lock: that key's entry is the answer.
        if key:
            existing = assignment.entries.filter(idempotency_key=key, status=Entry.Status.SUBMITTED).first()
            if existing is not None:
                return existing, False
        raise
    return entry, True


EDIT_WINDOW = dt.timedelta(days=7)


def edit_entry(user: Any, entry_id: int, answers: dict[str, Any]) -> Entry:
    """Change a submitted entry within a week of sending it; every edit is counted (an objective marker)."""
    entry = (
        Entry.objects.select_related("assignment__template_version", "assignment__client")
        .filter(pk=entry_id, assignment__client__user=user, status=Entry.Status.SUBMITTED)
        .first()
    )
    if entry is None:
        raise Http404("No such entry")
    if entry.submitted_at is not None and clock.now() - entry.submitted_at > EDIT_WINDOW:
        raise HomeworkError(
            _("Entries can be changed for a week after sending."), {"__all__": _("Too late to edit.")}
        )
    result = validate_answers(entry.assignment.template_version.field_list, answers)
    if not result.ok:
        raise HomeworkError(_("Some answers need another look."), result.errors)
    entry.answers = result.cleaned
    entry.edits_after_submit += 1
    entry.last_edited_at = clock.now()
    entry.save(update_fields=["answers", "edits_after_submit", "last_edited_at"])
    client = entry.assignment.client
    record(user, "entry.edit", entry, subject_user_id=client.user_id, clinic_id=client.clinic_id)
    return entry


def entries_for_staff(actor: Any, client: ClientProfile) -> QuerySet[Entry]:
    """A client's submitted entries, for staff. Every such read is audited (who looked, when)."""
    if not visible_clients(actor).filter(pk=client.pk).exists():
        raise Http404("No such client")
    record(actor, "entries.view", client, subject_user_id=client.user_id, clinic_id=client.clinic_id)
    return (
        Entry.objects.filter(assignment__client=client, status=Entry.Status.SUBMITTED)
        .select_related("assignment__template_version", "review__reviewer")
        .order_by("-submitted_at")
    )


def staff_entry(actor: Any, entry_id: int) -> Entry:
    """One submitted entry of a visible client, for staff; the read is audited."""
    try:
        entry = Entry.objects.select_related(
            "assignment__template_version", "assignment__client__user", "review__reviewer"
        ).get(pk=entry_id, status=Entry.Status.SUBMITTED, assignment__client__in=visible_clients(actor))
    except (Entry.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such entry") from exc
    client = entry.assignment.client
    record(actor, "entry.view", entry, subject_user_id=client.user_id, clinic_id=client.clinic_id)
    return entry


def review_entry(actor: Any, entry_id: int, note: str) -> EntryReview:
    entry = staff_entry(actor, entry_id)
    if not can_assign_to(actor, entry.assignment.client):
        raise Http404("No such entry")
    if len(note.strip()) > REVIEW_NOTE_LIMIT:
        message = _("Keep the note to %(limit)s characters.") % {"limit": REVIEW_NOTE_LIMIT}
        raise HomeworkError(message, {"note": message})
    review, created = EntryReview.objects.get_or_create(
        entry=entry, defaults={"reviewer": actor, "note": note.strip()}
    )
    if not created and note.strip() and note.strip() != review.note:
        review.note = note.strip()
        review.save(update_fields=["note"])
    client = entry.assignment.client
    record(actor, "entry.review", entry, subject_user_id=client.user_id, clinic_id=client.clinic_id)
    return review
