"""Matching (ghép đôi): each item of the left column (``choices``) is matched to one item of the
right column (``targets``).

Key: ``{"pairs": {"A": "X", "B": "Y"}}`` — choice id -> target id. Every choice is paired;
targets may outnumber choices (the extra ones are distractors), and two choices may share a
target (classifying: "Word, Excel -> ứng dụng văn phòng"), as in Moodle's matching question.
Response: ``{"A": "X", "B": "Z"}``; an unmatched choice is left out (or ``null``).

Scoring: the fraction of the key's pairs the candidate matched right (Moodle / QTI
``MAP_RESPONSE`` with each pair worth ``1/n``); a wrong pair costs nothing extra.
Display: the left column is shuffled when the item allows it; the right column always is, so its
order never lines up with the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from item_bank.content import ItemContent, ItemKind
from item_bank.types.base import (
    ItemType,
    Problem,
    display_choices,
    is_blank,
    key_problem,
    part_ids,
    part_label,
    part_problems,
    parts_view,
    require_mapping,
    require_part_id,
    shuffled,
    stable_rng,
)


class Matching(ItemType):
    kind = ItemKind.MATCHING
    part_vi = "mục ở cột trái"
    part_en = "left-hand item"
    min_choices = 2

    def validate_key(self, content: ItemContent) -> list[Problem]:
        problems: list[Problem] = []
        if len(content.targets) < 2:
            problems.append(Problem("targets", "Cột phải cần ít nhất 2 mục.",
                                    "The right-hand column needs at least 2 items."))
        problems.extend(part_problems(content.targets, "targets", "mục ở cột phải",
                                      "right-hand item"))
        pairs = content.key.get("pairs")
        if not isinstance(pairs, Mapping) or not pairs:
            problems.append(key_problem("pairs", "Chưa có cặp ghép đúng nào.",
                                        "The key has no pairs."))
            return problems
        choice_ids, target_ids = part_ids(content.choices), part_ids(content.targets)
        for choice_id in choice_ids:
            if choice_id not in pairs:
                problems.append(key_problem(
                    f"pairs.{choice_id}", f"Mục «{choice_id}» ở cột trái chưa được ghép.",
                    f"Left-hand item {choice_id!r} has no pair."))
        for choice_id, target_id in pairs.items():
            if choice_id not in choice_ids:
                problems.append(key_problem(
                    f"pairs.{choice_id}", f"Cột trái không có mục «{choice_id}».",
                    f"There is no left-hand item {choice_id!r}."))
            if target_id not in target_ids:
                problems.append(key_problem(
                    f"pairs.{choice_id}", f"Cột phải không có mục «{target_id}».",
                    f"There is no right-hand item {target_id!r}."))
        return problems

    def candidate_view(self, content: ItemContent,
                       rng: np.random.Generator | None = None) -> dict[str, Any]:
        choices = display_choices(content, rng)
        targets = shuffled(content.targets, rng if rng is not None else stable_rng(content))
        view = {**self.base_view(content), "choices": parts_view(choices),
                "targets": parts_view(targets), "input": {"match": "one_target_per_choice"}}
        return {"view": view,
                "order": {"choices": part_ids(choices), "targets": part_ids(targets)}}

    def normalise_response(self, raw: Any,
                           content: ItemContent | None = None) -> dict[str, str] | None:
        if is_blank(raw):
            return None
        choices = content.choices if content else None
        targets = content.targets if content else None
        matched: dict[str, str] = {}
        for choice_id, target_id in require_mapping(raw).items():
            require_part_id(choice_id, choices, f"response.{choice_id}", "mục ở cột trái")
            if target_id is None or target_id == "":
                continue
            matched[choice_id] = require_part_id(target_id, targets, f"response.{choice_id}",
                                                 "mục ở cột phải")
        return dict(sorted(matched.items())) or None

    def credit(self, content: ItemContent, response: dict[str, str]) -> float:
        pairs = content.key["pairs"]
        right = sum(1 for choice_id, target_id in pairs.items()
                    if response.get(choice_id) == target_id)
        return right / len(pairs)

    def describe_key(self, content: ItemContent) -> str:
        pairs = content.key["pairs"]
        lines = [f"{part_label(content.choices, c)} → {part_label(content.targets, t)}"
                 for c, t in pairs.items()]
        return "Các cặp đúng: " + "; ".join(lines) + "."
