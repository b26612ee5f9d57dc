"""E-step of marginal maximum likelihood (Bock & Aitkin 1981), built from observed cells only.

The responses become one indicator matrix ``Y`` (n_persons, n_items·K) with a 1 in column
``item·K + score`` for every observed triple. Then, with ``L`` the (n_items·K, n_q) matrix of log
category probabilities at the quadrature nodes,

* person log-likelihoods at each node are ``Y @ L``  (n_persons, n_q) — missing cells add nothing;
* the expected category counts are ``r = Yᵀ @ posterior``  (n_items·K, n_q).

Both products cost O(n_obs · n_q). ``Y`` is a scipy.sparse CSR matrix for sparse designs and a
dense array (BLAS) when most cells are observed, which is several times faster there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from item_bank.irt.data import ResponseData

__all__ = ["DENSE_THRESHOLD", "EStep", "ResponseDesign", "build_design", "e_step"]

# Fraction of observed cells above which the dense BLAS path is used (measured: at 40 % observed
# a dense one-hot matmul already beats the sparse one on 2 cores).
DENSE_THRESHOLD = 0.4
# Log-probabilities below this are clipped so that 0 · log 0 stays 0 in the matrix products;
# an observed response with P < e^-1e4 cannot occur at accepted parameters.
_LOG_FLOOR = -1.0e4


@dataclass(frozen=True)
class ResponseDesign:
    """Indicator form of the responses for the E-step.

    Attributes:
        indicator: (n_persons, n_items·K) 0/1, sparse CSR or dense float.
        indicator_t: (n_items·K, n_persons) its transpose (CSR, so both products are row-major);
            None for the dense form.
        n_persons, n_items, n_categories: sizes; K = n_categories (widest item).
    """

    indicator: sp.csr_matrix | np.ndarray
    indicator_t: sp.csr_matrix | None
    n_persons: int
    n_items: int
    n_categories: int

    @property
    def is_dense(self) -> bool:
        return isinstance(self.indicator, np.ndarray)


def build_design(
    data: ResponseData, n_categories: int, dense: bool | None = None
) -> ResponseDesign:
    """Build the indicator matrix; ``dense=None`` chooses by the observed fraction."""
    n_cols = data.n_items * n_categories
    if dense is None:
        cells = max(data.n_persons * data.n_items, 1)
        dense = data.n_obs / cells >= DENSE_THRESHOLD
    col = data.item * n_categories + data.score
    if dense:
        y = np.zeros((data.n_persons, n_cols))
        y[data.person, col] = 1.0
        return ResponseDesign(y, None, data.n_persons, data.n_items, n_categories)
    y = sp.csr_matrix((np.ones(data.n_obs), (data.person, col)), shape=(data.n_persons, n_cols))
    y.sort_indices()
    return ResponseDesign(y, y.T.tocsr(), data.n_persons, data.n_items, n_categories)


@dataclass(frozen=True)
class EStep:
    """Result of one E-step.

    Attributes:
        loglik: marginal log-likelihood Σ_p log Σ_q w_q P(x_p | θ_q).
        counts: (n_items, K, n_q) expected number of persons in category k at node q.
        posterior: (n_persons, n_q) posterior node weights, kept only when asked for.
    """

    loglik: float
    counts: np.ndarray
    posterior: np.ndarray | None = None


def e_step(
    design: ResponseDesign,
    log_probs: np.ndarray,
    log_weights: np.ndarray,
    keep_posterior: bool = False,
) -> EStep:
    """One E-step.

    Args:
        design: the responses as built by ``build_design``.
        log_probs: (n_q, n_items, K) log category probabilities at the nodes.
        log_weights: (n_q,) log prior weights of the nodes.
        keep_posterior: also return the (n_persons, n_q) posterior.

    Returns:
        EStep with the marginal log-likelihood and expected counts.
    """
    n_q, n_items, n_k = log_probs.shape
    table = np.maximum(log_probs, _LOG_FLOOR).transpose(1, 2, 0).reshape(n_items * n_k, n_q)
    post = design.indicator @ table  # (n_persons, n_q) log P(x_p | θ_q)
    post = np.asarray(post)
    post += log_weights
    top = post.max(axis=1, keepdims=True)
    post -= top
    np.exp(post, out=post)
    total = post.sum(axis=1, keepdims=True)
    post /= total
    loglik = float(np.sum(top) + np.sum(np.log(total)))
    if design.is_dense:
        counts = design.indicator.T @ post
    else:
        counts = design.indicator_t @ post
    counts = np.asarray(counts).reshape(n_items, n_k, n_q)
    return EStep(loglik, counts, post if keep_posterior else None)
