"""Clinics of 10 to 5,000 clients for the page benchmark, written in bulk (bulk_create, one password hash for
all) so that seeding 5,610 clients takes seconds, not the minutes invitation by invitation would.

Each client has what makes the caseload and the client page work: a session a week for the last six weeks, a
thought record assigned in the first with four or five entries a week (answers encrypted as in use), a weekly
PHQ-9 answered and scored by the app's own scoring, and a therapist who signs in with a password and a TOTP
authenticator.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

WEEKS = 6
ANSWERS = {
    "situation": "Sunday evening, thinking about Monday's meeting",
    "emotions": [{"emotion": "Anxious", "intensity": "70"}],
    "thoughts": [{"thought": "I will get it wrong", "belief": "80"}],
}


@dataclass(frozen=True)
class SeededClinic:
    clients: int
    therapist_email: str
    totp_secret: str
    client_id: int  # one client of this clinic, whose page is measured


def seed_clinic(size: int, password: str) -> SeededClinic:
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from emotipal.accounts.models import ClientProfile, Clinic, Membership, Role, User
    from emotipal.definitions.scoring import score_response
    from emotipal.homework.models import Assignment, Entry, TherapySession
    from emotipal.library.models import TemplateVersion
    from emotipal.library.services import sync_library
    from emotipal.measures.models import Instrument, Response, score_blob
    from emotipal.measures.services import latest_version, sync_instruments

    sync_library()
    sync_instruments()
    rng = random.Random(size)  # simulated data, not a secret  # nosec B311
    clinic = Clinic.objects.create(name=f"Bench clinic of {size} (simulated)", slug=f"bench-pages-{size}")
    therapist = User.objects.create_user(
        f"therapist{size}@pages.bench.invalid", password, display_name=f"Dr Bench {size}"
    )
    EmailAddress.objects.create(user=therapist, email=therapist.email, verified=True, primary=True)
    Membership.objects.create(user=therapist, clinic=clinic, role=Role.THERAPIST)
    secret = generate_totp_secret()
    TOTP.activate(therapist, secret)

    hashed = make_password(password)
    users = User.objects.bulk_create(
        [
            User(
                email=f"c{size}-{i}@pages.bench.invalid",
                password=hashed,
                display_name=f"Client {size}-{i}",
            )
            for i in range(size)
        ],
        batch_size=1000,
    )
    profiles = ClientProfile.objects.bulk_create(
        [ClientProfile(user=u, clinic=clinic, therapist=therapist) for u in users], batch_size=1000
    )
    today = timezone.localdate()
    start = today - dt.timedelta(weeks=WEEKS)
    # A session a week, the homework set in the first: the caseload's "homework to review" has sessions to
    # look through (each client's homework is due for review in the second, which has passed unreviewed).
    sessions = TherapySession.objects.bulk_create(
        [
            TherapySession(
                client=p, therapist=therapist, number=week + 1, date=start + dt.timedelta(weeks=week)
            )
            for p in profiles
            for week in range(WEEKS)
        ],
        batch_size=2000,
    )
    first_session = {s.client_id: s for s in sessions if s.number == 1}
    version = TemplateVersion.objects.filter(template__slug="thought-record").latest("pk")
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                client=p,
                assigned_by=therapist,
                template_version=version,
                session=first_session[p.pk],
                rationale="To practise between sessions what we worked on in the session.",
                times_per_week=5,
                minutes_per_practice=10,
                practice_days="0,1,2,3,4",
                start_date=start,
                end_date=today + dt.timedelta(weeks=2),
            )
            for p in profiles
        ],
        batch_size=1000,
    )
    entries = []
    for assignment in assignments:
        for day in range(WEEKS * 7):
            if rng.random() < 0.6:
                practice = start + dt.timedelta(days=day)
                at = timezone.make_aware(dt.datetime.combine(practice, dt.time(19)))
                entries.append(
                    Entry(
                        assignment=assignment,
                        status=Entry.Status.SUBMITTED,
                        answers=ANSWERS,
                        started_at=at - dt.timedelta(minutes=8),
                        last_saved_at=at,
                        submitted_at=at,
                        practice_date=practice,
                        active_seconds=rng.randint(120, 900),
                        effort=rng.randint(0, 4),
                        difficulty=rng.randint(0, 4),
                        helpfulness=rng.randint(0, 4),
                    )
                )
    Entry.objects.bulk_create(entries, batch_size=2000)
    phq9 = latest_version(Instrument.objects.get(clinic__isnull=True, key="phq9"))
    responses = []
    for profile in profiles:
        severity = rng.randint(8, 20)
        for week in range(WEEKS):
            answers = {f"phq9_{i + 1}": min(3, max(0, round(severity / 9) - (week // 3))) for i in range(8)}
            answers["phq9_9"] = 0
            result = score_response(phq9.definition, answers)
            done = timezone.make_aware(dt.datetime.combine(start + dt.timedelta(weeks=week), dt.time(10)))
            responses.append(
                Response(
                    client=profile,
                    instrument_id=phq9.instrument_id,  # bulk_create skips save(), which sets it
                    instrument_version=phq9,
                    due_date=done.date(),
                    expires_at=done + dt.timedelta(days=3),
                    status=Response.Status.COMPLETED,
                    answers=answers,
                    started_at=done - dt.timedelta(minutes=4),
                    completed_at=done,
                    scores=score_blob(result.total, result.band, result.subscales),
                    prorated=result.prorated,
                )
            )
    Response.objects.bulk_create(responses, batch_size=2000)
    return SeededClinic(size, therapist.email, secret, profiles[0].pk)
