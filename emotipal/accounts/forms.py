"""The language a user sees EmotiPal in (chosen on the Settings page)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=())

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Each language in its own name, so anyone can find theirs whatever language the page is in.
        self.fields["language"].choices = list(settings.LANGUAGES)  # type: ignore[attr-defined]
