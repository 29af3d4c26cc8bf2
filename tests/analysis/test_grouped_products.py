"""The per-caseload sums of the analysis, computed by sorting and running sums, against the plain definitions.

Sums by therapist used to be a pass over every client per therapist or a clients x therapists indicator
matrix, which grows with the square of a clinic network; these tests hold the faster forms to the old.
"""

from __future__ import annotations

import numpy as np
import pytest

from emotipal.analysis.compliance.client_covariates import ClientCovariates
from emotipal.analysis.compliance.clustered import centred_sums
from emotipal.analysis.compliance.grouping import grouping
from emotipal.analysis.compliance.mediation import _within


def _data(seed: int, n: int = 60, clusters: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, clusters, n)
    groups[:clusters] = np.arange(clusters)  # every cluster has a client
    weights = rng.poisson(1.0, size=(5, n)).astype(float)
    weights[:, 0] = 0.0  # a client drawn in no resample
    return rng.normal(size=n), rng.normal(size=n), groups, weights


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_centred_sums_are_the_within_caseload_sums_of_squares(seed: int) -> None:
    x, y, groups, weights = _data(seed)
    sxx, syy, sxy = centred_sums(x, y, groups, weights)
    for b, w in enumerate(weights):
        expected = np.zeros(3)
        for g in np.unique(groups):
            member = groups == g
            wg = w[member]
            if wg.sum() == 0:
                continue
            mx, my = np.average(x[member], weights=wg), np.average(y[member], weights=wg)
            dx, dy = x[member] - mx, y[member] - my
            expected += [np.sum(wg * dx * dx), np.sum(wg * dy * dy), np.sum(wg * dx * dy)]
        assert [sxx[b], syy[b], sxy[b]] == pytest.approx(expected, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("seed", [4, 5])
def test_within_cluster_centring_matches_the_indicator_matrix(seed: int) -> None:
    _, _, groups, weights = _data(seed)
    values = np.random.default_rng(seed).normal(size=(weights.shape[0], len(groups), 3))
    onehot = (groups[:, None] == np.arange(groups.max() + 1)[None, :]).astype(float)
    totals = weights @ onehot
    sums = np.einsum("bn,bnk,nc->bck", weights, values, onehot)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = np.where(totals[..., None] > 0, sums / totals[..., None], 0.0)
    expected = values - np.einsum("nc,bck->bnk", onehot, means)
    assert _within(values, weights, grouping(groups)) == pytest.approx(expected, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("labels", [[3, 1, 3, 7, 1, 1, 7, 3], ["b", "a", "b", "c", "a"], [5], [2, 2, 2]])
def test_grouping_gives_each_groups_members_sums_and_number(labels: list[object]) -> None:
    groups = np.array(labels)
    found = grouping(groups)
    present = np.unique(groups)  # sorted: the groups' numbers follow their labels' order
    assert [m.tolist() for m in found.members()] == [np.flatnonzero(groups == g).tolist() for g in present]
    assert found.group_index().tolist() == [int(np.searchsorted(present, g)) for g in groups]
    values = np.arange(1.0, 2 * len(groups) + 1).reshape(2, len(groups)) ** 2
    expected = np.column_stack([values[:, groups == g].sum(axis=1) for g in present])
    assert found.sums(values, axis=1) == pytest.approx(expected)
    # Stable: within a group the clients keep their order (the bootstraps' draws depend on it).
    assert all((np.diff(m) > 0).all() for m in found.members())


def test_grouping_of_no_clients_has_no_group_numbers() -> None:
    found = grouping(np.array([], dtype=int))
    assert found.size == 0
    assert found.group_index().tolist() == []
    assert [m.tolist() for m in found.members()] == [[]]


@pytest.mark.parametrize("therapists", [None, 6])
def test_client_covariates_multiply_as_the_full_matrix(therapists: int | None) -> None:
    rng = np.random.default_rng(8)
    n = 40
    dense = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    codes = (
        None
        if therapists is None
        else np.r_[np.arange(therapists), rng.integers(0, therapists, n - therapists)]
    )
    covariates = ClientCovariates(dense, codes, therapists or 0)
    full = covariates.full()
    assert full.shape == (n, covariates.width) == (n, 3 + (therapists - 1 if therapists else 0))
    if therapists:
        assert full[:, 3:].sum(axis=1).tolist() == [0.0 if c == 0 else 1.0 for c in codes]  # type: ignore[union-attr]
    coef, values, weights = rng.normal(size=covariates.width), rng.normal(size=n), rng.uniform(0, 3, n)
    assert covariates.times(coef) == pytest.approx(full @ coef, rel=1e-12)
    assert covariates.transposed_times(values) == pytest.approx(full.T @ values, rel=1e-12)
    assert covariates.gram(weights) == pytest.approx((full * weights[:, None]).T @ full, rel=1e-12)


def test_the_imputation_model_inverts_by_cholesky_and_falls_back_to_the_pseudo_inverse() -> None:
    from emotipal.analysis.compliance.imputation import _inverse

    rng = np.random.default_rng(12)
    x = rng.normal(size=(50, 6))
    full_rank = x.T @ x
    assert _inverse(full_rank) == pytest.approx(np.linalg.inv(full_rank), rel=1e-9, abs=1e-12)
    # A repeated column (a therapist whose clients are all another's) makes X'X singular: the pseudo-inverse.
    singular = np.column_stack([x, x[:, 2]])
    gram = singular.T @ singular
    assert np.linalg.matrix_rank(gram) == 6
    assert _inverse(gram) == pytest.approx(np.linalg.pinv(gram), rel=1e-6, abs=1e-9)
    # Nearly repeated (1e-10 apart): Cholesky succeeds only by rounding, with a pivot of about 1e-10, and
    # its inverse would hold numbers of 1e20; the pseudo-inverse treats the matrix as the singular one it is.
    nearly = np.column_stack([x, x[:, 2] + 1e-10 * rng.normal(size=50)])
    gram = nearly.T @ nearly
    assert np.abs(_inverse(gram)).max() < 10 * np.abs(np.linalg.pinv(gram)).max()
