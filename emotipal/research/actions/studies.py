"""Study-level rules that several research actions share."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from emotipal.research.models import ConsentDocument, SiteStatus, Study, StudyStatus


def recruitment_problem(study: Study) -> str | None:
    """Why this study may not invite or take consent now, in words for the person asking; None when it may.

    A study recruits only while it says so, holds a valid ethics approval, has at least one clinic that agreed
    to take part, and has a published consent text to show."""
    if study.status != StudyStatus.RECRUITING:
        return _("This study is not recruiting (it is “%(status)s”).") % {
            "status": StudyStatus(study.status).label
        }
    if not study.ethics_committee.strip() or not study.ethics_number.strip():
        return _("This study has no ethics approval recorded, so it cannot recruit.")
    if study.ethics_valid_until is None or study.ethics_valid_until < timezone.localdate():
        return _("This study's ethics approval has expired, so it cannot recruit.")
    if not study.sites.filter(status=SiteStatus.APPROVED).exists():
        return _("No clinic has approved taking part in this study yet, so it cannot recruit.")
    if not ConsentDocument.objects.filter(study=study, published_at__isnull=False).exists():
        return _("This study has no published consent text yet, so it cannot recruit.")
    return None
