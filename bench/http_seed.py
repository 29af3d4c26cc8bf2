"""People for the HTTP benchmark, made through the app's own actions (invitations accepted, homework
assigned), as scripts/smoke_production.py does for one client."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Seeded:
    email: str
    assignment_id: int


def seed_people(n: int) -> list[Seeded]:
    from emotipal.accounts import services as accounts
    from emotipal.accounts.models import ClientProfile, Clinic, Invitation, Membership, Role, User
    from emotipal.homework import services as homework
    from emotipal.library.models import TemplateVersion
    from emotipal.library.services import sync_library
    from emotipal.measures.services import sync_instruments
    from emotipal.platform import clock

    sync_library()
    sync_instruments()
    password = os.environ["SMOKE_PASSWORD"]
    clinic = Clinic.objects.create(name="Bench Clinic (simulated)", slug="bench-people")
    admin = User.objects.create_user("admin@people.bench.invalid", None, display_name="Bench Admin")
    Membership.objects.create(user=admin, clinic=clinic, role=Role.ADMIN)
    staff = accounts.invite(
        clinic=clinic, email="therapist@people.bench.invalid", role=Role.THERAPIST, invited_by=admin
    )
    therapist = accounts.accept_invitation(
        staff.url.rstrip("/").rsplit("/", 1)[1], password=password, display_name="Dr Bench"
    )
    version = TemplateVersion.objects.filter(template__slug="thought-record").latest("pk")
    out = []
    for i in range(n):
        email = f"client{i}@people.bench.invalid"
        invited = accounts.invite(
            clinic=clinic, email=email, role=Invitation.CLIENT, invited_by=therapist, therapist=therapist
        )
        user = accounts.accept_invitation(
            invited.url.rstrip("/").rsplit("/", 1)[1], password=password, display_name=f"Client {i}"
        )
        client = ClientProfile.objects.get(user=user)
        today = clock.local_today(clock.zone_for_client(client), clock.now())
        assignment = homework.assign_homework(
            therapist,
            client,
            homework.AssignmentPlan(
                template_version=version,
                rationale="To practise between sessions what we worked on in the session.",
                times_per_week=7,
                minutes_per_practice=10,
                start_date=today - dt.timedelta(days=1),
                end_date=today + dt.timedelta(days=14),
            ),
        )
        out.append(Seeded(email, assignment.pk))
    return out
