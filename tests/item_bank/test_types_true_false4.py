"""True/false with 4 statements: the Ministry's 2025 credit 0.1 / 0.25 / 0.5 / 1."""

from __future__ import annotations

import pytest

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.types import InvalidResponse, item_type

TF4 = item_type(ItemKind.TRUE_FALSE4)
TRUTH = {"A": True, "B": False, "C": True, "D": False}
STATEMENTS = tuple(Part(i, f"Mệnh đề {i}") for i in "ABCD")


def item(truth: dict | None = None, statements: tuple[Part, ...] = STATEMENTS,
         points: float = 1.0) -> ItemContent:
    return ItemContent(ItemKind.TRUE_FALSE4, "Xét các mệnh đề sau:", statements,
                       key={"truth": TRUTH if truth is None else truth}, points=points)


@pytest.mark.parametrize(("response", "expected"), [
    ({"A": True, "B": False, "C": True, "D": False}, 1.0),
    ({"A": True, "B": False, "C": True, "D": True}, 0.5),
    ({"A": True, "B": False, "C": False, "D": True}, 0.25),
    ({"A": True, "B": True, "C": False, "D": True}, 0.1),
    ({"A": False, "B": True, "C": False, "D": True}, 0.0),
    ({"A": True, "B": False}, 0.25),          # two answered, both right
    ({"A": True, "B": None, "C": ""}, 0.1),   # blanks are unanswered
    ({}, 0.0), (None, 0.0),
])
def test_ministry_credit_by_statements_right(response: object, expected: float) -> None:
    assert TF4.score(item(), response) == pytest.approx(expected)


def test_credit_scales_with_points() -> None:
    assert TF4.score(item(points=2.0), {"A": True, "B": False, "C": True}) == 1.0


def test_form_strings_are_read() -> None:
    response = {"A": "Đúng", "B": "SAI", "C": "true", "D": "false"}
    assert TF4.normalise_response(response, item()) == {"A": True, "B": False, "C": True,
                                                        "D": False}


@pytest.mark.parametrize("response", [{"A": "có lẽ"}, {"E": True}, {"A": 1}, ["A"]])
def test_malformed_responses(response: object) -> None:
    with pytest.raises(InvalidResponse):
        TF4.normalise_response(response, item())


@pytest.mark.parametrize(("truth", "statements", "field"), [
    ({"A": True, "B": False, "C": True}, STATEMENTS, "key.truth.D"),
    ({**TRUTH, "D": "sai"}, STATEMENTS, "key.truth.D"),
    ({**TRUTH, "E": True}, STATEMENTS, "key.truth.E"),
    ({"A": True, "B": False, "C": True}, STATEMENTS[:3], "choices"),
    ([], STATEMENTS, "key.truth"),
])
def test_validation(truth: object, statements: tuple[Part, ...], field: str) -> None:
    assert field in {p.field for p in TF4.validate(item(truth, statements))}


def test_five_statements_are_a_problem() -> None:
    five = (*STATEMENTS, Part("E", "Mệnh đề E"))
    problems = TF4.validate(item({**TRUTH, "E": True}, five))
    assert [p.field for p in problems] == ["choices"]
    assert "đúng 4 mệnh đề" in problems[0].message_vi


def test_key_description() -> None:
    assert TF4.describe_key(item()) == ("A (Mệnh đề A): Đúng; B (Mệnh đề B): Sai; "
                                        "C (Mệnh đề C): Đúng; D (Mệnh đề D): Sai.")
