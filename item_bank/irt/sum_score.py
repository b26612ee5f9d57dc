"""Sum-score distributions (Lord & Wingersky 1984) and EAP[θ | sum score] tables (Thissen et al. 1995).

Reports for fixed forms often give a scaled score per *number-correct* (or summed polytomous)
score rather than per pattern; the table here is that mapping, built from the item parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from item_bank.irt.models import ItemParameters, category_probabilities
from item_bank.irt.scoring import normal_quadrature, resolve_parameters, resolve_prior

__all__ = [
    "SumScoreTable",
    "lord_wingersky",
    "rest_score_distributions",
    "sum_score_distribution",
    "sum_score_table",
]


def lord_wingersky(probs: np.ndarray, max_scores: np.ndarray | None = None) -> np.ndarray:
    """Lord & Wingersky (1984) recursion: the distribution of the summed score at each θ.

    Items are added one at a time: after item i, ``S_i(x) = Σ_k S_{i−1}(x − k) P_i(k)``.
    The loop is over items and categories, vectorised over θ and sum scores.

    Args:
        probs: (n_q, n_items, K) category probabilities at n_q abilities.
        max_scores: (n_items,) highest category of each item; default K − 1 for all.

    Returns:
        (n_q, Σ max_scores + 1) ``P(sum score = x | θ_q)``; each row sums to 1.
    """
    n_q, n_items, n_k = probs.shape
    if max_scores is None:
        max_scores = np.full(n_items, n_k - 1)
    max_scores = np.asarray(max_scores, dtype=int)
    dist = np.zeros((n_q, int(max_scores.sum()) + 1))
    dist[:, 0] = 1.0
    top = 0
    for i in range(n_items):
        new = np.zeros_like(dist[:, : top + max_scores[i] + 1])
        for k in range(max_scores[i] + 1):
            new[:, k : k + top + 1] += dist[:, : top + 1] * probs[:, i, k : k + 1]
        top += int(max_scores[i])
        dist[:, : top + 1] = new
    return dist


def sum_score_distribution(theta: np.ndarray | float, params: ItemParameters) -> np.ndarray:
    """(n_q, max_total + 1) distribution of the summed score for (n_q,) theta (Lord & Wingersky 1984)."""
    params = resolve_parameters(params)
    probs = category_probabilities(theta, params)
    return lord_wingersky(probs, params.n_categories - 1)


def rest_score_distributions(probs: np.ndarray, max_scores: np.ndarray) -> np.ndarray:
    """Sum-score distributions leaving out each item in turn (used by S-X², Orlando & Thissen 2000).

    Args:
        probs: (n_q, n_items, K) category probabilities.
        max_scores: (n_items,) highest category per item.

    Returns:
        (n_items, n_q, Σ max_scores + 1) ``P(rest score = x | θ_q)`` without item i, zero-padded
        beyond that rest score's maximum.
    """
    n_q, n_items, _ = probs.shape
    max_scores = np.asarray(max_scores, dtype=int)
    out = np.zeros((n_items, n_q, int(max_scores.sum()) + 1))
    everything = np.arange(n_items)
    for i in range(n_items):
        keep = everything != i
        rest = lord_wingersky(probs[:, keep, :], max_scores[keep])
        out[i, :, : rest.shape[1]] = rest
    return out


@dataclass(frozen=True)
class SumScoreTable:
    """EAP[θ | sum score] table (Thissen, Pommerich, Billeaud & Williams 1995).

    Attributes:
        sum_score: (n_scores,) 0..max total score.
        theta: (n_scores,) posterior mean of θ given the sum score.
        se: (n_scores,) posterior SD.
        probability: (n_scores,) model-implied marginal probability of each sum score.
    """

    sum_score: np.ndarray
    theta: np.ndarray
    se: np.ndarray
    probability: np.ndarray

    def lookup(self, sum_scores: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """(theta, se) for (n,) integer sum scores; raises for scores outside the table."""
        idx = np.asarray(sum_scores)
        if np.any(idx != np.floor(idx)) or np.any((idx < 0) | (idx >= self.sum_score.size)):
            raise ValueError(f"sum scores must be integers in 0..{self.sum_score.size - 1}")
        idx = idx.astype(np.intp)
        return self.theta[idx], self.se[idx]


def sum_score_table(
    calibration_or_params: object,
    *,
    n_quadrature: int = 61,
    prior_mean: float | None = None,
    prior_sd: float | None = None,
) -> SumScoreTable:
    """Sum score → EAP θ and posterior SD for a fixed form (Thissen et al. 1995).

    ``EAP(x) = Σ_q θ_q S(x | θ_q) w_q / Σ_q S(x | θ_q) w_q`` with S from the Lord–Wingersky
    recursion and w the normal prior weights; works for dichotomous and polytomous items.

    Args:
        calibration_or_params: ``ItemParameters`` or a ``Calibration`` for the form's items.
        n_quadrature, prior_mean, prior_sd: quadrature and N(mean, sd²) prior as in ``score_eap``.
    """
    params = resolve_parameters(calibration_or_params)
    prior_mean, prior_sd = resolve_prior(calibration_or_params, prior_mean, prior_sd)
    nodes, log_w = normal_quadrature(n_quadrature, prior_mean, prior_sd)
    dist = sum_score_distribution(nodes, params)  # (n_q, n_scores)
    joint = dist * np.exp(log_w)[:, None]
    marginal = joint.sum(axis=0)
    post = joint / marginal
    centred = nodes - prior_mean
    mean = centred @ post
    var = (centred**2) @ post - mean**2
    return SumScoreTable(
        sum_score=np.arange(dist.shape[1]),
        theta=mean + prior_mean,
        se=np.sqrt(np.maximum(var, 0.0)),
        probability=marginal,
    )
