"""Null distributions of sums of independent discrete variables (the forensic indices' nulls).

* ``poisson_binomial_sf``: exact upper tail of a count of independent, unequal Bernoulli
  events (the recursion of Lord & Wingersky 1984 applied to one "category" per event).
* ``saddlepoint_sf``: upper tail of a weighted sum by the Lugannani–Rice (1980) saddlepoint
  approximation (see Butler 2007, *Saddlepoint Approximations with Applications*, ch. 1). Used
  where the sum is not on a lattice, so an exact recursion would need a fine grid per pair; its
  accuracy in the far tail (relative error of a few per cent at 1e-5) is what a per-room
  multiple-testing threshold needs, and tests check it against simulation.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

__all__ = ["poisson_binomial_sf", "saddlepoint_sf"]


def poisson_binomial_sf(probs: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """P(S >= count) for S = Σ_j Bernoulli(probs[:, j]), independent.

    Args:
        probs: (n, m) success probabilities; 0 for events that cannot happen (not presented).
        counts: (n,) observed counts.

    Returns:
        (n,) exact upper-tail probabilities.
    """
    probs = np.clip(np.asarray(probs, dtype=float), 0.0, 1.0)
    n, m = probs.shape
    dist = np.zeros((n, m + 1))
    dist[:, 0] = 1.0
    for j in range(m):  # a loop over items: each step is vectorised over persons or pairs
        q = probs[:, j : j + 1]
        dist[:, 1:] = dist[:, 1:] * (1.0 - q) + dist[:, :-1] * q
        dist[:, 0] *= 1.0 - q[:, 0]
    upper = np.cumsum(dist[:, ::-1], axis=1)[:, ::-1]
    counts = np.clip(np.asarray(counts, dtype=int), 0, m)
    return np.clip(upper[np.arange(n), counts], 0.0, 1.0)


def _cumulants(s: np.ndarray, values: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, ...]:
    """K(s), K'(s), K''(s) of S = Σ_j V_j at s (n,), V_j taking values[:, j, k] w.p. probs."""
    shift = s[:, None, None] * values
    top = shift.max(axis=2, keepdims=True)  # log-sum-exp guard for large s
    e = probs * np.exp(shift - top)
    m0 = e.sum(axis=2)
    m1 = (e * values).sum(axis=2) / m0
    m2 = (e * values**2).sum(axis=2) / m0
    k0 = (np.log(m0) + top[:, :, 0]).sum(axis=1)
    return k0, m1.sum(axis=1), np.maximum((m2 - m1**2).sum(axis=1), 1e-300)


def saddlepoint_sf(
    observed: np.ndarray, values: np.ndarray, probs: np.ndarray, *, max_iter: int = 50
) -> np.ndarray:
    """P(S >= observed) for S = Σ_j V_j, independent V_j with finite support.

    Args:
        observed: (n,) observed sums.
        values: (n, m, k) the values V_j can take (include the value 0 of "no match").
        probs: (n, m, k) their probabilities; each (i, j) row sums to 1.
        max_iter: Newton steps for the saddlepoint equation K'(s) = observed.

    Returns:
        (n,) Lugannani–Rice tail probabilities; the normal tail where observed is within a
        hair of the mean (the formula's removable singularity), the exact P(S = max)
        where observed is the largest value S can take, and 1 where it is the smallest (the
        saddlepoint runs off to −∞ there, and the formula's limit is not the tail).
    """
    observed = np.asarray(observed, dtype=float)
    values = np.asarray(values, dtype=float)
    probs = np.asarray(probs, dtype=float)
    support = probs > 0
    item_top = np.where(support, values, -np.inf).max(axis=2, keepdims=True)
    top = item_top[:, :, 0].sum(axis=1)
    bottom = np.where(support, values, np.inf).min(axis=2).sum(axis=1)
    at_max = observed >= top - 1e-9
    at_min = observed <= bottom + 1e-9
    s = np.zeros_like(observed)
    for _ in range(max_iter):
        _, k1, k2 = _cumulants(s, values, probs)
        step = (k1 - observed) / k2
        s = np.clip(s - step, -60.0, 60.0)
        if np.all(np.abs(step[~at_max]) < 1e-10):
            break
    k0, k1, k2 = _cumulants(s, values, probs)
    mean_k1, var0 = _cumulants(np.zeros_like(s), values, probs)[1:]
    w = np.sign(s) * np.sqrt(np.maximum(2.0 * (s * observed - k0), 0.0))
    u = s * np.sqrt(k2)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = norm.sf(w) + norm.pdf(w) * (1.0 / u - 1.0 / w)
    near_mean = np.abs(w) < 1e-3
    lr = np.where(near_mean, norm.sf((observed - mean_k1) / np.sqrt(var0)), lr)
    top_prob = np.exp(np.log(np.where(values >= item_top, probs, 0.0).sum(axis=2)).sum(axis=1))
    p = np.where(at_max, top_prob, np.where(at_min, 1.0, lr))
    return np.clip(np.nan_to_num(p, nan=1.0), 0.0, 1.0)
