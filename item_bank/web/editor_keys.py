"""Each item kind's key in the editor form: one reader (inputs -> key) and one writer (key ->
inputs) per kind, in the registry :data:`KIND_FIELDS`, the one place that knows which inputs a
kind's key has. Input names are the key paths the item types use in their problems. Pure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.types import Problem
from item_bank.types.base import format_number_vi
from item_bank.types.cloze import gap_options
from item_bank.web.editor_values import FormValues, next_free_id, read_number, rows_form


class Parts(NamedTuple):
    choices: tuple[Part, ...]
    targets: tuple[Part, ...]


class KeyRead(NamedTuple):
    key: dict[str, Any]
    problems: tuple[Problem, ...] = ()
    choices: tuple[Part, ...] | None = None  # the choices as stored, when not as typed


@dataclass(frozen=True)
class KindFields:
    """How one kind's key is read from its inputs and written back to them."""

    read: Callable[[FormValues, Parts], KeyRead]
    write: Callable[[ItemContent], dict[str, list[str]]]
    groups: tuple[str, ...] = ()  # the row groups the kind uses


def _read_single(form: FormValues, parts: Parts) -> KeyRead:
    correct = form.text("key.correct")
    return KeyRead({"correct": correct} if correct else {})


def _write_single(content: ItemContent) -> dict[str, list[str]]:
    return {"key.correct": [str(content.key.get("correct", ""))]}


def _read_multiple(form: FormValues, parts: Parts) -> KeyRead:
    return KeyRead({"correct": [v for v in form.getlist("key.correct") if v],
                    "scoring": form.text("key.scoring") or "all_or_nothing"})


def _write_multiple(content: ItemContent) -> dict[str, list[str]]:
    return {"key.correct": list(content.key.get("correct", [])),
            "key.scoring": [content.key.get("scoring", "all_or_nothing")]}


def _read_true_false4(form: FormValues, parts: Parts) -> KeyRead:
    truth = {part.id: form.get(f"key.truth.{part.id}") == "true" for part in parts.choices
             if form.get(f"key.truth.{part.id}") in ("true", "false")}
    return KeyRead({"truth": truth})


def _write_true_false4(content: ItemContent) -> dict[str, list[str]]:
    return {f"key.truth.{part_id}": ["true" if value else "false"]
            for part_id, value in content.key.get("truth", {}).items()}


def _read_matching(form: FormValues, parts: Parts) -> KeyRead:
    return KeyRead({"pairs": {part.id: form.text(f"key.pairs.{part.id}") for part in parts.choices
                              if form.text(f"key.pairs.{part.id}")}})


def _write_matching(content: ItemContent) -> dict[str, list[str]]:
    return {f"key.pairs.{choice}": [target]
            for choice, target in content.key.get("pairs", {}).items()}


def _id_order(part: Part) -> tuple[int, str]:
    return len(part.id), part.id  # A < B < … < Z < AA and 2 < 10


def _read_ordering(form: FormValues, parts: Parts) -> KeyRead:
    # The teacher types the steps in the right order. They are stored in id order, which is
    # free to choose (the type always shuffles them for display) and makes re-saving an
    # unchanged item change nothing.
    key: dict[str, Any] = {"order": [part.id for part in parts.choices]}
    if form.text("key.scoring") not in ("", "all_or_nothing"):
        key["scoring"] = form.text("key.scoring")
    return KeyRead(key, choices=tuple(sorted(parts.choices, key=_id_order)))


def _write_ordering(content: ItemContent) -> dict[str, list[str]]:
    by_id = {part.id: part for part in content.choices}
    in_key_order = [by_id[i] for i in content.key.get("order", []) if i in by_id]
    in_key_order += [p for p in content.choices if p not in in_key_order]
    return {**rows_form("choices", in_key_order),
            "key.scoring": [content.key.get("scoring", "all_or_nothing")]}


def _read_short_answer(form: FormValues, parts: Parts) -> KeyRead:
    return KeyRead({"accepted": form.lines("key.accepted"),
                    "case_sensitive": bool(form.get("key.case_sensitive"))})


def _write_short_answer(content: ItemContent) -> dict[str, list[str]]:
    return {"key.accepted": ["\n".join(content.key.get("accepted", []))],
            "key.case_sensitive": ["1"] if content.key.get("case_sensitive") else []}


def _read_numeric(form: FormValues, parts: Parts) -> KeyRead:
    problems: list[Problem] = []
    key: dict[str, Any] = {}
    value = read_number(form, "key.value", problems)
    tolerance = read_number(form, "key.tolerance", problems, blank=0.0)
    if value is not None:
        key["value"] = value
    if tolerance is not None:
        key["tolerance"] = tolerance
    key["tolerance_kind"] = form.text("key.tolerance_kind") or "absolute"
    return KeyRead(key, tuple(problems))


def _write_numeric(content: ItemContent) -> dict[str, list[str]]:
    key = content.key
    return {"key.value": [format_number_vi(float(key["value"])) if "value" in key else ""],
            "key.tolerance": [format_number_vi(float(key.get("tolerance", 0)))],
            "key.tolerance_kind": [key.get("tolerance_kind", "absolute")]}


def _read_gap(form: FormValues, base: str, gap_id: str) -> dict[str, Any]:
    if form.get(f"{base}.mode") != "choice":
        gap: dict[str, Any] = {"id": gap_id, "accepted": form.lines(f"{base}.accepted")}
        if form.get(f"{base}.case_sensitive"):
            gap["case_sensitive"] = True
        return gap
    texts = form.lines(f"{base}.choices")
    correct = form.text(f"{base}.correct")
    try:  # the ids an imported gap's options had, by text (see _write_gap)
        known = json.loads(form.get(f"{base}.option_ids") or "{}")
    except ValueError:
        known = {}
    known = known if isinstance(known, dict) else {}
    ids = [str(known.get(text, text)) for text in texts]
    if ids == texts:
        return {"id": gap_id, "choices": texts, "correct": correct}
    options = [{"id": i, "text": t} for i, t in zip(ids, texts, strict=True)]
    return {"id": gap_id, "choices": options,
            "correct": next((i for i, t in zip(ids, texts, strict=True) if t == correct),
                            correct)}


def _read_cloze(form: FormValues, parts: Parts) -> KeyRead:
    bases = [f"key.gaps[{i}]" for i in range(form.count("key.gaps"))]
    while bases and not any(form.text(f"{bases[-1]}.{name}")
                            for name in ("accepted", "choices", "correct")):
        bases.pop()  # spare gap rows
    taken = [form.text(f"{base}.id") for base in bases if form.text(f"{base}.id")]
    gaps = []
    for base in bases:
        gap_id = form.text(f"{base}.id") or next_free_id(taken, "key.gaps")
        taken.append(gap_id)
        gaps.append(_read_gap(form, base, gap_id))
    return KeyRead({"gaps": gaps})


def _write_gap(base: str, gap: Mapping[str, Any]) -> dict[str, list[str]]:
    if "choices" not in gap:
        return {f"{base}.id": [gap["id"]], f"{base}.mode": ["text"],
                f"{base}.accepted": ["\n".join(gap.get("accepted", []))],
                f"{base}.case_sensitive": ["1"] if gap.get("case_sensitive") else []}
    options = gap_options(dict(gap))
    correct = next((o.text for o in options if o.id == gap.get("correct")), "")
    # Options are typed one per line, by text; ids that differ from the text (imported items)
    # ride along in a hidden input so re-saving keeps them.
    ids = {o.text: o.id for o in options if o.id != o.text}
    return {f"{base}.id": [gap["id"]], f"{base}.mode": ["choice"],
            f"{base}.choices": ["\n".join(o.text for o in options)],
            f"{base}.correct": [correct],
            f"{base}.option_ids": [json.dumps(ids, ensure_ascii=False) if ids else ""]}


def _write_cloze(content: ItemContent) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for index, gap in enumerate(content.key.get("gaps", [])):
        fields.update(_write_gap(f"key.gaps[{index}]", gap))
    return fields


#: kind -> how its key travels through the form; the one place that knows each kind's inputs
KIND_FIELDS: Mapping[ItemKind, KindFields] = {
    ItemKind.SINGLE: KindFields(_read_single, _write_single, ("choices",)),
    ItemKind.MULTIPLE: KindFields(_read_multiple, _write_multiple, ("choices",)),
    ItemKind.TRUE_FALSE4: KindFields(_read_true_false4, _write_true_false4, ("choices",)),
    ItemKind.MATCHING: KindFields(_read_matching, _write_matching, ("choices", "targets")),
    ItemKind.ORDERING: KindFields(_read_ordering, _write_ordering, ("choices",)),
    ItemKind.SHORT_ANSWER: KindFields(_read_short_answer, _write_short_answer),
    ItemKind.NUMERIC: KindFields(_read_numeric, _write_numeric),
    ItemKind.CLOZE: KindFields(_read_cloze, _write_cloze, ("key.gaps",)),
}
