"""Which of the database's models are in a client's data download, and why the others are not.

tests/privacy/test_my_data_coverage.py walks the model graph: every model that hangs under a ClientProfile (a
foreign key to it, or to a model that does) must be in INCLUDED or LEFT_OUT, and every model's link to a user
account in USER_LINKS_INCLUDED or USER_LINKS_LEFT_OUT; it also checks that collecting the download reads
every table INCLUDED names. A new model with client data therefore fails that test until someone decides."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# model label -> the section of the download (my_data.MyData) it is in
INCLUDED: dict[str, str] = {
    "accounts.User": "account",
    "accounts.ClientProfile": "care",
    "homework.TherapySession": "sessions",
    "homework.Assignment": "assignments",
    "homework.Entry": "assignments[].entries",
    "homework.EntryReview": "assignments[].entries[].review",
    "homework.SelfReview": "assignments[].self_reviews",
    "homework.TherapistReview": "assignments[].therapist_reviews (without the therapist's note)",
    "homework.Barrier": "assignments[].barriers",
    "homework.Reward": "assignments[].rewards",
    "homework.ReminderEvent": "assignments[].reminders",
    "homework.RetroactiveRating": "look_back (a therapist's note left out)",
    "homework.FearLadder": "fear_ladders",
    "homework.LadderStep": "fear_ladders[].steps",
    "measures.Schedule": "questionnaire_schedules",
    "measures.Response": "questionnaires",
    "measures.RiskAlert": "risk_alerts (without the care team's action note)",
    "notifications.ReminderPreference": "reminder_preference",
    "notifications.ScheduledReminder": "reminders_sent",
    "notifications.Delivery": "reminders_sent[].deliveries",
    "notifications.PushSubscription": "push_subscriptions (the push service's host only, no keys)",
    "notifications.CalendarFeed": "calendar_feeds (dates only, no token)",
    "support.SupportLink": "support_links (no token)",
    "support.Encouragement": "support_links[].encouragements",
    "research.Participant": "studies (without the date shift)",
    "research.ParticipantEvent": "studies[].events",
    "research.ConsentRecord": "studies[].consents",
    "audit.AuditEvent": "seen_by, own_actions (no sealed details)",
}

# model label -> why a model that hangs under a client's profile is not in the download
LEFT_OUT: dict[str, str] = {
    "supervision.ObserverRating": (
        "a supervisor's rating of the therapist's homework practice (review, design, planning): an appraisal "
        "of the therapist's work, which is the therapist's personal data, not the client's"
    ),
    "research.ParticipantAllocation": (
        "the experiment arm a participant is in: clients never see it (research/models/experiments.py), so "
        "that a blinded study stays blind"
    ),
    "research.DecisionPoint": (
        "a micro-randomised trial's draws (whether a reminder was randomised for a day): they reveal the "
        "allocation, so left out like the arm; the reminders actually sent are in reminders_sent"
    ),
    "measures.SeriesVerdict": (
        "a cache the caseload keeps of each questionnaire series' reliable-change category, recomputed from the "
        "responses whenever they change: the responses and their scores are in the download (questionnaires)"
    ),
    "privacy.LegalHold": (
        "a hold the clinic placed to keep records for a complaint, claim or court order: its reason belongs to "
        "that matter, which the clinic answers for through its own process, not the self-service download"
    ),
}

# "app.Model.field" of any model's link to a user account -> the section holding the rows where that account
# is the client's (a row of their own, wherever it hangs)
USER_LINKS_INCLUDED: dict[str, str] = {
    "accounts.ClientProfile.user": "account, care",
    "accounts.Invitation.accepted_by": "care (who invited them, and when they accepted)",
    "accounts.ApiToken.user": "api_tokens (name and dates, never the token, its hash or hint)",
    "account.EmailAddress.user": "email_addresses",
    "mfa.Authenticator.user": "two_factor_methods (kind and dates, never the secret)",
    "audit.AuditEvent.actor": "own_actions (when and what)",
    "homework.RetroactiveRating.rater": "look_back (their own rating of the course)",
    "research.ParticipantEvent.actor": "studies[].events (a step they took themselves)",
}

_STAFF_WORK = (
    "rows where the account acts as staff (therapist, reviewer, supervisor, researcher, trainee): a client "
    "account does none of this, and such work is about other people or the clinic, not the person as a client; "
    "where it is about this client, the row is in the download under their profile, naming the staff member"
)
# "app.Model.field" -> why rows where the account is in that field are not in the download
USER_LINKS_LEFT_OUT: dict[str, str] = {
    **dict.fromkeys(
        [
            "accounts.Membership.user",
            "accounts.SupervisionLink.supervisor",
            "accounts.SupervisionLink.therapist",
            "accounts.SupervisionLink.created_by",
            "accounts.ClientProfile.therapist",
            "accounts.Invitation.therapist",
            "accounts.Invitation.invited_by",
            "library.ExerciseTemplate.owner",
            "homework.TherapySession.therapist",
            "homework.Assignment.assigned_by",
            "homework.EntryReview.reviewer",
            "homework.TherapistReview.reviewer",
            "homework.FearLadder.created_by",
            "measures.Schedule.created_by",
            "measures.InstrumentTranslation.imported_by",
            "measures.RiskAlert.acknowledged_by",
            "research.Study.principal_investigator",
            "research.Study.created_by",
            "research.StudyMember.user",
            "research.StudySite.proposed_by",
            "research.StudySite.decided_by",
            "research.ConsentDocument.created_by",
            "research.Participant.invited_by",
            "research.StudyExport.requested_by",
            "research.StudyAnalysis.requested_by",
            "research.Experiment.created_by",
            "research.Allocation.triggered_by",
            "training.TrainingAttempt.trainee",
            "supervision.ObserverRating.rater",
            "supervision.ObserverRating.therapist",
            "privacy.LegalHold.placed_by",
            "privacy.LegalHold.lifted_by",
        ],
        _STAFF_WORK,
    ),
    "support.SupportLink.coach": (
        "links where the account is someone else's support person: what that other client shares is theirs"
    ),
}

# Fields of included models left out on purpose (the rest of the row is in the download).
FIELDS_LEFT_OUT: dict[str, str] = {
    "homework.TherapistReview.note": "the therapist's own note from the session review",
    "homework.RetroactiveRating.note": "left out when the therapist wrote it (their own note); the client's is in",
    "measures.RiskAlert.action_note": "the care team's note of what they did about the alert",
    "research.Participant.date_shift_days": "how the participant's dates are shifted in the study's exports",
    "accounts.ApiToken.token_hash": "a secret",
    "accounts.ApiToken.hint": "the token's first characters: part of a secret",
    "mfa.Authenticator.data": "the TOTP secret or the recovery codes",
    "notifications.PushSubscription.p256dh": "a push key",
    "notifications.PushSubscription.auth": "a push key",
    "notifications.PushSubscription.endpoint": "only its host is given: the full address lets anyone reach the browser",
    "notifications.CalendarFeed.token_hash": "a secret",
    "support.SupportLink.token_hash": "a secret",
    "audit.AuditEvent.sealed_detail": "sealed details stay with the clinic's audit",
}


def not_included() -> list[StrOrPromise]:
    """What the download leaves out, in the client's words (the page, the HTML summary and the JSON say it)."""
    return [
        _(
            "Your password and the secrets behind two-factor sign-in, API tokens, calendar links and phone "
            "notifications. They protect your account, so they are never written into a file."
        ),
        _(
            "Notes your care team writes for themselves: the note beside your therapist's ratings in a session "
            "review or at the end of treatment, and what they noted when they acted on a risk alert. Ask your "
            "therapist or your clinic if you would like to see them."
        ),
        _("A supervisor's ratings of your therapist's work. They are about the therapist's practice."),
        _(
            "For research: the code a study uses instead of your name, how your dates are shifted in its files, "
            "and which group of an experiment you are in (knowing it could change the results). The study team "
            "can tell you more when the study ends."
        ),
    ]
