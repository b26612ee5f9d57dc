"""Which option a candidate picks: the keyed option by the IRT model, distractors by shares.

The similarity index needs P(person picks option k of item j). The nominal response model
(Bock 1972) that Wollack (1997) uses for ω needs its own calibration per distractor; instead,
as Wollack's later comparisons allow, the keyed option comes from the bank's calibrated
dichotomous model (2PL/3PL: ``P_j(θ)``), and a wrong answer is split over the distractors by
their observed shares among the wrong answers of candidates of similar ability (θ quantile
groups), smoothed by +0.5 per option so an unseen distractor keeps a small probability:

    P(x_pj = key_j) = P_j(θ_p);   P(x_pj = k) = (1 − P_j(θ_p)) · share_{g(p), j, k}  (k ≠ key_j).
"""

from __future__ import annotations

import numpy as np

from item_bank.irt.models import ItemParameters, category_probabilities

__all__ = ["ability_groups", "as_choice_indices", "option_probabilities"]


def ability_groups(theta: np.ndarray, n_groups: int) -> np.ndarray:
    """(n_persons,) group 0..n_groups−1 of each θ by quantiles (equal-sized groups)."""
    theta = np.asarray(theta, dtype=float)
    if theta.size <= n_groups:
        return np.zeros(theta.shape, dtype=np.intp)
    cuts = np.quantile(theta, np.linspace(0, 1, n_groups + 1)[1:-1])
    return np.searchsorted(cuts, theta, side="right")


def as_choice_indices(choices: np.ndarray) -> np.ndarray:
    """(n_persons, n_items) float options (NaN = not presented) -> int, −1 = not presented."""
    choices = np.asarray(choices, dtype=float)
    if choices.ndim != 2:
        raise ValueError(f"choices must be (n_persons, n_items), got shape {choices.shape}")
    bad = ~np.isnan(choices) & ((choices < 0) | (choices != np.floor(choices)))
    if bad.any():
        raise ValueError("choices must be option indices 0, 1, ... or NaN (not presented)")
    return np.where(np.isnan(choices), -1, choices).astype(np.intp)


def option_probabilities(
    choices: np.ndarray,
    keys: np.ndarray,
    theta: np.ndarray,
    params: ItemParameters,
    *,
    n_options: int | None = None,
    n_groups: int = 5,
) -> np.ndarray:
    """P(option) per person and item.

    Args:
        choices: (n_persons, n_items) chosen option index, NaN = not presented.
        keys: (n_items,) index of the keyed option.
        theta: (n_persons,) abilities (e.g. the MAP estimates of the session).
        params: dichotomous item parameters of the same items.
        n_options: options per item (default: the largest seen, at least key + 1).
        n_groups: ability groups (θ quantiles) for the distractor shares.

    Returns:
        (n_persons, n_items, n_options) probabilities, each (person, item) row summing to 1.
    """
    x = as_choice_indices(choices)
    keys = np.asarray(keys, dtype=np.intp)
    theta = np.asarray(theta, dtype=float)
    n, m = x.shape
    if keys.shape != (m,) or theta.shape != (n,) or params.n_items != m:
        raise ValueError(
            f"shapes disagree: choices {x.shape}, keys {keys.shape}, theta {theta.shape}, "
            f"{params.n_items} items in the parameters"
        )
    k = int(max(x.max(initial=0), keys.max(initial=0))) + 1 if n_options is None else n_options
    group = ability_groups(theta, n_groups)
    wrong = (x >= 0) & (x != keys[None, :])
    flat = ((group[:, None] * m + np.arange(m)[None, :]) * k + x)[wrong]
    counts = np.bincount(flat, minlength=n_groups * m * k).reshape(n_groups, m, k) + 0.5
    counts[:, np.arange(m), keys] = 0.0
    shares = counts / counts.sum(axis=2, keepdims=True)  # (n_groups, m, k)
    p_key = category_probabilities(theta, params)[:, :, 1]  # (n, m)
    probs = (1.0 - p_key)[:, :, None] * shares[group]
    probs[:, np.arange(m), keys] = p_key
    return probs
