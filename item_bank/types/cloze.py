"""Cloze (điền vào chỗ trống): a stem with gaps ``[[1]]``, ``[[2]]`` …, each filled by typing or
by picking from a list.

Key: ``{"gaps": [{"id": "1", "accepted": ["SUM"], "case_sensitive": false},
{"id": "2", "choices": ["Ctrl", "Shift", "Alt"], "correct": "Ctrl"}]}``.
A text gap has ``accepted`` (and optional ``case_sensitive``), compared like a short answer; a
choice gap has ``choices`` — strings, each its own id, or ``{"id", "text"}`` parts — and the
``correct`` id. Every gap appears exactly once in the stem as ``[[id]]``, and every marker has a
gap.
Response: ``{"1": "sum", "2": "Ctrl"}`` — gap id -> typed text or chosen option id; a gap left
out (or blank) is unanswered.

Scoring: the fraction of gaps filled right (Moodle's multianswer, each gap weighing the same).
Display: the stem keeps its markers; ``view.gaps`` lists the gaps in stem order so the page can
put an input or a list at each marker. Options of a choice gap are always shuffled (they protect
the key, like ordering items): from the ``rng`` when given, else from a generator seeded from the
item, so an author's preview is stable.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.types.base import (
    InvalidResponse,
    ItemType,
    Problem,
    is_blank,
    key_problem,
    part_ids,
    part_problems,
    parts_view,
    require_mapping,
    shuffled,
    stable_rng,
)
from item_bank.types.short_answer import (
    accepted_problems,
    normalise_text,
    quoted_variants,
    text_matches,
)

GAP_MARKER = re.compile(r"\[\[\s*([^\[\]\s]+)\s*\]\]")


def gap_markers(stem: str) -> list[str]:
    """Gap ids in the order their ``[[id]]`` markers appear in the stem."""
    return GAP_MARKER.findall(stem)


def gap_options(gap: dict[str, Any]) -> tuple[Part, ...]:
    """The options of a choice gap as parts; a bare string is its own id."""
    raw_options = gap.get("choices")
    options: list[Part] = []
    for option in raw_options if isinstance(raw_options, list | tuple) else ():
        if isinstance(option, str):
            options.append(Part(option, option))
        elif isinstance(option, dict):
            options.append(Part(str(option.get("id", "")), str(option.get("text", ""))))
        else:
            options.append(Part("", ""))
    return tuple(options)


def _is_choice_gap(gap: dict[str, Any]) -> bool:
    return "choices" in gap


class Cloze(ItemType):
    kind = ItemKind.CLOZE

    def validate_key(self, content: ItemContent) -> list[Problem]:
        gaps = content.key.get("gaps")
        if not isinstance(gaps, list | tuple) or not gaps:
            return [key_problem("gaps", "Câu điền khuyết cần ít nhất một chỗ trống.",
                                "A cloze item needs at least one gap.")]
        problems: list[Problem] = []
        gap_ids: list[str] = []
        for index, gap in enumerate(gaps):
            problems.extend(self._gap_problems(gap, f"key.gaps[{index}]", gap_ids))
        markers = gap_markers(content.stem or "")
        for marker in sorted({m for m in markers if markers.count(m) > 1}):
            problems.append(Problem("stem", f"Chỗ trống [[{marker}]] xuất hiện nhiều lần trong "
                                    "phần dẫn.", f"Gap [[{marker}]] appears more than once."))
        for marker in sorted(set(markers) - set(gap_ids)):
            problems.append(Problem("stem", f"Phần dẫn có chỗ trống [[{marker}]] nhưng đáp án "
                                    "không có chỗ trống này.",
                                    f"The stem marks gap [[{marker}]]; the key has no such gap."))
        for gap_id in gap_ids:
            if gap_id not in markers:
                problems.append(key_problem(
                    "gaps", f"Chỗ trống «{gap_id}» không có dấu [[{gap_id}]] trong phần dẫn.",
                    f"Gap {gap_id!r} has no [[{gap_id}]] marker in the stem."))
        if content.choices:
            problems.append(Problem("choices", "Câu điền khuyết không dùng danh sách phương án "
                                    "chung; phương án đặt trong từng chỗ trống.",
                                    "A cloze item keeps its options inside each gap."))
        return problems

    def _gap_problems(self, gap: Any, field: str, gap_ids: list[str]) -> list[Problem]:
        if not isinstance(gap, dict):
            return [Problem(field, "Mỗi chỗ trống phải là một bảng khoá–giá trị.",
                            "Each gap must be a mapping.")]
        problems: list[Problem] = []
        gap_id = gap.get("id")
        if not isinstance(gap_id, str) or not gap_id.strip() or GAP_MARKER.fullmatch(
                f"[[{gap_id}]]") is None:
            problems.append(Problem(f"{field}.id", "Mã chỗ trống đang để trống hoặc có khoảng "
                                    "trắng.", "The gap id is empty or contains spaces."))
        elif gap_id in gap_ids:
            problems.append(Problem(f"{field}.id", f"Mã chỗ trống «{gap_id}» bị trùng.",
                                    f"Gap id {gap_id!r} is used twice."))
        else:
            gap_ids.append(gap_id)
        if _is_choice_gap(gap) == ("accepted" in gap):
            problems.append(Problem(field, "Mỗi chỗ trống hoặc có danh sách đáp án chấp nhận "
                                    "(«accepted»), hoặc có các lựa chọn («choices») và đáp án "
                                    "đúng («correct»).", "A gap has either 'accepted' or "
                                    "'choices' with 'correct'."))
            return problems
        if not _is_choice_gap(gap):
            return problems + accepted_problems(gap.get("accepted"),
                                                gap.get("case_sensitive", False),
                                                f"{field}.accepted")
        options = gap_options(gap)
        if len(options) < 2:
            problems.append(Problem(f"{field}.choices", "Chỗ trống có lựa chọn cần ít nhất 2 "
                                    "phương án.", "A choice gap needs at least 2 options."))
        problems.extend(part_problems(options, f"{field}.choices", "phương án", "option"))
        if gap.get("correct") not in part_ids(options):
            problems.append(Problem(f"{field}.correct", "Đáp án đúng của chỗ trống không nằm "
                                    "trong các phương án.",
                                    "The gap's correct option is not among its options."))
        return problems

    def candidate_view(self, content: ItemContent,
                       rng: np.random.Generator | None = None) -> dict[str, Any]:
        by_id = {gap["id"]: gap for gap in content.key["gaps"]}
        gaps_view: list[dict[str, Any]] = []
        gap_order: dict[str, list[str]] = {}
        for gap_id in gap_markers(content.stem):
            gap = by_id.get(gap_id)
            if gap is None:
                continue
            if _is_choice_gap(gap):
                # Always shuffled, whatever the item's flag: authors tend to list the right
                # option first, so the authored order would predict the key.
                options = shuffled(gap_options(gap),
                                   rng if rng is not None else stable_rng(content, gap_id))
                gaps_view.append({"id": gap_id, "input": "select",
                                  "options": parts_view(options)})
                gap_order[gap_id] = part_ids(options)
            else:
                gaps_view.append({"id": gap_id, "input": "text"})
        view = {**self.base_view(content), "gaps": gaps_view}
        return {"view": view, "order": {"gaps": gap_order}}

    def normalise_response(self, raw: Any,
                           content: ItemContent | None = None) -> dict[str, str] | None:
        if is_blank(raw):
            return None
        by_id = {gap["id"]: gap for gap in content.key["gaps"]} if content else None
        filled: dict[str, str] = {}
        for gap_id, value in require_mapping(raw).items():
            field = f"response.{gap_id}"
            if not isinstance(gap_id, str) or (by_id is not None and gap_id not in by_id):
                raise InvalidResponse(f"Câu hỏi không có chỗ trống «{gap_id}».",
                                      f"The item has no gap {gap_id!r}.", field)
            if is_blank(value):
                continue
            text = normalise_text(value, field)
            if text is None:
                continue
            if by_id is not None and _is_choice_gap(by_id[gap_id]):
                if text not in part_ids(gap_options(by_id[gap_id])):
                    raise InvalidResponse(f"Chỗ trống «{gap_id}» không có phương án «{text}».",
                                          f"Gap {gap_id!r} has no option {text!r}.", field)
            filled[gap_id] = text
        return dict(sorted(filled.items())) or None

    def credit(self, content: ItemContent, response: dict[str, str]) -> float:
        gaps = content.key["gaps"]
        right = 0
        for gap in gaps:
            answer = response.get(gap["id"])
            if answer is None:
                continue
            if _is_choice_gap(gap):
                right += answer == gap["correct"]
            else:
                right += text_matches(answer, list(gap["accepted"]),
                                      bool(gap.get("case_sensitive", False)))
        return right / len(gaps)

    def describe_key(self, content: ItemContent) -> str:
        lines = []
        for gap in content.key["gaps"]:
            if _is_choice_gap(gap):
                options = ", ".join(p.text for p in gap_options(gap))
                correct = next((p.text for p in gap_options(gap) if p.id == gap["correct"]),
                               gap["correct"])
                lines.append(f"[[{gap['id']}]]: «{correct}» (chọn trong: {options})")
            else:
                lines.append(f"[[{gap['id']}]]: {quoted_variants(list(gap['accepted']))}")
        return "Đáp án các chỗ trống: " + "; ".join(lines) + "."
