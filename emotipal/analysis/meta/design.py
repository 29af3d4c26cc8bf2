"""Model matrices from moderator columns, with missing values handled the way metafor does (``na.omit``).

Rows with a missing value in any moderator of a model are left out of *that* model; the caller gets the
indices of the rows kept and of the rows excluded so it can report them.

What counts as missing is decided by the data, not guessed: an empty cell (or None/NaN) is missing, and
so is any spelling the user names (``missing=("NA", ".")``, the command line's ``--missing``). A level
called "none" - in metafor's dat.molloy2014 the column ``controls`` is "none" or "multiple" - is a level
like any other; treating such words as missing silently dropped real studies.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._stats import FloatArray
from .errors import MetaInputError

# Spellings of "no value" that spreadsheets and R commonly write. Not applied by default: pass them (or
# your own) as ``missing`` when the data use them.
COMMON_MISSING_TOKENS = frozenset({"na", "n/a", "nan", "null", "none", "."})


def missing_tokens(tokens: Collection[str] = ()) -> frozenset[str]:
    """The set of (stripped, lower-case) cell texts that mean missing: the empty cell plus ``tokens``."""
    return frozenset({""} | {t.strip().lower() for t in tokens})


def is_missing(value: object, tokens: Collection[str] = ()) -> bool:
    """True for None, NaN, an empty (or blank) string, and any of ``tokens`` (compared case-insensitively
    after stripping)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "" or not tokens:
            return text == ""
        hashable = isinstance(tokens, frozenset | tuple)
        return text in (_cached_tokens(tokens) if hashable else missing_tokens(tokens))  # type: ignore[arg-type]
    return False


@functools.lru_cache(maxsize=64)
def _cached_tokens(tokens: frozenset[str] | tuple[str, ...]) -> frozenset[str]:
    """missing_tokens once per token set: the data loaders ask for every cell (a million at 10,000 clients)."""
    return missing_tokens(tokens)


@dataclass(frozen=True)
class Design:
    """A model matrix for the kept rows, its column names and which columns belong to which moderator."""

    X: FloatArray
    names: tuple[str, ...]
    terms: dict[str, tuple[int, ...]]
    kept: tuple[int, ...]
    excluded: tuple[int, ...]
    levels: dict[str, tuple[str, ...]]


def _number(name: str, value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]  # kept rows hold numbers (or numeric strings)
    except (TypeError, ValueError):
        raise MetaInputError(f"moderator {name!r}: {value!r} is not a number") from None


def factor_levels(values: Sequence[str | None], missing: Collection[str] = ()) -> tuple[str, ...]:
    """Distinct non-missing levels in sorted order, like R's factor(), so the first (reference) level agrees.

    Python sorts by code point; R sorts by locale, so levels differing only in letter case may come in
    another order (which changes only the coefficient labels, not QM, QE, tau² or the subgroup means).
    """
    tokens = missing_tokens(missing)
    return tuple(sorted({str(v).strip() for v in values if not is_missing(v, tokens)}))


def build_design(
    n_rows: int,
    categorical: Mapping[str, Sequence[str | None]] | None = None,
    continuous: Mapping[str, Sequence[float | None]] | None = None,
    intercept: bool = True,
    missing: Collection[str] = (),
) -> Design:
    """Model matrix ``[1, dummies..., continuous...]`` (R's treatment coding: first level is the reference).

    With ``intercept=False`` and exactly one factor, every level gets its own column (R's ``~ 0 + f``),
    which makes the coefficients the subgroup means. Cells that are empty, or spelled as one of
    ``missing``, are missing (the row is left out and listed in ``excluded``).
    """
    tokens = missing_tokens(missing)
    categorical = dict(categorical or {})
    continuous = dict(continuous or {})
    for name, col in [*categorical.items(), *continuous.items()]:
        if len(col) != n_rows:
            raise ValueError(f"moderator {name!r} has {len(col)} values for {n_rows} studies")
    absent = np.zeros(n_rows, dtype=bool)
    for col in [*categorical.values(), *continuous.values()]:
        absent |= np.array([is_missing(v, tokens) for v in col], dtype=bool)
    kept = tuple(int(i) for i in np.flatnonzero(~absent))
    excluded = tuple(int(i) for i in np.flatnonzero(absent))

    columns: list[FloatArray] = []
    names: list[str] = []
    terms: dict[str, tuple[int, ...]] = {}
    levels: dict[str, tuple[str, ...]] = {}
    if intercept:
        columns.append(np.ones(len(kept)))
        names.append("intrcpt")
    elif len(categorical) != 1 or continuous:
        raise ValueError("a model without intercept is supported for a single factor only")
    for name, col in categorical.items():
        values = [str(col[i]).strip() for i in kept]
        lev = factor_levels(values)
        if len(lev) < 2:
            only = f" (only {lev[0]!r})" if lev else ""
            raise MetaInputError(f"moderator {name!r} needs at least two levels{only}")
        levels[name] = lev
        start = len(columns)
        for level in lev[1:] if intercept else lev:
            columns.append(np.array([1.0 if v == level else 0.0 for v in values]))
            names.append(f"{name}{level}")
        terms[name] = tuple(range(start, len(columns)))
    for name, col in continuous.items():
        values_f = np.asarray([_number(name, col[i]) for i in kept], dtype=np.float64)
        if not np.all(np.isfinite(values_f)):
            raise MetaInputError(f"moderator {name!r} has values that are not finite numbers")
        terms[name] = (len(columns),)
        columns.append(values_f)
        names.append(name)
    X = np.column_stack(columns) if columns else np.ones((len(kept), 1))
    return Design(X, tuple(names), terms, kept, excluded, levels)
