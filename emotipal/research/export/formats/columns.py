"""What every format writer needs from a table: its columns in the codebook's types, names a package accepts, and
which column names the participant.

The table builder may hand over dates as date objects, strings or timestamps, and integers with gaps as floats
or pandas' nullable Int64; `typed` turns each column into one canonical dtype per codebook type, so each writer
converts from one shape only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import pandas as pd

from emotipal.research.export.data import ExportData, Variable

# The column that names the participant, in the order a table is searched for it.
PARTICIPANT_COLUMNS = ("participant_id", "participant", "participant_key", "client_key")


def typed(frame: pd.DataFrame, variables: Iterable[Variable]) -> pd.DataFrame:
    """A copy of the table with each column in its codebook type: Int64, float64, boolean, object str (None
    when missing), and datetime64 (dates at midnight, datetimes in UTC without a zone)."""
    by_name = {v.name: v for v in variables}
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        variable = by_name[str(column)]
        out[column] = _convert(frame[column], variable)
    return out.reset_index(drop=True)


def _convert(series: pd.Series, variable: Variable) -> pd.Series:
    if variable.type == "integer":
        return pd.to_numeric(series, errors="raise").astype("Int64")
    if variable.type == "number":
        return pd.to_numeric(series, errors="raise").astype("float64")
    if variable.type == "boolean":
        return series.astype("boolean")
    if variable.type == "date":
        return pd.to_datetime(series, errors="raise").dt.normalize()
    if variable.type == "datetime":
        stamps = pd.to_datetime(series, errors="raise", utc=True)
        return stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.map(lambda v: None if _missing(v) else str(v)).astype("object")


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def participant_column(frame: pd.DataFrame) -> str | None:
    for name in PARTICIPANT_COLUMNS:
        if name in frame.columns:
            return name
    return None


def is_coded(variable: Variable) -> bool:
    return bool(variable.values)


def integer_codes(variable: Variable) -> dict[int, str] | None:
    """The value labels keyed by int when every code is a whole number, else None (codes that are words)."""
    codes: dict[int, str] = {}
    for code, label in variable.values.items():
        try:
            number = int(code)
        except ValueError:
            return None
        if str(number) != code.strip():  # "01" or "1.0" is a word here, not the number 1
            return None
        codes[number] = label
    return codes


def safe_names(
    names: Iterable[str],
    *,
    max_length: int,
    reserved: frozenset[str] = frozenset(),
    lower: bool = False,
) -> dict[str, str]:
    """Each name made a valid variable name for a statistics package: ASCII letters, digits and _, starting with
    a letter, at most max_length characters, not a reserved word, unique ignoring case (SPSS and REDCap ignore
    it). A name that already fits stays as it is; clashes get a numbered suffix."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        base = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", ascii_name)).strip("_") or "v"
        if lower:
            base = base.lower()
        if not base[0].isalpha():
            base = f"v_{base}"
        base = base[:max_length].rstrip("_")
        candidate, number = base, 1
        while candidate.lower() in taken or candidate.lower() in reserved:
            number += 1
            suffix = f"_{number}"
            candidate = base[: max_length - len(suffix)].rstrip("_") + suffix
        taken.add(candidate.lower())
        result[name] = candidate
    return result


def table_variables(data: ExportData, table: str) -> list[Variable]:
    """The table's variables in the order of its columns."""
    by_name = {v.name: v for v in data.variables(table)}
    return [by_name[str(c)] for c in data.tables[table].columns]
