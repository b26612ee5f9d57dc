"""Ability estimation for scored response patterns: EAP, MAP and MLE.

* EAP (Bock & Mislevy 1982): posterior mean and SD of θ by quadrature over a normal prior.
* MAP (Samejima 1969; Mislevy 1986): posterior mode, SE from test information plus prior precision.
* MLE (Lord 1980, ch. 4): likelihood root, SE = 1 / sqrt(test information).

Responses come as a dense ``(n_persons, n_items)`` float array with NaN = not presented, a
``ResponseData``, a ``(person, item, score)`` tuple, or a single ``(n_items,)`` pattern (scalars
out). Scores are integer categories ``0..K_i − 1``. Parameters come as ``ItemParameters`` or any
object with a ``.params`` attribute (a ``Calibration``).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from item_bank.irt.models import ItemParameters, item_information, log_category_probabilities
from item_bank.irt.quadrature import standard_normal_quadrature

__all__ = [
    "EAPScorer",
    "dense_responses",
    "normal_quadrature",
    "resolve_parameters",
    "resolve_prior",
    "score_eap",
    "score_map",
    "score_mle",
    "score_wle",
]

# Persons per block: bounds memory at ~CHUNK × n_quadrature × 8 bytes and keeps blocks in cache.
_CHUNK = 32_768
_CACHE_SIZE = 16


def resolve_parameters(calibration_or_params: Any) -> ItemParameters:
    """The ``ItemParameters`` of a ``Calibration`` (its ``.params``) or the parameters themselves."""
    params = getattr(calibration_or_params, "params", calibration_or_params)
    if not isinstance(params, ItemParameters):
        raise TypeError(f"expected ItemParameters or a Calibration, got {type(params).__name__}")
    return params


def resolve_prior(
    calibration_or_params: Any, prior_mean: float | None, prior_sd: float | None
) -> tuple[float, float]:
    """The N(mean, sd²) ability prior: given values win, else a ``Calibration``'s estimated latent
    distribution (``latent_mean``, ``latent_sd`` — not N(0, 1) for Rasch or anchored
    calibrations), else N(0, 1)."""
    mean = getattr(calibration_or_params, "latent_mean", 0.0) if prior_mean is None else prior_mean
    sd = getattr(calibration_or_params, "latent_sd", 1.0) if prior_sd is None else prior_sd
    if not sd > 0:
        raise ValueError(f"prior_sd must be positive, got {sd}")
    return float(mean), float(sd)


def dense_responses(responses: Any, n_items: int | None = None) -> tuple[np.ndarray, bool]:
    """Responses as a 2-D float array, NaN = not presented.

    Args:
        responses: (n_persons, n_items) array, ``ResponseData``, ``(person, item, score)`` tuple,
            or one (n_items,) pattern.
        n_items: expected number of items (checked when given).

    Returns:
        ((n_persons, n_items) float array, True when the input was a single 1-D pattern).
    """
    if hasattr(responses, "to_dense"):
        dense, single = responses.to_dense(), False
    elif isinstance(responses, tuple):
        from item_bank.irt.data import as_response_data

        dense, single = as_response_data(responses).to_dense(), False
    else:
        dense = np.asarray(responses, dtype=float)
        single = dense.ndim == 1
        if single:
            dense = dense[None, :]
    if dense.ndim != 2:
        raise ValueError(f"responses must be (n_persons, n_items), got shape {dense.shape}")
    if n_items is not None and dense.shape[1] != n_items:
        raise ValueError(f"responses have {dense.shape[1]} items, the parameters {n_items}")
    return dense, single


def _check_scores(block: np.ndarray, n_categories: np.ndarray) -> None:
    """Raise if an observed score is not an integer category of its item."""
    with np.errstate(invalid="ignore"):
        # NaN compares False in the range tests but unequal to its floor: exclude it explicitly
        bad = ((block < 0) | (block >= n_categories) | (block != np.floor(block))) & ~np.isnan(
            block
        )
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"score {block[row, col]!r} of item {col} is not a category 0..{n_categories[col] - 1}"
        )


def normal_quadrature(
    n_points: int = 61, mean: float = 0.0, sd: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Rectangular rule over ``mean ± 6 sd`` (Bock & Aitkin 1981; R mirt's 61 points on ±6).

    For smooth, decaying posteriors the rectangular rule converges exponentially in the node
    spacing, so 61 points are far more accurate than reporting needs.

    Returns:
        (nodes (n_points,), log_weights (n_points,)) with ``sum(exp(log_weights)) == 1``.
    """
    if n_points < 3 or sd <= 0:
        raise ValueError("need n_points >= 3 and sd > 0")
    nodes, weights = standard_normal_quadrature(n_points, "rectangular")
    return mean + sd * nodes, np.log(weights)


class EAPScorer:
    """EAP scoring against one set of parameters, with the quadrature tables precomputed.

    The log-likelihood of every pattern at every node is a sum over categories of indicator
    matrices times per-item log-probability tables, i.e. K matrix products (Bock & Mislevy 1982
    computed the same sums pattern by pattern).

    Args:
        params: item parameters (n_items items, K = max categories).
        n_quadrature: number of nodes.
        prior_mean, prior_sd: the normal prior of θ.
    """

    def __init__(
        self,
        params: ItemParameters,
        n_quadrature: int = 61,
        prior_mean: float = 0.0,
        prior_sd: float = 1.0,
    ) -> None:
        self.params = params
        self.prior_mean, self.prior_sd = float(prior_mean), float(prior_sd)
        self.nodes, self.log_weights = normal_quadrature(n_quadrature, prior_mean, prior_sd)
        self.n_categories = params.n_categories
        # (n_items, K, n_q); impossible categories (-inf) are zeroed — scores are validated first,
        # so they are never selected, and 0 keeps the matrix products free of NaN.
        log_p = np.moveaxis(log_category_probabilities(self.nodes, params), 0, 2)
        self.log_p = np.where(np.isfinite(log_p), log_p, 0.0)
        self._base = np.ascontiguousarray(self.log_p[:, 0, :])  # (n_items, n_q)
        self._base_total = self._base.sum(axis=0)
        self._steps = [self.log_p[:, k, :] - self._base for k in range(1, self.log_p.shape[1])]
        self._centred = self.nodes - self.prior_mean

    def log_likelihood(self, block: np.ndarray) -> np.ndarray:
        """(n_persons, n_q) log-likelihood at the nodes of a (n_persons, n_items) block."""
        observed = ~np.isnan(block)
        if observed.all():
            loglik = np.broadcast_to(self._base_total, (block.shape[0], self.nodes.size)).copy()
        else:
            loglik = observed.astype(float) @ self._base
        for k, step in enumerate(self._steps, start=1):
            loglik += (block == k).astype(float) @ step
        return loglik

    def score(self, responses: Any) -> tuple[np.ndarray, np.ndarray] | tuple[float, float]:
        """EAP θ and posterior SD.

        Args:
            responses: (n_persons, n_items) NaN = not presented, a ``ResponseData`` or
                ``(person, item, score)`` triples (scored sparse, never densified), or a single
                (n_items,) pattern (scalars out).

        Returns:
            (theta (n_persons,), se (n_persons,)); persons with no responses get the prior.
        """
        if isinstance(responses, tuple) or hasattr(responses, "score"):
            return self._score_sparse(responses)
        if isinstance(responses, np.ndarray) and responses.ndim == 2:
            # converted block by block, so a compact int8 matrix is never copied whole to float
            dense, single = responses, False
            if dense.shape[1] != self.params.n_items:
                raise ValueError(
                    f"responses have {dense.shape[1]} items, the parameters {self.params.n_items}"
                )
        else:
            dense, single = dense_responses(responses, self.params.n_items)
        if single:
            return self._score_one(dense[0])
        theta = np.empty(dense.shape[0])
        se = np.empty(dense.shape[0])
        for start in range(0, dense.shape[0], _CHUNK):
            block = np.asarray(dense[start : start + _CHUNK], dtype=float)
            _check_scores(block, self.n_categories)
            rows = slice(start, start + block.shape[0])
            theta[rows], se[rows] = self._posterior_moments(self.log_likelihood(block))
        return theta, se

    def _score_sparse(self, responses: Any) -> tuple[np.ndarray, np.ndarray]:
        """Adaptive and linked designs: a sparse (n_persons, n_items·K) indicator matrix times
        the (n_items·K, n_q) log-probability table — cost follows the observed cells."""
        from item_bank.irt.data import as_response_data

        data = as_response_data(responses)
        if data.n_items != self.params.n_items:
            raise ValueError(
                f"responses have {data.n_items} items, the parameters {self.params.n_items}"
            )
        bad = np.flatnonzero(data.score >= self.n_categories[data.item])
        if bad.size:
            i = bad[0]
            raise ValueError(
                f"score {data.score[i]} of item {data.item[i]} is not a category "
                f"0..{self.n_categories[data.item[i]] - 1}"
            )
        n_k = self.log_p.shape[1]
        indicator = sp.csr_matrix(
            (np.ones(data.n_obs), (data.person, data.item * n_k + data.score)),
            shape=(data.n_persons, self.params.n_items * n_k),
        )
        table = self.log_p.reshape(-1, self.nodes.size)
        theta = np.empty(data.n_persons)
        se = np.empty(data.n_persons)
        for start in range(0, data.n_persons, _CHUNK):
            rows = slice(start, min(start + _CHUNK, data.n_persons))
            theta[rows], se[rows] = self._posterior_moments(indicator[rows] @ table)
        return theta, se

    def _posterior_moments(self, loglik: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and SD from a (n, n_q) log-likelihood (overwritten in place)."""
        log_post = loglik
        log_post += self.log_weights
        log_post -= log_post.max(axis=1, keepdims=True)
        post = np.exp(log_post, out=log_post)
        total = post.sum(axis=1)
        mean = post @ self._centred / total
        second = post @ self._centred**2 / total
        return mean + self.prior_mean, np.sqrt(np.maximum(second - mean**2, 0.0))

    def _score_one(self, pattern: np.ndarray) -> tuple[float, float]:
        """Fast path for one candidate: gather the observed rows, no matrix products."""
        items = np.flatnonzero(~np.isnan(pattern))
        scores = pattern[items]
        _check_scores(scores[None, :], self.n_categories[items])
        log_post = self.log_p[items, scores.astype(np.intp), :].sum(axis=0) + self.log_weights
        post = np.exp(log_post - log_post.max())
        post /= post.sum()
        mean = post @ self._centred
        return float(mean + self.prior_mean), float(
            np.sqrt(max(post @ self._centred**2 - mean**2, 0.0))
        )


# Identity-keyed cache: parameters are immutable (read-only arrays), so a scorer built for an
# object stays valid while that object lives; the weak reference detects a recycled id.
_scorers: dict[tuple[int, int, float, float], tuple[weakref.ref, EAPScorer]] = {}


_scorers_lock = threading.Lock()


def _cached_scorer(params: ItemParameters, n_q: int, mean: float, sd: float) -> EAPScorer:
    key = (id(params), int(n_q), float(mean), float(sd))
    with _scorers_lock:
        hit = _scorers.get(key)
        if hit is not None and hit[0]() is params:
            return hit[1]
    scorer = EAPScorer(params, n_q, mean, sd)
    with _scorers_lock:
        while len(_scorers) >= _CACHE_SIZE:
            _scorers.pop(next(iter(_scorers)))
        _scorers[key] = (weakref.ref(params), scorer)
    return scorer


def score_eap(
    responses: Any,
    calibration_or_params: Any,
    *,
    n_quadrature: int = 61,
    prior_mean: float | None = None,
    prior_sd: float | None = None,
) -> tuple[np.ndarray, np.ndarray] | tuple[float, float]:
    """Expected a posteriori θ and posterior SD (Bock & Mislevy 1982).

    Args:
        responses: (n_persons, n_items) float, NaN = not presented; ``ResponseData``;
            ``(person, item, score)``; or one (n_items,) pattern (then scalars are returned).
        calibration_or_params: ``ItemParameters`` or a ``Calibration``.
        n_quadrature: equally spaced nodes over prior_mean ± 6 prior_sd. The default (spacing
            0.2 prior SD) agrees with an 801-node rule to ~2e-5 while the posterior SD stays above
            ~0.15; raise it for very long tests, whose posteriors are narrower.
        prior_mean, prior_sd: normal prior N(prior_mean, prior_sd²); by default a
            Calibration's estimated latent distribution, or N(0, 1) for bare parameters.

    Returns:
        (theta (n_persons,), se (n_persons,)) — se is the posterior SD.
    """
    params = resolve_parameters(calibration_or_params)
    mean, sd = resolve_prior(calibration_or_params, prior_mean, prior_sd)
    return _cached_scorer(params, n_quadrature, mean, sd).score(responses)


@dataclass(frozen=True)
class _Objective:
    """Log-likelihood of patterns at per-person θ, plus a normal log-prior (MAP) or half the
    log test information (WLE, Warm 1989)."""

    params: ItemParameters
    prior_mean: float | None
    prior_sd: float
    weighted: bool = False

    def value(self, theta: np.ndarray, scores: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """(n,) objective for (n,) theta, (n, n_items) int scores and bool observed mask."""
        log_p = log_category_probabilities(theta, self.params)  # (n, n_items, K)
        picked = np.take_along_axis(log_p, scores[:, :, None], axis=2)[:, :, 0]
        out = np.where(observed, picked, 0.0).sum(axis=1)
        if self.prior_mean is not None:
            out -= 0.5 * ((theta - self.prior_mean) / self.prior_sd) ** 2
        if self.weighted:
            info = np.where(observed, item_information(theta, self.params), 0.0).sum(axis=1)
            with np.errstate(divide="ignore"):  # zero information: -inf, never an ascent step
                out += 0.5 * np.log(info)
        return out

    def gradient(self, theta: np.ndarray, scores: np.ndarray, observed: np.ndarray) -> np.ndarray:
        # central difference: model-agnostic, error ~h² ≈ 1e-10 relative, well below tolerance
        h = 1e-5
        return (
            self.value(theta + h, scores, observed) - self.value(theta - h, scores, observed)
        ) / (2 * h)

    def information(self, theta: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """(n,) test information over the presented items, plus prior precision for MAP."""
        info = np.where(observed, item_information(theta, self.params), 0.0).sum(axis=1)
        if self.prior_mean is not None:
            info += 1.0 / self.prior_sd**2
        return info


def _score_mode(
    responses: Any,
    params: ItemParameters,
    prior_mean: float | None,
    prior_sd: float,
    bounds: tuple[float, float],
    max_iter: int,
    tol: float,
    weighted: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[float, float]:
    """Posterior mode (prior given), weighted likelihood maximum (weighted) or likelihood
    maximum on ``bounds``."""
    dense, single = dense_responses(responses, params.n_items)
    lo, hi = bounds
    objective = _Objective(params, prior_mean, prior_sd, weighted)
    # Start from the best node of a fine grid: Fisher scoring then climbs the global mode, which
    # matters for 3PL likelihoods that can have a second, lower local maximum.
    grid = _cached_scorer(params, 61, 0.5 * (lo + hi), (hi - lo) / 12.0)
    theta_all = np.full(dense.shape[0], np.nan)
    se_all = np.full(dense.shape[0], np.nan)
    n_cat = params.n_categories
    for start in range(0, dense.shape[0], _CHUNK):
        block = dense[start : start + _CHUNK]
        _check_scores(block, n_cat)
        observed = ~np.isnan(block)
        scores = np.where(observed, block, 0).astype(np.intp)
        log_obj = grid.log_likelihood(block)
        if prior_mean is not None:
            log_obj -= 0.5 * ((grid.nodes - prior_mean) / prior_sd) ** 2
        if weighted:
            grid_info = observed.astype(float) @ item_information(grid.nodes, params).T
            with np.errstate(divide="ignore"):
                log_obj += 0.5 * np.log(grid_info)
        theta = grid.nodes[np.argmax(log_obj, axis=1)]
        # No finite MLE when every presented score is an item's lowest or every one its highest
        # category: the likelihood is monotone in θ, so the bound it runs to is returned.
        n_obs = observed.sum(axis=1)
        all_low = (observed & (scores == 0)).sum(axis=1) == n_obs
        all_high = (observed & (scores == n_cat - 1)).sum(axis=1) == n_obs
        active = n_obs > 0
        if prior_mean is not None:
            theta = np.where(n_obs > 0, theta, prior_mean)
        elif not weighted:
            theta = np.where(all_low, lo, np.where(all_high, hi, theta))
            active &= ~(all_low | all_high)
        for _ in range(max_iter):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            t, s, o = theta[idx], scores[idx], observed[idx]
            step = objective.gradient(t, s, o) / objective.information(t, o)
            current = objective.value(t, s, o)
            # step halving keeps every update an ascent step (Fisher scoring can overshoot 3PL)
            for _ in range(30):
                trial = np.clip(t + step, lo, hi)
                worse = objective.value(trial, s, o) < current - 1e-12
                if not worse.any():
                    break
                step = np.where(worse, 0.5 * step, step)
            moved = np.abs(trial - t)
            theta[idx] = trial
            active[idx] = moved > tol
        info = objective.information(np.where(np.isnan(theta), 0.0, theta), observed)
        with np.errstate(divide="ignore"):  # no responses: MLE info 0, reported as NaN below
            se = 1.0 / np.sqrt(info)
        if prior_mean is None:
            theta = np.where(n_obs > 0, theta, np.nan)
            se = np.where(n_obs > 0, se, np.nan)
        theta_all[start : start + _CHUNK] = theta
        se_all[start : start + _CHUNK] = se
    if single:
        return float(theta_all[0]), float(se_all[0])
    return theta_all, se_all


def score_map(
    responses: Any,
    calibration_or_params: Any,
    *,
    prior_mean: float | None = None,
    prior_sd: float | None = None,
    bounds: tuple[float, float] = (-6.0, 6.0),
    max_iter: int = 100,
    tol: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray] | tuple[float, float]:
    """Maximum a posteriori θ under a N(prior_mean, prior_sd²) prior (Mislevy 1986).

    Fisher scoring from the best of 61 grid points, with step halving, kept inside ``bounds``.

    Args:
        responses: as for ``score_eap``.
        calibration_or_params: ``ItemParameters`` or a ``Calibration``.
        prior_mean, prior_sd: as for ``score_eap``.
        bounds: (lo, hi) search interval of θ.

    Returns:
        (theta (n_persons,), se (n_persons,)), ``se = 1 / sqrt(I(θ̂) + 1 / prior_sd²)``;
        persons with no responses get (prior_mean, prior_sd).
    """
    params = resolve_parameters(calibration_or_params)
    mean, sd = resolve_prior(calibration_or_params, prior_mean, prior_sd)
    return _score_mode(responses, params, mean, sd, bounds, max_iter, tol)


def score_mle(
    responses: Any,
    calibration_or_params: Any,
    *,
    bounds: tuple[float, float] = (-6.0, 6.0),
    max_iter: int = 100,
    tol: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray] | tuple[float, float]:
    """Maximum likelihood θ (Lord 1980), bounded.

    Rule for patterns without a finite MLE: when every presented score is the item's lowest
    (highest) category the likelihood increases monotonically towards −∞ (+∞), so θ̂ is the
    lower (upper) bound, with ``se`` evaluated there. Other patterns whose likelihood still
    peaks beyond the bounds (possible under 3PL) also stop at the bound.

    Args:
        responses: as for ``score_eap``.
        calibration_or_params: ``ItemParameters`` or a ``Calibration``.
        bounds: (lo, hi) search interval of θ.

    Returns:
        (theta (n_persons,), se (n_persons,)), ``se = 1 / sqrt(I(θ̂))``; NaN for persons with
        no responses.
    """
    params = resolve_parameters(calibration_or_params)
    return _score_mode(responses, params, None, 1.0, bounds, max_iter, tol)


def score_wle(
    responses: Any,
    calibration_or_params: Any,
    *,
    bounds: tuple[float, float] = (-6.0, 6.0),
    max_iter: int = 100,
    tol: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray] | tuple[float, float]:
    """Weighted likelihood θ (Warm 1989): the maximum of ``L(θ) · I(θ)^{1/2}``.

    For Rasch, 1PL, 2PL and GPCM this is exactly Warm's estimator (its estimating equation
    ``∂ log L / ∂θ + I'(θ) / (2 I(θ)) = 0``); for 3PL and GRM it is the Jeffreys-prior mode
    (Firth 1993), the usual stand-in. Unlike the MLE it is finite for all-right and all-wrong
    patterns and has less bias, so it suits reporting without a population prior.

    Args:
        responses: as for ``score_eap``.
        calibration_or_params: ``ItemParameters`` or a ``Calibration``.
        bounds: (lo, hi) search interval of θ.

    Returns:
        (theta (n_persons,), se (n_persons,)), ``se = 1 / sqrt(I(θ̂))``; NaN for persons with
        no responses.
    """
    params = resolve_parameters(calibration_or_params)
    return _score_mode(responses, params, None, 1.0, bounds, max_iter, tol, weighted=True)
