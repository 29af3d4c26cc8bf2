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
from emotipal.demo import exposure as demo_exposure
from emotipal.demo import measures as demo_measures
from emotipal.demo import research as demo_research
from emotipal.demo import supervision as demo_supervision
from emotipal.demo import support as demo_support
from emotipal.demo import training as demo_training
from emotipal.homework.models import (
    Assignment,
    Barrier,
    Entry,
    EntryReview,
    ReminderEvent,
    RetroactiveRating,
    SelfReview,
    TherapistReview,
    TherapySession,
)
from emotipal.homework.services import default_practice_days
from emotipal.library.access import latest_versions
from emotipal.library.models import TemplateVersion
from emotipal.library.services import sync_library

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (printed at start; demo accounts only)  # nosec B105
DEMO_LOGINS = {
    "therapist": "therapist@demo.emotipal.invalid",
    "client": "client@demo.emotipal.invalid",
    "admin": "admin@demo.emotipal.invalid",
    "researcher": "researcher@demo.emotipal.invalid",
    "trainee": "trainee@demo.emotipal.invalid",
    "supervisor": demo_supervision.SUPERVISOR_EMAIL,
    "support person": demo_support.COACH_EMAIL,
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


@transaction.atomic
def load_demo(*, clients: int = 30, therapists: int = 3, weeks: int = 16, seed: int = 2026) -> DemoResult:
    """Create the demo clinic unless it exists. Returns what was there or was made."""
    existing = Clinic.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return DemoResult(
            False,
            existing.clients.count(),
            Entry.objects.filter(assignment__client__clinic=existing, status=Entry.Status.SUBMITTED).count(),
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


class _Calendar:
    """Turns the simulator's day numbers into dates and times, with day 0 a Monday and today in the last week."""

    def __init__(self, weeks: int) -> None:
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.start = self.today - dt.timedelta(days=self.today.weekday(), weeks=weeks - 1)
        self.today_offset = (self.today - self.start).days

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def at(self, day: int, hour: int, minute: int = 0) -> dt.datetime:
        """A moment on that day, never later than half an hour ago (nothing happens in the future)."""
        moment = timezone.make_aware(dt.datetime.combine(self.date(day), dt.time(hour, minute)))
        return min(moment, self.now - dt.timedelta(minutes=30))

    def past(self, day: int) -> bool:
        return day <= self.today_offset


def _store(sim: SimClinic, versions: dict[str, TemplateVersion]) -> DemoResult:
    cal = _Calendar(sim.weeks)
    password_hash = User(email="x@x.invalid")
    password_hash.set_password(DEMO_PASSWORD)
    hashed = password_hash.password

    # Without staff MFA, unlike a real new clinic: the demo logins printed at start (and in the README) must
    # work as they are, without an authenticator app. A visitor can switch it on in the clinic's policy.
    clinic = Clinic.objects.create(name="Demo Clinic (simulated)", slug=DEMO_SLUG, require_staff_mfa=False)
    admin = _user(DEMO_LOGINS["admin"], "Alex Admin (demo)", hashed)
    Membership.objects.create(user=admin, clinic=clinic, role=Role.ADMIN)
    therapists: dict[str, User] = {}
    for i, t in enumerate(sim.therapists):
        email = DEMO_LOGINS["therapist"] if i == 0 else t.email
        therapists[t.key] = _user(email, t.display_name, hashed)
        Membership.objects.create(user=therapists[t.key], clinic=clinic, role=Role.THERAPIST)

    # The demo client login goes to the first therapist's most engaged client still in treatment.
    first = sim.therapists[0].key
    showcase = max(
        (c for c in sim.clients if c.therapist_key == first and c.discharged_day is None),
        key=lambda c: c.engagement,
    )
    profiles: dict[str, ClientProfile] = {}
    for i, c in enumerate(sim.clients):
        email = DEMO_LOGINS["client"] if c.key == showcase.key else c.email
        profiles[c.key] = ClientProfile.objects.create(
            user=_user(email, c.display_name, hashed),
            clinic=clinic,
            therapist=therapists[c.therapist_key],
            reminder_time=dt.time(17 + i % 4, 0),
            discharged_on=cal.date(c.discharged_day) if c.discharged_day is not None else None,
        )

    sessions = {
        s.key: TherapySession.objects.create(
            client=profiles[s.client_key],
            therapist=profiles[s.client_key].therapist,
            number=s.number,
            date=cal.date(s.day),
            created_at=cal.at(s.day, 9),
        )
        for s in sim.sessions
        if s.day <= cal.today_offset + 7  # the next session is already planned; later ones are not
    }
    _plan_next_sessions(profiles, cal)
    assignments = _store_assignments(sim, versions, profiles, sessions, cal)
    _ensure_current_homework(profiles, versions, cal.today)
    _daily_practice_for(profiles[showcase.key], versions["behavioural-activation"], cal.today)
    created = _store_entries(sim, assignments, cal)
    _store_reviews(sim, assignments, sessions, cal)
    demo_measures.store(sim, profiles, cal.start, showcase.key, sim.seed)
    demo_exposure.store(profiles, showcase.key)
    researcher = _user(DEMO_LOGINS["researcher"], "Robin Researcher (demo)", hashed)
    Membership.objects.create(user=researcher, clinic=clinic, role=Role.RESEARCHER)
    demo_research.load_study(clinic, admin, researcher, profiles[showcase.key])
    demo_training.store(clinic, DEMO_LOGINS["trainee"], hashed, _user)
    demo_support.store(profiles[showcase.key], lambda email, name: _user(email, name, hashed))
    demo_supervision.store(
        clinic,
        admin,
        list(therapists.values()),
        lambda email, name: _user(email, name, hashed),
        cal.start,
        cal.today,
        sim.seed,
    )
    return DemoResult(True, len(profiles), created)


def _plan_next_sessions(profiles: dict[str, ClientProfile], cal: _Calendar) -> None:
    """Clients still in treatment have their next weekly session booked, so self-reviews are due."""
    for profile in profiles.values():
        last = profile.sessions.order_by("-number").first()
        if profile.discharged_on is None and last is not None and last.date <= cal.today:
            next_date = last.date + dt.timedelta(days=7)
            TherapySession.objects.create(
                client=profile, therapist=profile.therapist, number=last.number + 1, date=next_date
            )


def _store_assignments(
    sim: SimClinic,
    versions: dict[str, TemplateVersion],
    profiles: dict[str, ClientProfile],
    sessions: dict[str, TherapySession],
    cal: _Calendar,
) -> dict[str, Assignment]:
    assignments: dict[str, Assignment] = {}
    for a in sim.assignments:
        if not cal.past(a.start_day):
            continue
        profile = profiles[a.client_key]
        assigned_at = cal.at(a.start_day, 10)
        opened = None
        if a.first_open_delay_hours is not None:
            opened = assigned_at + dt.timedelta(hours=a.first_open_delay_hours)
            opened = opened if opened <= cal.now else None
        assignments[a.key] = Assignment.objects.create(
            client=profile,
            assigned_by=profile.therapist,
            template_version=versions[a.template_slug],
            session=sessions.get(a.session_key or ""),
            rationale=a.rationale,
            instructions=a.instructions,
            times_per_week=a.times_per_week,
            minutes_per_practice=a.minutes_per_practice,
            practice_days=",".join(str(d) for d in sorted(a.practice_weekdays)),
            start_date=cal.date(a.start_day),
            end_date=cal.date(a.end_day),
            created_at=assigned_at,
            first_opened_at=opened,
        )
    return assignments


def _store_entries(sim: SimClinic, assignments: dict[str, Assignment], cal: _Calendar) -> int:
    entries: list[Entry] = []
    reviewed: list[bool] = []
    reminders: list[ReminderEvent] = []
    last_draft: dict[str, Any] = {}
    for e in sim.entries:
        if not cal.past(e.day) or e.assignment_key not in assignments:
            continue
        assignment = assignments[e.assignment_key]
        if not e.submitted:
            last_draft[e.assignment_key] = e  # one open draft per assignment: keep the latest abandoned one
            continue
        submitted_at = cal.at(e.day, 19)
        started_at = submitted_at - dt.timedelta(seconds=e.active_seconds + 120)
        reminder_at = cal.at(
            e.day, assignment.client.reminder_time.hour if assignment.client.reminder_time else 18
        )
        if reminder_at < started_at:
            reminders.append(ReminderEvent(assignment=assignment, sent_at=reminder_at, opened_at=started_at))
        entries.append(
            Entry(
                assignment=assignment,
                status=Entry.Status.SUBMITTED,
                answers=e.answers,
                started_at=started_at,
                last_saved_at=submitted_at,
                submitted_at=submitted_at,
                practice_date=cal.date(e.day),
                active_seconds=e.active_seconds,
                draft_saves=max(1, e.active_seconds // 90),
                effort=e.effort,
                difficulty=e.difficulty,
                helpfulness=e.helpfulness,
                edits_after_submit=e.edits_after_submit,
                language="en",  # the template's own wording (demo/exposure.py moves some to es and ar)
                last_edited_at=submitted_at + dt.timedelta(hours=2) if e.edits_after_submit else None,
            )
        )
        reviewed.append(e.reviewed)
    for key, e in last_draft.items():
        saved = cal.at(e.day, 20)
        entries.append(
            Entry(
                assignment=assignments[key],
                status=Entry.Status.DRAFT,
                answers={k: v for k, v in list(e.answers.items())[:1]},  # abandoned after the first answer
                started_at=saved - dt.timedelta(seconds=e.active_seconds + 60),
                last_saved_at=saved,
                practice_date=cal.date(e.day),
                active_seconds=e.active_seconds,
                draft_saves=1,
            )
        )
        reviewed.append(False)
    created = Entry.objects.bulk_create(entries, batch_size=500)
    ReminderEvent.objects.bulk_create(reminders, batch_size=500)
    EntryReview.objects.bulk_create(
        [
            EntryReview(
                entry=entry,
                reviewer=entry.assignment.client.therapist,
                note=REVIEW_NOTES[i % len(REVIEW_NOTES)],
                reviewed_at=cal.at((entry.practice_date - cal.start).days + 3, 10),
            )
            for i, (entry, was_reviewed) in enumerate(zip(created, reviewed, strict=True))
            if was_reviewed and (cal.today - entry.practice_date).days > 7
        ],
        batch_size=500,
    )
    return sum(1 for entry in created if entry.status == Entry.Status.SUBMITTED)


def _store_reviews(
    sim: SimClinic, assignments: dict[str, Assignment], sessions: dict[str, TherapySession], cal: _Calendar
) -> None:
    SelfReview.objects.bulk_create(
        [
            SelfReview(
                assignment=assignments[r.assignment_key],
                session=sessions[r.session_key],
                ratings=r.ratings,
                helpfulness=r.helpfulness,
                what_i_did=r.what_i_did,
                what_i_learned=r.what_i_learned,
                what_got_in_way=r.what_got_in_way,
                created_at=cal.at(r.day, 20),
            )
            for r in sim.self_reviews
            if cal.past(r.day) and r.assignment_key in assignments and r.session_key in sessions
        ]
    )
    therapist_reviews = [
        r
        for r in sim.therapist_reviews
        if cal.past(r.day) and r.assignment_key in assignments and r.session_key in sessions
    ]
    TherapistReview.objects.bulk_create(
        [
            TherapistReview(
                assignment=assignments[r.assignment_key],
                session=sessions[r.session_key],
                reviewer=assignments[r.assignment_key].client.therapist,
                ratings=r.ratings,
                note=r.note,
                reviewed_at=cal.at(r.day, 15),
            )
            for r in therapist_reviews
        ]
    )
    last_review_day: dict[str, int] = {}
    for r in therapist_reviews:
        last_review_day[r.assignment_key] = max(r.day, last_review_day.get(r.assignment_key, -1))
    Barrier.objects.bulk_create(
        [
            Barrier(
                client=assignments[b.assignment_key].client,
                assignment=assignments[b.assignment_key],
                day=cal.date(b.day),
                barrier=b.barrier,
                strategy=b.strategy or "",
                detail=b.note,
                created_at=cal.at(b.day + 1, 9),
                # Talked through at the first therapist review of that homework after the obstacle.
                resolved_at=cal.at(last_review_day[b.assignment_key], 15)
                if last_review_day.get(b.assignment_key, -1) > b.day
                else None,
            )
            for b in sim.barriers
            if cal.past(b.day) and b.assignment_key in assignments
        ]
    )
    by_key = {a.client_key: assignments[a.key].client for a in sim.assignments if a.key in assignments}
    RetroactiveRating.objects.bulk_create(
        [
            RetroactiveRating(
                client=by_key[r.client_key],
                rater_role=r.rater,
                rater=by_key[r.client_key].user if r.rater == "client" else by_key[r.client_key].therapist,
                quantity=r.quantity,
                quality=r.quality,
                created_at=cal.at(r.day, 16),
            )
            for r in sim.retro_ratings
            # The platform asks for the course rating at the end of treatment: only discharged clients.
            if cal.past(r.day) and r.client_key in by_key and by_key[r.client_key].discharged_on is not None
        ]
    )


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
    _current(profile, version, DAILY_ACTIVITY, today, today + dt.timedelta(days=20))


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
        if profile.pk not in active and profile.discharged_on is None:
            _current(
                profile,
                versions["thought-record"],
                WEEKLY_THOUGHT_RECORD,
                monday,
                today + dt.timedelta(days=13),
            )
