"""Users, clinics, roles, client profiles, invitations and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in with their e-mail address. Roles come from memberships and client profiles."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    display_name = models.CharField(max_length=120, blank=True)
    language = models.CharField(max_length=10, default="en")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects = UserManager()  # type: ignore[assignment,misc]

    def __str__(self) -> str:
        return self.display_name or self.email


# How long a session may stay unused before it ends (accounts/idle.py), per clinic. Staff see many people's
# records, often on shared clinic computers: half an hour. Clients use their own phone for a few minutes a day,
# between sessions a week apart; logging them out every half hour would make homework a chore of passwords for
# little gain (a phone has its own lock). Seven days still ends a forgotten session on a lost or shared device.
STAFF_IDLE_MINUTES = (5, 30, 12 * 60)  # (least, default, most)
# At most 14 days: a session never outlives Django's SESSION_COOKIE_AGE (two weeks) anyway.
CLIENT_IDLE_DAYS = (1, 7, 14)


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    # On for every new clinic (staff see many people's health data); a clinic admin may turn it off.
    require_staff_mfa = models.BooleanField(
        default=True, help_text="Staff must set up two-factor authentication before using the clinic."
    )
    staff_idle_minutes = models.PositiveSmallIntegerField(
        default=STAFF_IDLE_MINUTES[1],
        validators=[MinValueValidator(STAFF_IDLE_MINUTES[0]), MaxValueValidator(STAFF_IDLE_MINUTES[2])],
        help_text="Staff are logged out after this many minutes without activity.",
    )
    client_idle_days = models.PositiveSmallIntegerField(
        default=CLIENT_IDLE_DAYS[1],
        validators=[MinValueValidator(CLIENT_IDLE_DAYS[0]), MaxValueValidator(CLIENT_IDLE_DAYS[2])],
        help_text="Clients are logged out after this many days without activity.",
    )
    timezone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)
    alert_escalation_hours = models.PositiveSmallIntegerField(
        default=24, help_text="A risk alert not acknowledged within this time goes to the clinic admins."
    )
    answers_read_statement = models.TextField(
        default=(
            "Your therapist reads your answers before each session, usually once a week, and during office "
            "hours when an answer suggests you may be at risk. Answers are not watched around the clock."
        ),
        help_text="Told plainly to clients: how often their answers are read.",
    )

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Clinic admin")
    THERAPIST = "therapist", _("Therapist")
    SUPERVISOR = "supervisor", _("Supervisor")
    RESEARCHER = "researcher", _("Researcher")
    # A therapist in training: practises on simulated vignettes only, never sees a real client.
    TRAINEE = "trainee", _("Trainee")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        """Memberships that grant something: every permission check reads memberships through this."""
        return self.filter(deactivated_at__isnull=True)


class Membership(models.Model):
    """A staff member's role in a clinic (one person may hold several roles)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # A deactivated membership grants nothing (kept, not deleted: the audit and past work still name it).
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic", "role"], name="unique_membership_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.clinic}"


class SupervisionLink(models.Model):
    """A supervisor of a clinic supervises one of its therapists (set by the clinic admin)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="supervision_links")
    supervisor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="supervisees_links")
    therapist = models.ForeignKey(User, on_delete=models.CASCADE, related_name="supervisors_links")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "supervisor", "therapist"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_supervision_link",
            )
        ]

    def __str__(self) -> str:
        return f"{self.supervisor} supervises {self.therapist} ({self.clinic})"


class ClientProfileManager(models.Manager["ClientProfile"]):
    """The clients who are someone's client. An erased client (privacy/erasure.py) whose research data a study
    keeps under its protocol stays as a nameless row that only the research exports reach (through their
    participants); every page, list and job that starts from `ClientProfile.objects` no longer sees them."""

    def get_queryset(self) -> models.QuerySet[ClientProfile]:
        return super().get_queryset().filter(erased_at__isnull=True)


class ClientProfile(models.Model):
    """A client of a clinic, looked after by one therapist."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="client_profile")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="clients")
    therapist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="caseload")
    reminder_time = models.TimeField(null=True, blank=True, help_text="Local time for homework reminders.")
    timezone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)
    discharged_on = models.DateField(null=True, blank=True, help_text="End of treatment.")
    # Set when a clinic admin (or a retention rule) erased the client and a study keeps pseudonymised data.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Erased ones too: for the privacy app's own bookkeeping and nothing else.
    all_profiles = models.Manager()
    objects = ClientProfileManager()

    class Meta:
        default_manager_name = "objects"
        base_manager_name = "all_profiles"

    def __str__(self) -> str:
        return str(self.user)


class Invitation(models.Model):
    """A one-use link that lets a new client or staff member create their account."""

    CLIENT = "client"
    ROLE_CHOICES: ClassVar[list[tuple[str, StrOrPromise]]] = [(CLIENT, _("Client")), *Role.choices]

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    therapist = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations_sent")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class ApiToken(models.Model):
    """A personal access token; only its hash is stored, the token is shown once."""

    PREFIX = "ep_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="The first characters, to recognise the token.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Kept to the minute (services.note_token_use), not written on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Every token expires (chosen at creation, at most settings.API_TOKEN_MAX_DAYS): a token forgotten in an
    # old script or a leaked file stops working on its own.
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        return self.revoked_at is None and not self.is_expired(now)
