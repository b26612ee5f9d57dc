"""Item calibration by marginal maximum likelihood with EM (Bock & Aitkin 1981).

θ ~ N(μ, σ²) is integrated on fixed standard-normal quadrature (nodes move with μ and σ). The
E-step (``estep``) works on the observed (person, item, score) cells only, so sparse designs —
linked forms, adaptive testing — cost what they hold. The M-step (``mstep``) is batched Fisher
scoring over all items. Priors turn it into Bayes modal estimation (Mislevy 1986); the 3PL always
gets a Beta prior on c unless it is explicitly removed.

Identification: θ ~ N(0, 1) for 2PL/3PL/GRM/GPCM. Rasch fixes a = 1 and estimates σ; 1PL is the
same likelihood reported with a common slope a = σ and θ ~ N(0, 1). With anchors the anchored
items are fixed and μ, σ are estimated, so the new items land on the anchors' scale.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from item_bank.irt.calibration_inputs import (
    AnchorSpec,
    anchor_rows,
    pad_intercepts,
    resolve_priors,
    start_values,
)
from item_bank.irt.data import ResponseData, as_response_data
from item_bank.irt.em import EMState, run_em
from item_bank.irt.estep import build_design, e_step
from item_bank.irt.models import DICHOTOMOUS_MODELS, ItemParameters, normalise_model
from item_bank.irt.mstep import (
    Prior,
    fisher_scoring_items,
    log_probs_packed,
    pack,
    prior_terms,
    unpack,
    update_latent,
    valid_parameters,
)
from item_bank.irt.quadrature import standard_normal_quadrature
from item_bank.irt.standard_errors import ParameterErrors, cross_product_errors

__all__ = [
    "Calibration",
    "ConvergenceWarning",
    "ParameterErrors",
    "calibrate",
    "marginal_loglik",
]

ProgressCallback = Callable[[int, float, float], None]


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the parameter change fell below ``tol``."""


@dataclass(frozen=True)
class Calibration:
    """A fitted calibration.

    Attributes:
        model: canonical model name.
        params: the item parameters (slope–intercept form, difficulty form via properties).
        se: standard errors, same shapes as the parameters (NaN where fixed); see ``se_method``.
        se_method: how ``se`` was computed.
        loglik: marginal log-likelihood at the estimates (without the log prior).
        n_iter: E-steps run (including rejected SQUAREM extrapolations); converged: whether the
            change of an EM step fell below ``tol``.
        nodes: (n_q,) standard quadrature nodes x_q; weights: (n_q,) their weights (sum 1);
            the latent nodes are ``latent_mean + latent_sd * nodes``.
        latent_mean, latent_sd: the latent distribution (0 and 1 unless estimated).
        loglik_trace: (<= n_iter,) the EM objective at each recorded iterate — the marginal
            log-likelihood plus the log prior density when priors are used — never decreasing.
        priors: the priors used, {"a" | "d" | "c": (kind, p1, p2)}.
        anchors: (n_anchors,) indices of the items held fixed.
    """

    model: str
    params: ItemParameters
    se: ParameterErrors
    se_method: str
    loglik: float
    n_iter: int
    converged: bool
    nodes: np.ndarray
    weights: np.ndarray
    latent_mean: float
    latent_sd: float
    loglik_trace: np.ndarray
    priors: dict[str, Prior] = field(default_factory=dict)
    anchors: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    @property
    def a(self) -> np.ndarray:
        return self.params.a

    @property
    def b(self) -> np.ndarray:
        return self.params.b

    @property
    def c(self) -> np.ndarray:
        return self.params.c

    @property
    def d(self) -> np.ndarray:
        return self.params.d

    @property
    def thresholds(self) -> np.ndarray:
        return self.params.thresholds

    @property
    def theta_nodes(self) -> np.ndarray:
        """(n_q,) the latent nodes μ + σ x_q."""
        return self.latent_mean + self.latent_sd * self.nodes


# ---- the fit ------------------------------------------------------------------------------------


def calibrate(
    responses: ResponseData | np.ndarray | tuple,
    model: str,
    *,
    anchors: AnchorSpec = None,
    priors: Mapping[str, Prior | None] | None = None,
    n_quadrature: int = 41,
    max_iter: int = 500,
    tol: float = 1e-4,
    start: Calibration | ItemParameters | None = None,
    progress: ProgressCallback | None = None,
    quadrature: str = "gauss-hermite",
    dense: bool | None = None,
    accelerate: bool = True,
    loglik_tol: float = 1e-3,
) -> Calibration:
    """Calibrate items by marginal maximum likelihood (EM; Bock & Aitkin 1981).

    Args:
        responses: (n_persons, n_items) float with NaN = not presented, a ResponseData, or a
            (person, item, score) tuple; scores are categories 0..K−1.
        model: "rasch", "1pl", "2pl", "3pl", "grm" (Samejima 1969) or "gpcm" (Muraki 1992).
        anchors: items held fixed — {item_index: ItemParameters of one item, or a mapping with
            "a", "d" (or "b"/"thresholds") and "c"}, or (indices, ItemParameters). The latent
            mean and SD are then estimated.
        priors: {"a" | "d" | "c": (kind, p1, p2)} with kind "lognormal" (on a: mean and SD of
            log a), "normal" (on d: mean, SD) or "beta" (on c: α, β); None removes a default.
            The 3PL defaults to c ~ Beta(5, 17).
        n_quadrature: quadrature points (41: fewer bias GRM slopes at large N).
        max_iter: limit on E-steps; tol: stop when no parameter (items, μ, σ) moves more in an
            EM step.
        start: a previous Calibration (continues from its estimates and latent distribution) or
            ItemParameters.
        progress: called as progress(iteration, loglik, max_change) for every recorded
            iteration (rejected SQUAREM extrapolations are not reported).
        quadrature: "gauss-hermite" or "rectangular" (see ``quadrature.py``).
        dense: force the dense (True) or sparse (False) E-step; None picks by density.
        accelerate: SQUAREM-accelerated EM (see ``em.py``); False runs plain EM.
        loglik_tol: convergence also needs the EM objective to rise by less than this per step.

    Returns:
        Calibration. Emits ConvergenceWarning when max_iter is reached first.
    """
    data = as_response_data(responses)
    model = normalise_model(model)
    if data.n_obs == 0:
        raise ValueError("no observed responses to calibrate")
    inner = "rasch" if model in ("rasch", "1pl") else model
    prior_spec = resolve_priors(model, priors)
    if inner == "rasch":
        prior_spec.pop("a", None)  # slopes are fixed; the scale lives in σ
    anchor_idx, anchor_specs = anchor_rows(anchors, model, data.n_items)

    n_cat = data.n_categories
    if model in DICHOTOMOUS_MODELS and n_cat.max() > 2:
        raise ValueError(f"{model} is dichotomous but some scores exceed 1; use 'grm' or 'gpcm'")
    for j, row in zip(anchor_idx, anchor_specs, strict=True):
        n_cat[j] = max(n_cat[j], row[1].size + 1)
    if isinstance(start, Calibration):
        start_params = start.params
    else:
        start_params = start
    if start_params is not None:
        if start_params.n_items != data.n_items:
            raise ValueError("start has a different number of items")
        short = np.flatnonzero(start_params.n_categories < n_cat)
        if short.size:
            raise ValueError(f"start has fewer categories than the data for items {short[:10]}")
        n_cat = np.maximum(n_cat, start_params.n_categories)
    n_k = int(n_cat.max())

    # common slope of 1PL anchors: the inner Rasch fit works on θ' = aθ
    scale = 1.0
    if model == "1pl" and anchor_specs:
        slopes = np.array([r[0] for r in anchor_specs])
        if np.ptp(slopes) > 1e-9:
            raise ValueError("1pl anchors must share one common slope")
        scale = float(slopes[0])

    psi = start_values(data, inner, n_cat, n_k)
    mean, sd = 0.0, 1.0
    if start_params is not None:
        width = n_k - 1
        d0 = np.array([pad_intercepts(row[~np.isnan(row)], width) for row in start_params.d])
        psi = pack(start_params.a.copy(), d0, start_params.c.copy())
        if inner == "rasch":
            sd = float(np.mean(start_params.a)) if model == "1pl" else sd
            psi[:, 0] = 1.0
        if isinstance(start, Calibration):
            mean, sd = start.latent_mean, start.latent_sd
            if model == "1pl":
                mean, sd = mean * np.mean(start.params.a), sd * np.mean(start.params.a)
    for j, (a_j, d_j, c_j) in zip(anchor_idx, anchor_specs, strict=True):
        psi[j] = np.concatenate(
            [[a_j / scale if inner == "rasch" else a_j], pad_intercepts(d_j, n_k - 1), [c_j]]
        )
        if inner == "rasch" and model == "rasch" and a_j != 1.0:
            raise ValueError("rasch anchors must have slope 1")

    free = np.zeros_like(psi, dtype=bool)
    free[:, 1:-1] = ~np.isnan(psi[:, 1:-1])
    free[:, 0] = inner != "rasch"
    free[:, -1] = model == "3pl"
    free[anchor_idx] = False
    free_mean = bool(anchor_idx.size)
    free_sd = bool(anchor_idx.size) or inner == "rasch"

    nodes, weights = standard_normal_quadrature(n_quadrature, quadrature)
    log_w = np.log(weights)
    design = build_design(data, n_k, dense)

    def em_step(state: EMState) -> tuple[float, float, EMState]:
        theta = state.mean + state.sd * nodes
        est = e_step(design, log_probs_packed(theta, inner, state.psi), log_w)
        objective = est.loglik + float(prior_terms(state.psi, free, prior_spec)[0].sum())
        new_psi = fisher_scoring_items(est.counts, theta, inner, state.psi, free, prior_spec)
        new_mean, new_sd = update_latent(
            est.counts, nodes, inner, new_psi, state.mean, state.sd, free_mean, free_sd
        )
        return objective, est.loglik, EMState(new_psi, new_mean, new_sd)

    def in_space(state: EMState) -> bool:
        return bool(state.sd > 0 and valid_parameters(inner, state.psi).all())

    result = run_em(
        em_step,
        EMState(psi, mean, sd),
        max_iter=max_iter,
        tol=tol,
        loglik_tol=loglik_tol,
        accelerate=accelerate,
        valid=in_space,
        progress=progress,
    )
    psi, mean, sd = result.state.psi, result.state.mean, result.state.sd
    converged, change, n_iter, trace = result.converged, result.change, result.n_evals, result.trace
    if not converged:
        warnings.warn(
            f"{model} calibration did not converge in {max_iter} E-steps "
            f"(last parameter change {change:.2e} > tol {tol:.0e})",
            ConvergenceWarning,
            stacklevel=2,
        )

    theta = mean + sd * nodes
    final = e_step(design, log_probs_packed(theta, inner, psi), log_w, keep_posterior=True)
    errors, se_method = cross_product_errors(
        data,
        design,
        final.posterior,
        theta,
        nodes,
        inner,
        psi,
        free,
        prior_spec,
        latent_free=(free_mean, free_sd),
        slope_is_latent_sd=model == "1pl" and not anchor_idx.size,
    )

    a, d, c = unpack(psi)
    if model == "1pl":
        # the inner Rasch fit has θ' = aθ ~ N(μ', σ'²): a = σ' without anchors, else the anchors'
        a = np.full_like(a, sd if not anchor_idx.size else scale)
        mean, sd = (0.0, 1.0) if not anchor_idx.size else (mean / scale, sd / scale)
        if anchor_idx.size:
            errors = replace(
                errors, latent_mean=errors.latent_mean / scale, latent_sd=errors.latent_sd / scale
            )
    params = ItemParameters(
        model, a.copy(), d.copy(), c.copy() if model == "3pl" else np.zeros_like(c)
    )
    return Calibration(
        model=model,
        params=params,
        se=errors,
        se_method=se_method,
        loglik=final.loglik,
        n_iter=n_iter,
        converged=converged,
        nodes=nodes,
        weights=weights,
        latent_mean=float(mean),
        latent_sd=float(sd),
        loglik_trace=np.asarray(trace),
        priors=prior_spec,
        anchors=anchor_idx,
    )


def marginal_loglik(
    responses: ResponseData | np.ndarray | tuple,
    params: ItemParameters,
    *,
    n_quadrature: int = 41,
    mean: float = 0.0,
    sd: float = 1.0,
    quadrature: str = "gauss-hermite",
) -> float:
    """Marginal log-likelihood Σ_p log ∫ P(x_p | θ) N(θ; mean, sd²) dθ on the given quadrature.

    Args:
        responses: anything ``as_response_data`` accepts; params: the items' parameters.

    Returns:
        the log-likelihood (float), comparable between parameter sets at equal quadrature.
    """
    data = as_response_data(responses)
    if params.n_items != data.n_items:
        raise ValueError(f"params has {params.n_items} items, responses {data.n_items}")
    if np.any(data.n_categories > params.n_categories):
        raise ValueError("responses use categories the parameters do not have")
    nodes, weights = standard_normal_quadrature(n_quadrature, quadrature)
    design = build_design(data, params.max_categories)
    theta = mean + sd * nodes
    log_p = log_probs_packed(theta, params.model, pack(params.a, params.d, params.c))
    return e_step(design, log_p, np.log(weights)).loglik
