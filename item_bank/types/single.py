"""Single choice (một lựa chọn): one correct option among at least two.

Key: ``{"correct": "B"}``. Response: the chosen choice id, e.g. ``"B"``.
Scoring: full points for the correct id, nothing otherwise.
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
    require_part_id,
)


class SingleChoice(ItemType):
    kind = ItemKind.SINGLE
    min_choices = 2

    def validate_key(self, content: ItemContent) -> list[Problem]:
        correct = content.key.get("correct")
        if isinstance(correct, list | tuple):
            return [key_problem("correct", "Câu một lựa chọn chỉ có đúng một đáp án.",
                                "A single-choice item has exactly one correct choice.")]
        if not isinstance(correct, str) or not correct:
            return [key_problem("correct", "Chưa chọn đáp án đúng.",
                                "The correct choice is missing.")]
        if correct not in part_ids(content.choices):
            return [key_problem("correct", f"Đáp án «{correct}» không phải là một phương án "
                                "của câu hỏi.", f"The key {correct!r} is not one of the choices.")]
        return []

    def candidate_view(self, content: ItemContent,
                       rng: np.random.Generator | None = None) -> dict[str, Any]:
        return self.choices_view(content, rng, {"select": "one"})

    def normalise_response(self, raw: Any, content: ItemContent | None = None) -> str | None:
        if is_blank(raw):
            return None
        if isinstance(raw, list | tuple):
            if len(raw) != 1:
                raise InvalidResponse("Câu một lựa chọn chỉ được chọn một phương án.",
                                      "A single-choice item takes one choice.")
            raw = raw[0]
        return require_part_id(raw, content.choices if content else None, "response")

    def credit(self, content: ItemContent, response: str) -> float:
        return 1.0 if response == content.key["correct"] else 0.0

    def describe_key(self, content: ItemContent) -> str:
        return f"Đáp án đúng: {part_label(content.choices, content.key['correct'])}."
