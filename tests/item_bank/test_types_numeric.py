"""Numeric answers: Vietnamese decimal comma, tolerances, clear messages for non-numbers."""

from __future__ import annotations

import math

import pytest

from item_bank.content import ItemContent, ItemKind
from item_bank.types import InvalidResponse, item_type, parse_number

NUMERIC = item_type(ItemKind.NUMERIC)


def item(**key: object) -> ItemContent:
    return ItemContent(ItemKind.NUMERIC, "Kết quả?", key=key)


@pytest.mark.parametrize(("text", "value"), [
    ("3,5", 3.5), ("3.5", 3.5), (" -3,5 ", -3.5), ("\u22123,5", -3.5), ("+2", 2.0),
    ("0,25", 0.25), (",5", 0.5), ("42", 42.0), ("1.234,5", 1234.5), ("1,234.5", 1234.5),
    ("1.000.000", 1e6), ("1,000,000", 1e6), ("1 000 000", 1e6), ("1\u00a0000,5", 1000.5),
    ("1,5e3", 1500.0), ("2E-2", 0.02), ("1.000", 1.0),
])
def test_numbers_in_vietnamese_and_english_style(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", [
    "abc", "3,5,6", "1.2.3", "1.23.456", "1,234.567,8", "--3", "3,5kg", "inf", "nan", "1e999",
    ".", "3..5",
])
def test_non_numbers_are_rejected_in_vietnamese(text: str) -> None:
    with pytest.raises(InvalidResponse) as raised:
        parse_number(text)
    assert "không phải là một số" in raised.value.message_vi


@pytest.mark.parametrize(("response", "expected"), [
    ("3,5", 1.0), ("3.5", 1.0), ("3,49", 1.0), ("3,51", 1.0), ("3,52", 0.0), ("3,48", 0.0),
    (3.5, 1.0), (3, 0.0), ("", 0.0), (None, 0.0),
])
def test_absolute_tolerance(response: object, expected: float) -> None:
    assert NUMERIC.score(item(value=3.5, tolerance=0.01, tolerance_kind="absolute"),
                         response) == expected


@pytest.mark.parametrize(("response", "expected"), [
    ("1980", 1.0), ("2000", 1.0), ("2020", 1.0), ("2021", 0.0), ("1979", 0.0),
])
def test_relative_tolerance(response: str, expected: float) -> None:
    assert NUMERIC.score(item(value=2000, tolerance=0.01, tolerance_kind="relative"),
                         response) == expected


def test_exact_by_default() -> None:
    assert NUMERIC.score(item(value=12), "12") == 1.0
    assert NUMERIC.score(item(value=12), "12,001") == 0.0


@pytest.mark.parametrize("response", [True, [3.5], {"v": 3.5}, math.inf, math.nan])
def test_malformed_responses(response: object) -> None:
    with pytest.raises(InvalidResponse):
        NUMERIC.normalise_response(response)


@pytest.mark.parametrize(("key", "field"), [
    ({}, "key.value"),
    ({"value": math.nan}, "key.value"),
    ({"value": math.inf}, "key.value"),
    ({"value": "3,5"}, "key.value"),
    ({"value": True}, "key.value"),
    ({"value": 1, "tolerance": -0.1}, "key.tolerance"),
    ({"value": 1, "tolerance": math.nan}, "key.tolerance"),
    ({"value": 1, "tolerance_kind": "percent"}, "key.tolerance_kind"),
    ({"value": 0, "tolerance": 0.1, "tolerance_kind": "relative"}, "key.tolerance_kind"),
])
def test_validation(key: dict, field: str) -> None:
    assert field in {p.field for p in NUMERIC.validate(item(**key))}


def test_view_hints_at_the_input_but_not_the_value() -> None:
    view = NUMERIC.candidate_view(item(value=3.5, tolerance=0.01))["view"]
    assert view["input"]["decimal_separators"] == [",", "."]
    assert view["input"]["inputmode"] == "decimal"


def test_key_description_in_vietnamese_numbers() -> None:
    assert NUMERIC.describe_key(item(value=3.5, tolerance=0.01)) == (
        "Đáp án: 3,5 (sai số tuyệt đối 0,01, chấp nhận từ 3,49 đến 3,51).")
    assert NUMERIC.describe_key(item(value=2000, tolerance=0.01, tolerance_kind="relative")) == (
        "Đáp án: 2000 (sai số tương đối 1 %, chấp nhận từ 1980 đến 2020).")
    assert NUMERIC.describe_key(item(value=12)) == "Đáp án: 12 (chính xác)."
