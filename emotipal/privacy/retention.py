"""The clinic's retention rules, applied by the daily task (privacy/tasks.py): unsent drafts older than the
clinic's limit are removed, and clients whose treatment ended more than the clinic's number of years ago are
erased by the same rules as an admin's erasure (erasure.py: legal holds stop it, a study keeps what its
protocol allows, without names). Each clinic's run is one RetentionRun row and one audit row: the report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet

from emotipal.accounts.models import ClientProfile, Clinic
from emotipal.homework.models import Entry
from emotipal.platform import clock
from emotipal.platform.audit.services import record
from emotipal.privacy import erasure
from emotipal.privacy.models import LegalHold, RetentionPolicy, RetentionRun


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Due:
    """What the clinic's rules would touch now (the preview on the data-rights page, and the run itself)."""

    drafts: int
    clients: list[int]
    on_hold: list[int]


def _old_drafts(clinic: Clinic, policy: RetentionPolicy, now: dt.datetime) -> QuerySet[Entry]:
    if policy.draft_days is None:
        return Entry.objects.none()
    cutoff = now - dt.timedelta(days=policy.draft_days)
    # assignment__client joins without ClientProfile's manager: an erased client's drafts count too (there are
    # none: erasure removes them).
    return Entry.objects.filter(
        assignment__client__clinic=clinic, status=Entry.Status.DRAFT, last_saved_at__lt=cutoff
    )


def due(clinic: Clinic, policy: RetentionPolicy, now: dt.datetime | None = None) -> Due:
    now = now or clock.now()
    drafts = _old_drafts(clinic, policy, now)
    ids: list[int] = []
    held: list[int] = []
    if policy.anonymise_after_years is not None:
        before = years_before(
            clock.local_today(clock.zone_for_clinic(clinic), now), policy.anonymise_after_years
        )
        ids = list(
            ClientProfile.objects.filter(clinic=clinic, discharged_on__isnull=False, discharged_on__lt=before)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        held = list(
            LegalHold.objects.filter(client_id__in=ids, lifted_at__isnull=True).values_list(
                "client_id", flat=True
            )
        )
    skipped = set(held)
    return Due(drafts=drafts.count(), clients=[i for i in ids if i not in skipped], on_hold=sorted(held))


def apply(clinic: Clinic, policy: RetentionPolicy, now: dt.datetime | None = None) -> RetentionRun:
    now = now or clock.now()
    todo = due(clinic, policy, now)
    with transaction.atomic():
        drafts_removed, _ = _old_drafts(clinic, policy, now).delete()
    erased = kept = 0
    for client_id in todo.clients:
        # One transaction per client: one that cannot go ahead (a hold placed a moment ago) leaves the rest.
        try:
            plan = erasure.erase(None, client_id, reason="retention")
        except erasure.ErasureRefused:
            continue
        if plan.keeps_anything:
            kept += 1
        else:
            erased += 1
    with transaction.atomic():
        run = RetentionRun.objects.create(
            clinic=clinic,
            at=now,
            drafts_removed=drafts_removed,
            clients_erased=erased,
            clients_kept_for_research=kept,
            clients_on_hold=len(todo.on_hold),
        )
        record(
            None,
            "privacy.retention_run",
            run,
            clinic_id=clinic.pk,
            drafts_removed=drafts_removed,
            clients_erased=erased,
            clients_kept_for_research=kept,
            clients_on_hold=len(todo.on_hold),
        )
    return run


def apply_all(now: dt.datetime | None = None) -> list[RetentionRun]:
    """Every clinic with a rule switched on."""
    policies = RetentionPolicy.objects.select_related("clinic").filter(
        Q(draft_days__isnull=False) | Q(anonymise_after_years__isnull=False)
    )
    return [apply(p.clinic, p, now) for p in policies.order_by("clinic_id")]
