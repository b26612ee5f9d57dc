"""Answer changes: wrong-to-right (WTR) counts against their expectation.

Full models give each change an IRT probability (van der Linden & Jeon 2012, *J. Educational
and Behavioral Statistics* 37(1), 180–199; Wollack, Cohen & Eckerly 2015, *Educational and
Psychological Measurement* 75(6), 931–953). This simpler model, documented here so the council
can read it: each change a person makes is wrong-to-right with the rate π_g of candidates of
similar ability (θ quantile group g, pooled over the session without the person's own changes —
in a small group a tamperer's own changes would raise the rate he is judged against — +1/+2
smoothed), independently.
So ``WTR_p ~ Binomial(changes_p, π_g(p))`` and the p-value is its upper tail. Tampering, or
answers fed after the fact, shows as many changes that are nearly all wrong-to-right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from proctor.forensics.option_model import ability_groups

__all__ = ["AnswerChanges", "wrong_to_right"]


@dataclass(frozen=True)
class AnswerChanges:
    """changes, wrong_to_right: (n,) counts; expected: (n,); rate: (n,) π_g; p_value: (n,)."""

    changes: np.ndarray
    wrong_to_right: np.ndarray
    expected: np.ndarray
    rate: np.ndarray
    p_value: np.ndarray


def wrong_to_right(
    changed: np.ndarray,
    first_scores: np.ndarray,
    final_scores: np.ndarray,
    theta: np.ndarray,
    *,
    n_groups: int = 5,
) -> AnswerChanges:
    """Test each person's wrong-to-right changes.

    Args:
        changed: (n_persons, n_items) bool, the answer was changed after it was first given
            (from the response log).
        first_scores: (n_persons, n_items) 0/1 score of the first answer given, NaN = none.
        final_scores: (n_persons, n_items) 0/1 score of the final answer, NaN = none.
        theta: (n_persons,) abilities for the ability groups.
    """
    first = np.asarray(first_scores, dtype=float)
    final = np.asarray(final_scores, dtype=float)
    changed = np.asarray(changed, dtype=bool)
    if not first.shape == final.shape == changed.shape or first.ndim != 2:
        raise ValueError(
            f"changed, first and final scores must be (n, m) alike: "
            f"{changed.shape}, {first.shape}, {final.shape}"
        )
    changed = changed & ~np.isnan(first) & ~np.isnan(final)
    wtr = (changed & (first == 0) & (final == 1)).sum(axis=1)
    n_changes = changed.sum(axis=1)
    group = ability_groups(theta, n_groups)
    group_wtr = np.bincount(group, wtr, n_groups)[group] - wtr  # leave the person out
    group_changes = np.bincount(group, n_changes, n_groups)[group] - n_changes
    pi = (group_wtr + 1) / (group_changes + 2)
    p_value = np.where(n_changes > 0, binom.sf(wtr - 1, n_changes, pi), 1.0)
    return AnswerChanges(n_changes, wtr, n_changes * pi, pi, p_value)
