"""The form of the page that changes one homework's plan. It only parses: the rules are services.check_plan's,
applied by plan_changes.edit_plan, so the page and the API refuse the same things with the same words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from emotipal.homework import services
from emotipal.homework.models import Assignment
from emotipal.homework.plan_changes import PlanChange


class PlanChangeForm(forms.Form):
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.RATIONALE_LIMIT}),
        required=False,  # an empty reason is refused by check_plan, with its own message
        label=_("Why this exercise (the client sees this first)"),
    )
    instructions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.INSTRUCTIONS_LIMIT}),
        required=False,
        label=_("What, when, where: anything specific you agreed"),
    )
    times_per_week = forms.IntegerField(
        label=_("Times a week"), widget=forms.NumberInput(attrs={"min": 1, "max": 14})
    )
    minutes_per_practice = forms.IntegerField(
        label=_("Minutes each time"), widget=forms.NumberInput(attrs={"min": 1, "max": 240})
    )
    practice_days = forms.TypedMultipleChoiceField(
        choices=list(WEEKDAYS_ABBR.items()),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Days (leave empty to spread them over the week)"),
    )
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def for_assignment(cls, assignment: Assignment, data: Any = None) -> PlanChangeForm:
        initial = {
            "rationale": assignment.rationale,
            "instructions": assignment.instructions,
            "times_per_week": assignment.times_per_week,
            "minutes_per_practice": assignment.minutes_per_practice,
            "practice_days": assignment.weekdays,
            "end_date": assignment.end_date,
        }
        return cls(data, initial=initial)

    def change(self) -> PlanChange:
        data = self.cleaned_data
        return PlanChange(
            rationale=data["rationale"],
            instructions=data["instructions"],
            times_per_week=data["times_per_week"],
            minutes_per_practice=data["minutes_per_practice"],
            practice_days=list(data["practice_days"]),
            end_date=data["end_date"],
        )
