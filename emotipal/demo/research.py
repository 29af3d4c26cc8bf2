"""The demo study (slug `demo-study`) on the demo clinic, with a researcher and simulated participants.

Everything after the study's set-up goes through the research actions (invite → screen → sign, decline or
withdraw), so the state trail, consent records and audit rows are the ones real use would leave. The actions
take their time from the platform clock; the demo sets that clock to moments over the past weeks, so that
invitations, consents and withdrawals are spread out as they would be in a study that has been recruiting.
The study's experiments (demo/experiments.py) start before the first invitation, so each consenting
participant is allocated by the method at their enrolment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from emotipal.accounts.models import ClientProfile, Clinic, User
from emotipal.demo.experiments import load_experiments
from emotipal.demo.mrt_history import replay_decision_points
from emotipal.platform import clock
from emotipal.research.actions import consent, enrollment
from emotipal.research.eligibility import evaluate, parse_rules
from emotipal.research.models import (
    ConsentDocument,
    Participant,
    ParticipantState,
    SiteStatus,
    Study,
    StudyMember,
    StudyRole,
    StudySite,
    StudyStatus,
    WithdrawalPolicy,
)
from emotipal.research.queries_consent import document_for

SLUG = "demo-study"
ELIGIBILITY = [
    {"criterion": "baseline_phq9", "min": 10},
    {"criterion": "language", "any_of": ["en", "es", "ar"]},
]
# How many eligible clients are invited, and what each of them (in order) decides. The demo client's own
# invitation is left open, so the demo shows the consent pages.
INVITED = 14
DECLINES = {3, 9}
WITHDRAWALS = {5: "I have too much going on at the moment.", 11: ""}
SCOPE_PATTERN = (
    ("data", "free_text", "recontact"),
    ("data",),
    ("data", "free_text", "recontact", "sharing"),
    ("data", "free_text"),
    ("data", "recontact", "sharing"),
)

CONSENT = {
    "en": (
        "Information and consent",
        """## What the study is about

We want to learn which parts of homework between sessions help people most: how often it is done, how
much of it, and how well, and how that relates to how people feel over time.

## What taking part means

- We use the homework you do in EmotiPal and your questionnaire answers (PHQ-9, GAD-7), **without your name
  or e-mail address**. Dates are shifted so they cannot be matched to you.
- Nothing extra is asked of you. Your care, your homework and your therapist stay exactly the same whatever
  you decide.
- You choose separately whether we may use what you write in your own words, contact you about future
  studies, or share the de-identified data with other researchers.

## Your choice

Taking part is voluntary. You can withdraw at any time in your settings, without giving a reason.
""",
    ),
    "es": (
        "Información y consentimiento",
        """## De qué trata el estudio

Queremos saber qué partes de las tareas entre sesiones ayudan más: con qué frecuencia se hacen, cuánto y
con qué calidad, y cómo se relaciona eso con cómo se siente la gente con el tiempo.

## Qué significa participar

- Usamos las tareas que haces en EmotiPal y tus respuestas a los cuestionarios (PHQ-9, GAD-7), **sin tu
  nombre ni tu correo electrónico**. Las fechas se desplazan para que no puedan relacionarse contigo.
- No se te pide nada más. Tu atención, tus tareas y tu terapeuta siguen igual decidas lo que decidas.
- Eliges por separado si podemos usar lo que escribes con tus propias palabras, contactarte para futuros
  estudios o compartir los datos anonimizados con otros investigadores.

## Tu decisión

Participar es voluntario. Puedes retirarte en cualquier momento desde tus ajustes, sin dar explicaciones.
""",
    ),
    "ar": (
        "المعلومات والموافقة",
        """## عن الدراسة

نريد أن نعرف أي أجزاء الواجبات بين الجلسات تساعد الناس أكثر: كم مرة تُنجز، وكم منها، وبأي جودة، وكيف
يرتبط ذلك بشعور الناس مع مرور الوقت.

## ماذا تعني المشاركة

- نستخدم الواجبات التي تنجزها في EmotiPal وإجاباتك على الاستبيانات (PHQ-9 وGAD-7) **من دون اسمك أو بريدك
  الإلكتروني**. تُزاح التواريخ حتى لا يمكن ربطها بك.
- لا يُطلب منك أي شيء إضافي. تبقى رعايتك وواجباتك ومعالجك كما هي مهما قررت.
- تختار بشكل منفصل إن كنا نستطيع استخدام ما تكتبه بكلماتك، أو التواصل معك بشأن دراسات مستقبلية، أو مشاركة
  البيانات غير المحددة للهوية مع باحثين آخرين.

## قرارك

المشاركة طوعية. يمكنك الانسحاب في أي وقت من الإعدادات، من دون ذكر السبب.
""",
    ),
}


@contextmanager
def _clock_at(moment: dt.datetime) -> Iterator[None]:
    """The research actions read the time from the platform clock: set it to a past moment for one step."""
    with clock.replaying(moment):
        yield


def _study(clinic: Clinic, admin: User, researcher: User, started: dt.datetime) -> Study:
    study = Study.objects.create(
        slug=SLUG,
        title="Homework between sessions and recovery",
        participant_summary=(
            "A study of how homework is done between therapy sessions, and how that relates to recovery."
        ),
        protocol_version="1.2",
        ethics_committee="Demo University Research Ethics Committee (fictional)",
        ethics_number="DEMO-REC-2026-014",
        ethics_valid_until=timezone.localdate() + dt.timedelta(days=540),
        principal_investigator=researcher,
        target_sample_size=24,
        status=StudyStatus.RECRUITING,
        eligibility=ELIGIBILITY,
        data_uses=["homework", "free_text", "questionnaires", "exposure", "engagement"],
        withdrawal_policy=WithdrawalPolicy.KEEP,
        created_by=researcher,
    )
    StudyMember.objects.create(study=study, user=researcher, role=StudyRole.INVESTIGATOR)
    StudySite.objects.create(
        study=study,
        clinic=clinic,
        status=SiteStatus.APPROVED,
        proposed_by=researcher,
        decided_by=admin,
        decided_at=started,
    )
    for language, (title, body) in CONSENT.items():
        ConsentDocument.objects.create(
            study=study,
            version=1,
            language=language,
            title=title,
            body_markdown=body,
            created_by=researcher,
            published_at=started,
        )
    return study


def _invitees(clinic: Clinic, study: Study, showcase: ClientProfile) -> list[ClientProfile]:
    """The clients a therapist would invite: current clients who look eligible, and one whose screening fails
    (the ineligible row of the CONSORT diagram)."""
    rules = parse_rules(study.eligibility)
    current = (
        ClientProfile.objects.filter(clinic=clinic, discharged_on__isnull=True)
        .exclude(pk=showcase.pk)
        .select_related("user")
        .order_by("pk")
    )
    fits: list[ClientProfile] = []
    misfits: list[ClientProfile] = []
    for client in current:
        (misfits if evaluate(rules, enrollment.client_facts(client)) else fits).append(client)
    return fits[:INVITED] + misfits[:1]


def load_study(clinic: Clinic, admin: User, researcher: User, showcase: ClientProfile) -> Study:
    now = timezone.now()
    started = now - dt.timedelta(weeks=8)
    study = _study(clinic, admin, researcher, started)
    # The experiments run from the first day of recruitment: each participant is allocated when they sign.
    _reminders, timing = load_experiments(study, researcher, started + dt.timedelta(hours=1))
    invitees = _invitees(clinic, study, showcase)
    for i, client in enumerate(invitees):
        invited_at = started + dt.timedelta(days=2 + 2 * i, hours=11)
        with _clock_at(invited_at):
            participant = enrollment.invite(client.therapist, study, client)
        Participant.objects.filter(pk=participant.pk).update(invited_at=invited_at)
        if participant.state != ParticipantState.ELIGIBLE:
            continue
        document = document_for(study, client.user.language)
        assert document is not None  # published above
        with _clock_at(invited_at + dt.timedelta(days=1, hours=8)):
            if i in DECLINES:
                consent.decline(client.user, participant, document.pk)
                continue
            scopes = SCOPE_PATTERN[i % len(SCOPE_PATTERN)]
            consent.sign(client.user, participant, document.pk, scopes, client.user.display_name)
        if i in WITHDRAWALS:
            with _clock_at(min(invited_at + dt.timedelta(weeks=3), now - dt.timedelta(days=1))):
                consent.withdraw(client.user, participant, WITHDRAWALS[i])
    with _clock_at(now - dt.timedelta(days=2)):
        enrollment.invite(showcase.therapist, study, showcase)
    replay_decision_points(timing, now)
    return study
