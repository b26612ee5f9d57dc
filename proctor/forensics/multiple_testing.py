"""Multiple-testing control within groups (a room's pairs), with weights (the seat map).

Weighted procedures let the seat map focus the test without a second, ad-hoc threshold: each
hypothesis i of a group gets a weight w_i (normalised to mean 1 in its group) and is judged on
``p_i / w_i``. Neighbours' pairs carry a larger weight, so they are flagged at a looser per-pair
level than far pairs, while the whole room still keeps its error rate at ``alpha``.

* ``weighted_holm``: family-wise error ≤ alpha per group (Holm 1979, weighted form).
* ``weighted_bh``: false discovery rate ≤ alpha per group (Genovese, Roeder & Wasserman 2006).
"""

from __future__ import annotations

import numpy as np

__all__ = ["weighted_holm", "weighted_bh"]


def _prepare(p: np.ndarray, groups: np.ndarray, weights: np.ndarray | None):
    p = np.asarray(p, dtype=float)
    groups = np.asarray(groups)
    if p.shape != groups.shape or p.ndim != 1:
        raise ValueError(f"p and groups must be (n,) alike, got {p.shape} and {groups.shape}")
    w = np.ones_like(p) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != p.shape or np.any(w <= 0):
        raise ValueError("weights must be (n,) and positive")
    _, inverse, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    w = w / (np.bincount(inverse, weights=w) / sizes)[inverse]  # mean 1 within each group
    q = np.where(np.isnan(p), np.inf, p / w)
    order = np.lexsort((q, inverse))  # by group, then by weighted p
    g_sorted = inverse[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g_sorted)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, g_sorted.size]))
    rank = np.arange(g_sorted.size) - first + 1
    return p, w, q, order, g_sorted, first, rank, sizes


def weighted_holm(
    p: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None, alpha: float = 0.05
) -> np.ndarray:
    """Weighted Holm step-down within each group: (n,) bool, True = rejected (flagged).

    Step k of a group rejects the hypothesis with the k-th smallest ``p / w`` if
    ``p ≤ alpha · w / (sum of the weights not yet rejected)`` and every earlier step rejected.
    NaN p-values are never rejected.
    """
    p, w, q, order, g_sorted, first, rank, sizes = _prepare(p, groups, weights)
    w_sorted = w[order]
    cum = np.cumsum(w_sorted)
    before = cum - w_sorted - np.where(first > 0, cum[first - 1], 0.0)
    remaining = sizes[g_sorted] - before  # weights have mean 1, so they sum to the group size
    ok = q[order] <= alpha / remaining
    fails = np.cumsum(~ok)
    fails_before_group = np.where(first > 0, fails[first - 1], 0)
    rejected_sorted = (fails - fails_before_group) == 0
    out = np.zeros(p.shape, dtype=bool)
    out[order] = rejected_sorted
    return out


def weighted_bh(
    p: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None, alpha: float = 0.05
) -> np.ndarray:
    """Weighted Benjamini–Hochberg step-up within each group: (n,) bool, True = rejected.

    Rejects the k* smallest ``p / w`` of a group, k* the largest k with
    ``(p / w)_(k) ≤ k · alpha / m`` (m = the group's size). NaN p-values are never rejected.
    """
    p, _, q, order, g_sorted, first, rank, sizes = _prepare(p, groups, weights)
    ok = q[order] <= rank * alpha / sizes[g_sorted]
    k_star = np.zeros(sizes.size, dtype=int)
    np.maximum.at(k_star, g_sorted, np.where(ok, rank, 0))
    rejected_sorted = rank <= k_star[g_sorted]
    out = np.zeros(p.shape, dtype=bool)
    out[order] = rejected_sorted
    return out
