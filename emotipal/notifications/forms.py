"""The client's reminder settings form: every refusal says what to change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from emotipal.notifications.subscriptions import Choice, quiet_clash

DAYS = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ReminderForm(forms.Form):
    time = forms.TimeField(
        label=_("Reminder time"),
        required=False,
        widget=TIME_WIDGET,
        help_text=_("Leave empty for no reminders."),
    )
    by_email = forms.BooleanField(label=_("By e-mail"), required=False)
    by_push = forms.BooleanField(label=_("As a notification on this phone or computer"), required=False)
    weekdays = forms.MultipleChoiceField(
        label=_("On these days"), choices=DAYS, required=False, widget=forms.CheckboxSelectMultiple
    )
    quiet_start = forms.TimeField(label=_("Quiet from"), required=False, widget=TIME_WIDGET)
    quiet_end = forms.TimeField(label=_("Quiet until"), required=False, widget=TIME_WIDGET)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None) and not self.errors.get(
            "quiet_start", self.errors.get("quiet_end")
        ):
            self.add_error("quiet_end", _("Give both the start and the end of the quiet hours, or neither."))
        elif start is not None and start == end:
            self.add_error("quiet_end", _("Quiet hours need an end that differs from their start."))
        if data.get("time") is not None:
            if not data.get("by_email") and not data.get("by_push"):
                self.add_error("by_email", _("Choose at least one way to get the reminder."))
            if not data.get("weekdays"):
                self.add_error("weekdays", _("Choose at least one day, or leave the time empty."))
        if not self.errors and quiet_clash(self.choice(data)):
            self.add_error("time", _("This time is inside your quiet hours. Choose another time."))
        return data

    @staticmethod
    def choice(data: dict[str, Any]) -> Choice:
        return Choice(
            time=data.get("time"),
            by_email=bool(data.get("by_email")),
            by_push=bool(data.get("by_push")),
            weekdays="".join(sorted(data.get("weekdays") or [])),
            quiet_start=data.get("quiet_start"),
            quiet_end=data.get("quiet_end"),
        )
