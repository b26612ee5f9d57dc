"""IRT ability for a graded attempt: EAP on the bank's scale from the items the candidate saw.

This is what makes different random forms comparable: two candidates with the same percent on
forms of different difficulty get different abilities, and vice versa.

The 3PL model is dichotomous: an item counts 1 only at full credit and 0 otherwise, so a
true/false-4 item with three statements right (credit 0.5) counts as wrong here, while the
percent keeps its partial credit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from exam_engine.exams.grading import is_full_credit
from item_bank.irt.models import ItemParameters
from item_bank.irt.scoring import score_eap
from item_bank.models import ItemVersion


def eap_from_versions(versions: Sequence[ItemVersion],
                      item_scores: Sequence[float]) -> tuple[float | None, float | None]:
    """(theta, se) under the 3PL parameters of each version; None when some item has none.

    ``item_scores`` are credits 0 … 1; each is scored 1 only at full credit (dichotomous 3PL).
    """
    if not versions or any(v.irt_a is None or v.irt_b is None for v in versions):
        return None, None
    params = ItemParameters.from_irt(
        "3pl", a=np.array([v.irt_a for v in versions], dtype=float),
        b=np.array([v.irt_b for v in versions], dtype=float),
        c=np.array([v.irt_c or 0.0 for v in versions], dtype=float))
    right = np.array([1.0 if is_full_credit(s) else 0.0 for s in item_scores], dtype=float)
    theta, se = score_eap(right, params)
    return float(theta), float(se)
