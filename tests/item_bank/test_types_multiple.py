"""Multiple response: all-or-nothing, or right-minus-wrong over the number correct, floored."""

from __future__ import annotations

import pytest

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.types import InvalidResponse, item_type

MULTIPLE = item_type(ItemKind.MULTIPLE)
CHOICES = tuple(Part(i, t) for i, t in zip("ABCD", ["Bàn phím", "Màn hình", "Chuột", "Loa"],
                                           strict=True))


def item(correct: list[str], scoring: str | None = None, points: float = 1.0) -> ItemContent:
    key: dict = {"correct": correct}
    if scoring:
        key["scoring"] = scoring
    return ItemContent(ItemKind.MULTIPLE, "Thiết bị vào?", CHOICES, key=key, points=points)


@pytest.mark.parametrize(("response", "expected"), [
    (["A", "C"], 1.0), (["C", "A", "A"], 1.0), (["A"], 0.0), (["A", "C", "D"], 0.0),
    ([], 0.0), (None, 0.0),
])
def test_all_or_nothing_is_the_default(response: object, expected: float) -> None:
    assert MULTIPLE.score(item(["A", "C"]), response) == expected


@pytest.mark.parametrize(("response", "expected"), [
    (["A", "C"], 2.0),          # 2 right, 0 wrong: 2/2
    (["A"], 1.0),               # 1 right: 1/2
    (["A", "C", "D"], 1.0),     # (2 - 1)/2
    (["A", "B"], 0.0),          # (1 - 1)/2
    (["B", "D"], 0.0),          # (0 - 2)/2 floored at 0
    (["A", "B", "C", "D"], 0.0),  # ticking everything earns nothing when wrong ≥ right
])
def test_partial_right_minus_wrong_worked_by_hand(response: list[str], expected: float) -> None:
    assert MULTIPLE.score(item(["A", "C"], "partial", points=2.0), response) == expected


def test_partial_tick_all_with_three_of_four_correct_is_documented() -> None:
    assert MULTIPLE.score(item(["A", "B", "C"], "partial"), list("ABCD")) == pytest.approx(2 / 3)


@pytest.mark.parametrize(("correct", "scoring", "field"), [
    ([], None, "key.correct"),
    (["A", "E"], None, "key.correct"),
    (["A", "A"], None, "key.correct"),
    (["A", "B", "C", "D"], None, "key.correct"),
    (["A"], "some", "key.scoring"),
])
def test_validation(correct: list[str], scoring: str | None, field: str) -> None:
    assert field in {p.field for p in MULTIPLE.validate(item(correct, scoring))}


def test_one_correct_is_valid_in_both_modes() -> None:
    assert MULTIPLE.validate(item(["A"], "partial")) == []
    assert MULTIPLE.validate(item(["A"])) == []


def test_responses_name_existing_choices() -> None:
    assert MULTIPLE.normalise_response("C", item(["A"])) == ["C"]
    with pytest.raises(InvalidResponse, match="no part"):
        MULTIPLE.normalise_response(["A", "Z"], item(["A"]))
    with pytest.raises(InvalidResponse):
        MULTIPLE.normalise_response({"A": True}, item(["A"]))


def test_key_description() -> None:
    text = MULTIPLE.describe_key(item(["A", "C"], "partial"))
    assert text.startswith("Các đáp án đúng: A (Bàn phím); C (Chuột).")
    assert "từng phần" in text
