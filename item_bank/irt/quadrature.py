"""Fixed quadrature for a standard normal latent trait (Bock & Aitkin 1981).

The E-step integrates over θ ~ N(μ, σ²) as θ_q = μ + σ x_q with the standard normal rule
(x_q, w_q); estimating μ or σ moves the nodes, the weights stay fixed.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.stats import norm

__all__ = ["QUADRATURE_KINDS", "standard_normal_quadrature"]

QUADRATURE_KINDS = ("gauss-hermite", "rectangular")


def standard_normal_quadrature(
    n_points: int = 41, kind: str = "gauss-hermite", limit: float = 6.0
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights integrating against the N(0, 1) density.

    Args:
        n_points: number of nodes (>= 2).
        kind: ``"gauss-hermite"`` (probabilists' Hermite rule, exact for polynomials of degree
            2n − 1; what R ltm uses) or ``"rectangular"`` (equally spaced on [−limit, limit] with
            normalised density weights; what R mirt uses, 61 points on [−6, 6]).
        limit: half-width of the rectangular grid.

    Returns:
        nodes (n_points,), weights (n_points,) summing to 1.
    """
    if n_points < 2:
        raise ValueError(f"need at least 2 quadrature points, got {n_points}")
    if kind == "gauss-hermite":
        nodes, weights = hermegauss(n_points)
    elif kind == "rectangular":
        nodes = np.linspace(-limit, limit, n_points)
        weights = norm.pdf(nodes)
    else:
        raise ValueError(f"unknown quadrature kind {kind!r}; expected one of {QUADRATURE_KINDS}")
    return nodes, weights / weights.sum()
