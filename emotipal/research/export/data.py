"""What an export is, independent of its formats: named tables and the codebook that describes every column.

The table builder fills an ExportData; each format writer (CSV, Parquet, SPSS, Stata, REDCap, Psych-DS, FHIR)
reads one. Every column of every table has exactly one Variable in the codebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

VariableType = Literal["integer", "number", "string", "boolean", "date", "datetime"]


@dataclass(frozen=True)
class Variable:
    table: str
    name: str
    label: str
    type: VariableType
    unit: str = ""
    # Allowed values with their labels, for coded columns (e.g. {"0": "Not at all", ...} or {"client": "Client"}).
    values: dict[str, str] = field(default_factory=dict)
    # For compliance figures: where the figure comes from, what kind of figure it is and when it was rated.
    source: str = ""  # client, therapist, combined, objective
    kind: str = ""  # likert, count, percentage
    timing: str = ""  # contemporaneous, retroactive
    # Why a column may be empty (e.g. free text only for participants who consented to its use).
    note: str = ""


@dataclass(frozen=True)
class StudyFacts:
    """The study-level facts every format states (manifest, Psych-DS description, FHIR ResearchStudy)."""

    slug: str
    title: str
    description: str
    protocol_version: str
    status: str
    ethics_committee: str
    ethics_number: str
    ethics_valid_until: str  # ISO date, or "" when none
    consent_versions: tuple[int, ...]
    data_uses: tuple[str, ...]
    withdrawal_policy: str
    # Filled by experiments: {"id": "<experiment>.<arm>", "name": ..., "description": ..., "experiment": slug,
    # "arm": key}; a hand-made export may give only name and description.
    arms: tuple[dict[str, str], ...] = ()


@dataclass
class ExportData:
    study: StudyFacts
    tables: dict[str, pd.DataFrame]
    codebook: list[Variable]
    # Facts for the manifest: when, which code version, how many participants were left out and why.
    generated_at: str = ""
    code_version: str = ""
    notes: dict[str, Any] = field(default_factory=dict)
    # Files beside the tables, by name (the CONSORT diagrams: "consort_<experiment>.svg" -> SVG text).
    figures: dict[str, str] = field(default_factory=dict)

    def variables(self, table: str) -> list[Variable]:
        return [v for v in self.codebook if v.table == table]

    def check_complete(self) -> None:
        """Every column has a codebook entry and every entry a column: a format never guesses a label."""
        for name, frame in self.tables.items():
            documented = {v.name for v in self.variables(name)}
            columns = set(map(str, frame.columns))
            if documented != columns:
                missing, extra = sorted(columns - documented), sorted(documented - columns)
                raise ValueError(f"Codebook of {name}: undocumented {missing}, without a column {extra}")
