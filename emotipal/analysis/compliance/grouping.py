"""Clients sorted by their group (therapist, caseload) once, for every per-group sum of the analysis.

The correlations' caseload bootstrap, the mediation's within-therapist centring and both bootstraps'
resampling all need each group's clients. A pass over the clients per group, or a clients x groups indicator
matrix, grows with the square of a clinic network; sorting once and taking running sums (np.add.reduceat)
grows with the clients. The sort is made once per figure and kept, as the bootstraps ask for the same
groups' sums thousands of times.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Grouping(NamedTuple):
    """The clients in group order (`order`: stable, so ties keep their order) and where each group starts
    in that order (`starts`); groups are numbered 0, 1, ... in sorted order of their labels."""

    order: np.ndarray
    starts: np.ndarray

    @property
    def size(self) -> int:
        return len(self.order)

    def members(self) -> list[np.ndarray]:
        """Each group's clients (their positions in the original order), group by group."""
        return np.split(self.order, self.starts[1:])

    def sums(self, values: np.ndarray, axis: int = -1) -> np.ndarray:
        """Each group's sum of `values` along `axis` (which runs over the clients in their original order)."""
        return np.add.reduceat(np.take(values, self.order, axis=axis), self.starts, axis=axis)

    def group_index(self) -> np.ndarray:
        """Each client's group number (0, 1, ...), in the original order: to spread per-group figures back
        over the clients (`per_group[..., grouping.group_index()]`)."""
        index = np.empty(self.size, dtype=np.intp)
        index[self.order] = np.repeat(np.arange(len(self.starts)), np.diff(np.r_[self.starts, self.size]))
        return index


def grouping(groups: np.ndarray) -> Grouping:
    """Sort the clients by their group labels (any sortable labels: codes, names)."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]) if len(groups) else order
    return Grouping(order, starts)
