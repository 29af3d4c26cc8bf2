"""Support person forms. They only parse; the rules (lengths, one link at a time, the daily limit) are in
support.services, so the web pages and any later API refuse the same things with the same words."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from emotipal.support.services import MESSAGE_MAX_CHARS


class SharingForm(forms.Form):
    share_days = forms.BooleanField(
        required=False,
        label=_("Which days I practised"),
        help_text=_(
            "For each of the last 14 days: practised or not. Never which exercise or what you wrote."
        ),
    )
    share_goal = forms.BooleanField(
        required=False,
        label=_("My weekly goal and progress"),
        help_text=_("How many practices are planned this week and how many are done."),
    )


class InviteForm(SharingForm):
    # Not required here: an empty name or address gets the service's own clear message.
    name = forms.CharField(label=_("Their name"), max_length=200, required=False)
    email = forms.CharField(
        label=_("Their e-mail address"), max_length=254, required=False, widget=forms.EmailInput
    )

    field_order = ["name", "email", "share_days", "share_goal"]


class EncouragementForm(forms.Form):
    text = forms.CharField(
        label=_("A short message of encouragement"),
        required=False,  # an empty message gets the service's own clear message
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_CHARS}),
        help_text=_("Up to 280 characters. They see it on their Today page."),
    )
