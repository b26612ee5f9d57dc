"""Classical test theory item analysis (Crocker & Algina 1986; Lord & Novick 1968).

Missing data (NaN = not presented) are handled as follows, per statistic:
* item p-value: mean over persons who were presented the item;
* point-biserial and corrected item-total: the total is the sum over presented items (NaN
  counts 0), and each item's correlation uses only the persons presented that item;
* Cronbach's alpha: listwise — only persons who answered every item (alpha needs one common
  set of items per person; pairwise variances can push it outside its range).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from item_bank.irt.scoring import dense_responses

__all__ = [
    "DistractorTable",
    "corrected_item_total",
    "cronbach_alpha",
    "distractor_analysis",
    "item_p_values",
    "point_biserial",
]


def item_p_values(responses: Any, max_scores: np.ndarray | float | None = None) -> np.ndarray:
    """Item difficulty index: mean score / maximum score over presented responses.

    Args:
        responses: (n_persons, n_items) scores, NaN = not presented.
        max_scores: (n_items,) or scalar maximum score; default the observed maximum, at least 1.

    Returns:
        (n_items,) proportions in [0, 1]; NaN for items nobody was presented.
    """
    dense, _ = dense_responses(responses)
    if max_scores is None:
        with np.errstate(all="ignore"):
            observed_max = np.where(np.isnan(dense), -np.inf, dense).max(axis=0)
        max_scores = np.maximum(observed_max, 1.0)
    n = (~np.isnan(dense)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(dense, axis=0) / n / np.asarray(max_scores, dtype=float)


def _masked_correlation(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Column-wise Pearson r between x[:, j] and y[:, j] over rows where mask[:, j].

    Args:
        x, y, mask: (n_persons, n_items).

    Returns:
        (n_items,) correlations; NaN where either column has no variance.
    """
    m = mask.astype(float)
    n = m.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (m * x).sum(axis=0) / n
        my = (m * y).sum(axis=0) / n
        dx, dy = m * (x - mx), m * (y - my)
        return (dx * dy).sum(axis=0) / np.sqrt((dx**2).sum(axis=0) * (dy**2).sum(axis=0))


def point_biserial(responses: Any) -> np.ndarray:
    """Item–total correlation with the item included in the total (point-biserial for 0/1 items).

    Args:
        responses: (n_persons, n_items) scores, NaN = not presented.

    Returns:
        (n_items,) correlations.
    """
    dense, _ = dense_responses(responses)
    mask = ~np.isnan(dense)
    scores = np.where(mask, dense, 0.0)
    total = scores.sum(axis=1, keepdims=True)
    return _masked_correlation(scores, np.broadcast_to(total, scores.shape), mask)


def corrected_item_total(responses: Any) -> np.ndarray:
    """Corrected item–total correlation: the item against the total of the *other* items.

    Args:
        responses: (n_persons, n_items) scores, NaN = not presented.

    Returns:
        (n_items,) correlations.
    """
    dense, _ = dense_responses(responses)
    mask = ~np.isnan(dense)
    scores = np.where(mask, dense, 0.0)
    rest = scores.sum(axis=1, keepdims=True) - scores
    return _masked_correlation(scores, rest, mask)


def cronbach_alpha(responses: Any) -> float:
    """Cronbach's (1951) alpha: ``k / (k − 1) · (1 − Σ var(item) / var(total))``, ddof = 1.

    Listwise deletion: only persons with every item present are used.

    Args:
        responses: (n_persons, n_items) scores, NaN = not presented.

    Returns:
        alpha; NaN with fewer than 2 complete persons, 2 items or zero total variance.
    """
    dense, _ = dense_responses(responses)
    complete = dense[~np.isnan(dense).any(axis=1)]
    k = complete.shape[1]
    if complete.shape[0] < 2 or k < 2:
        return float("nan")
    total_var = complete.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - complete.var(axis=0, ddof=1).sum() / total_var))


@dataclass(frozen=True)
class DistractorTable:
    """Choice counts per option, overall and in the upper and lower score groups.

    Attributes:
        options: (n_options,) option labels, column order of the arrays below.
        counts: (n_items, n_options) number of persons choosing each option.
        proportion: (n_items, n_options) counts / persons presented the item (omits excluded).
        upper, lower: (n_items, n_options) proportion choosing each option in the upper / lower
            group (top and bottom ``group_fraction`` of persons by number correct).
        discrimination: upper − lower; positive for the key, negative for a working distractor.
        key: (n_items,) the keyed option of each item.
    """

    options: np.ndarray
    counts: np.ndarray
    proportion: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    discrimination: np.ndarray
    key: np.ndarray


def distractor_analysis(
    choices: np.ndarray,
    key: Sequence[Any] | np.ndarray,
    options: Sequence[Any] | None = None,
    *,
    group_fraction: float = 0.27,
) -> DistractorTable:
    """Distractor analysis from raw choices (Kelley 1939 upper/lower 27 % groups).

    Args:
        choices: (n_persons, n_items) chosen option labels (e.g. "A".."D"); None, "" or NaN
            = not presented / omitted (counted in no option).
        key: (n_items,) keyed option per item.
        options: option labels to tabulate; default the sorted set of labels seen plus keys.
        group_fraction: share of persons in each of the upper and lower groups, by number
            correct; ties at the boundary are broken by person order (stable sort).

    Returns:
        ``DistractorTable``.
    """
    choices = np.asarray(choices, dtype=object)
    if choices.ndim != 2:
        raise ValueError(f"choices must be (n_persons, n_items), got shape {choices.shape}")
    key = np.asarray(key, dtype=object)
    if key.shape != (choices.shape[1],):
        raise ValueError(f"key must have one entry per item ({choices.shape[1]}), got {key.shape}")
    if not 0 < group_fraction <= 0.5:
        raise ValueError("group_fraction must lie in (0, 0.5]")
    # None, "" and NaN (the one value unequal to itself) mark a choice that was not made
    absent = np.equal(choices, None) | np.equal(choices, "") | np.not_equal(choices, choices)
    if options is None:
        options = sorted({str(v) for v in choices[~absent]} | {str(k) for k in key})
        labels = choices.astype(str)
        key = key.astype(str)
    else:
        labels = choices
    options_arr = np.asarray(options, dtype=object)
    presented = ~absent

    correct = (labels == key[None, :]) & presented
    total = correct.sum(axis=1)
    n_group = max(1, int(round(group_fraction * choices.shape[0])))
    order = np.argsort(-total, kind="stable")
    upper_rows, lower_rows = order[:n_group], order[::-1][:n_group]

    # (n_options, n_persons, n_items) boolean; the option loop is short, persons are vectorised
    chosen = np.stack([(labels == opt) & presented for opt in options_arr])
    counts = chosen.sum(axis=1).T
    n_presented = presented.sum(axis=0)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        proportion = counts / n_presented
        upper = chosen[:, upper_rows].sum(axis=1).T / presented[upper_rows].sum(axis=0)[:, None]
        lower = chosen[:, lower_rows].sum(axis=1).T / presented[lower_rows].sum(axis=0)[:, None]
    return DistractorTable(options_arr, counts, proportion, upper, lower, upper - lower, key)
