"""The attempt form: the review of the last homework, then the next homework with the guided assign steps.

The training app's own form (the real assign form is not imported), in the order of the real flow: start
from the client's own review, record what was learned and what to change, then goal, reason in the client's
words, what / when / where / how often / how long, obstacles and a backup plan, confidence with the below-7
micro-step rule, rehearsal and the written summary.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from emotipal.definitions.competence import CONFIDENCE_ENOUGH

RATING_CHOICES = [(i, str(i)) for i in range(5)]
TEXT = {"rows": 3}


class AttemptForm(forms.Form):
    # Review of the last homework
    client_review_first = forms.BooleanField(
        required=False, label=_("We started from the client's own review, before my own view")
    )
    quantity = forms.TypedChoiceField(
        required=False,
        empty_value=None,
        label=_("How much of the planned practice was done?"),
        help_text=_("0 = none of it, 4 = all of it"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    quality = forms.TypedChoiceField(
        required=False,
        empty_value=None,
        label=_("How well was it done, as far as you can tell?"),
        help_text=_("0 = not in the way it was meant, 4 = just as meant"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    learned = forms.CharField(
        required=False,
        max_length=2000,
        label=_("What did the client learn from doing it, or from not doing it?"),
        widget=forms.Textarea(attrs=TEXT),
    )
    change_next = forms.CharField(
        required=False,
        max_length=2000,
        label=_("What will you keep or change for the next homework?"),
        widget=forms.Textarea(attrs=TEXT),
    )
    # The next homework
    goal = forms.CharField(
        required=False, max_length=300, label=_("Which of the client's goals does it serve?")
    )
    rationale = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Why do it, in the client's own words"),
        widget=forms.Textarea(attrs=TEXT),
    )
    task = forms.CharField(max_length=300, label=_("What will the client do?"))
    practice_time = forms.TimeField(
        required=False, label=_("When (time of day)"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    practice_place = forms.CharField(required=False, max_length=200, label=_("Where"))
    times_per_week = forms.IntegerField(
        required=False, min_value=1, max_value=14, label=_("How often (times a week)")
    )
    minutes_per_practice = forms.IntegerField(
        required=False, min_value=1, max_value=240, label=_("How long (minutes each time)")
    )
    obstacles = forms.CharField(
        required=False,
        max_length=2000,
        label=_("What might get in the way?"),
        widget=forms.Textarea(attrs=TEXT),
    )
    backup_plan = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Backup plan: what will the client do if the first plan does not work out?"),
        widget=forms.Textarea(attrs=TEXT),
    )
    confidence = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=10,
        label=_("How confident is the client that they will do it? (0-10)"),
        help_text=_("Below 7, make the task smaller before saving."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    made_smaller = forms.BooleanField(
        required=False, label=_("We made it smaller (a micro-step, shorter, or less often)")
    )
    rehearsed = forms.BooleanField(required=False, label=_("We tried out the first step together in session"))
    summary = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Written summary the client takes home"),
        widget=forms.Textarea(attrs=TEXT),
    )

    REVIEW_FIELDS = ("client_review_first", "quantity", "quality", "learned", "change_next")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        confidence = data.get("confidence")
        if confidence is not None and confidence < CONFIDENCE_ENOUGH and not data.get("made_smaller"):
            self.add_error(
                "confidence",
                _(
                    "At %(value)s out of 10 the task may well not happen. Make it smaller first (a micro-step, "
                    "shorter, or less often), change the plan above, then tick “We made it smaller”."
                )
                % {"value": confidence},
            )
        return data

    def review_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.REVIEW_FIELDS]

    def plan_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.REVIEW_FIELDS]

    def answers(self) -> dict[str, Any]:
        """The cleaned values as plain JSON (times as HH:MM)."""
        data = dict(self.cleaned_data)
        time = data.get("practice_time")
        data["practice_time"] = time.isoformat(timespec="minutes") if time else None
        return data
