"""Model fit: person fit lz / lz* for dichotomous items, item fit S-X² for any model.

* lz (Drasgow, Levine & Williams 1985): standardised log-likelihood of a response pattern.
* lz* (Snijders 2001): lz corrected for θ being estimated, so it is closer to N(0, 1).
* S-X² (Orlando & Thissen 2000; polytomous form Kang & Chen 2008): observed vs model-implied
  proportions per category within sum-score groups, expected values from Lord–Wingersky.

Fit statistics are evidence for review, not verdicts: with many persons or items, control the
false-positive rate (e.g. Benjamini–Hochberg) before acting on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import chi2

from item_bank.irt.models import DICHOTOMOUS_MODELS, ItemParameters, category_probabilities
from item_bank.irt.scoring import (
    dense_responses,
    normal_quadrature,
    resolve_parameters,
    resolve_prior,
    score_map,
    score_mle,
)
from item_bank.irt.sum_score import lord_wingersky, rest_score_distributions

__all__ = ["ItemFit", "item_fit_sx2", "person_fit_lz", "person_fit_lzstar"]


def _dichotomous_setup(
    responses: Any, calibration_or_params: Any
) -> tuple[ItemParameters, np.ndarray, np.ndarray, np.ndarray, bool]:
    params = resolve_parameters(calibration_or_params)
    if params.model not in DICHOTOMOUS_MODELS:
        raise ValueError(f"lz / lz* are defined here for dichotomous models, not {params.model}")
    dense, single = dense_responses(responses, params.n_items)
    observed = ~np.isnan(dense)
    u = np.where(observed, dense, 0.0)
    if np.any((u != 0) & (u != 1)):
        raise ValueError("dichotomous responses must be 0, 1 or NaN")
    return params, dense, u, observed, single


def _extreme(u: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """(n,) True where a person has < 2 responses or all presented scores are equal."""
    n_obs = observed.sum(axis=1)
    n_right = u.sum(axis=1)
    return (n_obs < 2) | (n_right == 0) | (n_right == n_obs)


def _probabilities(theta: np.ndarray, params: ItemParameters) -> np.ndarray:
    """(n, n_items) P(correct) at per-person θ, clipped away from 0 and 1 for the logs."""
    p = category_probabilities(theta, params)[:, :, 1]
    return np.clip(p, 1e-12, 1.0 - 1e-12)


def _maybe_scalar(values: np.ndarray, single: bool) -> np.ndarray | float:
    return float(values[0]) if single else values


def person_fit_lz(
    responses: Any, calibration_or_params: Any, theta: np.ndarray | float | None = None
) -> np.ndarray | float:
    """Standardised log-likelihood person fit lz (Drasgow, Levine & Williams 1985).

    ``lz = (l0 − E l0) / sqrt(Var l0)`` over the presented items, with
    ``l0 = Σ u log P + (1 − u) log Q``, ``E l0 = Σ P log P + Q log Q`` and
    ``Var l0 = Σ P Q (log(P / Q))²`` at θ. Large negative values flag misfit.

    Args:
        responses: (n_persons, n_items) 0/1, NaN = not presented (or one (n_items,) pattern).
        calibration_or_params: dichotomous ``ItemParameters`` or a ``Calibration``.
        theta: (n_persons,) abilities; default the bounded MLE (``score_mle``).

    Returns:
        (n_persons,) lz; NaN for persons with fewer than two responses or an all-0 / all-1
        pattern (no finite MLE, and no evidence about fit).
    """
    params, dense, u, observed, single = _dichotomous_setup(responses, calibration_or_params)
    if theta is None:
        theta = score_mle(dense, params)[0]
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    p = _probabilities(np.nan_to_num(theta), params)
    q = 1.0 - p
    logit = np.log(p) - np.log(q)
    l0 = np.where(observed, u * np.log(p) + (1 - u) * np.log(q), 0.0).sum(axis=1)
    mean = np.where(observed, p * np.log(p) + q * np.log(q), 0.0).sum(axis=1)
    var = np.where(observed, p * q * logit**2, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        lz = (l0 - mean) / np.sqrt(var)
    lz = np.where(_extreme(u, observed) | np.isnan(theta), np.nan, lz)
    return _maybe_scalar(lz, single)


def person_fit_lzstar(
    responses: Any,
    calibration_or_params: Any,
    theta: np.ndarray | float | None = None,
    *,
    estimator: str = "mle",
    prior_mean: float | None = None,
    prior_sd: float | None = None,
) -> np.ndarray | float:
    """lz corrected for estimated θ (Snijders 2001), asymptotically N(0, 1) under the model.

    With ``w_i = log(P_i / Q_i)``, ``r_i = P_i' / (P_i Q_i)`` and the estimator's extra term
    ``r_0`` (0 for MLE, ``−(θ − μ) / σ²`` for MAP):
    ``c_n = Σ P_i' w_i / Σ P_i' r_i``, ``w̃_i = w_i − c_n r_i``,
    ``lz* = (Σ (u_i − P_i) w_i + c_n r_0) / sqrt(Σ w̃_i² P_i Q_i)``.

    Args:
        responses: (n_persons, n_items) 0/1, NaN = not presented (or one (n_items,) pattern).
        calibration_or_params: dichotomous ``ItemParameters`` or a ``Calibration``.
        theta: (n_persons,) estimates made with ``estimator``; computed when omitted.
        estimator: "mle" or "map" — the estimator that produced theta.
        prior_mean, prior_sd: the MAP prior; by default a Calibration's latent distribution,
            else N(0, 1).

    Returns:
        (n_persons,) lz*; NaN as for ``person_fit_lz``.
    """
    if estimator not in ("mle", "map"):
        raise ValueError(f"estimator must be 'mle' or 'map', got {estimator!r}")
    params, dense, u, observed, single = _dichotomous_setup(responses, calibration_or_params)
    prior_mean, prior_sd = resolve_prior(calibration_or_params, prior_mean, prior_sd)
    if theta is None:
        if estimator == "mle":
            theta = score_mle(dense, params)[0]
        else:
            theta = score_map(dense, params, prior_mean=prior_mean, prior_sd=prior_sd)[0]
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    t = np.nan_to_num(theta)
    p = _probabilities(t, params)
    q = 1.0 - p
    a, c = params.a, params.c
    dp = a * (p - c) * q / (1.0 - c)  # dP/dθ of the 3PL (Birnbaum 1968); a P Q when c = 0
    w = np.log(p) - np.log(q)
    r = dp / (p * q)
    mask = observed.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        c_n = (mask * dp * w).sum(axis=1) / (mask * dp * r).sum(axis=1)
        r0 = np.zeros_like(t) if estimator == "mle" else -(t - prior_mean) / prior_sd**2
        w_tilde = w - c_n[:, None] * r
        numerator = (mask * (u - p) * w).sum(axis=1) + c_n * r0
        tau2 = (mask * w_tilde**2 * p * q).sum(axis=1)
        lzs = numerator / np.sqrt(tau2)
    lzs = np.where(_extreme(u, observed) | np.isnan(theta), np.nan, lzs)
    return _maybe_scalar(lzs, single)


@dataclass(frozen=True)
class ItemFit:
    """S-X² item fit (Orlando & Thissen 2000).

    Attributes:
        statistic: (n_items,) S-X².
        df: (n_items,) degrees of freedom after collapsing score groups.
        p_value: (n_items,) upper-tail chi-square probability; NaN when df <= 0.
        n_groups: (n_items,) sum-score groups after collapsing.
    """

    statistic: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    n_groups: np.ndarray


def _default_n_parameters(params: ItemParameters) -> np.ndarray:
    """Free parameters per item: intercepts, plus a slope (2PL/GRM/GPCM), plus c (3PL)."""
    n_int = params.n_categories - 1
    if params.model in ("rasch", "1pl"):
        return n_int  # a common slope is not charged to any one item
    if params.model == "3pl":
        return n_int + 2
    return n_int + 1


def _collapse(observed: np.ndarray, expected: np.ndarray, min_expected: float) -> tuple[float, int]:
    """Chi-square over score groups after merging adjacent groups (ascending) until every
    expected cell count reaches ``min_expected``; a short tail joins the last group.

    Args:
        observed, expected: (n_scores, K_i) counts per sum-score group and category.

    Returns:
        (statistic, number of groups).
    """
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    acc_o = np.zeros(observed.shape[1])
    acc_e = np.zeros(observed.shape[1])
    for o, e in zip(observed, expected, strict=True):
        acc_o, acc_e = acc_o + o, acc_e + e
        if np.all(acc_e >= min_expected):
            groups.append((acc_o, acc_e))
            acc_o, acc_e = np.zeros_like(acc_o), np.zeros_like(acc_e)
    if acc_e.sum() > 0:
        if groups:
            last_o, last_e = groups.pop()
            groups.append((last_o + acc_o, last_e + acc_e))
        else:
            groups.append((acc_o, acc_e))
    stat = 0.0
    for o, e in groups:
        keep = e > 0
        stat += float(np.sum((o[keep] - e[keep]) ** 2 / e[keep]))
    return stat, len(groups)


def item_fit_sx2(
    responses: Any,
    calibration_or_params: Any,
    *,
    n_quadrature: int = 61,
    prior_mean: float | None = None,
    prior_sd: float | None = None,
    min_expected: float = 1.0,
    n_item_parameters: np.ndarray | None = None,
) -> ItemFit:
    """S-X² item fit (Orlando & Thissen 2000; Kang & Chen 2008 for polytomous items).

    For sum score k (excluding 0 and the maximum, where responses are determined), the
    model-implied proportion in category c of item i is
    ``E_ikc = ∫ P_ic(θ) S^{(−i)}(k − c | θ) φ(θ) dθ / ∫ S(k | θ) φ(θ) dθ``
    (S from Lord–Wingersky); ``S-X²_i = Σ_k N_k Σ_c (O_ikc − E_ikc)² / E_ikc``, with df =
    groups × (K_i − 1) − free parameters of the item.

    Missing data: sum scores need every item, so only persons with complete responses are used.

    Args:
        responses: (n_persons, n_items), NaN = not presented; ``ResponseData``; triples.
        calibration_or_params: ``ItemParameters`` or a ``Calibration``.
        n_quadrature, prior_mean, prior_sd: quadrature over the N(mean, sd²) population; by
            default a Calibration's latent distribution, else N(0, 1).
        min_expected: smallest expected cell count before adjacent groups are merged.
        n_item_parameters: (n_items,) free parameters charged to each item; default by model.

    Returns:
        ``ItemFit`` with (n_items,) arrays.
    """
    params = resolve_parameters(calibration_or_params)
    prior_mean, prior_sd = resolve_prior(calibration_or_params, prior_mean, prior_sd)
    dense, _ = dense_responses(responses, params.n_items)
    dense = dense[~np.isnan(dense).any(axis=1)]
    if dense.shape[0] == 0:
        raise ValueError("S-X² needs persons with complete responses; none found")
    max_scores = params.n_categories - 1
    if np.any(dense < 0) or np.any(dense > max_scores) or np.any(dense != np.floor(dense)):
        raise ValueError("responses must be integer categories 0..K_i - 1 of their items")
    scores = dense.astype(np.intp)
    n_items, n_k = params.n_items, params.max_categories
    total_max = int(max_scores.sum())

    nodes, log_w = normal_quadrature(n_quadrature, prior_mean, prior_sd)
    weights = np.exp(log_w)
    probs = category_probabilities(nodes, params)  # (n_q, n_items, K)
    denominator = weights @ lord_wingersky(probs, max_scores)  # (T+1,)
    rest = rest_score_distributions(probs, max_scores)  # (n_items, n_q, T+1)
    # expected[i, k, c] = Σ_q w_q P_ic(θ_q) rest_i(k − c | θ_q) / denominator[k]
    weighted = np.einsum("q,qic,iqs->ics", weights, probs, rest)  # (n_items, K, T+1) by rest
    expected = np.zeros((n_items, total_max + 1, n_k))
    for c in range(n_k):
        expected[:, c:, c] = weighted[:, c, : total_max + 1 - c]
    # a total too extreme to be represented in floating point has no expected counts
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.nan_to_num(expected / denominator[None, :, None])

    totals = scores.sum(axis=1)
    n_by_total = np.bincount(totals, minlength=total_max + 1)
    flat = (np.arange(n_items)[None, :] * (total_max + 1) + totals[:, None]) * n_k + scores
    observed = np.bincount(flat.ravel(), minlength=n_items * (total_max + 1) * n_k).reshape(
        n_items, total_max + 1, n_k
    )

    n_par = _default_n_parameters(params) if n_item_parameters is None else n_item_parameters
    n_par = np.broadcast_to(np.asarray(n_par), (n_items,))
    stat = np.zeros(n_items)
    n_groups = np.zeros(n_items, dtype=int)
    inner = slice(1, total_max)  # sum scores 0 and max determine every response
    for i in range(n_items):
        k_i = int(max_scores[i]) + 1
        exp_counts = n_by_total[inner, None] * expected[i, inner, :k_i]
        stat[i], n_groups[i] = _collapse(observed[i, inner, :k_i], exp_counts, min_expected)
    df = n_groups * (max_scores) - n_par
    p_value = np.where(df > 0, chi2.sf(stat, np.maximum(df, 1)), np.nan)
    return ItemFit(statistic=stat, df=df, p_value=p_value, n_groups=n_groups)
