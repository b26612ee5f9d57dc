"""All forensic indices of one session in one call (what the background job runs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from item_bank.irt.models import ItemParameters, category_probabilities
from proctor.forensics.option_model import option_probabilities
from proctor.forensics.person_fit import PersonFit, person_fit
from proctor.forensics.response_times import (
    FastCorrect,
    LognormalTimes,
    fast_correct_answers,
    fit_lognormal_times,
)
from proctor.forensics.similarity import PairSimilarity, pair_similarity

__all__ = ["SessionForensics", "session_forensics"]


@dataclass(frozen=True)
class SessionForensics:
    """Evidence for the council, not a verdict: every index with its p-value."""

    person_fit: PersonFit
    similarity: PairSimilarity
    times: LognormalTimes | None
    fast_correct: FastCorrect | None


def session_forensics(
    choices: np.ndarray,
    keys: np.ndarray,
    params: ItemParameters,
    rooms: np.ndarray,
    seats: np.ndarray,
    times: np.ndarray | None = None,
    *,
    alpha: float = 0.01,
    neighbour_weight: float = 10.0,
    empirical_null: bool = False,
) -> SessionForensics:
    """Person fit, within-room similarity and (with times) response-time aberrance.

    Args:
        choices: (n_persons, n_items) chosen option, NaN = not presented.
        keys: (n_items,) keyed option; params: the items' dichotomous parameters.
        rooms: (n_persons,) room labels; seats: (n_persons, 2) (row, column).
        times: (n_persons, n_items) seconds, NaN = none; None skips the time indices.
        alpha: per-room level of the pair flags; neighbour_weight, empirical_null: see
            ``pair_similarity``.
    """
    choices = np.asarray(choices, dtype=float)
    keys = np.asarray(keys)
    scores = np.where(np.isnan(choices), np.nan, (choices == keys[None, :]).astype(float))
    fit = person_fit(scores, params)
    probs = option_probabilities(choices, keys, fit.theta, params)
    similarity = pair_similarity(
        choices,
        probs,
        rooms,
        seats,
        alpha=alpha,
        neighbour_weight=neighbour_weight,
        empirical_null=empirical_null,
    )
    if times is None:
        return SessionForensics(fit, similarity, None, None)
    lognormal = fit_lognormal_times(times)
    p_correct = category_probabilities(fit.theta, params)[:, :, 1]
    fast = fast_correct_answers(lognormal.residuals, scores, p_correct)
    return SessionForensics(fit, similarity, lognormal, fast)
