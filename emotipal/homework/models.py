"""Assignments (what the therapist asked for), entries (what the client did) and reviews."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from emotipal.library import variants as library_variants
from emotipal.platform import features
from emotipal.platform.encryption import EncryptedJSONField, EncryptedTextField

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # shown through WEEKDAYS_ABBR (translated)
RATING_VALIDATORS = [MinValueValidator(0), MaxValueValidator(4)]


def _variant_label(variants: list[dict[str, object]] | None, key: str) -> str:
    return library_variants.label_of(variants, key) or str(_("English (original)"))


class TherapySession(models.Model):
    """A session with the client. Homework set in session N is reviewed in session N+1."""

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="sessions")
    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField()
    date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["client_id", "number"]
        constraints = [models.UniqueConstraint(fields=["client", "number"], name="unique_session_number")]

    def __str__(self) -> str:
        return f"Session {self.number} ({self.date:%d %b %Y})"


class Assignment(models.Model):
    """A template, pinned at one version, assigned to a client with a plan (how often, how long, when)."""

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    template_version = models.ForeignKey(
        "library.TemplateVersion", on_delete=models.PROTECT, related_name="+"
    )
    # The cultural/language variant chosen with the client ("base" = the template's own wording).
    variant_key = models.CharField(max_length=40, default="base")
    # The session it was set in; it is reviewed in the next one.
    session = models.ForeignKey(
        TherapySession, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments_set"
    )
    rationale = EncryptedTextField(help_text="Why this exercise, for this client, in words agreed together.")
    instructions = EncryptedTextField(blank=True)
    times_per_week = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(14)]
    )
    minutes_per_practice = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    # Planned practice days as weekday numbers, Monday = 0, e.g. "0,1,2,3,4".
    practice_days = models.CharField(max_length=20)
    start_date = models.DateField()
    end_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    first_opened_at = models.DateTimeField(
        null=True, blank=True, help_text="When the client first opened it."
    )
    # Paused homework is not due and gets no reminders until resumed; stopping sets ended_at.
    paused_at = models.DateTimeField(null=True, blank=True)

    # The guided assign flow (emotipal/definitions/competence.py names the steps these record). Everything
    # the therapist and client agreed is clinical, so encrypted; empty means the step was not done.
    goal = EncryptedTextField(
        blank=True, help_text="The client's goal or the part of the formulation it serves."
    )
    practice_time = models.TimeField(
        null=True, blank=True, help_text="When in the day the client will do it."
    )
    practice_place = EncryptedTextField(blank=True, help_text="Where the client will do it.")
    obstacles = EncryptedTextField(blank=True, help_text="What might get in the way.")
    backup_plan = EncryptedTextField(blank=True, help_text="Plan B if the first plan does not work out.")
    # 0-10: how sure the client is that they will do it (asked in session). Below 7 the flow asks to make the
    # task smaller; made_smaller records that it was (a micro-step, shorter, less often).
    confidence = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    made_smaller = models.BooleanField(default=False)
    rehearsed = models.BooleanField(default=False, help_text="The first step was tried out in session.")
    summary = EncryptedTextField(blank=True, help_text="What was agreed, as the client reads it on Today.")
    # Whether the previous homework's review was looked at when this was set (shown, or prompted and skipped).
    previous_reviewed = models.BooleanField(null=True, blank=True)
    # The client's side of the rationale: confirmed as written, or reworded in their own words.
    client_rationale = EncryptedTextField(blank=True)
    rationale_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["client", "start_date", "end_date"])]

    def __str__(self) -> str:
        return f"{self.template_version.title} for {self.client}"

    @property
    def shown_variant_key(self) -> str:
        """The variant this client is shown and writes in: the one place Today, the exercise page, the API, the
        entry and the therapist's pages ask (so they never disagree).

        The therapist's choice (variant_key) in the client's language *now*: a client who changes language
        in settings sees the same framing in the new language where the template has it, else the choice as
        made. In a rationale_framing experiment's "family" arm, the family variant in their language instead.
        Pages listing many assignments share one ClientProfile object, so the settings are read once."""
        client = self.client
        language = client.user.language
        variants = self.template_version.variants
        if features.value(client, "rationale_framing")["framing"] == "family":
            family = library_variants.family_variant_key(variants, language)
            if family is not None:
                return family
        return library_variants.follow_language(variants, self.variant_key, language)

    @property
    def shown_language(self) -> str:
        """The language of the variant the client is shown."""
        return library_variants.language_of_key(self.template_version.variants, self.shown_variant_key)

    @property
    def display_title(self) -> str:
        """The exercise's title in the variant this client is shown (their language, their framing)."""
        variant = library_variants.find(self.template_version.variants, self.shown_variant_key)
        return str((variant or {}).get("title") or self.template_version.title)

    @property
    def chosen_variant_label(self) -> str:
        """How the therapist's choice is named on their pages ("Original" for the template's own text)."""
        return _variant_label(self.template_version.variants, self.variant_key)

    @property
    def shown_variant_label(self) -> str:
        return _variant_label(self.template_version.variants, self.shown_variant_key)

    @property
    def weekdays(self) -> list[int]:
        return [int(d) for d in self.practice_days.split(",") if d != ""]

    @property
    def weekday_labels(self) -> str:
        return ", ".join(str(WEEKDAYS_ABBR[d]) for d in self.weekdays)

    @property
    def plan_label(self) -> str:
        return ngettext(
            "%(minutes)s min, %(times)s time a week",
            "%(minutes)s min, %(times)s times a week",
            self.times_per_week,
        ) % {"minutes": self.minutes_per_practice, "times": self.times_per_week}

    def is_active_on(self, day: dt.date) -> bool:
        return self.ended_at is None and self.paused_at is None and self.start_date <= day <= self.end_date

    def is_due_on(self, day: dt.date) -> bool:
        return self.is_active_on(day) and day.weekday() in self.weekdays


class Entry(models.Model):
    """One practice attempt. A draft is saved as the client types; submission freezes the answers."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="entries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Drafts hold exactly what was typed (strings); submitted entries hold validated, typed values.
    answers = EncryptedJSONField(default=dict)
    # Defaults rather than auto_now so imports (the demo clinic, migrations of old data) keep real times.
    started_at = models.DateTimeField(default=timezone.now)
    last_saved_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    practice_date = models.DateField(help_text="The day the practice was done (client's local date).")
    active_seconds = models.PositiveIntegerField(default=0, help_text="Time with the form open and in use.")
    draft_saves = models.PositiveIntegerField(default=0)
    effort = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING_VALIDATORS)
    difficulty = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING_VALIDATORS)
    helpfulness = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING_VALIDATORS)
    # The variant the client was shown when they sent it, and its language (for research: the assignment's
    # variant is the therapist's choice, which the client's language may have overridden since).
    variant_key = models.CharField(max_length=40, default="base")
    language = models.CharField(
        max_length=10, blank=True, help_text="Language of the wording the client saw."
    )
    ladder_step = models.ForeignKey(
        "homework.LadderStep", on_delete=models.SET_NULL, null=True, blank=True, related_name="practices"
    )
    edits_after_submit = models.PositiveIntegerField(default=0)
    last_edited_at = models.DateTimeField(null=True, blank=True)
    # The client's idempotency key for submission: the same key twice makes one entry.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)

    class Meta:
        ordering = ["-practice_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "idempotency_key"], name="unique_entry_idempotency_key"
            ),
            models.UniqueConstraint(
                fields=["assignment"],
                condition=models.Q(status="draft"),
                name="one_open_draft_per_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.practice_date} · {self.status}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def variant_label(self) -> str:
        """The wording the client wrote this entry in, as the therapist's pages name it."""
        return _variant_label(self.assignment.template_version.variants, self.variant_key)


class EntryReview(models.Model):
    """The therapist's review of a submitted entry. When it happened is data (review timing)."""

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="review")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(blank=True)
    reviewed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Review of {self.entry_id} by {self.reviewer_id}"


RATING_HELP = "Ratings 0-4 keyed by engagement dimension (see homework/engagement_items.py)."


class SelfReview(models.Model):
    """The client's look back at one assignment before a session (contemporaneous, client-rated)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="self_reviews")
    session = models.ForeignKey(TherapySession, on_delete=models.CASCADE, related_name="self_reviews")
    ratings = EncryptedJSONField(help_text=RATING_HELP)
    # A 0-4 rating (an int in JSON), encrypted like the ratings above; checked in homework/reviews.py.
    helpfulness = EncryptedJSONField(null=True, blank=True, validators=RATING_VALIDATORS)
    what_i_did = EncryptedTextField(blank=True)
    what_i_learned = EncryptedTextField(blank=True)
    what_got_in_way = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "session"], name="one_self_review_per_session")
        ]

    def __str__(self) -> str:
        return f"Self-review of {self.assignment_id} for session {self.session_id}"


class TherapistReview(models.Model):
    """The therapist's ratings of one assignment in the session after it was set (contemporaneous)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="therapist_reviews")
    session = models.ForeignKey(TherapySession, on_delete=models.CASCADE, related_name="therapist_reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ratings = EncryptedJSONField(help_text=RATING_HELP)
    note = EncryptedTextField(blank=True)
    # What the client learned from doing it (or not), and what to keep or change next time.
    learned = EncryptedTextField(blank=True)
    change_next = EncryptedTextField(blank=True)
    # Whether the client's own review was there and shown first when the therapist rated.
    client_review_first = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "session"], name="one_therapist_review_per_session")
        ]

    def __str__(self) -> str:
        return f"Therapist review of {self.assignment_id} in session {self.session_id}"


class RetroactiveRating(models.Model):
    """A rating of the whole course of homework, given once at the end of treatment."""

    class Rater(models.TextChoices):
        CLIENT = "client", _("Client")
        THERAPIST = "therapist", _("Therapist")

    client = models.ForeignKey(
        "accounts.ClientProfile", on_delete=models.CASCADE, related_name="retro_ratings"
    )
    rater_role = models.CharField(max_length=10, choices=Rater.choices)
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # 0-4 ratings (ints in JSON), encrypted like a review's ratings; checked in homework/reviews.py.
    quantity = EncryptedJSONField(validators=RATING_VALIDATORS)
    quality = EncryptedJSONField(validators=RATING_VALIDATORS)
    note = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "rater_role"], name="one_retro_rating_per_rater")
        ]

    def __str__(self) -> str:
        return f"Retroactive rating by {self.rater_role} for {self.client_id}"


class Barrier(models.Model):
    """What got in the way of a planned practice, and the strategy the client chose."""

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="barriers")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="barriers")
    day = models.DateField(help_text="The planned practice day that did not happen.")
    # Codes from homework/barriers.py ("avoided_distress", ...): what got in the way is clinical, so encrypted;
    # counts per code are made in Python (homework/views/staff_review.py).
    barrier = EncryptedTextField()
    detail = EncryptedTextField(blank=True)
    strategy = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="Talked through with the therapist.")

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "day"], name="one_barrier_per_planned_day")
        ]

    def __str__(self) -> str:
        return f"{self.barrier} on {self.day} ({self.assignment_id})"


class ReminderEvent(models.Model):
    """A reminder sent for an assignment, and when the client next opened it (time from reminder to opening)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminder_events")
    sent_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["assignment", "sent_at"])]

    def __str__(self) -> str:
        return f"Reminder for {self.assignment_id} at {self.sent_at:%Y-%m-%d %H:%M}"


class FearLadder(models.Model):
    """A list of feared situations, built by client and therapist, climbed one step at a time."""

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.CASCADE, related_name="ladders")
    # The feared situation named in the title is clinical ("Speaking in the team meeting"): encrypted.
    # Services cut it to 200 characters.
    title = EncryptedTextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class LadderStep(models.Model):
    """One situation on the ladder. A step can be split into smaller steps (there is always a smaller step)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        PRACTISING = "practising", _("Practising")
        DONE = "done", _("Done")

    ladder = models.ForeignKey(FearLadder, on_delete=models.CASCADE, related_name="steps")
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="smaller"
    )
    description = EncryptedTextField()
    # 0-100 (an int in JSON): how frightening the client expects the situation to be; encrypted, and ordered
    # in Python (homework/ladders.py).
    expected_distress = EncryptedJSONField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ladder_id", "position", "id"]

    def __str__(self) -> str:
        return f"Step {self.position} ({self.expected_distress})"


class Reward(models.Model):
    """Something pleasant the client promises themself for reaching a week's practice goal."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="rewards")
    week_start = models.DateField()
    description = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    earned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "week_start"], name="one_reward_per_week")
        ]

    def __str__(self) -> str:
        return f"Reward for {self.assignment_id}, week of {self.week_start}"
