"""Rows to typed DataFrames (the codebook decides the columns and their types), and pseudonymous record keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from emotipal.research import pseudonyms
from emotipal.research.export.data import Variable
from emotipal.research.models import Study

# pandas' nullable dtypes: an empty cell stays empty (never 0 or False) in every format.
DTYPES = {
    "integer": "Int64",
    "number": "Float64",
    "boolean": "boolean",
    "string": "string",
}

# Two letters where one would be ambiguous (session / self-review, therapist / therapist review).
PREFIXES = {
    "assignment": "A",
    "entry": "E",
    "session": "S",
    "self_review": "SR",
    "therapist_review": "TR",
    "barrier": "B",
    "response": "Q",
    "ladder": "L",
    "step": "LS",
}


class Keys:
    """Pseudonymous ids of records, keyed by the study like the participants' (no internal id is exported)."""

    def __init__(self, study: Study) -> None:
        self.study = study

    def __call__(self, kind: str, local_id: int | None) -> str | None:
        if local_id is None:
            return None
        digest = pseudonyms.pseudonym(self.study, kind, local_id).split("-", 1)[1]
        return f"{PREFIXES[kind]}-{digest}"


def _column(v: Variable, values: list[Any]) -> Any:
    if v.type == "string":
        return pd.array([None if x is None else str(x) for x in values], dtype="string")
    if v.type in DTYPES:
        return pd.array(values, dtype=DTYPES[v.type])
    if v.type == "datetime":
        return pd.Series(pd.to_datetime(values, utc=True), dtype="datetime64[ns, UTC]")
    return pd.Series(values, dtype="object")  # dates: datetime.date or None


def frame(variables: list[Variable], rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Column by column (fast, and each column gets its codebook type at once)."""
    records = list(rows)
    unknown = set().union(*(r.keys() for r in records)) - {v.name for v in variables}
    if unknown:  # a column the codebook does not describe would be lost without a word
        raise ValueError(f"Columns without a codebook entry: {sorted(unknown)}")
    return pd.DataFrame({v.name: _column(v, [r.get(v.name) for r in records]) for v in variables})
