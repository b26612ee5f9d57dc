"""Unidimensional IRT models: item parameters, category probabilities, information.

Everything is in slope–intercept form (the form estimation works in; difficulty form is derived):

* dichotomous (Rasch, 1PL, 2PL, 3PL; Birnbaum 1968):
  ``P(X=1 | θ) = c + (1 − c) / (1 + exp(−(a θ + d)))``, difficulty ``b = −d / a``;
* graded response model (Samejima 1969):
  ``P(X ≥ k | θ) = logistic(a θ + d_k)`` for k = 1..K−1, intercepts strictly decreasing;
* generalized partial credit model (Muraki 1992):
  ``P(X = k | θ) ∝ exp(Σ_{v ≤ k} (a θ + d_v))``, step difficulties ``−d_v / a``.

No scaling constant 1.7 anywhere. Items with fewer categories than the widest item carry NaN in
the unused trailing columns of ``d``; their impossible categories get probability zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit

__all__ = [
    "MODELS",
    "DICHOTOMOUS_MODELS",
    "ItemParameters",
    "normalise_model",
    "category_probabilities",
    "log_category_probabilities",
    "log_probabilities_from_arrays",
    "item_information",
    "test_information",
    "expected_item_score",
    "expected_score",
]

MODELS = ("rasch", "1pl", "2pl", "3pl", "grm", "gpcm")
DICHOTOMOUS_MODELS = ("rasch", "1pl", "2pl", "3pl")

_ALIASES = {
    "onepl": "1pl",
    "twopl": "2pl",
    "threepl": "3pl",
    "graded": "grm",
    "samejima": "grm",
    "pcm_generalized": "gpcm",
}


def normalise_model(name: str) -> str:
    """Canonical model name: case-insensitive, ``"Rasch" -> "rasch"``, ``"2PL" -> "2pl"``.

    Raises ``ValueError`` naming the bad name and the accepted ones.
    """
    if not isinstance(name, str):
        raise ValueError(f"model name must be a string, got {name!r}")
    key = name.strip().lower().replace("-", "").replace(" ", "")
    key = _ALIASES.get(key, key)
    if key not in MODELS:
        raise ValueError(f"unknown IRT model {name!r}; expected one of {', '.join(MODELS)}")
    return key


@dataclass(frozen=True)
class ItemParameters:
    """Item parameters of one model for a set of items (slope–intercept form).

    Attributes:
        model: canonical model name (one of ``MODELS``).
        a: (n_items,) slopes; 1.0 for Rasch, one common value for 1PL.
        d: (n_items, K−1) intercepts; dichotomous models have K−1 = 1. GRM: decreasing
            cumulative intercepts; GPCM: step intercepts. NaN where an item has fewer categories.
        c: (n_items,) lower asymptotes; zeros unless 3PL.
    """

    model: str
    a: np.ndarray
    d: np.ndarray
    c: np.ndarray

    def __post_init__(self) -> None:
        model = normalise_model(self.model)
        a = np.atleast_1d(np.asarray(self.a, dtype=float))
        d = np.asarray(self.d, dtype=float)
        if d.ndim == 1:
            d = d[:, None]
        c = np.zeros_like(a) if self.c is None else np.atleast_1d(np.asarray(self.c, dtype=float))
        if a.ndim != 1 or d.ndim != 2 or c.shape != a.shape or d.shape[0] != a.shape[0]:
            raise ValueError(
                f"inconsistent shapes: a {a.shape}, d {d.shape}, c {c.shape}; "
                "expected a (n_items,), d (n_items, K-1), c (n_items,)"
            )
        if d.shape[1] < 1:
            raise ValueError("d needs at least one column (K >= 2 categories)")
        if model in DICHOTOMOUS_MODELS and d.shape[1] != 1:
            raise ValueError(f"{model} is dichotomous: d must have one column, got {d.shape[1]}")
        if np.isnan(d[:, 0]).any():
            raise ValueError("every item needs a finite first intercept d[:, 0]")
        # NaN padding must be trailing: an item's categories are 0..K_i-1 with no gaps.
        nan = np.isnan(d)
        if (nan[:, :-1] & ~nan[:, 1:]).any():
            raise ValueError("NaN padding in d must be trailing (fewer categories, no gaps)")
        if np.any((c < 0) | (c >= 1)):
            raise ValueError("lower asymptotes c must lie in [0, 1)")
        if model != "3pl" and np.any(c != 0):
            raise ValueError(f"{model} has no lower asymptote: c must be zero")
        for name, value in (("model", model), ("a", a), ("d", d), ("c", c)):
            if isinstance(value, np.ndarray):
                value = value.copy()
                value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def n_items(self) -> int:
        return int(self.a.shape[0])

    @property
    def b(self) -> np.ndarray:
        """(n_items,) dichotomous difficulty ``−d[:, 0] / a`` (first threshold for polytomous)."""
        return -self.d[:, 0] / self.a

    @property
    def thresholds(self) -> np.ndarray:
        """(n_items, K−1) difficulty-form thresholds ``−d / a`` (NaN padded)."""
        return -self.d / self.a[:, None]

    @property
    def n_categories(self) -> np.ndarray:
        """(n_items,) int number of response categories of each item."""
        return (1 + np.sum(~np.isnan(self.d), axis=1)).astype(int)

    @property
    def max_categories(self) -> int:
        return int(self.d.shape[1] + 1)

    def subset(self, items: np.ndarray | list[int]) -> ItemParameters:
        """Parameters of the given item indices, in that order."""
        idx = np.asarray(items, dtype=int)
        return ItemParameters(self.model, self.a[idx], self.d[idx], self.c[idx])

    @classmethod
    def from_irt(
        cls,
        model: str,
        a: np.ndarray | float | None = None,
        b: np.ndarray | None = None,
        c: np.ndarray | None = None,
        thresholds: np.ndarray | None = None,
    ) -> ItemParameters:
        """Build from difficulty form: ``d = −a b`` (dichotomous) or ``d = −a · thresholds``.

        Args:
            model: model name (any case).
            a: (n_items,) slopes or a scalar; defaults to 1 (Rasch / 1PL with unit slope).
            b: (n_items,) difficulties, dichotomous models.
            c: (n_items,) lower asymptotes, 3PL only; defaults to 0.
            thresholds: (n_items, K−1) GRM boundaries / GPCM step difficulties, NaN padded.
        """
        model = normalise_model(model)
        if model in DICHOTOMOUS_MODELS:
            if b is None:
                if thresholds is None:
                    raise ValueError(f"{model} needs b (difficulties)")
                b = np.asarray(thresholds, dtype=float).reshape(-1)
            loc = np.atleast_1d(np.asarray(b, dtype=float))[:, None]
        else:
            if thresholds is None:
                raise ValueError(f"{model} needs thresholds (n_items, K-1)")
            loc = np.asarray(thresholds, dtype=float)
            if loc.ndim == 1:
                loc = loc[:, None]
        n_items = loc.shape[0]
        slopes = np.broadcast_to(np.asarray(1.0 if a is None else a, dtype=float), (n_items,))
        if model == "rasch" and np.any(slopes != 1.0):
            raise ValueError("rasch slopes are fixed at 1; use '1pl' for a common slope")
        asym = np.zeros(n_items) if c is None else np.broadcast_to(np.asarray(c, float), (n_items,))
        return cls(model, slopes.copy(), -slopes[:, None] * loc, asym.copy())


def _as_theta(theta: np.ndarray | float) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    if theta.ndim > 1:
        raise ValueError(f"theta must be a scalar or (n_q,) array, got shape {theta.shape}")
    return np.atleast_1d(theta)


def log_category_probabilities(theta: np.ndarray | float, params: ItemParameters) -> np.ndarray:
    """Log category probabilities, computed in log space so the tails do not underflow.

    Args:
        theta: (n_q,) abilities.
        params: item parameters, K = ``params.max_categories``.

    Returns:
        (n_q, n_items, K) ``log P(X = k | θ)``; −inf for categories an item does not have.
    """
    return log_probabilities_from_arrays(
        _as_theta(theta), params.model, params.a, params.d, params.c
    )


def log_probabilities_from_arrays(
    theta: np.ndarray, model: str, a: np.ndarray, d: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """``log_category_probabilities`` on raw arrays, without validation (for the EM inner loops).

    Args:
        theta: (n_q,) abilities; model: canonical name; a: (n_items,); d: (n_items, K−1) NaN
            padded; c: (n_items,).

    Returns:
        (n_q, n_items, K) log probabilities, −inf for padded categories.
    """
    n_q, n_items, n_k = theta.shape[0], a.shape[0], d.shape[1] + 1
    if model in DICHOTOMOUS_MODELS:
        z = theta[:, None] * a + d[:, 0]
        out = np.empty((n_q, n_items, 2))
        if np.any(c > 0):
            out[:, :, 1] = np.log(c + (1.0 - c) * expit(z))
            # log(1 - P1) = log(1 - c) + log σ(-z): exact even when P1 → 1
            out[:, :, 0] = np.log1p(-c) + log_expit(-z)
        else:
            out[:, :, 1] = log_expit(z)
            out[:, :, 0] = log_expit(-z)
        return out
    valid = np.arange(n_k) < (1 + np.sum(~np.isnan(d), axis=1))[:, None]
    if model == "grm":
        # cumulative logits z_k, with z_0 = +inf and z_K = -inf (and -inf for padded steps)
        z = theta[:, None, None] * a[:, None] + np.where(np.isnan(d), -np.inf, d)
        upper = np.concatenate([np.full((n_q, n_items, 1), np.inf), z], axis=2)
        lower = np.concatenate([z, np.full((n_q, n_items, 1), -np.inf)], axis=2)
        # σ(u) − σ(l) = σ(u) σ(−l) (1 − e^{l−u}): no cancellation when both are near 1
        with np.errstate(invalid="ignore", divide="ignore"):
            val = log_expit(upper) + log_expit(-lower) + np.log(-np.expm1(lower - upper))
        return np.where(valid, val, -np.inf)
    # GPCM: z_k = k a θ + Σ_{v≤k} d_v, normalised by log-sum-exp
    steps = np.where(np.isnan(d), 0.0, d)
    cum = np.concatenate([np.zeros((n_items, 1)), np.cumsum(steps, axis=1)], axis=1)
    z = np.arange(n_k) * (theta[:, None, None] * a[:, None]) + cum
    z = np.where(valid, z, -np.inf)
    zmax = z.max(axis=2, keepdims=True)
    return z - (zmax + np.log(np.sum(np.exp(z - zmax), axis=2, keepdims=True)))


def category_probabilities(theta: np.ndarray | float, params: ItemParameters) -> np.ndarray:
    """Category response functions.

    Args:
        theta: (n_q,) abilities (a scalar is treated as n_q = 1).
        params: item parameters.

    Returns:
        (n_q, n_items, K) ``P(X = k | θ)``; rows sum to 1, zero for impossible categories.
    """
    return np.exp(log_category_probabilities(theta, params))


def expected_item_score(theta: np.ndarray | float, params: ItemParameters) -> np.ndarray:
    """(n_q, n_items) expected item score ``Σ_k k P(X = k | θ)`` for (n_q,) theta."""
    probs = category_probabilities(theta, params)
    return probs @ np.arange(probs.shape[2], dtype=float)


def expected_score(theta: np.ndarray | float, params: ItemParameters) -> np.ndarray:
    """(n_q,) test characteristic curve: expected total score at each theta."""
    return expected_item_score(theta, params).sum(axis=1)


def item_information(theta: np.ndarray | float, params: ItemParameters) -> np.ndarray:
    """Fisher information of each item about θ.

    * 3PL (Birnbaum 1968): ``a² (Q/P) ((P − c)/(1 − c))²`` — ``a² P Q`` when c = 0;
    * GRM (Samejima 1969): ``Σ_k (P*'_k − P*'_{k+1})² / P_k`` with ``P*' = a P* (1 − P*)``;
    * GPCM (Muraki 1993): ``a² Var(X | θ)``.

    Args:
        theta: (n_q,) abilities.
        params: item parameters.

    Returns:
        (n_q, n_items) information.
    """
    theta = _as_theta(theta)
    a, d, c = params.a, params.d, params.c
    if params.model in DICHOTOMOUS_MODELS:
        star = expit(theta[:, None] * a + d[:, 0])
        p = c + (1.0 - c) * star
        # (P − c)/(1 − c) = σ(z) and Q = (1 − c)(1 − σ(z)): written so that it stays finite
        return a**2 * (1.0 - c) * star**2 * (1.0 - star) / p
    if params.model == "grm":
        z = theta[:, None, None] * a[:, None] + np.where(np.isnan(d), -np.inf, d)
        star = expit(z)
        slope = a[:, None] * star * (1.0 - star)  # dP*_k/dθ, zero for padded steps
        n_q, n_items = theta.shape[0], a.shape[0]
        pad = np.zeros((n_q, n_items, 1))
        dprob = np.concatenate([pad, slope], axis=2) - np.concatenate([slope, pad], axis=2)
        probs = category_probabilities(theta, params)
        with np.errstate(invalid="ignore", divide="ignore"):
            terms = np.where(probs > 0, dprob**2 / probs, 0.0)
        return terms.sum(axis=2)
    probs = category_probabilities(theta, params)
    k = np.arange(probs.shape[2], dtype=float)
    mean = probs @ k
    var = probs @ k**2 - mean**2
    return a**2 * np.maximum(var, 0.0)


def test_information(theta: np.ndarray | float, params: ItemParameters) -> np.ndarray:
    """(n_q,) test information: the sum of item information at each theta."""
    return item_information(theta, params).sum(axis=1)


# pytest would otherwise try to collect this public function as a test
test_information.__test__ = False  # type: ignore[attr-defined]
