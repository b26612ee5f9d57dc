"""Response-time aberrance under van der Linden's (2006) log-normal model.

    log T_pj = β_j − τ_p + ε_pj,   ε_pj ~ N(0, 1 / α_j²)

τ_p is the person's speed, β_j the item's time intensity, α_j its time discrimination
(van der Linden 2006, *J. Educational and Behavioral Statistics* 31(2), 181–204). Estimated by
joint maximum likelihood on the log times (alternating closed-form updates, mean τ = 0 for
identification; α is slightly overestimated with few items per person, by about
n_items / (n_items − 1), which is immaterial at 40 items). Residuals
``z_pj = α_j (log T_pj − β_j + τ_p)`` are N(0, 1) under the model; a person's
``l_t = Σ_j z_pj²`` is compared with χ²(n_presented) (van der Linden & Guo 2008,
*Psychometrika* 73(3), 365–384).

Too-fast correct answers (the mark of item pre-knowledge): a response is "fast" when
``z_pj < −z_fast``; under the hierarchical model speed and accuracy are independent given
(θ, τ), so the number of fast correct answers of a person is a sum of independent Bernoulli
variables with ``Φ(−z_fast) · P_pj(correct)``, and its exact upper tail is the p-value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2, norm

from proctor.forensics.tails import poisson_binomial_sf

__all__ = ["LognormalTimes", "fit_lognormal_times", "fast_correct_answers", "FastCorrect"]


@dataclass(frozen=True)
class LognormalTimes:
    """Fitted log-normal model.

    Attributes:
        tau: (n_persons,) speed; beta: (n_items,) time intensity; alpha: (n_items,) precision.
        residuals: (n_persons, n_items) standardised residuals z, NaN = no time.
        lt: (n_persons,) Σ z²; p_value: (n_persons,) its χ² upper tail.
    """

    tau: np.ndarray
    beta: np.ndarray
    alpha: np.ndarray
    residuals: np.ndarray
    lt: np.ndarray
    p_value: np.ndarray


def fit_lognormal_times(times: np.ndarray, *, n_iter: int = 30) -> LognormalTimes:
    """Fit the log-normal model to response times.

    Args:
        times: (n_persons, n_items) seconds > 0, NaN = not presented or not recorded.
        n_iter: alternating updates (converges in a few; the default is ample).
    """
    times = np.asarray(times, dtype=float)
    if times.ndim != 2 or np.any(times[~np.isnan(times)] <= 0):
        raise ValueError("times must be (n_persons, n_items) seconds > 0, NaN = missing")
    seen = ~np.isnan(times)
    if np.any(seen.sum(axis=0) < 2) or np.any(seen.sum(axis=1) < 1):
        raise ValueError("every item needs two timed persons and every person one timed item")
    y = np.where(seen, np.log(np.where(seen, times, 1.0)), 0.0)
    mask = seen.astype(float)
    tau = np.zeros(times.shape[0])
    beta = (y * mask).sum(axis=0) / mask.sum(axis=0)
    alpha = np.ones(times.shape[1])
    for _ in range(n_iter):
        w = mask * alpha**2
        tau = (w * (beta[None, :] - y)).sum(axis=1) / w.sum(axis=1)
        tau -= tau.mean()
        beta = (mask * (y + tau[:, None])).sum(axis=0) / mask.sum(axis=0)
        resid = mask * (y - beta[None, :] + tau[:, None])
        alpha = 1.0 / np.sqrt((resid**2).sum(axis=0) / mask.sum(axis=0))
    z = np.where(seen, alpha * (y - beta[None, :] + tau[:, None]), np.nan)
    lt = np.nansum(z**2, axis=1)
    return LognormalTimes(tau, beta, alpha, z, lt, chi2.sf(lt, seen.sum(axis=1)))


@dataclass(frozen=True)
class FastCorrect:
    """flags: (n, m) fast and correct; count: (n,); expected: (n,); p_value: (n,)."""

    flags: np.ndarray
    count: np.ndarray
    expected: np.ndarray
    p_value: np.ndarray


def fast_correct_answers(
    residuals: np.ndarray, scores: np.ndarray, p_correct: np.ndarray, *, z_fast: float = 1.645
) -> FastCorrect:
    """Count too-fast correct answers per person against their expectation.

    Args:
        residuals: (n_persons, n_items) z from ``fit_lognormal_times``.
        scores: (n_persons, n_items) 0/1, NaN = not presented.
        p_correct: (n_persons, n_items) model P(correct) at each person's θ.
        z_fast: a response is fast when its residual is below −z_fast.
    """
    scores = np.asarray(scores, dtype=float)
    both = ~np.isnan(residuals) & ~np.isnan(scores)
    flags = both & (np.nan_to_num(residuals) < -z_fast) & (np.nan_to_num(scores) == 1)
    probs = np.where(both, norm.cdf(-z_fast) * np.asarray(p_correct, dtype=float), 0.0)
    count = flags.sum(axis=1)
    return FastCorrect(flags, count, probs.sum(axis=1), poisson_binomial_sf(probs, count))
