"""Account forms: invitations, settings (language, reminders, time zone), API tokens, clinic policy.

They only parse; the rules that matter are in accounts.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from emotipal.accounts.models import (
    CLIENT_IDLE_DAYS,
    STAFF_IDLE_MINUTES,
    ClientProfile,
    Invitation,
    Role,
    User,
)
from emotipal.platform import clock, zone_choices


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=())

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Each language in its own name, so anyone can find theirs whatever language the page is in.
        self.fields["language"].choices = list(settings.LANGUAGES)  # type: ignore[attr-defined]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Invitation.ROLE_CHOICES, initial=Invitation.CLIENT)
    therapist = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Therapist"),
        help_text=_("For a client: who looks after them."),
    )

    def __init__(self, *args: Any, therapists: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["therapist"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = therapists

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") == Invitation.CLIENT and not data.get("therapist"):
            self.add_error("therapist", _("Choose the client's therapist."))
        return data


class AcceptInvitationForm(forms.Form):
    display_name = forms.CharField(
        max_length=120, required=False, label=_("Your name (as you like to be called)")
    )
    password1 = forms.CharField(widget=forms.PasswordInput, label=_("Choose a password"))
    password2 = forms.CharField(widget=forms.PasswordInput, label=_("The same password again"))

    def clean(self) -> dict[str, Any]:
        from django.contrib.auth.password_validation import validate_password

        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords are not the same."))
        elif data.get("password1"):
            try:
                validate_password(data["password1"])
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ClientSettingsForm(forms.Form):
    reminder_time = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        label=_("Daily reminder time (leave empty for no reminders)"),
    )
    timezone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args: Any, known_zones: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The zones of the client's country (from their own zone and their clinic's) first, then all.
        choices = zone_choices.grouped_choices(known_zones or [], timezone.now())
        self.fields["timezone"].choices = choices  # type: ignore[attr-defined]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("What is this token for?"))
    # Empty: settings.API_TOKEN_DAYS (the field shows it already).
    days_valid = forms.IntegerField(min_value=1, required=False, label=_("Expires after (days)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every token expires; how long at most is the server's setting (EMOTIPAL_API_TOKEN_MAX_DAYS).
        field = self.fields["days_valid"]
        assert isinstance(field, forms.IntegerField)
        field.initial = settings.API_TOKEN_DAYS
        field.max_value = settings.API_TOKEN_MAX_DAYS
        field.validators.append(MaxValueValidator(settings.API_TOKEN_MAX_DAYS))
        field.widget.attrs.update({"min": 1, "max": settings.API_TOKEN_MAX_DAYS})
        field.help_text = _("At most %(days)s days. You can revoke a token at any time.") % {
            "days": settings.API_TOKEN_MAX_DAYS
        }


class ClinicPolicyForm(forms.Form):
    require_staff_mfa = forms.BooleanField(
        required=False, label=_("Staff must use two-factor authentication")
    )
    # Empty keeps the clinic's zone; anything else must be a real IANA zone (the clinic's days hang on it).
    timezone = forms.CharField(
        required=False,
        max_length=clock.MAX_ZONE_LENGTH,
        validators=[clock.validate_zone],
        label=_("Clinic time zone"),
        help_text=_(
            "An IANA name such as Europe/Berlin. New clients start in it, and it is the day of clients without a zone of their own."
        ),
    )
    # Empty keeps the clinic's timeout (accounts/idle.py); the bounds are the model's.
    staff_idle_minutes = forms.IntegerField(
        required=False,
        min_value=STAFF_IDLE_MINUTES[0],
        max_value=STAFF_IDLE_MINUTES[2],
        label=_("Log staff out after this many minutes without activity"),
    )
    client_idle_days = forms.IntegerField(
        required=False,
        min_value=CLIENT_IDLE_DAYS[0],
        max_value=CLIENT_IDLE_DAYS[2],
        label=_("Log clients out after this many days without activity"),
        help_text=_("Clients use their own phones, so their sessions may last longer than staff sessions."),
    )


class AddRoleForm(forms.Form):
    """Another role for someone already on the clinic's staff (the choices are that clinic's staff only)."""

    person = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Staff member"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        # Its own ids: the invitation form on the same page has a "role" field too.
        kwargs.setdefault("auto_id", "id_add_role_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = staff


class ClientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # The admin sees who looks after the client now.
        return _("%(client)s (now with %(therapist)s)") % {"client": obj.user, "therapist": obj.therapist}


class ReassignForm(forms.Form):
    """Move a client to another therapist; both lists hold only this clinic's clients and active therapists."""

    client = ClientChoiceField(queryset=ClientProfile.objects.none(), label=_("Client"))
    therapist = forms.ModelChoiceField(queryset=User.objects.none(), label=_("New therapist"))

    def __init__(self, *args: Any, clients: Any, therapists: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_reassign_%s")  # the invitation form has a "therapist" field too
        super().__init__(*args, **kwargs)
        client_field, therapist_field = self.fields["client"], self.fields["therapist"]
        assert isinstance(client_field, forms.ModelChoiceField)
        assert isinstance(therapist_field, forms.ModelChoiceField)
        client_field.queryset = clients
        therapist_field.queryset = therapists


class AuditFilterForm(forms.Form):
    """The clinic admin's filters of the audit log: the choices are this clinic's people and actions only."""

    person = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Person"))
    client = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Client"))
    action = forms.ChoiceField(required=False, label=_("Action"))
    since = forms.DateField(required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self,
        data: Any,
        *,
        people: list[tuple[int, str]],
        clients: list[tuple[int, str]],
        actions: list[str],
    ) -> None:
        super().__init__(data)
        self.fields["person"].choices = [("", _("Everyone")), *people]  # type: ignore[attr-defined]
        self.fields["client"].choices = [("", _("All clients")), *clients]  # type: ignore[attr-defined]
        self.fields["action"].choices = [("", _("All actions")), *((a, a) for a in actions)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data
