"""Forms of the study pages. They check the shape of what was typed; the actions check the rules."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from emotipal.research import eligibility
from emotipal.research.actions.studies import Protocol
from emotipal.research.models import DataUse, StudyMember, StudyRole, WithdrawalPolicy

ELIGIBILITY_HELP = _(
    'A JSON list of rules, for example [{"criterion": "baseline_phq9", "min": 10, "max": 19}, '
    '{"criterion": "language", "any_of": ["en", "es"]}]. Criteria: baseline_phq9, baseline_gad7 (min, max); '
    "language, target_problem, age_band (any_of)."
)


class ProtocolForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    participant_summary = forms.CharField(
        label=_("Short description for participants"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    protocol_version = forms.CharField(label=_("Protocol version"), max_length=40, initial="1.0")
    ethics_committee = forms.CharField(label=_("Ethics committee"), max_length=200, required=False)
    ethics_number = forms.CharField(label=_("Ethics approval number"), max_length=80, required=False)
    ethics_valid_until = forms.DateField(
        label=_("Approval valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    principal_investigator = forms.TypedChoiceField(label=_("Principal investigator"), coerce=int)
    target_sample_size = forms.IntegerField(label=_("Target sample size"), min_value=0, max_value=1_000_000)
    data_uses = forms.MultipleChoiceField(
        label=_("Data the study uses"),
        choices=DataUse.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    withdrawal_policy = forms.ChoiceField(
        label=_("When a participant withdraws"), choices=WithdrawalPolicy.choices
    )
    eligibility = forms.CharField(
        label=_("Eligibility criteria"),
        required=False,
        max_length=10_000,
        help_text=ELIGIBILITY_HELP,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "dir": "ltr"}),
    )

    def __init__(self, *args: Any, team: list[StudyMember] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if team is None:  # a new study: its creator leads it
            del self.fields["principal_investigator"]
        else:
            leaders = [m for m in team if m.role in (StudyRole.INVESTIGATOR, StudyRole.RESEARCHER)]
            self.fields["principal_investigator"].choices = [(m.user_id, str(m.user)) for m in leaders]  # type: ignore[attr-defined]

    def clean_eligibility(self) -> list[Any]:
        text = (self.cleaned_data.get("eligibility") or "").strip()
        if not text:
            return []
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("The eligibility criteria are not valid JSON (line %(line)d, column %(col)d): %(msg)s")
                % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
            ) from exc
        try:
            return [rule.as_data() for rule in eligibility.parse_rules(raw)]
        except eligibility.EligibilityRuleError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def protocol(self) -> Protocol:
        data = self.cleaned_data
        return Protocol(
            title=data["title"],
            participant_summary=data["participant_summary"],
            protocol_version=data["protocol_version"],
            ethics_committee=data["ethics_committee"],
            ethics_number=data["ethics_number"],
            ethics_valid_until=data["ethics_valid_until"],
            principal_investigator_id=data.get("principal_investigator"),
            target_sample_size=data["target_sample_size"],
            data_uses=list(data["data_uses"]),
            withdrawal_policy=data["withdrawal_policy"],
            eligibility=data["eligibility"],
        )


def protocol_initial(protocol: Protocol) -> dict[str, Any]:
    return {
        **{k: v for k, v in vars(protocol).items() if k not in ("eligibility", "principal_investigator_id")},
        "principal_investigator": protocol.principal_investigator_id,
        "eligibility": json.dumps(protocol.eligibility, ensure_ascii=False) if protocol.eligibility else "",
    }


class ConsentDraftForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    title = forms.CharField(label=_("Title"), max_length=200)
    body_markdown = forms.CharField(
        label=_("Information and consent text (Markdown)"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 12}),
    )
