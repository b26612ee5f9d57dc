"""Matching: fraction of pairs right, distractor targets, right column always shuffled."""

from __future__ import annotations

import numpy as np
import pytest

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.types import InvalidResponse, item_type

MATCHING = item_type(ItemKind.MATCHING)
LEFT = (Part("A", "Word"), Part("B", "Excel"), Part("C", "PowerPoint"))
RIGHT = (Part("W", "Soạn thảo"), Part("X", "Bảng tính"), Part("Y", "Trình chiếu"),
         Part("Z", "Vẽ ảnh"))
PAIRS = {"A": "W", "B": "X", "C": "Y"}


def item(pairs: dict | None = None, targets: tuple[Part, ...] = RIGHT,
         **kw: object) -> ItemContent:
    return ItemContent(ItemKind.MATCHING, "Ghép phần mềm với công dụng:", LEFT, targets,
                       key={"pairs": PAIRS if pairs is None else pairs}, **kw)


@pytest.mark.parametrize(("response", "expected"), [
    ({"A": "W", "B": "X", "C": "Y"}, 3.0),
    ({"A": "W", "B": "X", "C": "Z"}, 2.0),
    ({"A": "W", "B": None}, 1.0),
    ({"A": "X", "B": "W", "C": "Z"}, 0.0),
    (None, 0.0),
])
def test_fraction_of_pairs_right(response: object, expected: float) -> None:
    assert MATCHING.score(item(points=3.0), response) == pytest.approx(expected)


def test_two_choices_may_share_a_target() -> None:
    shared = item({"A": "W", "B": "W", "C": "Y"})
    assert MATCHING.validate(shared) == []
    assert MATCHING.score(shared, {"A": "W", "B": "W", "C": "Y"}) == 1.0


@pytest.mark.parametrize(("pairs", "targets", "field"), [
    ({"A": "W", "B": "X"}, RIGHT, "key.pairs.C"),
    ({**PAIRS, "C": "Q"}, RIGHT, "key.pairs.C"),
    ({**PAIRS, "E": "W"}, RIGHT, "key.pairs.E"),
    ({}, RIGHT, "key.pairs"),
    (PAIRS, RIGHT[:1], "targets"),
    (PAIRS, (*RIGHT, Part("W", "Khác")), "targets[4].id"),
    (PAIRS, (*RIGHT, Part("Q", " bảng   TÍNH")), "targets[4].text"),
])
def test_validation(pairs: dict, targets: tuple[Part, ...], field: str) -> None:
    assert field in {p.field for p in MATCHING.validate(item(pairs, targets))}


def test_targets_are_shuffled_even_without_rng_or_item_shuffle() -> None:
    fixed = item(shuffle=False)
    preview = MATCHING.candidate_view(fixed)
    assert preview == MATCHING.candidate_view(fixed)          # stable preview
    assert preview["order"]["choices"] == ["A", "B", "C"]      # left column as authored
    orders = {tuple(MATCHING.candidate_view(fixed, np.random.default_rng(s))["order"]["targets"])
              for s in range(20)}
    assert len(orders) > 1 and all(sorted(o) == ["W", "X", "Y", "Z"] for o in orders)


def test_seeded_view_maps_back_to_ids() -> None:
    shown = MATCHING.candidate_view(item(), np.random.default_rng(3))
    assert shown == MATCHING.candidate_view(item(), np.random.default_rng(3))
    assert [t["id"] for t in shown["view"]["targets"]] == shown["order"]["targets"]
    texts = {p.id: p.text for p in RIGHT}
    assert all(t["text"] == texts[t["id"]] for t in shown["view"]["targets"])


@pytest.mark.parametrize("response", [{"A": "Q"}, {"Q": "W"}, ["A", "W"], {"A": 1}])
def test_malformed_responses(response: object) -> None:
    with pytest.raises(InvalidResponse):
        MATCHING.normalise_response(response, item())


def test_key_description() -> None:
    assert MATCHING.describe_key(item()).startswith("Các cặp đúng: A (Word) → W (Soạn thảo);")
