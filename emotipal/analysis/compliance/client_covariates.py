"""Per-client covariates with therapist indicators kept as codes, for the imputation model's products.

A column per therapist (0/1) makes the covariate matrix clients x therapists: 10,000 clients of 400
therapists is 4 million numbers, most of them 0, multiplied in every step of the Gibbs chain, and a network
ten times that size a hundred times more. Kept as each client's therapist code instead, every product the
chain needs is a dense product with the other covariates plus a sum per therapist (np.bincount), and the
results are those of the full matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClientCovariates:
    """The matrix [dense | indicators of therapists 1 .. levels - 1] (therapist 0 is the reference)."""

    dense: np.ndarray  # (n, a)
    therapist: np.ndarray | None = None  # (n,) codes 0 .. levels - 1; None: no therapist columns
    levels: int = 0

    @property
    def width(self) -> int:
        return self.dense.shape[1] + (self.levels - 1 if self.therapist is not None else 0)

    def times(self, coef: np.ndarray) -> np.ndarray:
        """The matrix times a coefficient vector: (n,)."""
        a = self.dense.shape[1]
        out = self.dense @ coef[:a]
        if self.therapist is not None:
            out = out + np.r_[0.0, coef[a:]][self.therapist]
        return out

    def transposed_times(self, values: np.ndarray) -> np.ndarray:
        """The matrix's transpose times per-client values: (width,)."""
        if self.therapist is None:
            return self.dense.T @ values
        per_therapist = np.bincount(self.therapist, weights=values, minlength=self.levels)
        return np.concatenate([self.dense.T @ values, per_therapist[1:]])

    def gram(self, weights: np.ndarray) -> np.ndarray:
        """The matrix' diag(weights) matrix: (width, width)."""
        dense_part = (self.dense * weights[:, None]).T @ self.dense
        if self.therapist is None:
            return dense_part
        cross = np.stack(
            [
                np.bincount(self.therapist, weights=weights * col, minlength=self.levels)[1:]
                for col in self.dense.T
            ]
        )  # (a, levels - 1)
        diagonal = np.diag(np.bincount(self.therapist, weights=weights, minlength=self.levels)[1:])
        return np.block([[dense_part, cross], [cross.T, diagonal]])

    def full(self) -> np.ndarray:
        """The whole matrix (for tests and small data)."""
        if self.therapist is None:
            return self.dense
        indicators = (self.therapist[:, None] == np.arange(1, self.levels)[None, :]).astype(float)
        return np.column_stack([self.dense, indicators])
