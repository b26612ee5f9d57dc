"""The neutral form of an item's content, shared by the item types and every import/export
format. Pure data: no database, no Flask.

An item is a stem (sanitised HTML), a tuple of labelled parts (``choices``; for matching also
``targets``) and a type-specific ``key``. Part ids are stable ("A", "B", … or the source's own
identifiers), so shuffling for display and mapping answers back never depends on positions.

Keys by type (``ItemKind``):

=================  ==========================================================================
single             ``{"correct": "B"}``
multiple           ``{"correct": ["A", "C"], "scoring": "all_or_nothing" | "partial"}``
true_false4        ``{"truth": {"A": true, "B": false, "C": true, "D": false}}`` — the Ministry's
                   item: four statements, partial credit by statements right
matching           ``{"pairs": {"A": "X", "B": "Y"}}`` — choice id -> target id
ordering           ``{"order": ["C", "A", "B"]}``
short_answer       ``{"accepted": ["Ctrl+Z", "Ctrl Z"], "case_sensitive": false}``
numeric            ``{"value": 3.5, "tolerance": 0.01, "tolerance_kind": "absolute" | "relative"}``
cloze              ``{"gaps": [{"id": "1", "accepted": ["…"]} | {"id": "2", "choices": [...],
                   "correct": "…"}]}`` with ``[[1]]``, ``[[2]]`` … marking the gaps in the stem
=================  ==========================================================================
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ItemKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE4 = "true_false4"
    MATCHING = "matching"
    ORDERING = "ordering"
    SHORT_ANSWER = "short_answer"
    NUMERIC = "numeric"
    CLOZE = "cloze"


@dataclass(frozen=True)
class Part:
    """A labelled piece of an item: an option, a statement, a thing to order or to match."""

    id: str
    text: str  # sanitised HTML or plain text, NFC


@dataclass(frozen=True)
class ItemContent:
    kind: ItemKind
    stem: str
    choices: tuple[Part, ...] = ()
    targets: tuple[Part, ...] = ()  # matching only: the right-hand column
    key: Mapping[str, Any] = field(default_factory=dict)
    points: float = 1.0
    feedback: str | None = None  # shown after answering in practice quizzes, never in exams
    shuffle: bool = True  # whether choices may be shown in a random order


@dataclass(frozen=True)
class ItemRecord:
    """An item as it travels through import and export: content plus what files carry about it."""

    content: ItemContent
    external_id: str | None = None  # the source's own identifier / our item key
    title: str | None = None
    module: str | None = None  # TT03 module, e.g. "IU04"
    code: str | None = None  # requirement code, e.g. "IU04.5.2"
    subject: str | None = None  # general subjects: "Toán", "Tin học" …
    grade: int | None = None
    tags: tuple[str, ...] = ()
    ic3_domain: str | None = None  # IC3 GS6 domain code (item_bank.taxonomy), e.g. "TB"
    difficulty: str | None = None  # easy / medium / hard, as authors estimate it
    media: Mapping[str, bytes] = field(default_factory=dict)  # file name -> bytes (images)


def content_to_json(content: ItemContent) -> dict[str, Any]:
    """The JSON form stored with an item version (and sent to the item-bank API)."""
    return {"kind": content.kind.value, "stem": content.stem,
            "choices": [{"id": p.id, "text": p.text} for p in content.choices],
            "targets": [{"id": p.id, "text": p.text} for p in content.targets],
            "key": dict(content.key), "points": content.points, "feedback": content.feedback,
            "shuffle": content.shuffle}


def content_from_json(data: Mapping[str, Any]) -> ItemContent:
    """Inverse of :func:`content_to_json`; a missing or unknown ``kind`` raises ValueError."""
    return ItemContent(
        kind=ItemKind(data["kind"]), stem=data["stem"],
        choices=tuple(Part(p["id"], p["text"]) for p in data.get("choices", ())),
        targets=tuple(Part(p["id"], p["text"]) for p in data.get("targets", ())),
        key=dict(data.get("key", {})), points=float(data.get("points", 1.0)),
        feedback=data.get("feedback"), shuffle=bool(data.get("shuffle", True)))


def choice_item(kind: str, stem: str, options: list[str], correct: list[int],
                feedback: str | None = None) -> ItemContent:
    """A single- or multiple-choice item from option texts and 0-based right indices, with
    option ids A, B, C… (the shape of the seed bank and of simple spreadsheets)."""
    ids = [chr(ord("A") + i) for i in range(len(options))]
    right = [ids[i] for i in correct]
    key: dict[str, Any] = ({"correct": right[0]} if kind == ItemKind.SINGLE
                           else {"correct": right, "scoring": "all_or_nothing"})
    return ItemContent(kind=ItemKind(kind), stem=stem,
                       choices=tuple(Part(i, text) for i, text in zip(ids, options, strict=True)),
                       key=key, feedback=feedback)
