"""Short answer (trả lời ngắn): the candidate types a word, a phrase or a key combination.

Key: ``{"accepted": ["Ctrl+Z", "Ctrl Z"], "case_sensitive": false}`` (``case_sensitive``
optional, default false). Response: the typed text.

Scoring: full points when the response equals any accepted variant after
:func:`~item_bank.text_normalise.normalise_answer` — NFC, white space collapsed, tone-mark
placement unified ("hòa" = "hoà"), case folded unless ``case_sensitive``. Accents count:
"ma" ≠ "mà". Anything else earns 0; there is no fuzzy matching, authors list the variants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from item_bank.content import ItemContent, ItemKind
from item_bank.text_normalise import collapse_spaces, nfc, normalise_answer
from item_bank.types.base import (
    InvalidResponse,
    ItemType,
    Problem,
    is_blank,
)

MAX_ANSWER_LENGTH = 1000


def accepted_problems(accepted: Any, case_sensitive: Any, field: str) -> list[Problem]:
    """Problems with a list of accepted answers (shared with cloze text gaps)."""
    problems: list[Problem] = []
    if not isinstance(case_sensitive, bool):
        problems.append(Problem(f"{field.rsplit('.', 1)[0]}.case_sensitive",
                                "«case_sensitive» phải là true hoặc false.",
                                "'case_sensitive' must be true or false."))
        case_sensitive = False
    if not isinstance(accepted, list | tuple) or not accepted:
        problems.append(Problem(field, "Cần ít nhất một đáp án được chấp nhận.",
                                "At least one accepted answer is needed."))
        return problems
    seen: dict[str, int] = {}
    for index, variant in enumerate(accepted):
        where = f"{field}[{index}]"
        if not isinstance(variant, str) or not collapse_spaces(variant):
            problems.append(Problem(where, f"Đáp án được chấp nhận thứ {index + 1} đang để trống.",
                                    f"Accepted answer {index + 1} is empty."))
            continue
        normal = normalise_answer(variant, case_sensitive=case_sensitive)
        if normal in seen:
            problems.append(Problem(
                where, f"Đáp án «{variant}» trùng với đáp án thứ {seen[normal] + 1} sau khi chuẩn "
                "hoá (khoảng trắng, chữ hoa/thường).",
                f"Accepted answer {variant!r} equals answer {seen[normal] + 1} once normalised."))
        else:
            seen[normal] = index
    return problems


def text_matches(response: str, accepted: list[str], case_sensitive: bool) -> bool:
    typed = normalise_answer(response, case_sensitive=case_sensitive)
    return any(typed == normalise_answer(variant, case_sensitive=case_sensitive)
               for variant in accepted)


def normalise_text(raw: Any, field: str = "response") -> str | None:
    """Typed text as stored: NFC, white space collapsed, case kept; ``None`` when blank."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise InvalidResponse("Câu trả lời phải là văn bản.",
                              f"Expected text, got {type(raw).__name__}.", field)
    text = collapse_spaces(nfc(raw))
    if len(text) > MAX_ANSWER_LENGTH:
        raise InvalidResponse(f"Câu trả lời dài quá {MAX_ANSWER_LENGTH} ký tự.",
                              f"The answer is longer than {MAX_ANSWER_LENGTH} characters.", field)
    return text or None


def quoted_variants(accepted: list[str]) -> str:
    return " hoặc ".join(f"«{variant}»" for variant in accepted)


class ShortAnswer(ItemType):
    kind = ItemKind.SHORT_ANSWER

    def validate_key(self, content: ItemContent) -> list[Problem]:
        problems = accepted_problems(content.key.get("accepted"),
                                     content.key.get("case_sensitive", False), "key.accepted")
        if content.choices:
            problems.append(Problem("choices", "Câu trả lời ngắn không có phương án lựa chọn.",
                                    "A short-answer item has no choices."))
        return problems

    def candidate_view(self, content: ItemContent,
                       rng: np.random.Generator | None = None) -> dict[str, Any]:
        view = {**self.base_view(content),
                "input": {"type": "text", "max_length": MAX_ANSWER_LENGTH}}
        return {"view": view, "order": {}}

    def normalise_response(self, raw: Any, content: ItemContent | None = None) -> str | None:
        if is_blank(raw):
            return None
        return normalise_text(raw)

    def credit(self, content: ItemContent, response: str) -> float:
        case_sensitive = bool(content.key.get("case_sensitive", False))
        return 1.0 if text_matches(response, list(content.key["accepted"]), case_sensitive) else 0.0

    def describe_key(self, content: ItemContent) -> str:
        case = ("phân biệt chữ hoa/thường" if content.key.get("case_sensitive")
                else "không phân biệt chữ hoa/thường")
        return (f"Đáp án chấp nhận: {quoted_variants(list(content.key['accepted']))} "
                f"({case}, có phân biệt dấu).")
