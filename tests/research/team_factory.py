"""More research staff for the study-page tests: a second researcher of the World's clinic, one of the other
clinic, and a statistician on a study's team."""

from __future__ import annotations

from typing import Any

from emotipal.accounts.models import Clinic, Membership, Role, User
from emotipal.research.models import Study, StudyMember, StudyRole
from tests.factories import make_user


def researcher_at(clinic: Clinic, email: str, name: str = "Rui Researcher") -> User:
    """A user with a researcher membership at `clinic` (made once; later calls return the same user)."""
    user = User.objects.filter(email=email).first() or make_user(email, name)
    Membership.objects.get_or_create(user=user, clinic=clinic, role=Role.RESEARCHER)
    return user


def join(study: Study, user: Any, role: str = StudyRole.STATISTICIAN) -> StudyMember:
    return StudyMember.objects.get_or_create(study=study, user=user, defaults={"role": role})[0]
