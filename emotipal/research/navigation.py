"""What research adds to the main navigation and where a researcher lands (the Slots of platform/extensions)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from emotipal.accounts import access as accounts_access
from emotipal.accounts.models import Role
from emotipal.research import access
from emotipal.research.models import SiteStatus, StudySite, StudyStatus


def navigation_items(user: Any) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    if not accounts_access.is_staff_member(user):  # clients: no research, and no query on their pages
        return items
    if access.is_researcher(user):
        items.append((_("Studies"), reverse("research_studies")))
    # Therapists reach the invitation page only while a study recruits at their clinic.
    if (
        accounts_access.is_clinician(user)
        and StudySite.objects.filter(
            clinic__in=accounts_access.clinics_where(user, Role.THERAPIST, Role.ADMIN),
            status=SiteStatus.APPROVED,
            study__status=StudyStatus.RECRUITING,
        ).exists()
    ):
        items.append((_("Invite to a study"), reverse("research_invite")))
    # Only for admins whose clinic was ever asked to be a study site: most clinics never see research.
    if (
        accounts_access.is_clinic_admin(user)
        and StudySite.objects.filter(clinic__in=accounts_access.clinics_where(user, Role.ADMIN)).exists()
    ):
        items.append((_("Study sites"), reverse("research_sites")))
    return items


def staff_landing(user: Any) -> str | None:
    """A researcher who is no clinician lands on their studies, not on the exercise library."""
    if (
        accounts_access.is_staff_member(user)
        and not accounts_access.is_clinician(user)
        and access.is_researcher(user)
    ):
        return reverse("research_studies")
    return None
