"""Person fit: lz* (Snijders 2001) from the IRT core, with its lower-tail p-value.

A pattern that fits the model badly (e.g. hard items right and easy items wrong, as with item
pre-knowledge or copying from an abler neighbour) has a large negative lz*, which is close to
N(0, 1) under the model, so ``Φ(lz*)`` is its p-value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from item_bank.irt.fit import person_fit_lzstar
from item_bank.irt.models import ItemParameters
from item_bank.irt.scoring import score_map

__all__ = ["PersonFit", "person_fit"]


@dataclass(frozen=True)
class PersonFit:
    """theta: (n,) MAP ability; lzstar: (n,) lz*; p_value: (n,) Φ(lz*), NaN if undefined."""

    theta: np.ndarray
    lzstar: np.ndarray
    p_value: np.ndarray


def person_fit(
    scores: np.ndarray, params: ItemParameters, theta: np.ndarray | None = None
) -> PersonFit:
    """lz* per person.

    Args:
        scores: (n_persons, n_items) 0/1, NaN = not presented.
        params: dichotomous item parameters of the same items.
        theta: (n_persons,) MAP estimates under N(0, 1); computed when omitted. MAP (not MLE)
            keeps all-right and all-wrong patterns finite for the option model.
    """
    scores = np.asarray(scores, dtype=float)
    if theta is None:
        theta = np.asarray(score_map(scores, params, prior_mean=0.0, prior_sd=1.0)[0])
    lzs = np.asarray(
        person_fit_lzstar(scores, params, theta, estimator="map", prior_mean=0.0, prior_sd=1.0)
    )
    return PersonFit(theta=np.asarray(theta, dtype=float), lzstar=lzs, p_value=norm.cdf(lzs))
