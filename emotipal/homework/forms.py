"""Django forms for staff pages. Validation rules that matter live in the service functions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from emotipal.accounts.models import Invitation, User
from emotipal.homework import services
from emotipal.homework.models import TherapySession
from emotipal.library.models import TemplateVersion
from emotipal.library.services import latest_versions
from emotipal.platform import clock


class ExerciseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.title)


class AssignForm(forms.Form):
    """Parses the page's fields only. Every rule (lengths, ranges, days against times a week, whose exercise)
    is assign_homework's, so the page and the API refuse the same things with the same words; the limits
    below are only hints for the browser."""

    template_version = ExerciseChoiceField(
        queryset=TemplateVersion.objects.none(), label=_("Exercise"), empty_label=_("Choose an exercise")
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "required": True, "maxlength": services.RATIONALE_LIMIT}),
        required=False,  # an empty reason is refused by the service, with its own message
        label=_("Why this exercise (the client sees this first)"),
    )
    instructions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.INSTRUCTIONS_LIMIT}),
        required=False,
        label=_("What, when, where: anything specific you agreed"),
    )
    times_per_week = forms.IntegerField(
        initial=5, label=_("Times a week"), widget=forms.NumberInput(attrs={"min": 1, "max": 14})
    )
    minutes_per_practice = forms.IntegerField(
        initial=20, label=_("Minutes each time"), widget=forms.NumberInput(attrs={"min": 1, "max": 240})
    )
    practice_days = forms.TypedMultipleChoiceField(
        choices=list(WEEKDAYS_ABBR.items()),  # Mon..Sun as 0..6, in the page's language
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Days (leave empty to spread them over the week)"),
    )
    start_date = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))
    session = forms.ModelChoiceField(
        queryset=TherapySession.objects.none(),
        required=False,
        label=_("Set in session (reviewed in the next one)"),
        empty_label=_("Not in a session"),
    )

    variant = forms.ChoiceField(
        label="Version for this client (language, cultural framing)",
        initial="auto",
        help_text="Automatic: the client's language if the exercise has it.",
    )

    def __init__(self, *args: Any, client: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        session_field = self.fields["session"]
        assert isinstance(session_field, forms.ModelChoiceField)
        # Dates on this form are the client's (their zone): the plan is for their days.
        today = clock.client_today(client) if client is not None else clock.local_today(clock.UTC)
        if client is not None:
            session_field.queryset = client.sessions.order_by("-number")
            latest = client.sessions.filter(date__lte=today).order_by("-number").first()
            session_field.initial = latest
        versions = latest_versions(client.clinic if client is not None else None, user)
        labels = {"auto": "Automatic", "base": "English (original)"}
        for version in versions:
            for variant in version.variants or []:
                labels.setdefault(variant["key"], variant["label"])
        self.fields["variant"].choices = list(labels.items())  # type: ignore[attr-defined]
        field = self.fields["template_version"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = TemplateVersion.objects.filter(pk__in=[v.pk for v in versions]).order_by("title")
        self.fields["start_date"].initial = today
        self.fields["end_date"].initial = today + dt.timedelta(days=13)


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import zoneinfo

        super().__init__(*args, **kwargs)
        zones = sorted(zoneinfo.available_timezones())
        self.fields["timezone"].choices = [(z, z) for z in zones]  # type: ignore[attr-defined]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("What is this token for?"))
    days_valid = forms.IntegerField(
        min_value=1, max_value=365, required=False, label=_("Expires after (days)")
    )


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
