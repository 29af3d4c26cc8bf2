"""Studies, their sites and team, versioned consent documents, participants and everything that happens to them.

Consent to research is separate from consent to care: nothing here is read by the homework or questionnaire
pages, so declining or withdrawing never changes what a client or their therapist sees.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from emotipal.accounts.models import ClientProfile, Clinic
from emotipal.platform.encryption import EncryptedTextField


class StudyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RECRUITING = "recruiting", _("Recruiting")
    CLOSED = "closed", _("Closed to recruitment")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DataUse(models.TextChoices):
    """Which of a participant's data a study uses (and so which tables its exports contain)."""

    HOMEWORK = "homework", _("Homework entries and reviews")
    FREE_TEXT = "free_text", _("Free text written in exercises")
    QUESTIONNAIRES = "questionnaires", _("Questionnaires")
    EXPOSURE = "exposure", _("Exposure practice")
    ENGAGEMENT = "engagement", _("Engagement figures")


class WithdrawalPolicy(models.TextChoices):
    """What the protocol says happens to data collected before a participant withdraws."""

    KEEP = "keep", _("Data collected before withdrawal is kept")
    REMOVE = "remove", _("All of the participant's data is removed from later exports")


def new_pseudonym_key() -> str:
    return secrets.token_hex(32)


class Study(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    participant_summary = models.TextField(
        help_text="A short description for participants, in plain words.", blank=True
    )
    protocol_version = models.CharField(max_length=40, default="1.0")
    ethics_committee = models.CharField(max_length=200, blank=True)
    ethics_number = models.CharField(max_length=80, blank=True)
    ethics_valid_until = models.DateField(null=True, blank=True)
    principal_investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="studies_led"
    )
    target_sample_size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=StudyStatus.choices, default=StudyStatus.DRAFT)
    # Eligibility rules as data, checked by research/eligibility.py when saved (never first when applied).
    eligibility = models.JSONField(default=list, blank=True)
    data_uses = models.JSONField(default=list, blank=True)
    withdrawal_policy = models.CharField(
        max_length=10, choices=WithdrawalPolicy.choices, default=WithdrawalPolicy.KEEP
    )
    # Keys the study's pseudonyms (HMAC): stable within the study, unlinkable across studies. Never exported.
    pseudonym_key = EncryptedTextField(default=new_pseudonym_key, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.title


class StudyRole(models.TextChoices):
    INVESTIGATOR = "investigator", _("Investigator")
    RESEARCHER = "researcher", _("Researcher")
    STATISTICIAN = "statistician", _("Statistician")


class StudyMember(models.Model):
    """Someone on a study's team. Only the team sees the study; only researchers download its exports."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_roles")
    role = models.CharField(max_length=20, choices=StudyRole.choices, default=StudyRole.RESEARCHER)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["study", "user"], name="unique_study_member")]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} · {self.study}"


class SiteStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for the clinic's approval")
    APPROVED = "approved", _("Approved by the clinic")
    DECLINED = "declined", _("Declined by the clinic")


class StudySite(models.Model):
    """A clinic taking part in a study; its clinic admin approves the clinic joining."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="sites")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="study_sites")
    status = models.CharField(max_length=10, choices=SiteStatus.choices, default=SiteStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["study", "clinic"], name="unique_study_site")]

    def __str__(self) -> str:
        return f"{self.study} @ {self.clinic} ({self.status})"


class ConsentScope(models.TextChoices):
    """What a participant agrees to, one by one. DATA is what taking part means; the others are optional."""

    DATA = "data", _("Use of my homework and questionnaire data for this study")
    FREE_TEXT = "free_text", _("Use of what I write in my own words")
    RECONTACT = "recontact", _("Being contacted about future studies")
    SHARING = "sharing", _("Sharing my de-identified data with other researchers")


class ConsentDocument(models.Model):
    """One version of a study's consent text in one language. Published versions are never edited."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="consent_documents")
    version = models.PositiveIntegerField()
    language = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    body_markdown = models.TextField()
    text_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "version", "language"], name="unique_consent_version")
        ]
        ordering = ["study", "-version", "language"]

    def __str__(self) -> str:
        return f"{self.study} consent v{self.version} ({self.language})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.text_hash = self.hash_text(self.title, self.body_markdown)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def hash_text(title: str, body: str) -> str:
        return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


class ParticipantState(models.TextChoices):
    """The states a CONSORT diagram counts. Each change is a ParticipantEvent with its date and reason."""

    CANDIDATE = "candidate", _("Invited")
    SCREENED = "screened", _("Screened")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Not eligible")
    CONSENTED = "consented", _("Consented")
    DECLINED = "declined", _("Declined")
    ENROLLED = "enrolled", _("Enrolled")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    COMPLETED = "completed", _("Completed")
    LOST = "lost", _("Lost to follow-up")


class Participant(models.Model):
    """A client invited to one study. Linked to care only here; exports use the study's pseudonym."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="participants")
    client = models.ForeignKey(ClientProfile, on_delete=models.CASCADE, related_name="study_participations")
    state = models.CharField(
        max_length=12, choices=ParticipantState.choices, default=ParticipantState.CANDIDATE
    )
    # Days added to every date of this participant in exports (negative: earlier), kept for consistency.
    date_shift_days = models.IntegerField(default=0)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(auto_now_add=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The protocol's rule at the moment of withdrawal (keep or remove), so a later protocol change cannot
    # bring back data the participant was told would be removed.
    withdrawal_policy = models.CharField(max_length=10, choices=WithdrawalPolicy.choices, blank=True)
    failed_criteria = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["study", "client"], name="unique_participant")]

    def __str__(self) -> str:
        return f"participant {self.pk} of {self.study} ({self.state})"


class ParticipantEvent(models.Model):
    """One recorded change of a participant's state: append-only."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="events")
    state = models.CharField(max_length=12, choices=ParticipantState.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["participant", "at", "pk"]

    def __str__(self) -> str:
        return f"participant {self.participant_id} → {self.state} at {self.at:%Y-%m-%d}"


class ConsentDecision(models.TextChoices):
    CONSENTED = "consented", _("Consented")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrew consent")


class ConsentRecord(models.Model):
    """A participant's signed decision on one exact consent document: append-only."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="records")
    text_hash = models.CharField(max_length=64)
    decision = models.CharField(max_length=10, choices=ConsentDecision.choices)
    scopes = models.JSONField(default=list, blank=True)
    typed_name = EncryptedTextField(blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["participant", "at", "pk"]

    def __str__(self) -> str:
        return f"participant {self.participant_id} {self.decision} v{self.document_id} at {self.at:%Y-%m-%d}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class StudyExport(models.Model):
    """One de-identified export of a study, written by a background task into its own folder."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    message = models.CharField(max_length=300, blank=True)
    folder = models.CharField(max_length=500, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.study} ({self.status})"


class StudyAnalysis(models.Model):
    """The compliance-outcome analysis run on one export, as a background task; the HTML report is kept."""

    export = models.ForeignKey(StudyExport, on_delete=models.CASCADE, related_name="analyses")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    message = models.CharField(max_length=300, blank=True)
    report_html = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"analysis {self.pk} of export {self.export_id} ({self.status})"
