"""Cloze: gaps marked [[n]] in the stem, each right by accepted text or chosen option."""

from __future__ import annotations

import numpy as np
import pytest

from item_bank.content import ItemContent, ItemKind
from item_bank.types import InvalidResponse, item_type

CLOZE = item_type(ItemKind.CLOZE)
STEM = "Hàm [[1]] tính tổng; giữ phím [[2]] để chọn nhiều ô rời; thủ đô là [[3]]."
GAPS = [
    {"id": "1", "accepted": ["SUM"]},
    {"id": "2", "choices": ["Ctrl", "Shift", "Alt"], "correct": "Ctrl"},
    {"id": "3", "choices": [{"id": "a", "text": "Hà Nội"}, {"id": "b", "text": "Huế"}],
     "correct": "a"},
]


def item(gaps: object = None, stem: str = STEM, **kw: object) -> ItemContent:
    return ItemContent(ItemKind.CLOZE, stem, key={"gaps": GAPS if gaps is None else gaps},
                       **kw)


@pytest.mark.parametrize(("response", "expected"), [
    ({"1": "sum", "2": "Ctrl", "3": "a"}, 3.0),
    ({"1": "  SUM ", "2": "Shift", "3": "a"}, 2.0),
    ({"1": "TỔNG", "2": "Alt", "3": "a"}, 1.0),
    ({"1": "", "2": None, "3": "b"}, 0.0),
    (None, 0.0),
])
def test_fraction_of_gaps_right(response: object, expected: float) -> None:
    assert CLOZE.score(item(points=3.0), response) == pytest.approx(expected)


def test_case_sensitive_gap() -> None:
    gaps = [{"id": "1", "accepted": ["SUM"], "case_sensitive": True}]
    assert CLOZE.score(item(gaps, "Hàm [[1]]."), {"1": "sum"}) == 0.0
    assert CLOZE.score(item(gaps, "Hàm [[1]]."), {"1": "SUM"}) == 1.0


@pytest.mark.parametrize(("gaps", "stem", "field"), [
    (GAPS, "Hàm [[1]] và [[2]].", "key.gaps"),                 # gap 3 has no marker
    (GAPS, STEM + " [[4]]", "stem"),                            # marker without a gap
    (GAPS, STEM + " [[1]]", "stem"),                            # marker twice
    ([], STEM, "key.gaps"),
    ([{"id": "1", "accepted": ["SUM"]}, {"id": "1", "accepted": ["x"]}], "[[1]]",
     "key.gaps[1].id"),
    ([{"id": "1", "accepted": ["SUM"], "choices": ["a", "b"], "correct": "a"}], "[[1]]",
     "key.gaps[0]"),
    ([{"id": "1"}], "[[1]]", "key.gaps[0]"),
    ([{"id": "1", "accepted": ["Tổng", " tổng "]}], "[[1]]", "key.gaps[0].accepted[1]"),
    ([{"id": "1", "choices": ["a", "b"], "correct": "c"}], "[[1]]", "key.gaps[0].correct"),
    ([{"id": "1", "choices": ["a"], "correct": "a"}], "[[1]]", "key.gaps[0].choices"),
    ([{"id": "1", "choices": ["a", " A "], "correct": "a"}], "[[1]]",
     "key.gaps[0].choices[1].text"),
    ([{"id": "", "accepted": ["x"]}], "[[1]]", "key.gaps[0].id"),
    (["x"], "[[1]]", "key.gaps[0]"),
])
def test_markers_and_gaps_match_one_to_one(gaps: list, stem: str, field: str) -> None:
    assert field in {p.field for p in CLOZE.validate(item(gaps, stem))}


def test_view_lists_gaps_in_stem_order_without_keys() -> None:
    stem = "Giữ [[2]] rồi dùng hàm [[1]]."
    shown = CLOZE.candidate_view(item(GAPS[:2], stem), np.random.default_rng(0))
    view = shown["view"]
    assert view["stem"] == stem
    assert [g["id"] for g in view["gaps"]] == ["2", "1"]
    assert view["gaps"][1] == {"id": "1", "input": "text"}
    assert view["gaps"][0]["input"] == "select"
    assert shown["order"]["gaps"]["2"] == [o["id"] for o in view["gaps"][0]["options"]]


def test_options_always_shuffle_replayably_as_they_protect_the_key() -> None:
    """Issue 10, hole 1: options used to keep the authored order (right option first, as here)
    when the item's shuffle flag was off, so their position gave the key away."""
    for flag in (True, False):
        views = {tuple(CLOZE.candidate_view(item(shuffle=flag), np.random.default_rng(s))
                       ["order"]["gaps"]["2"]) for s in range(20)}
        assert len(views) > 1
    assert (CLOZE.candidate_view(item(), np.random.default_rng(4))
            == CLOZE.candidate_view(item(), np.random.default_rng(4)))
    preview = CLOZE.candidate_view(item(shuffle=False))
    assert preview == CLOZE.candidate_view(item(shuffle=False))


@pytest.mark.parametrize("response", [{"9": "x"}, {"2": "Fn"}, {"3": "Hà Nội"}, ["SUM"],
                                      {"1": ["SUM"]}])
def test_malformed_responses(response: object) -> None:
    with pytest.raises(InvalidResponse):
        CLOZE.normalise_response(response, item())


def test_key_description() -> None:
    assert CLOZE.describe_key(item()) == (
        "Đáp án các chỗ trống: [[1]]: «SUM»; [[2]]: «Ctrl» (chọn trong: Ctrl, Shift, Alt); "
        "[[3]]: «Hà Nội» (chọn trong: Hà Nội, Huế).")
