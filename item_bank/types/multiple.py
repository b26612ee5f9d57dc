"""Multiple response (nhiều lựa chọn): one or more correct options; the candidate ticks any.

Key: ``{"correct": ["A", "C"], "scoring": "all_or_nothing" | "partial"}`` (default
``all_or_nothing``, the TT03 exam practice). Response: the ticked ids, e.g. ``["C", "A"]``;
normalised to a sorted list without repeats.

Scoring
-------
``all_or_nothing``
    Full points when the ticked set is exactly the key, else 0.
``partial``
    ``(right ticks − wrong ticks) / number of correct options``, floored at 0. This is Moodle's
    multiple-answer multichoice with every correct option worth ``+1/k`` and every wrong option
    ``−1/k`` (k = number of correct options), the usual "right minus wrong" rule of TAO/QTI
    ``MAP_RESPONSE`` with a lower bound of 0. Ticking nothing earns 0. Ticking *everything* earns
    ``(k − w)/k`` (w = number of wrong options): 0 when w ≥ k; so authors should keep at least as
    many wrong options as correct ones for partial-credit items (not enforced: it is a design
    choice, and a 3-of-4 item is still valid).

Validation: at least 2 options, at least 1 correct and at least 1 wrong (an item whose every
option is correct is answered by ticking all). The same rule holds for both scoring modes: with
one correct option ``partial`` equals ``all_or_nothing``, which is harmless.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from item_bank.content import ItemContent, ItemKind
from item_bank.types.base import (
    ItemType,
    Problem,
    is_blank,
    key_problem,
    part_ids,
    part_label,
    require_list,
    require_part_id,
    scoring_problems,
    string_list,
)


class MultipleResponse(ItemType):
    kind = ItemKind.MULTIPLE
    min_choices = 2

    def validate_key(self, content: ItemContent) -> list[Problem]:
        problems: list[Problem] = []
        correct = string_list(content.key.get("correct"))
        ids = part_ids(content.choices)
        if not correct:
            problems.append(key_problem("correct", "Cần ít nhất một đáp án đúng.",
                                        "At least one correct choice is needed."))
        else:
            unknown = [c for c in correct if c not in ids]
            if unknown:
                problems.append(key_problem(
                    "correct", f"Đáp án {', '.join(f'«{u}»' for u in unknown)} không phải là "
                    "phương án của câu hỏi.", f"Key ids not among the choices: {unknown!r}."))
            if len(set(correct)) != len(correct):
                problems.append(key_problem("correct", "Danh sách đáp án đúng có mã bị lặp.",
                                            "The list of correct choices repeats an id."))
            if ids and set(ids) <= set(correct):
                problems.append(key_problem(
                    "correct", "Mọi phương án đều đúng: cần ít nhất một phương án sai.",
                    "Every choice is correct: at least one wrong choice is needed."))
        return problems + scoring_problems(content.key)

    def candidate_view(self, content: ItemContent,
                       rng: np.random.Generator | None = None) -> dict[str, Any]:
        return self.choices_view(content, rng, {"select": "many"})

    def normalise_response(self, raw: Any,
                           content: ItemContent | None = None) -> list[str] | None:
        if is_blank(raw):
            return None
        if isinstance(raw, str):
            raw = [raw]
        items = require_list(raw)
        parts = content.choices if content else None
        ticked = {require_part_id(value, parts, f"response[{i}]") for i, value in enumerate(items)}
        return sorted(ticked)

    def credit(self, content: ItemContent, response: list[str]) -> float:
        correct = set(content.key["correct"])
        ticked = set(response)
        if content.key.get("scoring", "all_or_nothing") == "all_or_nothing":
            return 1.0 if ticked == correct else 0.0
        right = len(ticked & correct)
        wrong = len(ticked - correct)
        return max(0.0, (right - wrong) / len(correct))

    def describe_key(self, content: ItemContent) -> str:
        labels = "; ".join(part_label(content.choices, c) for c in content.key["correct"])
        mode = ("tính điểm từng phần (đúng trừ sai)"
                if content.key.get("scoring") == "partial" else "đúng tất cả mới có điểm")
        return f"Các đáp án đúng: {labels}. Cách chấm: {mode}."
