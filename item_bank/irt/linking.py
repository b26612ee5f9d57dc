"""Scale linking through common items: θ_base = A · θ_new + B.

Two separate calibrations put the same items on scales that differ by a linear map. Given the
common items' parameters on each scale (same items, same order), these functions estimate
(A, B); ``transform_parameters`` then carries the new calibration onto the base scale:
``a* = a / A``, ``b* = A b + B`` — in slope–intercept form ``d* = d − a B / A`` — c unchanged.

* mean-mean (Loyd & Hoover 1980), mean-sigma (Marco 1977): moments of a and b;
* Haebara (1980): match category response curves, item by item;
* Stocking & Lord (1983): match the test characteristic curves.
The characteristic-curve methods weight θ points on the base scale by N(0, 1) (Kolen & Brennan
2014, ch. 6) and start from mean-sigma.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy.optimize import least_squares

from item_bank.irt.models import ItemParameters, category_probabilities, expected_score
from item_bank.irt.scoring import normal_quadrature, resolve_parameters

__all__ = [
    "LINKING_METHODS",
    "common_items",
    "link",
    "link_haebara",
    "link_mean_mean",
    "link_mean_sigma",
    "link_stocking_lord",
    "transform_parameters",
]


def transform_parameters(params: ItemParameters, A: float, B: float) -> ItemParameters:
    """Parameters on the scale θ* = A θ + B: ``a* = a / A``, ``d* = d − a B / A``, c unchanged.

    Valid for every model here, since each depends on θ only through ``a θ + d_k``. Rasch items
    become 1PL when A ≠ 1 (the slope is no longer 1).
    """
    if not A > 0:
        raise ValueError(f"A must be positive, got {A}")
    params = resolve_parameters(params)
    a = params.a / A
    d = params.d - (params.a * B / A)[:, None]
    model = "1pl" if params.model == "rasch" and A != 1 else params.model
    return replace(params, model=model, a=a, d=d)


def common_items(
    new_items: Sequence[str], base_items: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the items both calibrations hold, matched by name, in the new form's order.

    Returns:
        (idx_new (n_common,), idx_base (n_common,)) — pass ``new.subset(idx_new)`` and
        ``base.subset(idx_base)`` to a linking function.
    """
    position = {name: j for j, name in enumerate(base_items)}
    pairs = [(i, position[name]) for i, name in enumerate(new_items) if name in position]
    if not pairs:
        raise ValueError("the two calibrations share no items")
    idx_new, idx_base = zip(*pairs, strict=True)
    return np.array(idx_new), np.array(idx_base)


def _check_pair(new: ItemParameters, base: ItemParameters) -> tuple[ItemParameters, ItemParameters]:
    new, base = resolve_parameters(new), resolve_parameters(base)
    if new.n_items != base.n_items or new.d.shape != base.d.shape:
        raise ValueError(
            f"common items must match: new has {new.n_items} items, d {new.d.shape}; "
            f"base has {base.n_items}, d {base.d.shape}"
        )
    return new, base


def _locations(params: ItemParameters) -> np.ndarray:
    """All finite difficulty-form thresholds, flattened (b for dichotomous items)."""
    t = params.thresholds
    return t[np.isfinite(t)]


def link_mean_mean(new: ItemParameters, base: ItemParameters) -> tuple[float, float]:
    """Mean-mean (Loyd & Hoover 1980): ``A = mean(a_new) / mean(a_base)``,
    ``B = mean(b_base) − A mean(b_new)`` over the common items (all thresholds if polytomous).

    Args:
        new, base: (n_common,) items' parameters on the new and the base scale, same order.
    """
    new, base = _check_pair(new, base)
    A = float(np.mean(new.a) / np.mean(base.a))
    return A, float(np.mean(_locations(base)) - A * np.mean(_locations(new)))


def link_mean_sigma(new: ItemParameters, base: ItemParameters) -> tuple[float, float]:
    """Mean-sigma (Marco 1977): ``A = sd(b_base) / sd(b_new)``,
    ``B = mean(b_base) − A mean(b_new)`` (all thresholds if polytomous).

    Args:
        new, base: (n_common,) items' parameters on the new and the base scale, same order.
    """
    new, base = _check_pair(new, base)
    b_new, b_base = _locations(new), _locations(base)
    A = float(np.std(b_base) / np.std(b_new))
    return A, float(np.mean(b_base) - A * np.mean(b_new))


def _fit_curves(
    new: ItemParameters, base: ItemParameters, criterion: str, n_points: int
) -> tuple[float, float]:
    theta, log_w = normal_quadrature(n_points, 0.0, 1.0)
    # the tails beyond ±4 carry no weight worth fitting and slow the optimiser
    keep = np.abs(theta) <= 4.0
    theta, sqrt_w = theta[keep], np.exp(0.5 * log_w[keep])
    if criterion == "haebara":
        target = category_probabilities(theta, base)  # (n_q, n_items, K)

        def residuals(x: np.ndarray) -> np.ndarray:
            moved = category_probabilities(theta, transform_parameters(new, x[0], x[1]))
            return ((moved - target) * sqrt_w[:, None, None]).ravel()

    else:
        target_tcc = expected_score(theta, base)  # (n_q,)

        def residuals(x: np.ndarray) -> np.ndarray:
            return (
                expected_score(theta, transform_parameters(new, x[0], x[1])) - target_tcc
            ) * sqrt_w

    A0, B0 = link_mean_sigma(new, base)
    if not (np.isfinite(A0) and A0 > 0):
        A0, B0 = 1.0, 0.0
    fit = least_squares(
        residuals,
        x0=[A0, B0],
        bounds=([1e-6, -np.inf], [np.inf, np.inf]),
        xtol=1e-14,
        ftol=1e-14,
        gtol=1e-14,
    )
    return float(fit.x[0]), float(fit.x[1])


def link_haebara(
    new: ItemParameters, base: ItemParameters, *, n_points: int = 61
) -> tuple[float, float]:
    """Haebara (1980): minimise ``Σ_θ w(θ) Σ_i Σ_k (P_ik(θ; base) − P_ik(θ; new → base))²``.

    Args:
        new, base: (n_common,) items' parameters on the new and the base scale, same order.
        n_points: quadrature nodes over N(0, 1) on the base scale (those within ±4 are used).
    """
    new, base = _check_pair(new, base)
    return _fit_curves(new, base, "haebara", n_points)


def link_stocking_lord(
    new: ItemParameters, base: ItemParameters, *, n_points: int = 61
) -> tuple[float, float]:
    """Stocking & Lord (1983): minimise ``Σ_θ w(θ) (TCC_base(θ) − TCC_new→base(θ))²``.

    Args:
        new, base: (n_common,) items' parameters on the new and the base scale, same order.
        n_points: quadrature nodes over N(0, 1) on the base scale (those within ±4 are used).
    """
    new, base = _check_pair(new, base)
    return _fit_curves(new, base, "stocking-lord", n_points)


LINKING_METHODS = {
    "mean-mean": link_mean_mean,
    "mean-sigma": link_mean_sigma,
    "haebara": link_haebara,
    "stocking-lord": link_stocking_lord,
}


def link(
    new: ItemParameters, base: ItemParameters, method: str = "stocking-lord"
) -> tuple[float, float]:
    """(A, B) by the named method, one of ``LINKING_METHODS``."""
    try:
        return LINKING_METHODS[method](new, base)
    except KeyError:
        raise ValueError(
            f"unknown linking method {method!r}; expected one of {', '.join(LINKING_METHODS)}"
        ) from None
