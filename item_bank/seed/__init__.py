"""Seed data of the demo item bank: the TT03 requirement tree and a basic-module bank.

Two JSON files ship with this package and are meant to be edited by hand:

* ``tt03_requirements.json`` – the requirement-code tree of Thông tư 03/2014/TT-BTTTT
  (module ``IU04`` → area ``IU04.5`` → sub-area ``IU04.5.2`` …);
* ``tt03_basic_bank.json`` – multiple-choice items for the six basic modules IU01–IU06.

:func:`load_requirements` and :func:`load_basic_bank` read them with
:mod:`importlib.resources`, normalise every string to Unicode NFC (Vietnamese text typed
on different keyboards/bộ gõ may arrive decomposed) and validate them.  Any problem raises
:class:`SeedDataError` (a :class:`ValueError`) whose message names the item key and the
field, e.g. ``item 'IU04-017', field 'correct': single-choice item needs exactly 1 …``.

:func:`validate_items` runs the same checks on any list of item dicts (e.g. an imported
bank) against a requirement tree.

Pure Python (standard library only).
"""

from __future__ import annotations

import copy
import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "REQUIREMENTS_FILE",
    "BASIC_BANK_FILE",
    "ITEM_TYPES",
    "DIFFICULTIES",
    "SeedDataError",
    "load_requirements",
    "load_basic_bank",
    "requirement_index",
    "validate_requirements",
    "validate_items",
    "demo_irt_parameters",
]

REQUIREMENTS_FILE = "tt03_requirements.json"
BASIC_BANK_FILE = "tt03_basic_bank.json"

ITEM_TYPES = ("single", "multiple")
DIFFICULTIES = ("easy", "medium", "hard")
LEVELS = ("basic", "advanced")

#: single-choice items have exactly one right option; multiple-response items at least two.
MIN_OPTIONS = 2
MIN_CORRECT_MULTIPLE = 2

_REQUIRED_ITEM_FIELDS = (
    "key",
    "module",
    "code",
    "type",
    "stem",
    "options",
    "correct",
    "difficulty",
)


class SeedDataError(ValueError):
    """Invalid seed data; the message names the offending item/requirement and field."""

    def __init__(self, where: str, field: str, problem: str):
        self.where = where
        self.field = field
        self.problem = problem
        super().__init__(f"{where}, field {field!r}: {problem}")


def _item_error(key: Any, field: str, problem: str) -> SeedDataError:
    return SeedDataError(f"item {key!r}", field, problem)


# --------------------------------------------------------------------------- helpers


def _nfc(obj: Any) -> Any:
    """Return a copy of ``obj`` with every string (keys included) in Unicode NFC."""
    if isinstance(obj, str):
        return unicodedata.normalize("NFC", obj)
    if isinstance(obj, list):
        return [_nfc(x) for x in obj]
    if isinstance(obj, tuple):
        return tuple(_nfc(x) for x in obj)
    if isinstance(obj, dict):
        return {_nfc(k): _nfc(v) for k, v in obj.items()}
    return obj


def _comparable(text: str) -> str:
    """Form used to detect duplicates: NFC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@cache
def _read_json(name: str) -> Any:
    raw = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return json.loads(raw)


# --------------------------------------------------------------------------- requirements


def validate_requirements(data: Mapping[str, Any]) -> None:
    """Check the shape of a requirement tree; raise :class:`SeedDataError` on a problem."""
    if not isinstance(data, Mapping):
        raise SeedDataError("requirements", "modules", "top level must be an object")
    modules = data.get("modules")
    if not isinstance(modules, list) or not modules:
        raise SeedDataError("requirements", "modules", "must be a non-empty list")
    seen: set[str] = set()

    def check_node(node: Any, parent: str, where_parent: str) -> None:
        if not isinstance(node, Mapping):
            raise SeedDataError(where_parent, "children", "every node must be an object")
        code = node.get("code")
        where = f"requirement {code!r}"
        if not isinstance(code, str) or not code.startswith(parent + "."):
            raise SeedDataError(where, "code", f"must start with {parent + '.'!r}")
        suffix = code[len(parent) + 1 :]
        if not suffix.isdigit():
            raise SeedDataError(where, "code", "last segment must be a number")
        if code in seen:
            raise SeedDataError(where, "code", "duplicate code")
        seen.add(code)
        if not isinstance(node.get("name"), str) or not node["name"].strip():
            raise SeedDataError(where, "name", "must be a non-empty string")
        children = node.get("children", [])
        if not isinstance(children, list):
            raise SeedDataError(where, "children", "must be a list")
        for child in children:
            check_node(child, code, where)

    for module in modules:
        code = module.get("code") if isinstance(module, Mapping) else None
        where = f"module {code!r}"
        if not (
            isinstance(code, str)
            and len(code) == 4
            and code.startswith("IU")
            and code[2:].isdigit()
        ):
            raise SeedDataError(where, "code", "must look like 'IU01'")
        if code in seen:
            raise SeedDataError(where, "code", "duplicate code")
        seen.add(code)
        for field in ("name", "name_en"):
            if not isinstance(module.get(field), str) or not module[field].strip():
                raise SeedDataError(where, field, "must be a non-empty string")
        if module.get("level") not in LEVELS:
            raise SeedDataError(where, "level", f"must be one of {LEVELS}")
        areas = module.get("areas", [])
        if not isinstance(areas, list):
            raise SeedDataError(where, "areas", "must be a list")
        for area in areas:
            check_node(area, code, where)


def requirement_index(requirements: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Flatten the tree: ``{code: {"module", "name", "depth", "parent"}}`` for every node.

    Depth 1 is a module (``IU04``), 2 an area (``IU04.5``), 3 a sub-area (``IU04.5.2``).
    """
    index: dict[str, dict[str, Any]] = {}

    def walk(node: Mapping[str, Any], module: str, parent: str | None, depth: int) -> None:
        index[node["code"]] = {
            "module": module,
            "name": node["name"],
            "depth": depth,
            "parent": parent,
        }
        for child in node.get("children", []):
            walk(child, module, node["code"], depth + 1)

    for module in requirements["modules"]:
        index[module["code"]] = {
            "module": module["code"],
            "name": module["name"],
            "depth": 1,
            "parent": None,
            "level": module["level"],
        }
        for area in module.get("areas", []):
            walk(area, module["code"], module["code"], 2)
    return index


def load_requirements() -> dict[str, Any]:
    """Return the TT03 requirement tree (a fresh, NFC-normalised, validated copy)."""
    data = _nfc(copy.deepcopy(_read_json(REQUIREMENTS_FILE)))
    validate_requirements(data)
    return data


# --------------------------------------------------------------------------- items


def _validate_item(item: Any, index: Mapping[str, Mapping[str, Any]], min_code_depth: int) -> None:
    if not isinstance(item, Mapping):
        raise _item_error(None, "item", "must be an object")
    key = item.get("key")
    if not isinstance(key, str) or not key.strip():
        raise _item_error(key, "key", "must be a non-empty string")
    for field in _REQUIRED_ITEM_FIELDS:
        if field not in item:
            raise _item_error(key, field, "missing")

    module = item["module"]
    if module not in index or index[module]["depth"] != 1:
        raise _item_error(key, "module", f"unknown module {module!r}")

    code = item["code"]
    if not isinstance(code, str) or code not in index:
        raise _item_error(key, "code", f"unknown requirement code {code!r}")
    if index[code]["module"] != module:
        raise _item_error(key, "code", f"code {code!r} is not under module {module!r}")
    if index[code]["depth"] < min_code_depth:
        raise _item_error(
            key,
            "code",
            f"code {code!r} is too general; tag at least an area like {module + '.1'!r}",
        )

    if item["type"] not in ITEM_TYPES:
        raise _item_error(key, "type", f"must be one of {ITEM_TYPES}, got {item['type']!r}")
    if item["difficulty"] not in DIFFICULTIES:
        raise _item_error(
            key, "difficulty", f"must be one of {DIFFICULTIES}, got {item['difficulty']!r}"
        )

    stem = item["stem"]
    if not isinstance(stem, str) or not stem.strip():
        raise _item_error(key, "stem", "must be a non-empty string")
    if "explanation" in item and not isinstance(item["explanation"], str):
        raise _item_error(key, "explanation", "must be a string")

    options = item["options"]
    if not isinstance(options, list) or len(options) < MIN_OPTIONS:
        raise _item_error(key, "options", f"needs at least {MIN_OPTIONS} options")
    seen: dict[str, int] = {}
    for i, option in enumerate(options):
        if not isinstance(option, str) or not option.strip():
            raise _item_error(key, "options", f"option {i} must be a non-empty string")
        norm = _comparable(option)
        if norm in seen:
            raise _item_error(
                key, "options", f"options {seen[norm]} and {i} are duplicates ({option!r})"
            )
        seen[norm] = i

    correct = item["correct"]
    if not isinstance(correct, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) for c in correct
    ):
        raise _item_error(key, "correct", "must be a list of 0-based option indices")
    for c in correct:
        if not 0 <= c < len(options):
            raise _item_error(key, "correct", f"index {c} out of range for {len(options)} options")
    if len(set(correct)) != len(correct):
        raise _item_error(key, "correct", "repeats an index")
    if item["type"] == "single" and len(correct) != 1:
        raise _item_error(
            key, "correct", f"single-choice item needs exactly 1 right option, got {len(correct)}"
        )
    if item["type"] == "multiple":
        if len(correct) < MIN_CORRECT_MULTIPLE:
            raise _item_error(
                key,
                "correct",
                f"multiple-response item needs at least {MIN_CORRECT_MULTIPLE} "
                f"right options, got {len(correct)}",
            )
        if len(correct) >= len(options):
            raise _item_error(
                key, "correct", "multiple-response item needs at least one wrong option"
            )


def validate_items(
    items: Iterable[Any], requirements: Mapping[str, Any], *, min_code_depth: int = 2
) -> None:
    """Validate a list of item dicts against a requirement tree.

    Checks every item (fields, known code under its own module, at least ``min_code_depth``
    levels deep, option count and uniqueness, right-answer indices and counts per type)
    and the bank as a whole (unique keys, unique stems).  Raises :class:`SeedDataError`.
    """
    index = requirement_index(requirements)
    keys: set[str] = set()
    stems: dict[str, str] = {}
    for item in items:
        _validate_item(item, index, min_code_depth)
        key = item["key"]
        if key in keys:
            raise _item_error(key, "key", "duplicate key")
        keys.add(key)
        stem = _comparable(item["stem"])
        if stem in stems:
            raise _item_error(key, "stem", f"same stem as item {stems[stem]!r}")
        stems[stem] = key


def load_basic_bank() -> list[dict[str, Any]]:
    """Return the items of the basic-module demo bank (fresh, NFC-normalised, validated)."""
    data = _nfc(copy.deepcopy(_read_json(BASIC_BANK_FILE)))
    if not isinstance(data, Mapping) or not isinstance(data.get("items"), list):
        raise SeedDataError(BASIC_BANK_FILE, "items", "must be a list")
    items = data["items"]
    validate_items(items, load_requirements())
    return items


# --------------------------------------------------------------------------- demo IRT

#: Demo difficulty centres (logits) for the authors' easy/medium/hard estimates.
DEMO_B_CENTRE = {"easy": -1.2, "medium": 0.0, "hard": 1.2}
DEMO_B_SPREAD = 0.3  # b lies in centre ± 0.3
DEMO_A_RANGE = (0.8, 1.6)  # discrimination


def _unit_hash(key: str, salt: str) -> float:
    """A deterministic number in [0, 1) from the item key (same on every machine/run)."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def demo_irt_parameters(item: Mapping[str, Any]) -> dict[str, Any]:
    """DEMO 3PL parameters for an item — placeholders until the item is calibrated.

    These numbers are NOT estimated from responses.  They only let the engine exercise
    IRT scoring before live data exist, and must be replaced by calibrated values
    (pretest/pilot data) before any score is reported as real:

    * ``b`` (difficulty) = centre for the authors' estimate (easy −1.2, medium 0.0,
      hard +1.2) plus a deterministic spread of ±0.3 derived from a hash of the key;
    * ``a`` (discrimination) = a deterministic value in [0.8, 1.6] from the key;
    * ``c`` (guessing) = 1 / number of options for single choice, 0 for multiple response
      (scored all-or-nothing, guessing the exact set is unlikely).

    Returns ``{"model": "3PL", "a", "b", "c", "demo": True}``.
    """
    key = item.get("key")
    if not isinstance(key, str) or not key:
        raise _item_error(key, "key", "needed to derive demo IRT parameters")
    difficulty = item.get("difficulty")
    if difficulty not in DEMO_B_CENTRE:
        raise _item_error(key, "difficulty", f"must be one of {DIFFICULTIES}")
    item_type = item.get("type")
    options = item.get("options")
    if item_type not in ITEM_TYPES:
        raise _item_error(key, "type", f"must be one of {ITEM_TYPES}")
    if not isinstance(options, list) or len(options) < MIN_OPTIONS:
        raise _item_error(key, "options", f"needs at least {MIN_OPTIONS} options")

    b = DEMO_B_CENTRE[difficulty] + (2 * _unit_hash(key, "b") - 1) * DEMO_B_SPREAD
    lo, hi = DEMO_A_RANGE
    a = lo + _unit_hash(key, "a") * (hi - lo)
    c = 1 / len(options) if item_type == "single" else 0.0
    return {"model": "3PL", "a": round(a, 3), "b": round(b, 3), "c": round(c, 3), "demo": True}
