"""Erasing a client: carries out erasure_plan's plan in one transaction, with one audit row saying what was done.

Everything the plan does not keep is deleted. When a study keeps data, the client's row stays as a nameless
record that only the research exports reach: the account is anonymised (no e-mail, no name, no password, no
login), free text the study may not use is blanked, and ClientProfile.objects no longer returns it. When
nothing is kept, the client's record and account are deleted outright. The audit trail keeps its rows (they
name ids, not people) and gains the erasure's own."""

from __future__ import annotations

from collections import Counter
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt, AccessFailureLog
from django.db import models, transaction
from django.utils.translation import gettext as _

from emotipal.accounts.models import ApiToken, ClientProfile, Invitation, User
from emotipal.homework.models import (
    Assignment,
    Barrier,
    Entry,
    EntryReview,
    FearLadder,
    LadderStep,
    RetroactiveRating,
    Reward,
    SelfReview,
    TherapistReview,
    TherapySession,
)
from emotipal.measures.models import Response, RiskAlert, Schedule, SeriesVerdict
from emotipal.notifications.models import (
    CalendarFeed,
    PushSubscription,
    ReminderPreference,
    ScheduledReminder,
)
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.privacy.erasure_plan import ErasurePlan, plan_for
from emotipal.privacy.models import LegalHold
from emotipal.research.actions import consent
from emotipal.research.models import ConsentRecord, Participant, ParticipantEvent
from emotipal.supervision.models import ObserverRating
from emotipal.support.models import SupportLink

# The free text in each kept model: blanked unless a keeping study may use free text. Codes, ratings and dates
# stay (they are what the study measures).
FREE_TEXT_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Assignment: (
        "rationale",
        "instructions",
        "goal",
        "practice_place",
        "obstacles",
        "backup_plan",
        "summary",
        "client_rationale",
    ),
    EntryReview: ("note",),
    SelfReview: ("what_i_did", "what_i_learned", "what_got_in_way"),
    TherapistReview: ("note", "learned", "change_next"),
    RetroactiveRating: ("note",),
    Barrier: ("detail", "strategy"),
    Reward: ("description",),
    ObserverRating: ("note",),
    FearLadder: ("title",),
    LadderStep: ("description",),
    RiskAlert: ("action_note",),
}
TEXT_TYPES = frozenset({"short_text", "long_text"})


class ErasureRefused(Exception):
    """The erasure cannot go ahead (a legal hold, or the client was erased already); nothing was changed."""


def without_free_text(specs: list[dict[str, Any]], answers: Any) -> Any:
    """The answers with every free-text field (and free text inside repeated groups) taken out."""
    if not isinstance(answers, dict):
        return answers
    kept = dict(answers)
    for spec in specs:
        fid = spec.get("id")
        if fid not in kept:
            continue
        if spec.get("type") in TEXT_TYPES:
            del kept[fid]
        elif spec.get("type") == "group" and isinstance(kept[fid], list):
            kept[fid] = [without_free_text(spec.get("fields") or [], item) for item in kept[fid]]
    return kept


def _count(removed: Counter[str], deleted: tuple[int, dict[str, int]]) -> None:
    for label, n in deleted[1].items():
        if n:
            removed[label.lower()] += n


def _blank_free_text(model: type[models.Model], rows: models.QuerySet[Any]) -> None:
    fields = FREE_TEXT_FIELDS[model]
    for row in rows:
        for name in fields:
            setattr(row, name, "")
        row.save(update_fields=list(fields))


def _research(plan: ErasurePlan, actor: Any, removed: Counter[str]) -> None:
    keeping = {s.participant_id for s in plan.studies if s.keeps}
    for decision in plan.studies:
        if decision.keeps and decision.withdraw_now:
            # The erasure is a withdrawal: a consent event on the text they signed, and the state change.
            consent.end_participation(
                actor,
                Participant.objects.get(pk=decision.participant_id),
                _("Erased at the clinic's request"),
            )
    _count(removed, Participant.objects.filter(client=plan.client).exclude(pk__in=keeping).delete())
    # What stays is pseudonymous: the typed signature and the free-text reasons name or describe the person.
    ConsentRecord.objects.filter(participant_id__in=keeping).update(typed_name="")
    ParticipantEvent.objects.filter(participant_id__in=keeping).update(reason="")


def _partial(plan: ErasurePlan, removed: Counter[str]) -> None:
    client = plan.client
    assignments = Assignment.objects.filter(client=client)
    if not plan.keeps_homework:
        _count(removed, assignments.delete())
        _count(removed, TherapySession.objects.filter(client=client).delete())
        _count(removed, RetroactiveRating.objects.filter(client=client).delete())
    else:
        _count(removed, Entry.objects.filter(assignment__client=client, status=Entry.Status.DRAFT).delete())
        assignments.filter(ended_at__isnull=True).update(ended_at=clock.now())
        entries = Entry.objects.filter(assignment__client=client).select_related(
            "assignment__template_version"
        )
        for entry in entries:
            if not plan.keeps_answers:
                entry.answers = {}
            elif not plan.keeps_free_text:
                entry.answers = without_free_text(entry.assignment.template_version.field_list, entry.answers)
            entry.save(update_fields=["answers"])
        if not plan.keeps_free_text:
            _blank_free_text(Assignment, assignments)
            _blank_free_text(EntryReview, EntryReview.objects.filter(entry__assignment__client=client))
            _blank_free_text(SelfReview, SelfReview.objects.filter(assignment__client=client))
            _blank_free_text(TherapistReview, TherapistReview.objects.filter(assignment__client=client))
            _blank_free_text(RetroactiveRating, RetroactiveRating.objects.filter(client=client))
            _blank_free_text(Barrier, Barrier.objects.filter(client=client))
            _blank_free_text(Reward, Reward.objects.filter(assignment__client=client))
            _blank_free_text(ObserverRating, ObserverRating.objects.filter(assignment__client=client))
    if not plan.keeps_exposure:
        _count(removed, FearLadder.objects.filter(client=client).delete())
    elif not plan.keeps_free_text:
        _blank_free_text(FearLadder, FearLadder.objects.filter(client=client))
        _blank_free_text(LadderStep, LadderStep.objects.filter(ladder__client=client))
    _count(removed, Schedule.objects.filter(client=client).delete())
    # A cache of the caseload's, about a client no caseload shows again: kept data is read from the responses.
    _count(removed, SeriesVerdict.objects.filter(client=client).delete())
    if not plan.keeps_questionnaires:
        _count(removed, Response.objects.filter(client=client).delete())
    elif not plan.keeps_free_text:
        _blank_free_text(RiskAlert, RiskAlert.objects.filter(client=client))
    reminders = ScheduledReminder.objects.filter(client=client)
    _count(
        removed, (reminders if not plan.keeps_homework else reminders.filter(sent_at__isnull=True)).delete()
    )
    for model in (ReminderPreference, PushSubscription, CalendarFeed, SupportLink, LegalHold):
        _count(removed, model.objects.filter(client=client).delete())


def _forget_login(user: User, removed: Counter[str]) -> None:
    """What ties the account to the person and lets it log in."""
    for queryset in (
        ApiToken.objects.filter(user=user),
        EmailAddress.objects.filter(user=user),
        Authenticator.objects.filter(user=user),
        Invitation.objects.filter(models.Q(accepted_by=user) | models.Q(email__iexact=user.email)),
        AccessAttempt.objects.filter(username__iexact=user.email),
        AccessFailureLog.objects.filter(username__iexact=user.email),
    ):
        _count(removed, queryset.delete())


def _anonymise(user: User) -> None:
    user.email = f"erased-{user.pk}@erased.invalid"
    user.display_name = user.first_name = user.last_name = ""
    user.set_unusable_password()
    user.is_active = False
    user.save()


def erase(actor: Any, client_id: int, *, reason: str) -> ErasurePlan:
    """Erase the client (`reason`: "request" from a clinic admin, "retention" from the daily rules). The
    caller has checked who may (privacy/access.py). Raises ErasureRefused and changes nothing when it may not
    go ahead."""
    with transaction.atomic():
        client = (
            ClientProfile.all_profiles.select_for_update()
            .select_related("user", "clinic")
            .filter(pk=client_id)
        ).first()
        if client is None or client.erased_at is not None:
            raise ErasureRefused(_("This client's data has already been erased."))
        plan = plan_for(client)
        if plan.blocked:
            raise ErasureRefused(_("A legal hold is in force: nothing can be erased until it is lifted."))
        user, removed = client.user, Counter[str]()
        subject_user_id, clinic_id = user.pk, client.clinic_id
        _research(plan, actor, removed)
        if not plan.keeps_account:
            _forget_login(user, removed)
        if plan.keeps_anything:
            _partial(plan, removed)
            client.erased_at = clock.now()
            client.reminder_time = None
            client.discharged_on = client.discharged_on or clock.client_today(client)
            client.save(update_fields=["erased_at", "reminder_time", "discharged_on"])
            if not plan.keeps_account:
                _anonymise(user)
        else:
            _count(removed, ClientProfile.all_profiles.filter(pk=client.pk).delete())
            if not plan.keeps_account:
                _count(removed, User.objects.filter(pk=user.pk).delete())
        record(
            actor,
            "privacy.client_erased",
            client,
            subject_user_id=subject_user_id,
            clinic_id=clinic_id,
            trigger=reason,
            removed=dict(sorted(removed.items())),
            kept_for_studies=sorted(s.study_title for s in plan.studies if s.keeps),
            kept_uses=sorted(plan.kept_uses),
            account_kept=plan.keeps_account,
        )
    return plan
