"""Forms of the clinic admin's data-rights pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from emotipal.privacy.holds import MAX_REASON
from emotipal.privacy.models import ANONYMISE_YEARS, DRAFT_DAYS


class ConfirmErasureForm(forms.Form):
    """The admin types the client's e-mail address: an erasure cannot be undone, so no single click does it."""

    email = forms.CharField(max_length=254, label=_("Type the client's e-mail address to confirm"))

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_email(self) -> str:
        typed = self.cleaned_data["email"].strip()
        if typed.lower() != self.expected.lower():
            raise forms.ValidationError(_("That is not this client's e-mail address."))
        return typed


class HoldForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Why the data must be kept"),
        help_text=_("For example the complaint, claim or order it is for. Shown to clinic admins only."),
    )


class RetentionForm(forms.Form):
    draft_days = forms.IntegerField(
        required=False,
        min_value=DRAFT_DAYS[0],
        max_value=DRAFT_DAYS[1],
        label=_("Remove unsent drafts after this many days without a change"),
        help_text=_("Leave empty to keep drafts until the client sends or discards them."),
    )
    anonymise_after_years = forms.IntegerField(
        required=False,
        min_value=ANONYMISE_YEARS[0],
        max_value=ANONYMISE_YEARS[1],
        label=_("Erase clients this many years after their treatment ended"),
        help_text=_(
            "Leave empty to keep records until an admin erases them. Research data a study may keep under its "
            "protocol is kept without names; clients under a legal hold are skipped."
        ),
    )
