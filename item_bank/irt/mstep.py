"""M-step: Fisher scoring on the expected complete-data log-likelihood, all items at once.

Given the expected counts ``r[i, k, q]`` of the E-step, item i's part of the EM objective is
``Q_i(ψ_i) = Σ_q Σ_k r_ikq log P_ik(θ_q; ψ_i) + log prior(ψ_i)`` (Bock & Aitkin 1981; priors make
it Bayes modal, Mislevy 1986). Items are independent given r, so one batched Fisher-scoring step
updates every item: gradient ``Σ_qk r J`` and expected information ``Σ_q N_iq Σ_k P J Jᵀ`` with
``J = ∂ log P_k / ∂ψ``. Each step is halved until ``Q_i`` does not decrease (and the parameters
stay valid), so every EM iteration is a generalised EM step and the likelihood never falls.

Parameters are packed per item as ``ψ = [a, d_1 … d_{K−1}, c]`` (m = K + 1 columns); a boolean
``free`` mask of the same shape says which are estimated (anchors, Rasch slopes, padded
categories and non-3PL asymptotes are not).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import expit

from item_bank.irt.models import DICHOTOMOUS_MODELS, log_probabilities_from_arrays

__all__ = [
    "DEFAULT_C_PRIOR",
    "Prior",
    "expected_loglik",
    "fisher_scoring_items",
    "log_probs_and_scores",
    "log_probs_packed",
    "pack",
    "unpack",
    "update_latent",
    "valid_parameters",
]

Prior = tuple[str, float, float]
# Beta(5, 17): mean 0.23, the guessing rate of a 4-option item with some pull; 3PL is weakly
# identified without it (Mislevy 1986; also the BILOG-MG default family).
DEFAULT_C_PRIOR: Prior = ("beta", 5.0, 17.0)


def pack(a: np.ndarray, d: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(n_items,), (n_items, K−1), (n_items,) -> (n_items, K+1) packed ψ."""
    return np.column_stack([a, d, c])


def unpack(psi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n_items, K+1) packed ψ -> a (n_items,), d (n_items, K−1), c (n_items,)."""
    return psi[:, 0], psi[:, 1:-1], psi[:, -1]


def log_probs_packed(theta: np.ndarray, model: str, psi: np.ndarray) -> np.ndarray:
    """(n_q, n_items, K) log category probabilities for packed ψ at (n_q,) theta."""
    a, d, c = unpack(psi)
    return log_probabilities_from_arrays(theta, model, a, d, c)


def log_probs_and_scores(
    theta: np.ndarray, model: str, psi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Log probabilities and their derivatives with respect to the packed parameters.

    Args:
        theta: (n_q,) nodes; model: canonical name; psi: (n_items, m) packed parameters.

    Returns:
        log_p (n_q, n_items, K) and J (n_q, n_items, K, m) = ∂ log P_k / ∂ψ, zero (not NaN)
        for padded categories and parameters.
    """
    a, d, c = unpack(psi)
    n_q, n_items, n_k = theta.shape[0], a.shape[0], d.shape[1] + 1
    m = n_k + 1
    log_p = log_probabilities_from_arrays(theta, model, a, d, c)
    jac = np.zeros((n_q, n_items, n_k, m))
    if model in DICHOTOMOUS_MODELS:
        z = theta[:, None] * a + d[:, 0]
        s = expit(z)
        if model == "3pl":
            p1 = np.exp(log_p[:, :, 1])
            dz1 = (1.0 - c) * s * (1.0 - s) / p1
            jac[:, :, 1, 2] = (1.0 - s) / p1
            jac[:, :, 0, 2] = -1.0 / (1.0 - c)
        else:
            dz1 = 1.0 - s
        dz = np.stack([-s, dz1], axis=2)  # ∂ log P_k / ∂z
        jac[..., 0] = theta[:, None, None] * dz
        jac[..., 1] = dz
        return log_p, jac
    if model == "grm":
        z = theta[:, None, None] * a[:, None] + np.where(np.isnan(d), -np.inf, d)
        upper = np.concatenate([np.full((n_q, n_items, 1), np.inf), z], axis=2)
        lower = np.concatenate([z, np.full((n_q, n_items, 1), -np.inf)], axis=2)
        # log P_k = log σ(u) + log σ(−l) + log(1 − e^{l−u}); derivatives in the same stable form
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            inv = 1.0 / np.expm1(upper - lower)
            g_up = expit(-upper) + inv
            g_low = -expit(lower) - inv
        g_up = np.nan_to_num(g_up, nan=0.0, posinf=0.0, neginf=0.0)
        g_low = np.nan_to_num(g_low, nan=0.0, posinf=0.0, neginf=0.0)
        g_up[..., 0] = 0.0  # z_0 = +inf is not a parameter
        jac[..., 0] = theta[:, None, None] * (g_up + g_low)
        k = np.arange(1, n_k)
        jac[:, :, k, k] = g_up[:, :, k]  # d_k bounds category k from above
        k = np.arange(0, n_k - 1)
        jac[:, :, k, k + 1] = g_low[:, :, k]  # d_{k+1} bounds category k from below
    else:  # gpcm
        p = np.exp(log_p)
        at_least = np.cumsum(p[:, :, ::-1], axis=2)[:, :, ::-1]  # P(X >= j), j = 0..K-1
        cats = np.arange(n_k, dtype=float)
        mean = p @ cats
        jac[..., 0] = theta[:, None, None] * (cats - mean[..., None])
        step = np.arange(1, n_k)
        jac[..., 1:n_k] = (step[None, :] <= cats[:, None]) - at_least[:, :, None, 1:]
    valid = np.isfinite(log_p)
    jac *= valid[..., None]
    fixed_shape = np.concatenate(
        [np.zeros((n_items, 1), bool), np.isnan(d), np.zeros((n_items, 1), bool)], 1
    )
    jac *= ~fixed_shape[None, :, None, :]
    return log_p, jac


# ---- priors -------------------------------------------------------------------------------------


def _prior_terms(
    kind: str, p1: float, p2: float, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log density, its gradient and its curvature (−second derivative, floored at 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "normal":
            z = (x - p1) / p2
            return -0.5 * z**2, -z / p2, np.full_like(x, 1.0 / p2**2)
        if kind == "lognormal":
            pos = x > 0
            lx = np.log(np.where(pos, x, 1.0))
            u = lx - p1
            logpdf = np.where(pos, -lx - 0.5 * u**2 / p2**2, -np.inf)
            grad = -(1.0 + u / p2**2) / x
            curv = -(1.0 - (1.0 - u) / p2**2) / x**2
            return logpdf, grad, np.maximum(curv, 0.0)
        if kind == "beta":
            inside = (x > 0) & (x < 1)
            xs = np.clip(x, 1e-12, 1 - 1e-12)
            logpdf = np.where(inside, (p1 - 1) * np.log(xs) + (p2 - 1) * np.log1p(-xs), -np.inf)
            grad = (p1 - 1) / xs - (p2 - 1) / (1 - xs)
            curv = (p1 - 1) / xs**2 + (p2 - 1) / (1 - xs) ** 2
            return logpdf, grad, np.maximum(curv, 0.0)
    raise ValueError(f"unknown prior {kind!r}; expected 'normal', 'lognormal' or 'beta'")


def prior_terms(
    psi: np.ndarray, free: np.ndarray, priors: Mapping[str, Prior | None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-item log prior (n_items,), gradient and curvature (n_items, m) over free parameters."""
    logpdf = np.zeros(psi.shape[0])
    grad = np.zeros_like(psi)
    curv = np.zeros_like(psi)
    cols = {"a": [0], "d": list(range(1, psi.shape[1] - 1)), "c": [psi.shape[1] - 1]}
    for name, spec in priors.items():
        if spec is None:
            continue
        for j in cols[name]:
            mask = free[:, j]
            if not mask.any():
                continue
            lp, g, h = _prior_terms(spec[0], spec[1], spec[2], psi[mask, j])
            logpdf[mask] += lp
            grad[mask, j] += g
            curv[mask, j] += h
    return logpdf, grad, curv


# ---- the item M-step ----------------------------------------------------------------------------


def expected_loglik(counts: np.ndarray, log_p: np.ndarray) -> np.ndarray:
    """(n_items,) Σ_q Σ_k r_ikq log P_ikq for counts (n_items, K, n_q), log_p (n_q, n_items, K)."""
    lp = log_p.transpose(1, 2, 0)
    with np.errstate(invalid="ignore"):
        terms = np.where(counts > 0, counts * lp, 0.0)
    return terms.sum(axis=(1, 2))


def valid_parameters(model: str, psi: np.ndarray) -> np.ndarray:
    """(n_items,) parameters inside the model's domain (ordered GRM intercepts, 0 <= c < 1)."""
    ok = np.all(np.isfinite(psi[:, 0:2]), axis=1)
    if model == "grm":
        d = psi[:, 1:-1]
        with np.errstate(invalid="ignore"):
            steps = np.diff(d, axis=1)
        ok &= np.all(np.isnan(steps) | (steps < 0), axis=1)
    if model == "3pl":
        ok &= (psi[:, -1] >= 0) & (psi[:, -1] < 1)
    return ok


def fisher_scoring_items(
    counts: np.ndarray,
    theta: np.ndarray,
    model: str,
    psi: np.ndarray,
    free: np.ndarray,
    priors: Mapping[str, Prior | None],
    max_steps: int = 10,
    tol: float = 1e-6,
) -> np.ndarray:
    """Maximise every item's ``Q_i`` by batched Fisher scoring with step halving.

    Args:
        counts: (n_items, K, n_q) expected counts from the E-step.
        theta: (n_q,) node abilities.
        model: canonical model name.
        psi: (n_items, m) packed start values (NaN at padded d).
        free: (n_items, m) bool, parameters to estimate.
        priors: {"a" | "d" | "c": (kind, p1, p2) or None}.
        max_steps: Fisher-scoring steps; tol: stop when no free parameter moves more.

    Returns:
        (n_items, m) updated ψ with ``Q_i`` no lower than at the start for every item.
    """
    psi = psi.copy()
    idx = np.flatnonzero(free.any(axis=1))
    if idx.size == 0:
        return psi
    cur, fr, cnt = psi[idx], free[idx], counts[idx]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        log_p, jac = log_probs_and_scores(theta, model, cur)
        q = expected_loglik(cnt, log_p) + prior_terms(cur, fr, priors)[0]
        for _ in range(max_steps):
            step = _fisher_step(cnt, log_p, jac, cur, fr, priors)
            if model == "3pl":
                # active set: where c sits on 0 and the step pushes it below, fix c for this
                # step and re-solve, so that a and d take the step that is right with c = 0
                blocked = fr[:, -1] & (cur[:, -1] <= 0.0) & (step[:, -1] < 0.0)
                if blocked.any():
                    fr_step = fr.copy()
                    fr_step[blocked, -1] = False
                    step[blocked] = _fisher_step(
                        cnt[blocked],
                        log_p[:, blocked],
                        jac[:, blocked],
                        cur[blocked],
                        fr_step[blocked],
                        priors,
                    )
            moved = np.zeros(idx.size)
            pending = np.ones(idx.size, dtype=bool)
            for _halving in range(30):
                sub = np.flatnonzero(pending)
                trial = cur[sub] + step[sub]
                if model == "3pl":
                    # project c onto [0, 1): an MLE on the boundary (c = 0) would otherwise
                    # halve the whole step, a and d included, into a standstill
                    trial[:, -1] = np.clip(trial[:, -1], 0.0, 1.0 - 1e-9)
                # the trial's scores are kept for the next step when it is accepted, so an
                # accepted step costs one evaluation of the model, not two
                lp_t, jac_t = log_probs_and_scores(theta, model, trial)
                q_t = expected_loglik(cnt[sub], lp_t) + prior_terms(trial, fr[sub], priors)[0]
                ok = valid_parameters(model, trial) & np.isfinite(q_t)
                ok &= q_t >= q[sub] - 1e-10 * np.abs(q[sub])
                acc = sub[ok]
                cur[acc], q[acc] = trial[ok], q_t[ok]
                log_p[:, acc], jac[:, acc] = lp_t[:, ok], jac_t[:, ok]
                moved[acc] = np.max(np.abs(step[acc]), axis=1)
                pending[acc] = False
                if not pending.any():
                    break
                step[pending] *= 0.5
            psi[idx] = cur
            # items whose step was below tol have converged: drop them from further steps
            keep = moved >= tol
            if not keep.any():
                break
            idx, cur, fr, cnt, q = idx[keep], cur[keep], fr[keep], cnt[keep], q[keep]
            log_p, jac = log_p[:, keep], jac[:, keep]
    return psi


def _fisher_step(
    counts: np.ndarray,
    log_p: np.ndarray,
    jac: np.ndarray,
    psi: np.ndarray,
    free: np.ndarray,
    priors: Mapping[str, Prior | None],
) -> np.ndarray:
    """(n_items, m) Fisher-scoring step ``I⁻¹ g``, zero for fixed parameters.

    ``g = Σ_qk r J + ∇ log prior``; ``I = Σ_q N_iq Σ_k P J Jᵀ + prior curvature`` (expected
    information at the node counts N_iq, positive semi-definite by construction).
    """
    m = psi.shape[1]
    total = counts.sum(axis=1)  # (n_items, n_q)
    grad = np.einsum("ikq,qikm->im", counts, jac, optimize=True)
    weight = np.sqrt(total.T[:, :, None] * np.exp(log_p))  # (n_q, n_items, K)
    wj = jac * weight[..., None]
    info = np.einsum("qikm,qikn->imn", wj, wj, optimize=True)
    _, pgrad, pcurv = prior_terms(psi, free, priors)
    grad += pgrad
    diag = np.arange(m)
    info[:, diag, diag] += pcurv
    # fixed parameters: zero gradient and an identity block, so their step is exactly 0
    grad = np.where(free, grad, 0.0)
    fixed = ~free
    info = np.where(fixed[:, :, None] | fixed[:, None, :], 0.0, info)
    info[:, diag, diag] += fixed
    return np.where(free, _solve_scaled(info, grad), 0.0)


def _solve_scaled(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Solve the (n_items, m, m) systems ``info @ step = grad`` after Jacobi scaling.

    A nearly empty GRM category drives two intercepts together and their information towards
    1e18 beside O(1) entries; scaling to a unit diagonal (plus a tiny relative ridge) keeps the
    system solvable, and the pseudo-inverse catches what is still singular.
    """
    diag = np.sqrt(np.maximum(np.diagonal(info, axis1=1, axis2=2), 1e-300))
    scaled = info / (diag[:, :, None] * diag[:, None, :])
    scaled = scaled + 1e-10 * np.eye(info.shape[1])
    rhs = grad / diag
    try:
        y = np.linalg.solve(scaled, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        y = np.einsum("imn,in->im", np.linalg.pinv(scaled, hermitian=True), rhs)
    return y / diag


# ---- the latent distribution --------------------------------------------------------------------


def update_latent(
    counts: np.ndarray,
    nodes: np.ndarray,
    model: str,
    psi: np.ndarray,
    mean: float,
    sd: float,
    free_mean: bool,
    free_sd: bool,
    max_steps: int = 5,
) -> tuple[float, float]:
    """Maximise Q over the latent mean and SD with the items held fixed.

    The nodes are θ_q = μ + σ x_q with fixed weights, so Q depends on (μ, σ) only through the
    item log-probabilities: ``∂Q/∂μ = Σ r ∂log P/∂θ`` and ``∂Q/∂σ = Σ r x_q ∂log P/∂θ``, with
    ``∂ log P/∂θ = a Σ_j ∂ log P/∂d_j`` in every model here. Fisher scoring uses the item
    information at the nodes; steps are halved until Q does not decrease.

    Args:
        counts: (n_items, K, n_q); nodes: (n_q,) standard nodes x_q; psi: (n_items, m).

    Returns:
        (mean, sd).
    """
    if not (free_mean or free_sd):
        return mean, sd
    free = np.array([free_mean, free_sd])
    total = counts.sum(axis=1).T  # (n_q, n_items)
    for _ in range(max_steps):
        theta = mean + sd * nodes
        log_p, jac = log_probs_and_scores(theta, model, psi)
        dtheta = psi[:, 0][None, :, None] * jac[..., 1:-1].sum(axis=3)  # (n_q, n_items, K)
        g = np.einsum("ikq,qik->q", counts, dtheta)
        info = np.einsum("qi,qik,qik->q", total, np.exp(log_p), dtheta**2)
        basis = np.stack([np.ones_like(nodes), nodes])
        grad = basis @ g
        hess = (basis * info) @ basis.T
        grad = np.where(free, grad, 0.0)
        hess = np.where(np.outer(free, free), hess, np.eye(2))
        step = np.linalg.solve(hess + 1e-10 * np.eye(2), grad)
        q_old = expected_loglik(counts, log_p).sum()
        for _halving in range(30):
            new_mean, new_sd = mean + step[0], sd + step[1]
            if new_sd > 0:
                q_new = expected_loglik(
                    counts, log_probs_packed(new_mean + new_sd * nodes, model, psi)
                ).sum()
                if q_new >= q_old - 1e-10 * abs(q_old):
                    break
            step *= 0.5
        else:
            return mean, sd
        mean, sd = float(new_mean), float(new_sd)
        if np.max(np.abs(step)) < 1e-8:
            break
    return mean, sd
