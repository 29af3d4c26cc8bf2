"""Forms of the experiment pages: the design (method and its parameters, outcomes, MRT settings), the arms
with their feature settings as ordinary fields, and a REDCap allocation table upload.

The forms check the shape of what was typed and put each message next to its field; the action
(research/actions/experiments.py) checks the rules again and saves nothing when one fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from emotipal.analysis.trials import allocation as engine
from emotipal.analysis.trials import redcap_allocation
from emotipal.platform.features import FEATURES, Parameter
from emotipal.research.actions.experiments import FACTORS, ArmDraft, ExperimentDraft, factor_label
from emotipal.research.models import Experiment, ExperimentKind, Method, Unit
from emotipal.research.queries_experiments import outcome_choices, probability_text

MAX_ARMS = 8
TABLE_LIMIT_BYTES = 2_000_000


def _parse_probability(text: str) -> dict[str, Any]:
    """ "0.6" -> {"constant": 0.6}; "0:0.7, 14:0.5" -> {"schedule": [[0, 0.7], [14, 0.5]]}."""
    text = text.strip()
    if ":" not in text:
        return {"constant": float(text)}
    steps = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        day, _sep, p = part.partition(":")
        steps.append([int(day), float(p)])
    return {"schedule": steps}


class ExperimentForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    question = forms.CharField(
        label=gettext_lazy("The question it answers"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ExperimentKind.choices)
    unit = forms.ChoiceField(label=gettext_lazy("Unit of randomisation"), choices=Unit.choices)
    method = forms.ChoiceField(
        label=gettext_lazy("Allocation method"),
        choices=Method.choices,
        help_text=gettext_lazy(
            "Randomised trials only; a micro-randomised trial draws at each decision point."
        ),
    )
    block_multiples = forms.CharField(
        label=gettext_lazy("Block size multiples"),
        initial="1, 2",
        max_length=40,
        help_text=gettext_lazy(
            "Permuted blocks: each block holds every arm ratio × a multiple drawn from this list, e.g. 1, 2."
        ),
    )
    factors = forms.MultipleChoiceField(
        label=gettext_lazy("Factors (stratified blocks, minimisation)"),
        choices=[(f, f) for f in FACTORS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    imbalance = forms.ChoiceField(
        label=gettext_lazy("Imbalance measure (minimisation)"),
        choices=[("range", gettext_lazy("Range")), ("variance", gettext_lazy("Variance"))],
        initial="range",
    )
    p_best = forms.FloatField(
        label=gettext_lazy("Probability of the least-imbalancing arm (minimisation)"),
        initial=0.8,
        help_text=gettext_lazy("Above 0.5 and at most 1; 1 makes minimisation deterministic."),
        widget=forms.NumberInput(attrs={"step": "0.05", "inputmode": "decimal"}),
    )
    table_file = forms.FileField(
        label=gettext_lazy("REDCap allocation table (CSV)"),
        required=False,
        help_text=gettext_lazy(
            "Method “allocation table”: a column redcap_randomization_group (1 .. number of arms in the order "
            "below, or the arm keys) and one column per stratum named site, phq9_band or language."
        ),
    )
    primary_outcomes = forms.MultipleChoiceField(
        label=gettext_lazy("Primary outcomes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    secondary_outcomes = forms.MultipleChoiceField(
        label=gettext_lazy("Secondary outcomes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    open_design = forms.BooleanField(
        label=gettext_lazy("Open design: the client's therapist sees the arm (clients never do)"),
        required=False,
    )
    mrt_probability = forms.CharField(
        label=gettext_lazy("Reminder probability (micro-randomised trial)"),
        initial="0.6",
        max_length=200,
        help_text=gettext_lazy(
            "A constant such as 0.6, or a schedule by day in treatment such as “0:0.7, 14:0.5” (from day 0)."
        ),
    )
    mrt_window_minutes = forms.IntegerField(
        label=gettext_lazy("Outcome window in minutes (micro-randomised trial)"),
        initial=120,
        min_value=5,
        max_value=24 * 60,
    )

    def __init__(self, *args: Any, experiment: Experiment | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.experiment = experiment
        choices = outcome_choices()
        self.fields["primary_outcomes"].choices = choices  # type: ignore[attr-defined]
        self.fields["secondary_outcomes"].choices = choices  # type: ignore[attr-defined]
        self.fields["factors"].choices = [(f, factor_label(f)) for f in FACTORS]  # type: ignore[attr-defined]
        for factor in FACTORS:
            self.fields[f"weight_{factor}"] = forms.FloatField(
                label=_("Weight of %(factor)s (minimisation)") % {"factor": factor_label(factor)},
                initial=1.0,
                required=False,
                widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
            )
        self.order_fields(
            [
                *list(self.fields)[: list(self.fields).index("imbalance")],
                *(f"weight_{f}" for f in FACTORS),
            ]
        )

    def clean_block_multiples(self) -> list[int]:
        text = self.cleaned_data.get("block_multiples") or ""
        try:
            multiples = [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
        except ValueError:
            multiples = []
        if not multiples or any(m < 1 or m > 10 for m in multiples):
            raise forms.ValidationError(_("Write whole numbers from 1 to 10 separated by commas, e.g. 1, 2."))
        return multiples

    def clean_p_best(self) -> float:
        p = self.cleaned_data.get("p_best")
        if p is None or not 0.5 < p <= 1:
            raise forms.ValidationError(
                _("The probability must be above 0.5 and at most 1 (1: always the least-imbalancing arm).")
            )
        return float(p)

    def clean_mrt_probability(self) -> dict[str, Any]:
        text = self.cleaned_data.get("mrt_probability") or ""
        try:
            setting = _parse_probability(text)
            steps = setting.get("schedule")
            if steps is not None and (not steps or sorted(steps)[0][0] != 0):
                raise ValueError("a schedule starts at day 0")
            for day, p in steps or [[0, setting["constant"]]]:
                if day < 0 or not 0 < p < 1:
                    raise ValueError("probability outside (0, 1)")
        except (TypeError, ValueError, KeyError):
            raise forms.ValidationError(
                _(
                    "Write a probability between 0 and 1 (not 0 or 1), or a schedule starting at day 0 "
                    "such as “0:0.7, 14:0.5”."
                )
            ) from None
        return setting

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        method, factors = data.get("method"), data.get("factors") or []
        if data.get("kind") == ExperimentKind.PARALLEL:
            if method in ("stratified", "minimisation") and not factors:
                self.add_error("factors", _("This method needs at least one factor."))
            for factor in factors:
                weight = data.get(f"weight_{factor}")
                if method == "minimisation" and (weight is None or weight <= 0):
                    self.add_error(f"weight_{factor}", _("A weight is a number above 0."))
            upload = data.get("table_file")
            if upload is not None and upload.size > TABLE_LIMIT_BYTES:
                self.add_error("table_file", _("The table is larger than 2 MB."))
            if method == "table" and upload is None and not self.existing_table():
                self.add_error("table_file", _("Upload the REDCap allocation table this method uses."))
        return data

    def existing_table(self) -> list[dict[str, Any]]:
        return list((self.experiment.design or {}).get("table") or []) if self.experiment else []


def _feature_field(parameter: Parameter) -> forms.Field:
    if parameter.kind == "bool":
        return forms.BooleanField(label=parameter.label, required=False, initial=parameter.default)
    if parameter.kind == "choice":
        return forms.ChoiceField(label=parameter.label, choices=parameter.choices, initial=parameter.default)
    return forms.TimeField(
        label=parameter.label,
        required=False,
        initial=parameter.default or None,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


def feature_field_name(feature: str, parameter: str) -> str:
    return f"feature_{feature}_{parameter}"


class ArmForm(forms.Form):
    key = forms.CharField(
        label=gettext_lazy("Key"),
        max_length=40,
        help_text=gettext_lazy("Lower-case letters, digits and hyphens, e.g. reminders-on."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    ratio = forms.IntegerField(label=gettext_lazy("Allocation ratio"), initial=1, min_value=1, max_value=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for feature in FEATURES.values():
            for parameter in feature.parameters:
                self.fields[feature_field_name(feature.key, parameter.name)] = _feature_field(parameter)

    def feature_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The feature fields grouped under each feature's label (for the template)."""
        return [
            (
                str(feature.label),
                [self[feature_field_name(feature.key, p.name)] for p in feature.parameters],
            )
            for feature in FEATURES.values()
        ]

    def basic_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("key", "name", "description", "ratio")]

    def clean_key(self) -> str:
        key = (self.cleaned_data.get("key") or "").strip()
        if slugify(key) != key:
            raise forms.ValidationError(_("Use lower-case letters, digits and hyphens only."))
        return key

    def feature_values(self) -> dict[str, dict[str, Any]]:
        values: dict[str, dict[str, Any]] = {}
        for feature in FEATURES.values():
            params: dict[str, Any] = {}
            for parameter in feature.parameters:
                value = self.cleaned_data.get(feature_field_name(feature.key, parameter.name))
                if parameter.kind == "time":
                    value = value.strftime("%H:%M") if isinstance(value, dt.time) else ""
                elif parameter.kind == "bool":
                    value = bool(value)
                params[parameter.name] = value
            values[feature.key] = params
        return values


ArmFormSet = forms.formset_factory(ArmForm, extra=1, max_num=MAX_ARMS, validate_max=True, can_delete=True)


def arm_formset(data: Any = None, experiment: Experiment | None = None) -> Any:
    """The arms' forms: the experiment's arms (or two empty ones for a new experiment) and one more."""
    initial: list[dict[str, Any]] = []
    if experiment is not None:
        for arm in experiment.arms.all():
            row: dict[str, Any] = {
                "key": arm.key,
                "name": arm.name,
                "description": arm.description,
                "ratio": arm.ratio,
            }
            for feature in FEATURES.values():
                chosen = {**feature.defaults(), **dict((arm.features or {}).get(feature.key, {}))}
                for parameter in feature.parameters:
                    value = chosen[parameter.name]
                    if parameter.kind == "time":
                        value = dt.time.fromisoformat(value) if value else None
                    row[feature_field_name(feature.key, parameter.name)] = value
            initial.append(row)
    if experiment is None and data is None:
        return forms.formset_factory(ArmForm, extra=2, max_num=MAX_ARMS, can_delete=True)(prefix="arm")
    return ArmFormSet(data, initial=initial or None, prefix="arm")


def controlled_features(arms: Sequence[Mapping[str, Mapping[str, Any]]]) -> set[str]:
    """The features an experiment sets: those where at least one arm differs from the app's default. Only
    these are stored on the arms, so an experiment leaves every other feature to other experiments."""
    return {
        key
        for key, feature in FEATURES.items()
        if any(dict(arm.get(key, {})) != feature.defaults() for arm in arms)
    }


def read_table_upload(
    upload: UploadedFile, arm_keys: Sequence[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The rows (as the design stores them) and strata columns of an uploaded REDCap table; DesignError if not."""
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise engine.DesignError(_("The allocation table is not a UTF-8 CSV file.")) from None
    rows, columns = redcap_allocation.read_table(text, [engine.ArmSpec(k) for k in arm_keys])
    return [{"group": r.group, "strata": dict(r.strata)} for r in rows], list(columns)


def build_draft(form: ExperimentForm, arms: Any) -> ExperimentDraft | None:
    """The draft the forms describe, or None with each problem put next to its field (nothing is saved)."""
    form_ok, arms_ok = form.is_valid(), arms.is_valid()
    if not form_ok:
        return None
    data = form.cleaned_data
    kind = data["kind"]
    drafts: list[ArmDraft] = []
    if kind == ExperimentKind.PARALLEL:
        if not arms_ok:
            return None
        # an extra arm left empty has no cleaned data; a deleted one is left out
        arm_forms = [f for f in arms.forms if f.cleaned_data and f not in arms.deleted_forms]
        keys = [f.cleaned_data["key"] for f in arm_forms]
        for f in arm_forms:
            if keys.count(f.cleaned_data["key"]) > 1:
                f.add_error("key", _("Two arms have this key."))
        if len(arm_forms) < 2:
            form.add_error(None, _("A randomised trial needs at least two arms."))
        if not form.is_valid() or any(f.errors for f in arm_forms):
            return None
        values = [f.feature_values() for f in arm_forms]
        kept = controlled_features(values)
        drafts = [
            ArmDraft(
                key=f.cleaned_data["key"],
                name=f.cleaned_data["name"],
                description=f.cleaned_data["description"],
                ratio=f.cleaned_data["ratio"],
                features={k: v for k, v in chosen.items() if k in kept},
            )
            for f, chosen in zip(arm_forms, values, strict=True)
        ]
    design = _design(form, [d.key for d in drafts]) if kind == ExperimentKind.PARALLEL else {}
    if design is None:
        return None
    return ExperimentDraft(
        title=data["title"],
        question=data["question"],
        kind=kind,
        unit=data["unit"],
        method=data["method"],
        design=design,
        arms=drafts,
        primary_outcomes=list(data["primary_outcomes"]),
        secondary_outcomes=list(data["secondary_outcomes"]),
        open_design=data["open_design"],
        mrt_probability=data["mrt_probability"] if kind == ExperimentKind.MRT else {},
        mrt_window_minutes=data["mrt_window_minutes"],
    )


def _design(form: ExperimentForm, arm_keys: Sequence[str]) -> dict[str, Any] | None:
    data = form.cleaned_data
    method = data["method"]
    factors = list(data["factors"])
    if method == "simple":
        return {}
    if method == "blocks":
        return {"block_multiples": data["block_multiples"]}
    if method == "stratified":
        return {"block_multiples": data["block_multiples"], "factors": factors}
    if method == "minimisation":
        return {
            "factors": factors,
            "weights": {f: float(data[f"weight_{f}"]) for f in factors},
            "imbalance": data["imbalance"],
            "p_best": data["p_best"],
        }
    upload = data.get("table_file")
    if upload is None:
        table = form.existing_table()
        columns = sorted(table[0]["strata"]) if table else []
    else:
        try:
            table, columns = read_table_upload(upload, arm_keys)
        except engine.DesignError as exc:
            form.add_error("table_file", str(exc))
            return None
    unknown = [c for c in columns if c not in FACTORS]
    if unknown:
        form.add_error(
            "table_file",
            _("The table's column %(column)s is not a factor EmotiPal records (use %(known)s).")
            % {"column": unknown[0], "known": ", ".join(FACTORS)},
        )
        return None
    return {"table": table, "factors": columns}


def experiment_initial(experiment: Experiment) -> dict[str, Any]:
    design = dict(experiment.design or {})
    weights = design.get("weights") or {}
    return {
        "title": experiment.title,
        "question": experiment.question,
        "kind": experiment.kind,
        "unit": experiment.unit,
        "method": experiment.method,
        "block_multiples": ", ".join(str(m) for m in design.get("block_multiples") or [1, 2]),
        "factors": list(design.get("factors") or []),
        "imbalance": design.get("imbalance", "range"),
        "p_best": design.get("p_best", 0.8),
        "primary_outcomes": list(experiment.primary_outcomes),
        "secondary_outcomes": list(experiment.secondary_outcomes),
        "open_design": experiment.open_design,
        "mrt_probability": probability_text(experiment.mrt_probability)
        if experiment.mrt_probability
        else "0.6",
        "mrt_window_minutes": experiment.mrt_window_minutes,
        **{f"weight_{f}": weights.get(f, 1.0) for f in FACTORS},
    }


class TableDownloadForm(forms.Form):
    per_stratum = forms.IntegerField(
        label=gettext_lazy("Rows per stratum"), min_value=1, max_value=10_000, initial=40
    )
