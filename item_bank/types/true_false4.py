"""True/false with four statements (câu hỏi Đúng/Sai), the Ministry's item of the national
graduation exam from 2025: a stem and four statements a), b), c), d), each judged Đúng or Sai.

Key: ``{"truth": {"A": true, "B": false, "C": true, "D": false}}``.
Response: ``{"A": true, "B": false, …}``; a statement left out (or ``null``) is unanswered.
The strings ``"true"/"false"`` and ``"đúng"/"sai"`` are accepted from HTML forms.

Scoring (Bộ GD&ĐT, format of the national graduation exam from 2025, as set in this project's
brief): the share of the item's points by the number of statements judged right —
1 → 0.1, 2 → 0.25, 3 → 0.5, 4 → 1.0, none → 0. Unanswered statements are not right.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from item_bank.content import ItemContent, ItemKind
from item_bank.text_normalise import normalise_answer
from item_bank.types.base import (
    InvalidResponse,
    ItemType,
    Problem,
    is_blank,
    key_problem,
    part_ids,
    part_label,
    require_mapping,
    require_part_id,
)

#: share of the points by number of statements right (index = number right)
MINISTRY_2025_CREDIT: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0)
N_STATEMENTS = 4

_TRUE_WORDS = {"true": True, "false": False, "đúng": True, "sai": False}


class TrueFalse4(ItemType):
    kind = ItemKind.TRUE_FALSE4
    part_vi = "mệnh đề"
    part_en = "statement"
    min_choices = 0  # the exact count is checked in validate_key, with one clear message

    def validate_key(self, content: ItemContent) -> list[Problem]:
        problems: list[Problem] = []
        if len(content.choices) != N_STATEMENTS:
            problems.append(Problem(
                "choices", f"Câu Đúng/Sai cần đúng 4 mệnh đề (đang có {len(content.choices)}).",
                f"A true/false item needs exactly 4 statements (has {len(content.choices)})."))
        truth = content.key.get("truth")
        if not isinstance(truth, Mapping):
            problems.append(key_problem("truth", "Chưa nêu mệnh đề nào đúng, mệnh đề nào sai.",
                                        "The truth values are missing."))
            return problems
        for part_id in part_ids(content.choices):
            if part_id not in truth:
                problems.append(key_problem(
                    f"truth.{part_id}", f"Chưa nêu mệnh đề «{part_id}» đúng hay sai.",
                    f"Statement {part_id!r} has no truth value."))
            elif not isinstance(truth[part_id], bool):
                problems.append(key_problem(
                    f"truth.{part_id}", f"Giá trị của mệnh đề «{part_id}» phải là Đúng hoặc Sai.",
                    f"The truth value of {part_id!r} must be true or false."))
        for extra in sorted(set(truth) - set(part_ids(content.choices))):
            problems.append(key_problem(
                f"truth.{extra}", f"Không có mệnh đề «{extra}» trong câu hỏi.",
                f"There is no statement {extra!r}."))
        return problems

    def candidate_view(self, content: ItemContent,
                       rng: np.random.Generator | None = None) -> dict[str, Any]:
        return self.choices_view(content, rng, {"judge": ["true", "false"],
                                                "labels_vi": ["Đúng", "Sai"]})

    def normalise_response(self, raw: Any,
                           content: ItemContent | None = None) -> dict[str, bool] | None:
        if is_blank(raw):
            return None
        answers: dict[str, bool] = {}
        parts = content.choices if content else None
        for part_id, value in require_mapping(raw).items():
            require_part_id(part_id, parts, f"response.{part_id}", "mệnh đề")
            if value is None or value == "":
                continue
            if isinstance(value, str):
                value = _TRUE_WORDS.get(normalise_answer(value), value)
            if not isinstance(value, bool):
                raise InvalidResponse(
                    f"Mệnh đề «{part_id}» chỉ nhận Đúng hoặc Sai.",
                    f"Statement {part_id!r} takes true or false.", f"response.{part_id}")
            answers[part_id] = value
        return dict(sorted(answers.items())) or None

    def credit(self, content: ItemContent, response: dict[str, bool]) -> float:
        truth = content.key["truth"]
        right = sum(1 for part_id, value in response.items() if truth.get(part_id) is value)
        return MINISTRY_2025_CREDIT[min(right, N_STATEMENTS)]

    def describe_key(self, content: ItemContent) -> str:
        truth = content.key["truth"]
        lines = [f"{part_label(content.choices, p)}: {'Đúng' if truth[p] else 'Sai'}"
                 for p in part_ids(content.choices)]
        return "; ".join(lines) + "."
