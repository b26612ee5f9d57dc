"""Ordering (sắp xếp thứ tự): put all the parts in the right order, e.g. the steps to insert
a chart in a spreadsheet.

Key: ``{"order": ["C", "A", "B"], "scoring": "all_or_nothing" | "partial"}`` — a permutation of
all choice ids; ``scoring`` is optional (default ``all_or_nothing``).
Response: the ids in the candidate's order, ``["C", "A", "B"]``.

Scoring
-------
``all_or_nothing`` (default)
    Full points only for exactly the key's order.
``partial``
    The fraction of the key's ``n − 1`` adjacent pairs (each part and the one that follows it)
    that stand next to each other, in that order, in the response. This is Moodle's ordering
    question, grading type "relative to the next item (excluding last)". Example: key
    A B C D, response B C D A keeps B→C and C→D: 2/3.

Display: always shuffled, and never shown in the key's order (n ≥ 2).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from item_bank.content import ItemContent, ItemKind
from item_bank.types.base import (
    InvalidResponse,
    ItemType,
    Problem,
    is_blank,
    key_problem,
    part_ids,
    part_label,
    parts_view,
    require_list,
    require_part_id,
    scoring_problems,
    shuffled,
    stable_rng,
    string_list,
)


class Ordering(ItemType):
    kind = ItemKind.ORDERING
    part_vi = "mục cần sắp xếp"
    part_en = "item to order"
    min_choices = 2

    def validate_key(self, content: ItemContent) -> list[Problem]:
        problems: list[Problem] = []
        order = string_list(content.key.get("order"))
        ids = part_ids(content.choices)
        if order is None or sorted(order) != sorted(ids):
            problems.append(key_problem(
                "order", "Thứ tự đúng phải liệt kê mỗi mục cần sắp xếp đúng một lần.",
                "The key order must list every item exactly once."))
        return problems + scoring_problems(content.key)

    def candidate_view(self, content: ItemContent,
                       rng: np.random.Generator | None = None) -> dict[str, Any]:
        generator = rng if rng is not None else stable_rng(content)
        key_order = list(content.key.get("order", []))
        choices = shuffled(content.choices, generator)
        # A shuffle that happens to give the key order would hand out the answer: draw again
        # (replayable, since it draws from the same generator), then fall back to a rotation.
        for _ in range(8):
            if len(choices) < 2 or part_ids(choices) != key_order:
                break
            choices = shuffled(content.choices, generator)
        if len(choices) >= 2 and part_ids(choices) == key_order:
            choices = choices[1:] + choices[:1]
        view = {**self.base_view(content), "choices": parts_view(choices),
                "input": {"order": "all"}}
        return {"view": view, "order": {"choices": part_ids(choices)}}

    def normalise_response(self, raw: Any,
                           content: ItemContent | None = None) -> list[str] | None:
        if is_blank(raw):
            return None
        parts = content.choices if content else None
        ordered = [require_part_id(value, parts, f"response[{i}]", "mục cần sắp xếp")
                   for i, value in enumerate(require_list(raw))]
        if len(set(ordered)) != len(ordered):
            raise InvalidResponse("Mỗi mục chỉ được xếp một lần.",
                                  "An item appears twice in the order.")
        return ordered

    def credit(self, content: ItemContent, response: list[str]) -> float:
        key_order = list(content.key["order"])
        if response == key_order:
            return 1.0
        if content.key.get("scoring", "all_or_nothing") != "partial" or len(key_order) < 2:
            return 0.0
        placed_next = set(zip(response, response[1:], strict=False))
        kept = sum(1 for pair in zip(key_order, key_order[1:], strict=False)
                   if pair in placed_next)
        return kept / (len(key_order) - 1)

    def describe_key(self, content: ItemContent) -> str:
        steps = " → ".join(part_label(content.choices, p) for p in content.key["order"])
        mode = ("tính điểm từng phần (theo các cặp liền kề)"
                if content.key.get("scoring") == "partial" else "đúng toàn bộ mới có điểm")
        return f"Thứ tự đúng: {steps}. Cách chấm: {mode}."
