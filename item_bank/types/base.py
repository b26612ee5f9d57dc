"""What every item type provides, and the helpers the types share.

An :class:`ItemType` is a stateless object that knows, for one :class:`~item_bank.content.ItemKind`:

* ``validate(content) -> list[Problem]`` — everything wrong with the item, each problem named by
  the field it concerns (``"stem"``, ``"choices[2].text"``, ``"key.correct"`` …) and worded in
  Vietnamese and English. An empty list means the item can be used.
* ``candidate_view(content, rng) -> {"view": {...}, "order": {...}}`` — what the candidate's
  browser may see, and the display order to keep with the attempt (see below);
  ``view_in_order(content, order)`` rebuilds that view from a stored order.
* ``normalise_response(raw, content=None)`` — the canonical response from what the browser sent,
  or :class:`InvalidResponse`. ``None`` means "not answered" for every type.
* ``score(content, response) -> float`` — points in ``0 … content.points``; ``credit`` is the
  same as a fraction ``0 … 1``.
* ``max_score(content)``, ``describe_key(content)`` (plain Vietnamese text for reviewers).

Responses always name parts by their ids, never by display positions, so a response log can be
checked against the key on appeal without knowing how the item was shuffled. (An exam page never
sees these ids, which authors store in key order: ``exam_engine.exams.part_tokens`` renames every
part with an opaque per-attempt id on the way out and back.)

The candidate view
------------------
``{"view": {...}, "order": {...}}``, both JSON-serialisable:

``view``
    ``kind``, ``stem`` (HTML), ``points``, and per type ``choices`` / ``targets`` as lists of
    ``{"id", "text"}`` *in display order*, ``gaps`` (cloze), ``input`` (hints for the page). It
    never holds the key, the feedback or anything derived from them.
``order``
    The display order as lists of part ids: ``{"choices": [...], "targets": [...]}`` (cloze:
    ``{"gaps": {gap_id: [option ids]}}``). Store it with the attempt item: a resumed attempt is
    shown the same order, and reviewers see the item as the candidate saw it.

Randomness is injected: the same ``rng`` state gives the same order. Optional shuffles (the
item's ``shuffle`` flag) happen only when an ``rng`` is given. Shuffles that protect the key
(ordering items, matching targets, the options of a cloze choice gap) always happen; with ``rng=None`` they use a generator seeded
from the item's own part ids, so an author's preview is stable and still not the key order.

Scoring assumes the content validates; it does not re-validate on every call.
"""

from __future__ import annotations

import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.sanitise import plain_text
from item_bank.text_normalise import normalise_answer

__all__ = [
    "InvalidResponse",
    "ItemType",
    "Problem",
    "format_number_vi",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an item, for the author: which field, and what, in both languages."""

    field: str
    message_vi: str
    message_en: str


class InvalidResponse(ValueError):
    """A response whose shape does not fit the item type (a bug or a tampered request)."""

    def __init__(self, message_vi: str, message_en: str, field: str = "response") -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.field = field


class ItemType(ABC):
    """The behaviour of one item kind. Instances are stateless; use the registry's singletons."""

    kind: ClassVar[ItemKind]
    #: what a part is called in messages, Vietnamese and English
    part_vi: ClassVar[str] = "phương án"
    part_en: ClassVar[str] = "choice"
    min_choices: ClassVar[int] = 0

    # -- validation ------------------------------------------------------------------------

    def validate(self, content: ItemContent) -> list[Problem]:
        """Every problem with ``content``; ``[]`` when it can be used."""
        problems = self._common_problems(content)
        key = content.key
        if not isinstance(key, Mapping):
            problems.append(Problem("key", "Đáp án phải là một bảng khoá–giá trị.",
                                    "The key must be a mapping."))
            return problems
        problems.extend(self.validate_key(content))
        return problems

    @abstractmethod
    def validate_key(self, content: ItemContent) -> list[Problem]:
        """Problems with the type-specific key (``content.key`` is a mapping)."""

    def _common_problems(self, content: ItemContent) -> list[Problem]:
        problems: list[Problem] = []
        if content.kind != self.kind:
            problems.append(Problem(
                "kind", f"Loại câu hỏi «{content.kind}» không phải «{self.kind}».",
                f"Item kind {str(content.kind)!r} is not {str(self.kind)!r}."))
        if not isinstance(content.stem, str) or not comparable_text(content.stem):
            problems.append(Problem("stem", "Câu hỏi chưa có phần dẫn.", "The stem is empty."))
        points = content.points
        if (isinstance(points, bool) or not isinstance(points, int | float)
                or not math.isfinite(points) or points <= 0):
            problems.append(Problem("points", "Điểm của câu hỏi phải là một số dương.",
                                    "Points must be a positive number."))
        if len(content.choices) < self.min_choices:
            problems.append(Problem(
                "choices", f"Cần ít nhất {self.min_choices} {self.part_vi}.",
                f"At least {self.min_choices} {self.part_en}s are needed."))
        problems.extend(part_problems(content.choices, "choices", self.part_vi, self.part_en))
        return problems

    # -- display -----------------------------------------------------------------------------

    @abstractmethod
    def candidate_view(self, content: ItemContent,
                       rng: np.random.Generator | None = None) -> dict[str, Any]:
        """``{"view": …, "order": …}`` for the candidate's page; never the key."""

    def view_in_order(self, content: ItemContent, order: Mapping[str, Any]) -> dict[str, Any]:
        """The candidate ``view`` with its parts in a stored display ``order`` (the ``order`` an
        earlier :meth:`candidate_view` returned), so a resumed attempt, and a reviewer, see
        exactly what the candidate was shown. ``ValueError`` when the order does not fit."""
        return arrange_view(self.candidate_view(content, rng=None)["view"], order)

    def base_view(self, content: ItemContent) -> dict[str, Any]:
        return {"kind": str(self.kind), "stem": content.stem, "points": float(content.points)}

    def choices_view(self, content: ItemContent, rng: np.random.Generator | None,
                     input_hint: Mapping[str, Any]) -> dict[str, Any]:
        """The view of a stem with a list of choices (single, multiple, true/false)."""
        choices = display_choices(content, rng)
        view = {**self.base_view(content), "choices": parts_view(choices),
                "input": dict(input_hint)}
        return {"view": view, "order": {"choices": part_ids(choices)}}

    # -- responses and scoring ---------------------------------------------------------------

    @abstractmethod
    def normalise_response(self, raw: Any, content: ItemContent | None = None) -> Any:
        """The canonical response from the browser's JSON, ``None`` when nothing was answered.

        With ``content``, part ids are also checked against the item. Idempotent.
        Raises :class:`InvalidResponse` with a Vietnamese message on a malformed response.
        """

    @abstractmethod
    def credit(self, content: ItemContent, response: Any) -> float:
        """The fraction ``0 … 1`` of the points earned by a *normalised, non-empty* response."""

    def score(self, content: ItemContent, response: Any) -> float:
        """Points earned, ``0 … content.points``. ``response`` may be raw or normalised."""
        normalised = self.normalise_response(response, content)
        if normalised is None:
            return 0.0
        fraction = min(1.0, max(0.0, float(self.credit(content, normalised))))
        return float(content.points) * fraction

    def max_score(self, content: ItemContent) -> float:
        return float(content.points)

    @abstractmethod
    def describe_key(self, content: ItemContent) -> str:
        """The key in plain Vietnamese for reviewers, e.g. "Đáp án đúng: B (Ctrl+Z)"."""


# -- shared helpers ----------------------------------------------------------------------------


def part_problems(parts: Sequence[Part], field: str, noun_vi: str, noun_en: str) -> list[Problem]:
    """Empty or duplicate ids, empty texts, and texts that are equal after normalisation."""
    problems: list[Problem] = []
    seen_ids: set[str] = set()
    seen_texts: dict[str, str] = {}
    for index, part in enumerate(parts):
        where = f"{field}[{index}]"
        if not isinstance(part.id, str) or not part.id.strip():
            problems.append(Problem(f"{where}.id", f"Mã {noun_vi} thứ {index + 1} đang để trống.",
                                    f"The id of {noun_en} {index + 1} is empty."))
        elif part.id in seen_ids:
            problems.append(Problem(f"{where}.id", f"Mã {noun_vi} «{part.id}» bị trùng.",
                                    f"The {noun_en} id {part.id!r} is used twice."))
        else:
            seen_ids.add(part.id)
        text = comparable_text(part.text) if isinstance(part.text, str) else ""
        if not text:
            problems.append(Problem(f"{where}.text", f"{noun_vi.capitalize()} «{part.id}» chưa có "
                                    "nội dung.", f"{noun_en.capitalize()} {part.id!r} is empty."))
        elif text in seen_texts:
            problems.append(Problem(
                f"{where}.text",
                f"{noun_vi.capitalize()} «{part.id}» trùng nội dung với «{seen_texts[text]}».",
                f"{noun_en.capitalize()} {part.id!r} has the same text as {seen_texts[text]!r}."))
        else:
            seen_texts[text] = part.id
    return problems


def comparable_text(fragment: str) -> str:
    """Normalised form of a part's text for duplicate checks.

    Markup is kept when it carries meaning (H<sub>2</sub>O ≠ H<sup>2</sup>O), so we compare the
    normalised HTML; a part that is only an image still counts as non-empty.
    """
    if not plain_text(fragment) and "<img" not in fragment:
        return ""
    return normalise_answer(fragment)


def part_ids(parts: Iterable[Part]) -> list[str]:
    return [part.id for part in parts]


def parts_view(parts: Iterable[Part]) -> list[dict[str, str]]:
    """Parts as the page sees them: id and text only."""
    return [{"id": part.id, "text": part.text} for part in parts]


def shuffled(parts: Sequence[Part], rng: np.random.Generator) -> tuple[Part, ...]:
    return tuple(parts[int(i)] for i in rng.permutation(len(parts)))


def display_choices(content: ItemContent, rng: np.random.Generator | None) -> tuple[Part, ...]:
    """The choices in display order: shuffled when the item allows it and an rng is given."""
    return shuffled(content.choices, rng) if content.shuffle and rng is not None \
        else content.choices


def stable_rng(content: ItemContent, salt: str = "") -> np.random.Generator:
    """A generator seeded from the item's own part ids (and ``salt``, e.g. a cloze gap's id),
    for shuffles that must happen even when the caller gives no rng (author previews): stable
    across runs, independent of the key."""
    ids = "\x1f".join(part_ids(content.choices)) + "\x1e" + "\x1f".join(part_ids(content.targets))
    salted = f"\x1d{salt}" if salt else ""  # unsalted seeds stay as they always were
    digest = hashlib.sha256(f"{content.kind}\x1d{ids}{salted}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def arrange_view(view: dict[str, Any], order: Mapping[str, Any]) -> dict[str, Any]:
    """``view`` with ``choices``, ``targets`` and cloze gap ``options`` put in ``order``.

    Reorders by part id rather than re-drawing, so the stored order is the only source of the
    arrangement; the view's own (unshuffled or author-preview) order is irrelevant."""
    arranged = dict(view)
    for name in ("choices", "targets"):
        if name in order:
            arranged[name] = _in_order(view.get(name, []), order[name], name)
    gap_orders = order.get("gaps", {})
    if gap_orders:
        arranged["gaps"] = [
            {**gap, "options": _in_order(gap["options"], gap_orders[gap["id"]], gap["id"])}
            if gap.get("input") == "select" and gap["id"] in gap_orders else gap
            for gap in view.get("gaps", [])]
    return arranged


def _in_order(parts: Sequence[Mapping[str, Any]], ids: Sequence[str],
              where: str) -> list[dict[str, Any]]:
    by_id = {part["id"]: dict(part) for part in parts}
    if sorted(by_id) != sorted(ids) or len(ids) != len(by_id):
        raise ValueError(f"stored order of {where} {list(ids)!r} does not fit the parts "
                         f"{sorted(by_id)!r}")
    return [by_id[part_id] for part_id in ids]


def part_label(parts: Sequence[Part], part_id: str) -> str:
    """``B (Ctrl+Z)`` — an id with its plain text, for key descriptions."""
    for part in parts:
        if part.id == part_id:
            text = plain_text(part.text)
            return f"{part_id} ({text})" if text else part_id
    return part_id


def format_number_vi(value: float) -> str:
    """A number the Vietnamese way: decimal comma, shortest exact form: 3.5 -> "3,5"."""
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value)).replace(".", ",")


def is_blank(raw: Any) -> bool:
    """No answer: ``None``, an empty or white-space string, an empty list or mapping."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple | dict | set | frozenset):
        return len(raw) == 0
    return False


def require_part_id(value: Any, parts: Sequence[Part] | None, field: str,
                    noun_vi: str = "phương án") -> str:
    """A part id from the response: a non-empty string, and one of ``parts`` when given."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidResponse(f"Câu trả lời phải là mã {noun_vi} (một chuỗi ký tự).",
                              f"Expected a part id (a string), got {type(value).__name__}.", field)
    if parts is not None and value not in {part.id for part in parts}:
        raise InvalidResponse(f"Câu hỏi không có {noun_vi} «{value}».",
                              f"The item has no part {value!r}.", field)
    return value


def require_mapping(raw: Any, field: str = "response") -> Mapping[Any, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidResponse("Câu trả lời phải là một bảng khoá–giá trị.",
                              f"Expected a mapping, got {type(raw).__name__}.", field)
    return raw


def require_list(raw: Any, field: str = "response") -> list[Any] | tuple[Any, ...]:
    if not isinstance(raw, list | tuple):
        raise InvalidResponse("Câu trả lời phải là một danh sách.",
                              f"Expected a list, got {type(raw).__name__}.", field)
    return raw


def key_problem(name: str, message_vi: str, message_en: str) -> Problem:
    return Problem(f"key.{name}" if name else "key", message_vi, message_en)


SCORING_MODES = ("all_or_nothing", "partial")


def scoring_problems(key: Mapping[str, Any]) -> list[Problem]:
    """The optional ``scoring`` of multiple-response and ordering keys."""
    if key.get("scoring", "all_or_nothing") in SCORING_MODES:
        return []
    return [key_problem("scoring", "Cách chấm phải là «all_or_nothing» (đúng hết mới có điểm) "
                        "hoặc «partial» (tính điểm từng phần).",
                        "Scoring must be 'all_or_nothing' or 'partial'.")]


def string_list(value: Any) -> list[str] | None:
    """``value`` as a list of strings, or ``None`` when it is not one."""
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    return None
