"""E-step of marginal maximum likelihood (Bock & Aitkin 1981), built from observed cells only.

The responses become one indicator matrix ``Y`` (n_persons, n_items·K) with a 1 in column
``item·K + score`` for every observed triple. Then, with ``L`` the (n_items·K, n_q) matrix of log
category probabilities at the quadrature nodes,

* person log-likelihoods at each node are ``Y @ L``  (n_persons, n_q) — missing cells add nothing;
* the expected category counts are ``r = Yᵀ @ posterior``  (n_items·K, n_q).

Both products cost O(n_obs · n_q). ``Y`` is a scipy.sparse CSR matrix for sparse designs and a
dense array (BLAS) when every cell is observed. When every cell is observed, category 0 is the
baseline: ``Y @ L = Y₊ @ (L₊ − L₀) + Σ_i L₀`` with ``Y₊`` the columns of categories ≥ 1, and
``r₀ = N_q − Σ_{k≥1} r_k``, which halves a dichotomous E-step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from item_bank.irt.data import ResponseData

__all__ = [
    "EStep",
    "ResponseDesign",
    "build_design",
    "e_step",
    "person_item_sums",
]

# Log-probabilities below this are clipped so that 0 · log 0 stays 0 in the matrix products;
# an observed response with P < e^-1e4 cannot occur at accepted parameters.
_LOG_FLOOR = -1.0e4
# Persons per block in the dense score products, bounding memory at ~ block · n_items · K floats.
_PERSON_BLOCK = 16_384


@dataclass(frozen=True)
class ResponseDesign:
    """Indicator form of the responses for the E-step.

    Attributes:
        indicator: (n_persons, n_items·K) 0/1, sparse CSR or dense float; for a complete dense
            design (``baseline``) only the columns of categories 1..K−1, (n_persons, n_items·(K−1)).
        indicator_t: its transpose as CSR (sparse form only), so both products are row-major.
        baseline: category 0 is implied (every cell observed).
        n_persons, n_items, n_categories: sizes; K = n_categories (widest item).
    """

    indicator: sp.csr_matrix | np.ndarray
    indicator_t: sp.csr_matrix | None
    baseline: bool
    n_persons: int
    n_items: int
    n_categories: int

    @property
    def is_dense(self) -> bool:
        return isinstance(self.indicator, np.ndarray)


def build_design(
    data: ResponseData, n_categories: int, dense: bool | None = None
) -> ResponseDesign:
    """Build the indicator matrix.

    ``dense=None`` uses the dense BLAS form only when every cell is observed: there category 0
    drops out and the products run at BLAS speed (2x faster than sparse at 100,000 × 40);
    with any cells missing the sparse products were as fast or faster at every density
    measured (10-60 % observed, 20,000 × 100, K = 2 and 4).
    """
    n_k = n_categories
    if dense is None:
        dense = data.is_complete
    if dense and data.is_complete:
        y = np.zeros((data.n_persons, data.n_items * (n_k - 1)))
        pos = data.score > 0
        y[data.person[pos], data.item[pos] * (n_k - 1) + data.score[pos] - 1] = 1.0
        return ResponseDesign(y, None, True, data.n_persons, data.n_items, n_k)
    col = data.item * n_k + data.score
    if dense:
        y = np.zeros((data.n_persons, data.n_items * n_k))
        y[data.person, col] = 1.0
        return ResponseDesign(y, None, False, data.n_persons, data.n_items, n_k)
    y = sp.csr_matrix(
        (np.ones(data.n_obs), (data.person, col)), shape=(data.n_persons, data.n_items * n_k)
    )
    y.sort_indices()
    return ResponseDesign(y, y.T.tocsr(), False, data.n_persons, data.n_items, n_k)


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
    table = np.maximum(log_probs, _LOG_FLOOR).transpose(1, 2, 0)  # (n_items, K, n_q)
    if design.baseline:
        rest = (table[:, 1:, :] - table[:, :1, :]).reshape(n_items * (n_k - 1), n_q)
        post = design.indicator @ rest
        post += table[:, 0, :].sum(axis=0) + log_weights
    else:
        post = np.asarray(design.indicator @ table.reshape(n_items * n_k, n_q))
        post += log_weights
    top = post.max(axis=1, keepdims=True)
    post -= top
    np.exp(post, out=post)
    total = post.sum(axis=1, keepdims=True)
    post /= total
    loglik = float(np.sum(top) + np.sum(np.log(total)))
    if design.baseline:
        upper = (design.indicator.T @ post).reshape(n_items, n_k - 1, n_q)
        counts = np.empty((n_items, n_k, n_q))
        counts[:, 1:, :] = upper
        counts[:, 0, :] = post.sum(axis=0) - upper.sum(axis=1)
    elif design.is_dense:
        counts = (design.indicator.T @ post).reshape(n_items, n_k, n_q)
    else:
        counts = np.asarray(design.indicator_t @ post).reshape(n_items, n_k, n_q)
    return EStep(loglik, counts, post if keep_posterior else None)


def person_item_sums(
    design: ResponseDesign, posterior: np.ndarray, tables: list[np.ndarray]
) -> list[np.ndarray]:
    """Posterior expectations of per-(item, category) node functions for each observed cell.

    Args:
        design: a dense design; posterior: (n_persons, n_q);
        tables: each (n_items, K, n_q), values f(i, k, θ_q).

    Returns:
        one (n_persons, n_items) array per table, ``Σ_q post_pq f(i, x_pi, θ_q)``, 0 where not
        observed. Per block of persons: one BLAS product per table, then a gather of the observed
        category's column (found once per block from the indicator).
    """
    if not design.is_dense:
        raise ValueError("person_item_sums needs a dense design")
    n_items, n_k, n_q = tables[0].shape
    width = n_k - 1 if design.baseline else n_k
    rests, bases = [], []
    for table in tables:
        if design.baseline:
            rests.append((table[:, 1:, :] - table[:, :1, :]).reshape(n_items * width, n_q).T)
            bases.append(table[:, 0, :].T)
        else:
            rests.append(table.reshape(n_items * width, n_q).T)
    outs = [np.empty((design.n_persons, n_items)) for _ in tables]
    for start in range(0, design.n_persons, _PERSON_BLOCK):
        rows = slice(start, start + _PERSON_BLOCK)
        post = posterior[rows]
        cells = design.indicator[rows]
        n_rows = cells.shape[0]
        # flat index of the observed column of each (person, item), found once per block
        which = cells.reshape(n_rows, n_items, width).argmax(axis=2)
        flat = (np.arange(n_rows)[:, None] * (n_items * width) + np.arange(n_items) * width) + which
        seen = cells.ravel()[flat]  # 0 where no column is set (not observed)
        for j, rest in enumerate(rests):
            block = (post @ rest).ravel()[flat] * seen
            if design.baseline:
                block += post @ bases[j]
            outs[j][rows] = block
    return outs
