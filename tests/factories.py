"""Helpers shared by tests: the named users' world, plans and answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import timezone

from emotipal.accounts.models import ClientProfile, Clinic, Membership, Role, User
from emotipal.homework import services
from emotipal.library.models import TemplateVersion
from emotipal.library.services import sync_library
from emotipal.measures.services import sync_instruments

PASSWORD = "correct horse battery staple"


def make_user(email: str, name: str) -> User:
    user = User.objects.create_user(email, PASSWORD, display_name=name)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@dataclass
class World:
    clinic: Clinic
    other_clinic: Clinic
    therapist: User
    colleague: User
    foreign_therapist: User
    admin: User
    researcher: User
    client_a: ClientProfile
    client_b: ClientProfile
    client_other_clinic: ClientProfile
    thought_record: TemplateVersion
    exposure: TemplateVersion

    def login(self, user: User | None) -> Client:
        """A browser in which `user` has just logged in with their password (as allauth records it, so pages
        that need a recent login open: accounts/reauth.py). `stale_login` makes that login old."""
        http = Client()
        if user is not None:
            http.force_login(user)
            session = http.session
            record_authentication(SimpleNamespace(session=session), user, method="password", email=user.email)
            session.save()
        return http


def stale_login(http: Client, minutes: int = 10) -> None:
    """Moves the session's logins and password confirmations `minutes` into the past (allauth keeps them as
    a list of {"method", "at": seconds since the epoch} in the session)."""
    session = http.session
    records = session.get("account_authentication_methods") or []
    assert records, "the session has no login to make stale"
    session["account_authentication_methods"] = [{**r, "at": r["at"] - minutes * 60} for r in records]
    session.save()


def plan_for(version: TemplateVersion, **overrides: Any) -> services.AssignmentPlan:
    today = timezone.localdate()
    values: dict[str, Any] = {
        "template_version": version,
        "rationale": "To notice the thoughts that drive the low mood, and test them.",
        "times_per_week": 7,
        "minutes_per_practice": 20,
        "start_date": today - dt.timedelta(days=3),
        "end_date": today + dt.timedelta(days=10),
    }
    values.update(overrides)
    return services.AssignmentPlan(**values)


def complete_thought_record() -> dict[str, Any]:
    return {
        "situation": "Sunday evening, thinking about Monday's meeting",
        "emotions": [{"emotion": "Anxious", "intensity": "80"}],
        "thoughts": [{"thought": "I will make a fool of myself", "belief": "90"}],
    }


def build_world() -> World:
    """The named users and the library (call inside a test that has database access)."""
    sync_library()
    sync_instruments()
    # New clinics require staff MFA; these two do not, so that staff tests need no authenticator each. The
    # tests of the MFA rule switch it on (tests/accounts/test_api_mfa_policy.py and others).
    clinic = Clinic.objects.create(name="Harbour Clinic", slug="harbour", require_staff_mfa=False)
    other = Clinic.objects.create(name="Elsewhere Clinic", slug="elsewhere", require_staff_mfa=False)
    therapist = make_user("therapist@example.org", "Tess Therapist")
    colleague = make_user("colleague@example.org", "Cole Colleague")
    foreign = make_user("foreign@example.org", "Fran Foreign")
    admin = make_user("admin@example.org", "Adi Admin")
    researcher = make_user("researcher@example.org", "Rae Researcher")
    Membership.objects.create(user=therapist, clinic=clinic, role=Role.THERAPIST)
    Membership.objects.create(user=colleague, clinic=clinic, role=Role.THERAPIST)
    Membership.objects.create(user=foreign, clinic=other, role=Role.THERAPIST)
    Membership.objects.create(user=admin, clinic=clinic, role=Role.ADMIN)
    Membership.objects.create(user=researcher, clinic=clinic, role=Role.RESEARCHER)
    client_a = ClientProfile.objects.create(
        user=make_user("client.a@example.org", "Ana Client"), clinic=clinic, therapist=therapist
    )
    client_b = ClientProfile.objects.create(
        user=make_user("client.b@example.org", "Ben Client"), clinic=clinic, therapist=therapist
    )
    client_c = ClientProfile.objects.create(
        user=make_user("client.c@example.org", "Cai Client"), clinic=other, therapist=foreign
    )
    return World(
        clinic=clinic,
        other_clinic=other,
        therapist=therapist,
        colleague=colleague,
        foreign_therapist=foreign,
        admin=admin,
        researcher=researcher,
        client_a=client_a,
        client_b=client_b,
        client_other_clinic=client_c,
        thought_record=TemplateVersion.objects.get(template__slug="thought-record"),
        exposure=TemplateVersion.objects.get(template__slug="exposure-practice"),
    )
