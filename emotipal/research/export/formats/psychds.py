"""Psych-DS: a dataset folder with `dataset_description.json` (schema.org Dataset, JSON-LD) and one CSV per table
under `data/`, named by keywords: `data/study-<slug>_table-<table>_data.csv`.

Keyword values may hold only letters and digits, so a slug or table name is written in camelCase
("self_reviews" -> "selfReviews"). `variableMeasured` has one schema.org PropertyValue per column name (a column
that several tables share, such as the participant id, once): its label and note as description, unit as
unitText, the codes of a coded column as valueReference, the smallest and largest code of a numeric coded column
as minValue / maxValue, and the source / kind / timing of a compliance figure as measurementTechnique. Only
schema.org properties are used, so the Psych-DS validator's type checks pass too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from emotipal.research.export.data import ExportData, Variable
from emotipal.research.export.formats.columns import integer_codes, table_variables, typed

SCHEMA_VERSION = "Psych-DS 0.1.0"


def keyword_value(text: str) -> str:
    """`self_reviews` -> `selfReviews`, `demo-study` -> `demoStudy`: what a Psych-DS keyword value may hold."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", text) if p]
    if not parts:
        raise ValueError(f"{text!r} has no letter or digit to name a file with")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def data_file_name(data: ExportData, table: str) -> str:
    return f"study-{keyword_value(data.study.slug)}_table-{keyword_value(table)}_data.csv"


def property_value(uses: list[tuple[str, Variable]]) -> dict[str, Any]:
    """One column name's PropertyValue; a name several tables use says what it means in each."""
    variable = uses[0][1]

    def said(v: Variable) -> str:
        return v.label + (f". {v.note}" if v.note else "")

    texts = {said(v) for _, v in uses}
    if len(texts) == 1:
        description = said(variable)
        if len(uses) > 1:
            description += f" (in tables {', '.join(t for t, _ in uses)})"
    else:
        description = "; ".join(f"{t}: {said(v)}" for t, v in uses)
    item: dict[str, Any] = {"@type": "PropertyValue", "name": variable.name, "description": description}
    if variable.unit:
        item["unitText"] = variable.unit
    if variable.values:
        item["valueReference"] = [
            {"@type": "PropertyValue", "value": code, "name": label}
            for code, label in variable.values.items()
        ]
        numeric = integer_codes(variable)
        if numeric and variable.type in ("integer", "number"):
            item["minValue"], item["maxValue"] = min(numeric), max(numeric)
    if variable.source or variable.kind or variable.timing:
        item["measurementTechnique"] = (
            f"source: {variable.source or '-'}; kind: {variable.kind or '-'}; timing: {variable.timing or '-'}"
        )
    return item


def description(data: ExportData) -> dict[str, Any]:
    study = data.study
    uses: dict[str, list[tuple[str, Variable]]] = {}
    for table in data.tables:
        for variable in table_variables(data, table):
            uses.setdefault(variable.name, []).append((table, variable))
    text = study.description or study.title
    text += f" Protocol version {study.protocol_version}."
    if study.ethics_committee:
        text += f" Approved by {study.ethics_committee} ({study.ethics_number})."
    text += " De-identified: pseudonymous ids keyed to this study, dates shifted per participant."
    return {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": study.title,
        "description": text,
        "schemaVersion": SCHEMA_VERSION,
        "identifier": study.slug,
        "version": study.protocol_version,
        "dateCreated": data.generated_at,
        "keywords": list(dict.fromkeys(["psychotherapy", "homework", *study.data_uses])),
        "variableMeasured": [property_value(u) for u in uses.values()],
    }


def _csv_frame(data: ExportData, table: str) -> pd.DataFrame:
    """Dates as 2025-03-06, datetimes as 2025-03-06T18:30:00Z, booleans as true / false, gaps empty."""
    variables = table_variables(data, table)
    frame = typed(data.tables[table], variables)
    formats = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%SZ"}
    for variable in variables:
        column = frame[variable.name]
        if variable.type in formats:
            frame[variable.name] = column.dt.strftime(formats[variable.type]).astype("object")
        elif variable.type == "boolean":
            frame[variable.name] = column.map({True: "true", False: "false"}).astype("object")
    return frame


def write(data: ExportData, out_dir: Path) -> list[Path]:
    data.check_complete()
    root = Path(out_dir) / "psychds"
    (root / "data").mkdir(parents=True, exist_ok=True)
    names = {table: data_file_name(data, table) for table in data.tables}
    if len(set(names.values())) != len(names):
        raise ValueError(f"two tables would share a Psych-DS file name: {sorted(names.values())}")
    written = []
    for table, name in names.items():
        path = root / "data" / name
        _csv_frame(data, table).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        written.append(path)
    described = root / "dataset_description.json"
    described.write_text(json.dumps(description(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [described, *written]
