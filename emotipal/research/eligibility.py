"""Eligibility criteria as data: parsed and checked when a study is saved, applied to a client's facts later.

A study's `eligibility` is a list of rules, each a mapping with a `criterion` and its bounds or allowed values:

    {"criterion": "baseline_phq9", "min": 10, "max": 19}     both bounds inclusive, either may be left out
    {"criterion": "baseline_gad7", "min": 8}
    {"criterion": "language", "any_of": ["en", "es"]}
    {"criterion": "target_problem", "any_of": ["depression", "anxiety"]}   categories of assigned exercises
    {"criterion": "age_band", "any_of": ["18-25", "26-40"]}    only where the profile records an age band

A rule whose fact is unknown for a client (no baseline PHQ-9 yet, no age band on the profile) fails with the
reason "unknown", so eligibility is never assumed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

NUMERIC = {"baseline_phq9": (0, 27), "baseline_gad7": (0, 21)}
CATEGORICAL = ("language", "target_problem", "age_band")
CRITERIA = (*NUMERIC, *CATEGORICAL)
MAX_RULES = 20
MAX_VALUES = 50


class EligibilityRuleError(ValueError):
    """A malformed rule; the message says which rule and what is wrong, in words a researcher understands."""


@dataclass(frozen=True)
class Rule:
    criterion: str
    minimum: int | None = None
    maximum: int | None = None
    any_of: tuple[str, ...] = ()

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"criterion": self.criterion}
        if self.criterion in NUMERIC:
            if self.minimum is not None:
                data["min"] = self.minimum
            if self.maximum is not None:
                data["max"] = self.maximum
        else:
            data["any_of"] = list(self.any_of)
        return data

    def describe(self) -> str:
        if self.criterion in NUMERIC:
            low = "" if self.minimum is None else f"{self.minimum} ≤ "
            high = "" if self.maximum is None else f" ≤ {self.maximum}"
            return f"{low}{self.criterion}{high}"
        return f"{self.criterion} in {', '.join(self.any_of)}"


@dataclass(frozen=True)
class Failure:
    criterion: str
    reason: str  # "unknown" (no value for this client) or "outside" (a value the rule excludes)
    rule: str

    def as_data(self) -> dict[str, str]:
        return {"criterion": self.criterion, "reason": self.reason, "rule": self.rule}


def _bound(raw: Any, where: str, name: str, lo: int, hi: int) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise EligibilityRuleError(f"{where}: {name} must be a whole number")
    if not lo <= raw <= hi:
        raise EligibilityRuleError(f"{where}: {name} must be between {lo} and {hi}")
    return raw


def _rule(raw: Any, index: int) -> Rule:
    where = f"Rule {index + 1}"
    if not isinstance(raw, Mapping):
        raise EligibilityRuleError(f"{where} must be a mapping with a criterion")
    criterion = raw.get("criterion")
    if criterion not in CRITERIA:
        raise EligibilityRuleError(f"{where}: criterion must be one of {', '.join(CRITERIA)}")
    if criterion in NUMERIC:
        unknown = set(raw) - {"criterion", "min", "max"}
        if unknown:
            raise EligibilityRuleError(f"{where}: {criterion} takes only min and max, not {sorted(unknown)}")
        lo, hi = NUMERIC[criterion]
        minimum = _bound(raw.get("min"), where, "min", lo, hi)
        maximum = _bound(raw.get("max"), where, "max", lo, hi)
        if minimum is None and maximum is None:
            raise EligibilityRuleError(f"{where}: {criterion} needs a min, a max or both")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise EligibilityRuleError(f"{where}: min ({minimum}) is above max ({maximum})")
        return Rule(criterion, minimum, maximum)
    unknown = set(raw) - {"criterion", "any_of"}
    if unknown:
        raise EligibilityRuleError(f"{where}: {criterion} takes only any_of, not {sorted(unknown)}")
    values = raw.get("any_of")
    if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
        raise EligibilityRuleError(f"{where}: any_of must be a list of 1 to {MAX_VALUES} values")
    if not all(isinstance(v, str) and v.strip() and len(v) <= 60 for v in values):
        raise EligibilityRuleError(f"{where}: each value in any_of must be a short piece of text")
    return Rule(criterion, any_of=tuple(v.strip() for v in values))


def parse_rules(raw: Any) -> list[Rule]:
    """The rules in `raw` (a study's stored `eligibility`), or EligibilityRuleError naming the first problem."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise EligibilityRuleError("Eligibility must be a list of rules")
    if len(raw) > MAX_RULES:
        raise EligibilityRuleError(f"At most {MAX_RULES} eligibility rules")
    rules = [_rule(item, i) for i, item in enumerate(raw)]
    seen: set[str] = set()
    for rule in rules:
        if rule.criterion in seen:
            raise EligibilityRuleError(f"{rule.criterion} appears in more than one rule: combine them")
        seen.add(rule.criterion)
    return rules


def evaluate(rules: list[Rule], facts: Mapping[str, Any]) -> list[Failure]:
    """The rules this client fails. `facts` maps a criterion to its value; a list value (target problems)
    passes when any item is allowed."""
    failures: list[Failure] = []
    for rule in rules:
        value = facts.get(rule.criterion)
        if value is None or value == [] or value == "":
            failures.append(Failure(rule.criterion, "unknown", rule.describe()))
            continue
        if rule.criterion in NUMERIC:
            inside = (rule.minimum is None or value >= rule.minimum) and (
                rule.maximum is None or value <= rule.maximum
            )
        else:
            values = value if isinstance(value, list | tuple | set) else [value]
            inside = any(v in rule.any_of for v in values)
        if not inside:
            failures.append(Failure(rule.criterion, "outside", rule.describe()))
    return failures
