"""Classical statistics of one item version from live exam data (Crocker & Algina 1986, ch. 14).

Per version, over the submitted attempts that were shown it (``live_responses``):
* p-value: mean score / maximum score (1), omits counted as wrong, as the grading counts them;
* point-biserial: correlation of the item score with the attempt's total over its own form;
* corrected item–total: the same against the total of the *other* questions of the form;
* omit rate: share of those shown the item who chose nothing;
* per option: how many chose it and the mean total of those who did — a working distractor
  draws candidates with lower totals than the key does.

Forms differ per candidate, so the persons are the attempts that saw this version and the
"test" is a two-column matrix: this item, and the rest of each attempt's own form. The
functions of ``item_bank.irt.classical`` then give the statistics without a dense
persons × bank matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from exam_engine.analysis.live_responses import collect_live_responses
from item_bank.irt.classical import (
    corrected_item_total,
    distractor_analysis,
    item_p_values,
    point_biserial,
)
from item_bank.models import ItemVersion

__all__ = ["OptionStatistics", "VersionStatistics", "option_statistics", "version_statistics"]

CHOICE_KINDS = ("single", "multiple")


@dataclass(frozen=True)
class OptionStatistics:
    label: str                 # A, B, C… in the version's own (original) option order
    text: str
    is_key: bool
    count: int                 # candidates who chose it
    proportion: float          # count / candidates shown the item (omitters included)
    mean_total: float | None   # mean total score of those who chose it; None when nobody did


@dataclass(frozen=True)
class VersionStatistics:
    version_id: int
    n_responses: int                   # submitted attempts shown the version
    p_value: float
    point_biserial: float | None       # None when undefined (no variance)
    corrected_item_total: float | None
    n_omitted: int
    omit_rate: float
    mean_total: float                  # mean total score of the attempts shown the version
    omitted_mean_total: float | None
    options: tuple[OptionStatistics, ...] = ()


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def option_statistics(chosen: np.ndarray, totals: np.ndarray, *, single_key: int | None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts, proportions and mean totals of the choosers of each option.

    Args:
        chosen: (n_persons, n_options) bool, whether each person chose each option.
        totals: (n_persons,) each person's total score.
        single_key: the keyed option of a single-choice item (one option per person, tabulated
            by ``classical.distractor_analysis``); None for multiple response, where a person
            counts in every option he chose.

    Returns:
        ((n_options,) int counts, (n_options,) proportions, (n_options,) mean totals, NaN where
        nobody chose the option).
    """
    n_persons, n_options = chosen.shape
    if single_key is not None:
        picked = np.where(chosen.any(axis=1), chosen.argmax(axis=1), -1)
        choices = np.where(picked >= 0, picked, None).astype(object)[:, None]
        table = distractor_analysis(choices, [single_key], options=list(range(n_options)))
        counts = table.counts[0].astype(int)
    else:
        counts = chosen.sum(axis=0)
    # over everyone shown the item, omitters included: options and omits add up to 1
    proportion = counts / max(n_persons, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_total = (chosen * totals[:, None]).sum(axis=0) / chosen.sum(axis=0)
    return counts, proportion, mean_total


def version_statistics(db: Session, version_id: int) -> VersionStatistics | None:
    """Classical statistics of an item version; None while no submitted attempt has shown it."""
    version = db.get(ItemVersion, version_id)
    if version is None:
        return None
    live = collect_live_responses(db, version_ids=[version_id])
    j = live.item_index(version_id)
    if j is None:
        return None
    rows = live.item == j
    score = live.score[rows]
    totals = live.totals[live.person[rows]]
    item_and_rest = np.column_stack([score, totals - score])
    omitted = live.omitted[rows]

    options: tuple[OptionStatistics, ...] = ()
    if version.kind in CHOICE_KINDS:
        texts = version.options
        chosen = live.chosen_matrix(len(texts))[rows]
        key = set(version.correct)
        single_key = min(key) if version.kind == "single" and key else None
        counts, proportion, means = option_statistics(chosen, totals, single_key=single_key)
        options = tuple(
            OptionStatistics(chr(ord("A") + o), texts[o], o in key, int(counts[o]),
                             float(proportion[o]), _finite(means[o]))
            for o in range(len(texts)))
    return VersionStatistics(
        version_id=version_id,
        n_responses=int(score.size),
        p_value=float(item_p_values(item_and_rest[:, :1], max_scores=1.0)[0]),
        point_biserial=_finite(point_biserial(item_and_rest)[0]),
        corrected_item_total=_finite(corrected_item_total(item_and_rest)[0]),
        n_omitted=int(omitted.sum()),
        omit_rate=float(omitted.mean()),
        mean_total=float(totals.mean()),
        omitted_mean_total=_finite(totals[omitted].mean()) if omitted.any() else None,
        options=options,
    )
