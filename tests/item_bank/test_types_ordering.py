"""Ordering: all-or-nothing, or adjacent pairs kept; never displayed in the key's order."""

from __future__ import annotations

import numpy as np
import pytest

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.types import InvalidResponse, item_type

ORDERING = item_type(ItemKind.ORDERING)
STEPS = tuple(Part(i, f"Bước {i}") for i in "ABCD")


def item(order: list[str] | None = None, scoring: str | None = None,
         steps: tuple[Part, ...] = STEPS, **kw: object) -> ItemContent:
    key: dict = {"order": ["A", "B", "C", "D"] if order is None else order}
    if scoring:
        key["scoring"] = scoring
    return ItemContent(ItemKind.ORDERING, "Sắp xếp các bước:", steps, key=key, **kw)


@pytest.mark.parametrize(("response", "expected"), [
    (["A", "B", "C", "D"], 1.0), (["B", "C", "D", "A"], 0.0), (["D", "C", "B", "A"], 0.0),
    (None, 0.0),
])
def test_all_or_nothing_by_default(response: object, expected: float) -> None:
    assert ORDERING.score(item(), response) == expected


@pytest.mark.parametrize(("response", "expected"), [
    (["A", "B", "C", "D"], 3.0),   # A→B, B→C, C→D: 3/3
    (["B", "C", "D", "A"], 2.0),   # B→C, C→D kept: 2/3
    (["C", "D", "A", "B"], 2.0),   # C→D, A→B kept: 2/3
    (["A", "C", "B", "D"], 0.0),   # none of A→B, B→C, C→D adjacent: 0/3
    (["D", "C", "B", "A"], 0.0),   # reversed: no pair in the right direction
    (["A", "B"], 1.0),             # incomplete: A→B only: 1/3
])
def test_partial_adjacent_pairs_worked_by_hand(response: list[str], expected: float) -> None:
    assert ORDERING.score(item(scoring="partial", points=3.0), response) == pytest.approx(expected)


@pytest.mark.parametrize(("order", "scoring", "field"), [
    (["A", "B", "C"], None, "key.order"),
    (["A", "B", "C", "C"], None, "key.order"),
    (["A", "B", "C", "E"], None, "key.order"),
    (["A", "B", "C", "D"], "half", "key.scoring"),
])
def test_validation(order: list[str], scoring: str | None, field: str) -> None:
    assert field in {p.field for p in ORDERING.validate(item(order, scoring))}


@pytest.mark.parametrize("n", [2, 3, 4])
def test_never_shown_in_key_order(n: int) -> None:
    steps = STEPS[:n]
    content = item([p.id for p in steps], steps=steps, shuffle=False)
    for seed in range(200):
        shown = ORDERING.candidate_view(content, np.random.default_rng(seed))
        assert shown["order"]["choices"] != [p.id for p in steps]
        assert sorted(shown["order"]["choices"]) == sorted(p.id for p in steps)
    assert ORDERING.candidate_view(content)["order"]["choices"] != [p.id for p in steps]


def test_seeded_shuffle_is_replayable() -> None:
    first = ORDERING.candidate_view(item(), np.random.default_rng(11))
    assert first == ORDERING.candidate_view(item(), np.random.default_rng(11))
    assert [c["id"] for c in first["view"]["choices"]] == first["order"]["choices"]


@pytest.mark.parametrize("response", [["A", "A", "B", "C"], ["A", "E"], "ABCD", [1, 2]])
def test_malformed_responses(response: object) -> None:
    with pytest.raises(InvalidResponse):
        ORDERING.normalise_response(response, item())


def test_key_description() -> None:
    assert ORDERING.describe_key(item()).startswith(
        "Thứ tự đúng: A (Bước A) → B (Bước B) → C (Bước C) → D (Bước D).")
