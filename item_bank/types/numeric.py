"""Numeric answer (trả lời bằng số), e.g. "=ROUND(3.456;1) cho kết quả bao nhiêu?".

Key: ``{"value": 3.5, "tolerance": 0.01, "tolerance_kind": "absolute" | "relative"}``;
``tolerance`` defaults to 0 (exact) and ``tolerance_kind`` to ``absolute``. A relative tolerance
is a fraction of the value: 0.01 = 1 %.
Response: the typed text (``"3,5"``) or a number; normalised to a float.

Reading numbers (:func:`parse_number`): Vietnamese writes a decimal comma ("3,5") and English a
decimal point ("3.5"); both are accepted. A separator that appears **once** is the decimal
separator; one that appears several times groups thousands ("1.000.000", "1,000,000"); with both
present the last one is decimal ("1.234,5", "1,234.5"). Spaces (also narrow and non-breaking)
group thousands. So "1.000" reads as 1.0: candidates write whole numbers without separators,
as the input hint says. "−" (U+2212) is a minus, exponents ("1,5e3") are accepted.

Scoring: full points when ``|response − value| ≤ tolerance`` (absolute) or
``≤ tolerance·|value|`` (relative), with a 1e-9 slack for binary rounding (3.49 is within 0.01
of 3.5). Otherwise 0.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from item_bank.content import ItemContent, ItemKind
from item_bank.text_normalise import nfc
from item_bank.types.base import (
    InvalidResponse,
    ItemType,
    Problem,
    format_number_vi,
    is_blank,
    key_problem,
)

TOLERANCE_KINDS = ("absolute", "relative")
_NUMBER = re.compile(r"([+-]?)([0-9.,]*[0-9][0-9.,]*|[.,][0-9]+)((?:[eE][+-]?[0-9]+)?)")
_GROUPED = re.compile(r"[0-9]{1,3}(?:S[0-9]{3})+")
_SLACK = 1e-9


def _bad_number(text: str) -> InvalidResponse:
    return InvalidResponse(
        f"«{text}» không phải là một số. Hãy nhập số, phần thập phân ngăn cách bằng dấu phẩy "
        "hoặc dấu chấm, ví dụ 3,5.",
        f"{text!r} is not a number; write e.g. 3,5 or 3.5.")


def parse_number(text: str) -> float:
    """A typed number, Vietnamese or English style (see the module docstring)."""
    compact = re.sub(r"\s+", "", nfc(text)).replace("\u2212", "-")
    match = _NUMBER.fullmatch(compact)
    if match is None:
        raise _bad_number(text)
    sign, mantissa, exponent = match.groups()
    separators = [ch for ch in mantissa if ch in ".,"]
    if separators:
        decimal = separators[-1] if separators.count(separators[-1]) == 1 else None
        grouping = {ch for ch in separators if ch != decimal}
        if len(grouping) > 1:
            raise _bad_number(text)
        integer_part, _, fraction = (mantissa.rpartition(decimal) if decimal
                                     else (mantissa, "", ""))
        if grouping:
            if _GROUPED.fullmatch(integer_part.replace(grouping.pop(), "S")) is None:
                raise _bad_number(text)
            integer_part = re.sub(r"[.,]", "", integer_part)
        if not (integer_part + fraction).isdigit():
            raise _bad_number(text)
        mantissa = f"{integer_part or '0'}.{fraction or '0'}"
    value = float(f"{sign}{mantissa}{exponent}")
    if not math.isfinite(value):
        raise _bad_number(text)
    return value


def within_tolerance(response: float, value: float, tolerance: float, kind: str) -> bool:
    allowed = tolerance * abs(value) if kind == "relative" else tolerance
    return abs(response - value) <= allowed + _SLACK * max(1.0, abs(value))


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


class NumericAnswer(ItemType):
    kind = ItemKind.NUMERIC

    def validate_key(self, content: ItemContent) -> list[Problem]:
        problems: list[Problem] = []
        value = content.key.get("value")
        tolerance = content.key.get("tolerance", 0)
        kind = content.key.get("tolerance_kind", "absolute")
        if not _is_number(value):
            problems.append(key_problem("value", "Đáp án phải là một số hữu hạn.",
                                        "The value must be a finite number."))
        if not _is_number(tolerance) or tolerance < 0:
            problems.append(key_problem("tolerance", "Sai số cho phép phải là một số không âm.",
                                        "The tolerance must be a number ≥ 0."))
        if kind not in TOLERANCE_KINDS:
            problems.append(key_problem(
                "tolerance_kind", "Loại sai số phải là «absolute» (tuyệt đối) hoặc «relative» "
                "(tương đối).", "The tolerance kind must be 'absolute' or 'relative'."))
        elif kind == "relative" and _is_number(value) and value == 0 and tolerance:
            problems.append(key_problem(
                "tolerance_kind", "Sai số tương đối không dùng được khi đáp án bằng 0; hãy dùng "
                "sai số tuyệt đối.", "A relative tolerance is meaningless for a value of 0; "
                "use an absolute one."))
        if content.choices:
            problems.append(Problem("choices", "Câu trả lời bằng số không có phương án lựa chọn.",
                                    "A numeric item has no choices."))
        return problems

    def candidate_view(self, content: ItemContent,
                       rng: np.random.Generator | None = None) -> dict[str, Any]:
        view = {**self.base_view(content),
                # a text box: <input type="number"> refuses "3,5" in many browser locales
                "input": {"type": "text", "inputmode": "decimal",
                          "decimal_separators": [",", "."],
                          # no example number: it could coincide with (or hint at) the key
                          "hint_vi": "Nhập một số; phần thập phân ngăn cách bằng dấu phẩy "
                                     "hoặc dấu chấm, không dùng dấu ngăn cách hàng nghìn."}}
        return {"view": view, "order": {}}

    def normalise_response(self, raw: Any, content: ItemContent | None = None) -> float | None:
        if is_blank(raw):
            return None
        if isinstance(raw, bool):
            raise _bad_number(str(raw))
        if isinstance(raw, int | float):
            if not math.isfinite(raw):
                raise _bad_number(str(raw))
            return float(raw)
        if isinstance(raw, str):
            return parse_number(raw)
        raise InvalidResponse("Câu trả lời phải là một số.",
                              f"Expected a number, got {type(raw).__name__}.")

    def credit(self, content: ItemContent, response: float) -> float:
        key = content.key
        return 1.0 if within_tolerance(response, float(key["value"]),
                                       float(key.get("tolerance", 0)),
                                       key.get("tolerance_kind", "absolute")) else 0.0

    def describe_key(self, content: ItemContent) -> str:
        value = float(content.key["value"])
        tolerance = float(content.key.get("tolerance", 0))
        kind = content.key.get("tolerance_kind", "absolute")
        shown = format_number_vi(value)
        if not tolerance:
            return f"Đáp án: {shown} (chính xác)."
        allowed = tolerance * abs(value) if kind == "relative" else tolerance
        low, high = (format_number_vi(round(value - allowed, 12)),
                     format_number_vi(round(value + allowed, 12)))
        how = (f"sai số tương đối {format_number_vi(round(tolerance * 100, 12))} %"
               if kind == "relative" else f"sai số tuyệt đối {format_number_vi(tolerance)}")
        return f"Đáp án: {shown} ({how}, chấp nhận từ {low} đến {high})."
