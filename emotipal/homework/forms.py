"""Django forms for the homework pages. Validation rules that matter live in the service functions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from emotipal.homework import services
from emotipal.homework.models import TherapySession
from emotipal.library.access import latest_versions
from emotipal.library.models import TemplateVersion
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
