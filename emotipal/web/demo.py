"""Loads the simulated demo clinic (from the pure simulator) into the database.

Names are obviously fictional and every e-mail ends in .invalid; nothing here is about real people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from emotipal.accounts.models import ClientProfile, Clinic, Membership, Role, User
from emotipal.analysis.simulate import SimClinic, simulate_clinic
from emotipal.homework.models import Assignment, Entry, EntryReview
from emotipal.homework.services import default_practice_days
from emotipal.library.models import TemplateVersion
from emotipal.library.services import latest_versions, sync_library

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (printed at start; demo accounts only)
DEMO_LOGINS = {
    "therapist": "therapist@demo.emotipal.invalid",
    "client": "client@demo.emotipal.invalid",
    "admin": "admin@demo.emotipal.invalid",
}
REVIEW_NOTES = [
    "We went through this together in session.",
    "Good noticing. Let's build on this next week.",
    "Talked about what made it hard; agreed a smaller step.",
]


@dataclass
class DemoResult:
    created: bool
    clients: int
    entries: int


def _user(email: str, name: str, password_hash: str) -> User:
    user = User(email=email, display_name=name, password=password_hash)
    user.save()
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _local(start: dt.date, day: int, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(start + dt.timedelta(days=day), dt.time(hour, 0)))


@transaction.atomic
def load_demo(*, clients: int = 30, therapists: int = 3, weeks: int = 16, seed: int = 2026) -> DemoResult:
    """Create the demo clinic unless it exists. Returns what was there or was made."""
    existing = Clinic.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return DemoResult(
            False, existing.clients.count(), Entry.objects.filter(assignment__client__clinic=existing).count()
        )
    sync_library()
    versions = {v.template.slug: v for v in latest_versions()}
    sim = simulate_clinic(
        n_therapists=therapists,
        n_clients=clients,
        weeks=weeks,
        seed=seed,
        true_r=0.5,
        templates={slug: v.field_list for slug, v in versions.items()},
    )
    return _store(sim, versions)


def _store(sim: SimClinic, versions: dict[str, TemplateVersion]) -> DemoResult:
    now = timezone.now()
    today = timezone.localdate()
    start = today - dt.timedelta(days=today.weekday(), weeks=sim.weeks - 1)  # day 0: a Monday
    today_offset = (today - start).days
    password_hash = User(email="x@x.invalid")
    password_hash.set_password(DEMO_PASSWORD)
    hashed = password_hash.password

    clinic = Clinic.objects.create(name="Demo Clinic (simulated)", slug=DEMO_SLUG)
    admin = _user(DEMO_LOGINS["admin"], "Alex Admin (demo)", hashed)
    Membership.objects.create(user=admin, clinic=clinic, role=Role.ADMIN)
    therapists: dict[str, User] = {}
    for i, t in enumerate(sim.therapists):
        email = DEMO_LOGINS["therapist"] if i == 0 else t.email
        therapists[t.key] = _user(email, t.display_name, hashed)
        Membership.objects.create(user=therapists[t.key], clinic=clinic, role=Role.THERAPIST)

    # The demo client login goes to the first therapist's most engaged client, so Today has something on it.
    first = sim.therapists[0].key
    showcase = max((c for c in sim.clients if c.therapist_key == first), key=lambda c: c.engagement)
    profiles: dict[str, ClientProfile] = {}
    for c in sim.clients:
        email = DEMO_LOGINS["client"] if c.key == showcase.key else c.email
        profiles[c.key] = ClientProfile.objects.create(
            user=_user(email, c.display_name, hashed),
            clinic=clinic,
            therapist=therapists[c.therapist_key],
            reminder_time=dt.time(18, 0) if c.key == showcase.key else None,
        )

    assignments: dict[str, Assignment] = {}
    for a in sim.assignments:
        profile = profiles[a.client_key]
        assignments[a.key] = Assignment.objects.create(
            client=profile,
            assigned_by=profile.therapist,
            template_version=versions[a.template_slug],
            rationale=a.rationale,
            instructions=a.instructions,
            times_per_week=a.times_per_week,
            minutes_per_practice=a.minutes_per_practice,
            practice_days=",".join(str(d) for d in sorted(a.practice_weekdays)),
            start_date=start + dt.timedelta(days=a.start_day),
            end_date=start + dt.timedelta(days=a.end_day),
        )
    _ensure_current_homework(profiles, versions, today)
    _daily_practice_for(profiles[showcase.key], versions["behavioural-activation"], today)

    entries: list[Entry] = []
    reviewed: list[tuple[int, Any]] = []
    for e in sim.entries:
        if not e.submitted or e.day > today_offset:
            continue  # abandoned drafts are not loaded: one open draft per assignment is the rule
        # Evening practice; today's entries are put in the past so nothing is ever "sent in the future".
        submitted_at = min(_local(start, e.day, 19), now - dt.timedelta(minutes=30))
        entries.append(
            Entry(
                assignment=assignments[e.assignment_key],
                status=Entry.Status.SUBMITTED,
                answers=e.answers,
                started_at=submitted_at - dt.timedelta(seconds=e.active_seconds + 120),
                last_saved_at=submitted_at,
                submitted_at=submitted_at,
                practice_date=start + dt.timedelta(days=e.day),
                active_seconds=e.active_seconds,
                draft_saves=max(1, e.active_seconds // 90),
                effort=e.effort,
                difficulty=e.difficulty,
                helpfulness=e.helpfulness,
            )
        )
        reviewed.append((len(entries) - 1, e.reviewed))
    created = Entry.objects.bulk_create(entries, batch_size=500)
    reviews = [
        EntryReview(
            entry=created[i],
            reviewer=created[i].assignment.client.therapist,
            note=REVIEW_NOTES[i % len(REVIEW_NOTES)],
            reviewed_at=_local(start, (created[i].practice_date - start).days + 3, 10),
        )
        for i, was_reviewed in reviewed
        if was_reviewed and (today - created[i].practice_date).days > 7
    ]
    EntryReview.objects.bulk_create(reviews, batch_size=500)
    return DemoResult(True, len(profiles), len(created))


def _current(
    profile: ClientProfile,
    version: TemplateVersion,
    plan: tuple[str, str, int, int],
    start: dt.date,
    end: dt.date,
) -> None:
    rationale, instructions, times, minutes = plan
    Assignment.objects.create(
        client=profile,
        assigned_by=profile.therapist,
        template_version=version,
        rationale=rationale,
        instructions=instructions,
        times_per_week=times,
        minutes_per_practice=minutes,
        practice_days=",".join(str(d) for d in default_practice_days(times)),
        start_date=start,
        end_date=end,
    )


DAILY_ACTIVITY = (
    "Small, planned activities lift mood more reliably than waiting to feel like it.",
    "Plan one activity each morning; rate it in the evening.",
    7,
    10,
)
WEEKLY_THOUGHT_RECORD = (
    "To catch the thoughts behind the low moments this week and weigh them up.",
    "After a moment when your mood drops, within the same day.",
    3,
    15,
)


def _daily_practice_for(profile: ClientProfile, version: TemplateVersion, today: dt.date) -> None:
    """The demo client always has something due today, so Today shows the whole flow on any weekday."""
    _current(profile, version, DAILY_ACTIVITY, today - dt.timedelta(days=2), today + dt.timedelta(days=20))


def _ensure_current_homework(
    profiles: dict[str, ClientProfile], versions: dict[str, TemplateVersion], today: dt.date
) -> None:
    """Clients whose simulated homework has ended get a current thought record, as a real caseload would."""
    active = set(
        Assignment.objects.filter(start_date__lte=today, end_date__gte=today).values_list(
            "client_id", flat=True
        )
    )
    monday = today - dt.timedelta(days=today.weekday())
    for profile in profiles.values():
        if profile.pk not in active:
            _current(
                profile,
                versions["thought-record"],
                WEEKLY_THOUGHT_RECORD,
                monday,
                today + dt.timedelta(days=13),
            )
