"""Tables as SPSS and Stata want them (what spss.py and stata.py share): valid variable names, numbers for every
coded column with value labels, dates as dates, and a record of every renamed variable and recoded value.

A coded column whose codes are whole numbers (ratings 0..4) keeps its numbers; one whose codes are words
(a participant's state) becomes 1, 2, ... in the codebook's order, the words kept as value labels and in
`variables.csv`, so nothing depends on reading the file's labels. Booleans become 0/1 labelled No/Yes.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from emotipal.research.export.data import ExportData, Variable
from emotipal.research.export.formats.columns import integer_codes, safe_names, table_variables, typed

YES_NO = {0: "No", 1: "Yes"}


@dataclass(frozen=True)
class NameRules:
    max_length: int
    reserved: frozenset[str]
    max_label_length: int


@dataclass
class Labelled:
    """One table ready for pyreadstat."""

    frame: pd.DataFrame
    names: dict[str, str]  # original -> name in the file
    column_labels: dict[str, str | None] = field(default_factory=dict)  # by name in the file
    value_labels: dict[str, dict[int | float, str]] = field(default_factory=dict)
    recoded: dict[str, dict[int, str]] = field(default_factory=dict)  # name in the file -> number -> word
    # SPSS's level of measurement (nominal, ordinal, scale) and which numeric columns hold whole numbers.
    measures: dict[str, str] = field(default_factory=dict)
    whole_numbers: set[str] = field(default_factory=set)


def prepare(data: ExportData, table: str, rules: NameRules) -> Labelled:
    variables = table_variables(data, table)
    frame = typed(data.tables[table], variables)
    names = safe_names([v.name for v in variables], max_length=rules.max_length, reserved=rules.reserved)
    result = Labelled(frame=pd.DataFrame(index=frame.index), names=names)
    for variable in variables:
        name = names[variable.name]
        result.frame[name] = _column(frame[variable.name], variable, name, result)
        label = variable.label + (f" ({variable.unit})" if variable.unit else "")
        result.column_labels[name] = label[: rules.max_label_length]
    return result


def _column(series: pd.Series, variable: Variable, name: str, result: Labelled) -> pd.Series:
    if variable.type == "boolean":
        labels = integer_codes(variable) or YES_NO
        result.value_labels[name] = {number: text for number, text in labels.items()}
        result.measures[name] = "nominal"
        result.whole_numbers.add(name)
        return series.map(lambda v: np.nan if pd.isna(v) else float(bool(v))).astype("float64")
    if variable.type in ("integer", "number"):
        numeric = pd.to_numeric(series).astype("float64")
        result.measures[name] = "ordinal" if variable.values else "scale"
        if variable.type == "integer":
            result.whole_numbers.add(name)
        if variable.values:
            codes = integer_codes(variable)
            if codes is None:
                raise ValueError(f"{variable.table}.{variable.name}: numeric codes must be whole numbers")
            result.value_labels[name] = {number: text for number, text in codes.items()}
        return numeric
    if variable.type == "date":
        return series.map(lambda v: None if pd.isna(v) else dt.date(v.year, v.month, v.day)).astype("object")
    if variable.type == "datetime":
        return series
    if variable.values:
        numbers = {code: number for number, code in enumerate(variable.values, start=1)}
        unknown = sorted({v for v in series.dropna() if v not in numbers})
        if unknown:
            raise ValueError(f"{variable.table}.{variable.name}: values {unknown} are not in the codebook")
        result.value_labels[name] = {numbers[c]: label for c, label in variable.values.items()}
        result.recoded[name] = {number: code for code, number in numbers.items()}
        result.measures[name] = "nominal"
        result.whole_numbers.add(name)
        # pd.isna: a missing value may be None, NaN or pandas' NA, depending on how the column was built.
        return series.map(lambda v: np.nan if pd.isna(v) else float(numbers[v])).astype("float64")
    return series.map(lambda v: "" if pd.isna(v) else v).astype("object")


def write_variables_csv(path: Path, prepared: dict[str, Labelled]) -> Path:
    """Every table's variables: original name, name in the file, label, and the words behind recoded numbers."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["table", "variable", "name_in_file", "label", "recoded_values"])
        for table, labelled in prepared.items():
            for original, name in labelled.names.items():
                recoded = labelled.recoded.get(name)
                writer.writerow(
                    [
                        table,
                        original,
                        name,
                        labelled.column_labels[name],
                        json.dumps(recoded, ensure_ascii=False) if recoded else "",
                    ]
                )
    return path
