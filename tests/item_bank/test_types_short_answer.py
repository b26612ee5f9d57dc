"""Short answer: NFC, case and spacing forgiven; accents never."""

from __future__ import annotations

import unicodedata

import pytest

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.types import InvalidResponse, item_type

SHORT = item_type(ItemKind.SHORT_ANSWER)


def item(accepted: object, case_sensitive: object = None, **kw: object) -> ItemContent:
    key: dict = {"accepted": accepted}
    if case_sensitive is not None:
        key["case_sensitive"] = case_sensitive
    return ItemContent(ItemKind.SHORT_ANSWER, "Trả lời:", key=key, **kw)


@pytest.mark.parametrize(("response", "expected"), [
    ("Ctrl+Z", 1.0), ("  ctrl+z ", 1.0), ("CTRL Z", 1.0), ("Ctrl + Z", 0.0), ("Ctrl+Y", 0.0),
    ("", 0.0), (None, 0.0),
])
def test_any_accepted_variant(response: object, expected: float) -> None:
    assert SHORT.score(item(["Ctrl+Z", "Ctrl Z"]), response) == expected


def test_vietnamese_spacing_case_and_decomposition() -> None:
    content = item(["Điện Biên Phủ"])
    assert SHORT.score(content, "  điện   biên  phủ ") == 1.0
    assert SHORT.score(content, unicodedata.normalize("NFD", "ĐIỆN BIÊN PHỦ")) == 1.0
    assert SHORT.score(content, "Dien Bien Phu") == 0.0


def test_accents_are_significant() -> None:
    assert SHORT.score(item(["mà"]), "ma") == 0.0
    assert SHORT.score(item(["mà"]), "mã") == 0.0
    assert SHORT.score(item(["mà"]), "MÀ") == 1.0


def test_tone_placement_conventions_are_equal() -> None:
    assert SHORT.score(item(["Hòa Bình"]), "hoà bình") == 1.0


def test_case_sensitive_items() -> None:
    content = item(["SUM"], case_sensitive=True)
    assert SHORT.score(content, " SUM ") == 1.0
    assert SHORT.score(content, "sum") == 0.0


def test_response_is_stored_as_typed_but_tidied() -> None:
    assert SHORT.normalise_response("  Ctrl \u00a0 Z ") == "Ctrl Z"
    assert SHORT.normalise_response(42) == "42"
    with pytest.raises(InvalidResponse):
        SHORT.normalise_response(["Ctrl+Z"])
    with pytest.raises(InvalidResponse, match="longer"):
        SHORT.normalise_response("x" * 1001)


@pytest.mark.parametrize(("accepted", "case_sensitive", "field"), [
    ([], None, "key.accepted"),
    (None, None, "key.accepted"),
    (["Ctrl+Z", "  "], None, "key.accepted[1]"),
    (["Hà Nội", "  hà   NỘI"], None, "key.accepted[1]"),
    (["Hà Nội", unicodedata.normalize("NFD", "Hà Nội")], True, "key.accepted[1]"),
    (["x"], "yes", "key.case_sensitive"),
])
def test_validation(accepted: object, case_sensitive: object, field: str) -> None:
    assert field in {p.field for p in SHORT.validate(item(accepted, case_sensitive))}


def test_case_variants_are_distinct_when_case_sensitive() -> None:
    assert SHORT.validate(item(["SUM", "Sum"], case_sensitive=True)) == []


def test_choices_are_a_problem() -> None:
    assert "choices" in {p.field for p in SHORT.validate(item(["x"], choices=(Part("A", "a"),)))}


def test_key_description() -> None:
    assert SHORT.describe_key(item(["Ctrl+Z", "Ctrl Z"])) == (
        "Đáp án chấp nhận: «Ctrl+Z» hoặc «Ctrl Z» (không phân biệt chữ hoa/thường, "
        "có phân biệt dấu).")
