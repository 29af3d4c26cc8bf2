"""A study on the World's clinic, led by the World's researcher, with a published consent text in English and
Spanish: what the research tests build on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from emotipal.research.models import (
    ConsentDocument,
    Participant,
    SiteStatus,
    Study,
    StudyMember,
    StudyRole,
    StudySite,
    StudyStatus,
)
from tests.factories import World

CONSENT_EN = """## What the study is about

We want to learn which parts of homework help people most.

- Taking part is **your choice**. Your care stays the same whatever you decide.
- You can withdraw at any time in your settings.
"""
CONSENT_ES = """## De qué trata el estudio

Queremos saber qué partes de las tareas ayudan más.

- Participar es **tu decisión**. Tu atención sigue igual decidas lo que decidas.
"""


def make_study(world: World, slug: str = "homework-study", **overrides: Any) -> Study:
    values: dict[str, Any] = {
        "title": "Which homework helps",
        "participant_summary": "A study of how homework is done between sessions.",
        "ethics_committee": "Regional ethics committee",
        "ethics_number": "REC-2026-017",
        "ethics_valid_until": timezone.localdate() + dt.timedelta(days=365),
        "principal_investigator": world.researcher,
        "target_sample_size": 40,
        "status": StudyStatus.RECRUITING,
        "eligibility": [{"criterion": "language", "any_of": ["en", "es", "ar"]}],
        "data_uses": ["homework", "free_text", "questionnaires", "exposure", "engagement"],
        "created_by": world.researcher,
    }
    values.update(overrides)
    study = Study.objects.create(slug=slug, **values)
    StudyMember.objects.create(study=study, user=world.researcher, role=StudyRole.INVESTIGATOR)
    StudySite.objects.create(
        study=study,
        clinic=world.clinic,
        status=SiteStatus.APPROVED,
        proposed_by=world.researcher,
        decided_by=world.admin,
        decided_at=timezone.now(),
    )
    for language, body in (("en", CONSENT_EN), ("es", CONSENT_ES)):
        ConsentDocument.objects.create(
            study=study,
            version=1,
            language=language,
            title="Information and consent",
            body_markdown=body,
            created_by=world.researcher,
            published_at=timezone.now(),
        )
    return study


def make_participant(world: World, study: Study, client: Any = None, **overrides: Any) -> Participant:
    return Participant.objects.create(
        study=study, client=client or world.client_a, invited_by=world.therapist, **overrides
    )
