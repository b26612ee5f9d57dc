"""Standard errors from the empirical cross-product information (XPD).

The score of person p for the item (and latent) parameters is ``s_p = Σ_q post_pq ∂ log
P(x_p | θ_q) / ∂ψ`` (Louis 1982: the gradient of the observed-data log-likelihood is the posterior
expectation of the complete-data gradient). The information is estimated by ``Σ_p s_p s_pᵀ``
(Mislevy 1986; "XPD" in R mirt and BILOG), plus the prior curvature for Bayes modal estimates.
It needs no second derivatives and costs one pass over the observed cells.

The full matrix over all free parameters is inverted when it has at most ``max_full`` rows;
larger banks use per-item blocks (ignoring between-item covariance, which makes those SEs a
little optimistic) and report no SE for the latent mean and SD.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from item_bank.irt.data import ResponseData
from item_bank.irt.estep import ResponseDesign, person_item_sums
from item_bank.irt.mstep import Prior, log_probs_and_scores, prior_terms

__all__ = ["ParameterErrors", "cross_product_errors"]


@dataclass(frozen=True)
class ParameterErrors:
    """Standard errors, NaN for parameters that were held fixed.

    Attributes:
        a: (n_items,); d: (n_items, K−1); c: (n_items,);
        b: (n_items,) and thresholds: (n_items, K−1) by the delta method from (a, d);
        latent_mean, latent_sd: SEs of the latent mean and SD when estimated, else NaN;
        covariance: (n_items, m, m) per-item covariance of the packed [a, d…, c].
    """

    a: np.ndarray
    d: np.ndarray
    c: np.ndarray
    b: np.ndarray
    thresholds: np.ndarray
    latent_mean: float
    latent_sd: float
    covariance: np.ndarray


def _observation_scores(
    data: ResponseData,
    posterior: np.ndarray,
    jac: np.ndarray,
    dtheta: np.ndarray,
    nodes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Sparse designs: per-observation item scores (n_obs, m) and latent scores (n_obs, 2), the
    posterior expectation of ∂ log P(x_pi | θ) with respect to ψ_i and to (μ, σ)."""
    n_q, n_items, n_k, m = jac.shape
    # rows of ∂ log P / ∂(ψ, θ) per (item, category) at the nodes, θ-derivative last
    table = np.concatenate([jac, dtheta[..., None]], axis=3)
    table = table.transpose(1, 2, 0, 3).reshape(n_items * n_k, n_q, m + 1)
    row = data.item * n_k + data.score
    # group observations by (item, category): each group is one BLAS product
    # posterior rows (g, n_q) @ table (n_q, m + 1), far faster than a batched gather
    order = np.argsort(row, kind="stable")
    bounds = np.searchsorted(row[order], np.arange(n_items * n_k + 1))
    item_scores = np.empty((data.n_obs, m))
    latent_scores = np.empty((data.n_obs, 2))
    for r in np.flatnonzero(np.diff(bounds)):
        idx = order[bounds[r] : bounds[r + 1]]
        post = posterior[data.person[idx]]
        block = post @ table[r]
        item_scores[idx] = block[:, :m]
        latent_scores[idx, 0] = block[:, m]
        latent_scores[idx, 1] = post @ (table[r, :, m] * nodes)
    return item_scores, latent_scores


def cross_product_errors(
    data: ResponseData,
    design: ResponseDesign,
    posterior: np.ndarray,
    theta: np.ndarray,
    nodes: np.ndarray,
    model: str,
    psi: np.ndarray,
    free: np.ndarray,
    priors: Mapping[str, Prior],
    latent_free: tuple[bool, bool] = (False, False),
    slope_is_latent_sd: bool = False,
    max_full: int = 600,
) -> tuple[ParameterErrors, str]:
    """XPD standard errors at the estimates.

    Args:
        data: the responses; design: their E-step form.
        posterior: (n_persons, n_q) posterior node weights at the estimates.
        theta: (n_q,) latent nodes μ + σ x; nodes: (n_q,) standard nodes x.
        model: inner model name; psi: (n_items, m) packed estimates; free: (n_items, m) bool.
        priors: as used in the fit (their curvature is added).
        latent_free: whether (μ, σ) were estimated.
        slope_is_latent_sd: 1PL fitted as Rasch: report σ's SE (and covariances) as the slope's.
        max_full: largest parameter count for which the full matrix is inverted.

    Returns:
        (ParameterErrors, a one-line description of the method).
    """
    n_items, m = psi.shape
    _, jac = log_probs_and_scores(theta, model, psi)
    dtheta = psi[:, 0][None, :, None] * jac[..., 1:-1].sum(axis=3)  # ∂ log P / ∂θ
    curvature = prior_terms(psi, free, priors)[2]

    # columns numbered kind-major (all free a, then all free d_1, ...) so that each kind is one
    # contiguous block of the score matrix
    col = np.full((n_items, m), -1)
    col.T[free.T] = np.arange(int(free.sum()))
    n_par = int(free.sum())
    latent_cols = []
    for is_free in latent_free:
        latent_cols.append(n_par if is_free else -1)
        n_par += int(is_free)
    full_matrix = n_par <= max_full
    latent_tables = (dtheta, dtheta * nodes[:, None, None])  # ∂/∂μ and ∂/∂σ per node

    if design.is_dense:
        # (n_persons, n_items) score matrices, one BLAS product per parameter kind
        kinds = [j for j in range(m) if free[:, j].any()]
        sums = person_item_sums(
            design,
            posterior,
            [jac[..., j].transpose(1, 2, 0) for j in kinds]
            + [
                t.transpose(1, 2, 0)
                for t, lc in zip(latent_tables, latent_cols, strict=True)
                if lc >= 0
            ],
        )
        cell_scores: list[np.ndarray | None] = [None] * m
        for j, cells in zip(kinds, sums, strict=False):
            cell_scores[j] = cells
        latent_sums = sums[len(kinds) :]
        if full_matrix:
            # column blocks of the person × parameter score matrix, never assembled: a
            # 100,000 × 160 matrix costs more in first-touch page faults than its products
            parts = [
                (col[free[:, j], j], cells if free[:, j].all() else cells[:, free[:, j]])
                for j, cells in enumerate(cell_scores)
                if cells is not None
            ]
            active = [lc for lc in latent_cols if lc >= 0]
            for latent, lc in zip(latent_sums, active, strict=True):
                parts.append((np.array([lc]), latent.sum(axis=1)[:, None]))
        else:
            blocks = np.zeros((n_items, m, m))
            for j in range(m):
                for k in range(j, m):
                    if cell_scores[j] is not None and cell_scores[k] is not None:
                        prod = np.einsum("pi,pi->i", cell_scores[j], cell_scores[k])
                        blocks[:, j, k] = blocks[:, k, j] = prod
    else:
        item_scores, latent_scores = _observation_scores(data, posterior, jac, dtheta, nodes)
        if full_matrix:
            # person × parameter score matrix: each (person, item) cell is observed once
            scores = np.zeros((data.n_persons, n_par))
            obs_free = free[data.item]  # (n_obs, m)
            for j in range(m):
                keep = obs_free[:, j]
                scores[data.person[keep], col[data.item[keep], j]] = item_scores[keep, j]
            for j, lc in enumerate(latent_cols):
                if lc >= 0:
                    scores[:, lc] = np.bincount(data.person, latent_scores[:, j], data.n_persons)
            parts = [(np.arange(n_par), scores)]
        else:
            blocks = np.zeros((n_items, m, m))
            for j in range(m):
                for k in range(j, m):
                    w = item_scores[:, j] * item_scores[:, k]
                    sums = np.bincount(data.item, w, minlength=n_items)
                    blocks[:, j, k] = blocks[:, k, j] = sums

    cov = np.zeros((n_items, m, m))
    latent_se = [np.nan, np.nan]
    if full_matrix:
        # Σ_p s_p s_pᵀ, block by block (BLAS), mirrored into the lower triangle
        info = np.zeros((n_par, n_par))
        for i, (cols_i, part_i) in enumerate(parts):
            for cols_j, part_j in parts[i:]:
                block = part_i.T @ part_j
                info[np.ix_(cols_i, cols_j)] = block
                info[np.ix_(cols_j, cols_i)] = block.T
        info[col[free], col[free]] += curvature[free]
        try:
            full = np.linalg.inv(info)
        except np.linalg.LinAlgError:  # an unidentified direction: report what is identified
            full = np.linalg.pinv(info, hermitian=True)
        index = col.copy()
        if slope_is_latent_sd and latent_cols[1] >= 0:
            index[:, 0] = latent_cols[1]
        safe = np.where(index >= 0, index, 0)
        cov = full[safe[:, :, None], safe[:, None, :]]
        known = index >= 0
        cov = np.where(known[:, :, None] & known[:, None, :], cov, 0.0)
        for j, lc in enumerate(latent_cols):
            if lc >= 0:
                latent_se[j] = float(np.sqrt(max(full[lc, lc], 0.0)))
        method = "cross-product (XPD) information, full matrix over all free parameters"
    else:
        blocks[:, np.arange(m), np.arange(m)] += curvature
        fixed = ~free
        blocks = np.where(fixed[:, :, None] | fixed[:, None, :], 0.0, blocks)
        blocks[:, np.arange(m), np.arange(m)] += fixed
        cov = np.linalg.pinv(blocks, hermitian=True)
        cov = np.where(fixed[:, :, None] | fixed[:, None, :], 0.0, cov)
        method = "cross-product (XPD) information, per-item blocks (bank too large for full)"

    var = np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None)
    se = np.sqrt(var)
    shown = free.copy()
    if slope_is_latent_sd and latent_cols[1] >= 0:
        shown[:, 0] = True
    se = np.where(shown, se, np.nan)
    # thresholds t_k = −d_k / a: gradient (d_k / a², −1 / a) in (a, d_k)
    a = psi[:, 0]
    d = psi[:, 1:-1]
    var_a = cov[:, 0, 0][:, None]
    var_d = np.diagonal(cov, axis1=1, axis2=2)[:, 1:-1]
    cov_ad = cov[:, 0, 1:-1]
    ga, gd = d / a[:, None] ** 2, -1.0 / a[:, None]
    var_t = ga**2 * var_a + gd**2 * var_d + 2 * ga * gd * cov_ad
    se_t = np.where(shown[:, 1:-1], np.sqrt(np.clip(var_t, 0.0, None)), np.nan)
    errors = ParameterErrors(
        a=se[:, 0],
        d=se[:, 1:-1],
        c=se[:, -1],
        b=se_t[:, 0],
        thresholds=se_t,
        latent_mean=latent_se[0],
        latent_sd=latent_se[1],
        covariance=cov,
    )
    return errors, method
