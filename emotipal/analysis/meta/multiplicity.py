"""Adjusting a table of p-values for multiple testing (as R's ``p.adjust``).

When a report tests one hypothesis per row (say, one correlation per compliance figure), some rows will
be "significant" by chance alone. Two corrections:

* **Holm** (default; Holm 1979): controls the family-wise error rate - the chance of even one false
  positive in the table - at alpha, under any dependence between the tests. With the m p-values sorted
  ascending, p_(i) becomes max_{j <= i} min(1, (m - j + 1) p_(j)). It is uniformly more powerful than
  Bonferroni.
* **Benjamini-Hochberg** ("bh"; 1995): controls the false discovery rate - the expected share of false
  positives among the rows called significant - for independent or positively dependent tests.
  p_(i) becomes min_{j >= i} min(1, m p_(j) / j).

Missing p-values (None or NaN: a row whose test could not be computed) are left out of m and stay
missing, as ``p.adjust`` does with ``NA``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypeVar

import numpy as np

METHODS: tuple[str, ...] = ("holm", "bh")
K = TypeVar("K")


def adjust_p(pvalues: Sequence[float | None], method: str = "holm") -> list[float | None]:
    """Adjusted p-values in the input order (None where the input is None or NaN)."""
    if method not in METHODS:
        raise ValueError(f"unknown correction {method!r} (use one of {', '.join(METHODS)})")
    present = [i for i, p in enumerate(pvalues) if p is not None and not math.isnan(p)]
    values = np.array([float(pvalues[i]) for i in present])  # type: ignore[arg-type]
    if np.any((values < 0) | (values > 1)):
        raise ValueError("p-values must lie between 0 and 1")
    m = len(present)
    out: list[float | None] = [None] * len(pvalues)
    if m == 0:
        return out
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    if method == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ranked))
    else:
        scaled = m * ranked / np.arange(1, m + 1)
        adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    for rank, idx in enumerate(order):
        out[present[int(idx)]] = float(adjusted[rank])
    return out


def adjust_p_map(pvalues: Mapping[K, float | None], method: str = "holm") -> dict[K, float | None]:
    """:func:`adjust_p` for a table keyed by row name (e.g. {figure name: p}); the keys are kept."""
    keys = list(pvalues)
    return dict(zip(keys, adjust_p([pvalues[k] for k in keys], method), strict=True))
