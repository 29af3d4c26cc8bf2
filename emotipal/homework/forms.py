"""Django forms for the homework pages. Validation rules that matter live in the service functions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from emotipal.homework import services
from emotipal.homework.guided import SummaryParts
from emotipal.homework.models import TherapySession
from emotipal.library.access import latest_versions
from emotipal.library.models import TemplateVersion
from emotipal.platform import clock
from emotipal.platform.input_rules import parse_id


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
        label=_("Why this exercise, in the client's own words (the client sees this first)"),
    )
    instructions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.INSTRUCTIONS_LIMIT}),
        required=False,
        label=_("What exactly the client will do"),
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

    # A plain text field drawn as a list of the chosen exercise's variants: a key the exercise lacks is refused
    # by assign_homework with words that name the exercise, not by the form's generic "not a valid choice".
    variant = forms.CharField(
        label=_("Version for this client (language, cultural framing)"),
        initial="auto",
        required=False,
        widget=forms.Select,
    )
    goal = forms.CharField(
        required=False,
        label=_("Which goal or part of the formulation this serves"),
        widget=forms.TextInput(attrs={"maxlength": services.GOAL_LIMIT, "list": "goal-suggestions"}),
    )
    practice_time = forms.TimeField(
        required=False,
        label=_("When in the day"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Give the time of day as hours and minutes, e.g. 18:30.")},
    )
    practice_place = forms.CharField(
        required=False,
        label=_("Where"),
        widget=forms.TextInput(attrs={"maxlength": services.PLACE_LIMIT}),
    )
    obstacles = forms.CharField(
        required=False,
        label=_("What might get in the way"),
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.OBSTACLES_LIMIT}),
    )
    backup_plan = forms.CharField(
        required=False,
        label=_("Plan B if it does not work out"),
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.BACKUP_PLAN_LIMIT}),
    )
    confidence = forms.IntegerField(
        required=False,  # asked for by the service (require_confidence), with its own words
        label=_("How sure is the client that they will do it? (0 = not at all, 10 = completely)"),
        widget=forms.NumberInput(attrs={"min": 0, "max": 10, "inputmode": "numeric"}),
        error_messages={"invalid": _("Confidence is a whole number from 0 to 10.")},
    )
    made_smaller = forms.BooleanField(required=False)
    rehearsed = forms.BooleanField(
        required=False, label=_("We tried out the first step together in this session")
    )
    summary = forms.CharField(
        required=False,
        label=_("Written summary the client sees on Today"),
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": services.SUMMARY_LIMIT}),
        help_text=_("Drafted from the plan above; change it as you like before saving."),
    )
    # The draft shown last: a summary still equal to it was not edited, so it follows the plan's changes.
    summary_drafted = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, client: Any = None, user: Any = None, preselect: int | None = None, **kwargs: Any
    ) -> None:
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
        field = self.fields["template_version"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = TemplateVersion.objects.filter(pk__in=[v.pk for v in versions]).order_by("title")
        by_pk = {v.pk: v for v in versions}
        if preselect is not None and preselect in by_pk:
            field.initial = preselect
            # The template's own estimate is the default length of a practice.
            self.fields["minutes_per_practice"].initial = by_pk[preselect].estimated_minutes
        self.exercise = by_pk.get(parse_id(self.data.get("template_version")) or 0) if self.is_bound else None
        if not self.is_bound and preselect is not None:
            self.exercise = by_pk.get(preselect)
        self.fields["variant"].widget.choices = services.variant_choices(self.exercise)
        self.fields["start_date"].initial = today
        self.fields["end_date"].initial = today + dt.timedelta(days=13)

    def summary_parts(self) -> SummaryParts:
        """The fields the summary is drafted from, as far as they parse (an invalid one is left out)."""
        data = getattr(self, "cleaned_data", None)
        if data is None:  # unbound: the initial values
            data = {name: self.get_initial_for_field(f, name) for name, f in self.fields.items()}
        version = data.get("template_version") or self.exercise
        if isinstance(version, int):
            version = self.exercise
        return SummaryParts(
            title=version.title if version is not None else "",
            instructions=data.get("instructions") or "",
            practice_days=list(data.get("practice_days") or []),
            practice_time=data.get("practice_time"),
            practice_place=data.get("practice_place") or "",
            times_per_week=data.get("times_per_week"),
            minutes_per_practice=data.get("minutes_per_practice"),
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
            backup_plan=data.get("backup_plan") or "",
        )

    def summary_edited(self) -> bool:
        """Whether the therapist changed the drafted summary (then it is theirs, and no longer redrafted)."""
        if not self.is_bound:
            return False
        return (self.data.get("summary") or "").strip() != (self.data.get("summary_drafted") or "").strip()


def plan_from(data: dict[str, Any], summary: str) -> services.AssignmentPlan:
    """The service's plan from a valid form's cleaned data."""
    return services.AssignmentPlan(
        template_version=data["template_version"],
        rationale=data["rationale"],
        instructions=data["instructions"],
        times_per_week=data["times_per_week"],
        minutes_per_practice=data["minutes_per_practice"],
        practice_days=list(data["practice_days"]),
        start_date=data["start_date"],
        end_date=data["end_date"],
        session=data["session"],
        variant_key=data["variant"] or "auto",
        goal=data["goal"],
        practice_time=data["practice_time"],
        practice_place=data["practice_place"],
        obstacles=data["obstacles"],
        backup_plan=data["backup_plan"],
        confidence=data["confidence"],
        made_smaller=data["made_smaller"],
        rehearsed=data["rehearsed"],
        summary=summary,
    )


def with_changes(data: QueryDict, changes: dict[str, Any]) -> QueryDict:
    """A copy of posted data with some fields replaced (a list value sets a multiple choice field)."""
    copy = data.copy()
    for name, value in changes.items():
        if isinstance(value, list):
            copy.setlist(name, [str(v) for v in value])
        else:
            copy[name] = "" if value is None else str(value)
    return copy
