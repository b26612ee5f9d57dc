"""The edge of an answer: what a save refuses before any item type reads it.

A lone UTF-16 surrogate (``"\\ud800"`` is valid JSON) cannot be encoded as UTF-8 and a NUL
cannot be stored in a PostgreSQL text value: either, once stored, would break every later
render of the candidate's paper. Absurd nesting or size is no answer either. All of them are
refused here with a message naming the question, so they are never stored.
"""

from __future__ import annotations

import re
from typing import Any

from exam_engine.exams.errors import InvalidAnswer

MAX_DEPTH = 3          # {"gap": "text"} is depth 2; no item kind needs more
MAX_VALUES = 200       # strings, numbers and keys in one answer
MAX_TEXT_CHARS = 2000  # one typed text (short answers are capped at 1,000 after normalising)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def refuse_malformed(position: int, response: Any) -> None:
    """Raise InvalidAnswer when ``response`` is too deep, too big or holds text that cannot be
    stored (a lone surrogate, a NUL or another C0 control other than tab and new line)."""
    problem = _problem(response)
    if problem is not None:
        message_vi, message_en = problem
        raise InvalidAnswer(f"Câu {position + 1}: {message_vi}",
                            f"question {position + 1}: {message_en}")


def is_storable(response: Any) -> bool:
    """Whether ``response`` passes :func:`refuse_malformed` (the paper skips rows that do not,
    stored before this check existed, rather than fail to render)."""
    return _problem(response) is None


def _problem(response: Any) -> tuple[str, str] | None:
    stack: list[tuple[Any, int]] = [(response, 1)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            return ("câu trả lời quá lớn.", "the answer is too large")
        if isinstance(value, dict | list | tuple):
            if depth > MAX_DEPTH:
                return ("câu trả lời lồng nhau quá sâu.", "the answer is nested too deeply")
            children = (list(value.keys()) + list(value.values()) if isinstance(value, dict)
                        else list(value))
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(value, str):
            problem = _text_problem(value)
            if problem is not None:
                return problem
    return None


def _text_problem(text: str) -> tuple[str, str] | None:
    if len(text) > MAX_TEXT_CHARS:
        return (f"câu trả lời dài quá {MAX_TEXT_CHARS} ký tự.",
                f"the answer is longer than {MAX_TEXT_CHARS} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return ("câu trả lời có ký tự không hợp lệ (nửa cặp UTF-16); hãy gõ lại.",
                "the answer holds an invalid character (a lone UTF-16 surrogate)")
    if _CONTROL.search(text):
        return ("câu trả lời có ký tự điều khiển không hợp lệ.",
                "the answer holds a control character (such as NUL)")
    return None
