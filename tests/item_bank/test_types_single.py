"""Single choice: full or nothing, one existing correct id, shuffles that map back."""

from __future__ import annotations

import numpy as np
import pytest

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.types import InvalidResponse, item_type

SINGLE = item_type(ItemKind.SINGLE)
CHOICES = (Part("A", "Ctrl+C"), Part("B", "Ctrl+Z"), Part("C", "Ctrl+V"), Part("D", "Ctrl+X"))


def item(key: dict | None = None, choices: tuple[Part, ...] = CHOICES, **kw) -> ItemContent:
    return ItemContent(ItemKind.SINGLE, "Hoàn tác là tổ hợp phím nào?", choices,
                       key={"correct": "B"} if key is None else key, **kw)


@pytest.mark.parametrize(("response", "points"), [
    ("B", 2.0), (["B"], 2.0), ("A", 0.0), ("D", 0.0), (None, 0.0), ("", 0.0),
])
def test_full_or_nothing(response: object, points: float) -> None:
    assert SINGLE.score(item(points=2.0), response) == points


@pytest.mark.parametrize("response", ["E", 1, ["A", "B"], {"B": True}])
def test_malformed_responses_are_rejected(response: object) -> None:
    with pytest.raises(InvalidResponse):
        SINGLE.normalise_response(response, item())


def test_without_content_only_the_shape_is_checked() -> None:
    assert SINGLE.normalise_response("E") == "E"


@pytest.mark.parametrize(("key", "choices", "field"), [
    ({}, CHOICES, "key.correct"),
    ({"correct": "E"}, CHOICES, "key.correct"),
    ({"correct": ["A", "B"]}, CHOICES, "key.correct"),
    ({"correct": "A"}, CHOICES[:1], "choices"),
    ({"correct": "A"}, (Part("A", "x"), Part("A", "y")), "choices[1].id"),
    ({"correct": "A"}, (Part("A", "Hà Nội"), Part("B", "  hà   nội ")), "choices[1].text"),
    ({"correct": "A"}, (Part("A", "x"), Part("B", " ")), "choices[1].text"),
    ({"correct": "A"}, (Part("A", "x"), Part("", "y")), "choices[1].id"),
])
def test_validation_names_the_field(key: dict, choices: tuple[Part, ...], field: str) -> None:
    problems = SINGLE.validate(item(key, choices))
    assert field in {p.field for p in problems}
    assert all(p.message_vi and p.message_en for p in problems)


def test_a_stem_of_empty_markup_is_empty() -> None:
    content = ItemContent(ItemKind.SINGLE, "<p> </p><br>", CHOICES, key={"correct": "B"})
    assert [p.field for p in SINGLE.validate(content)] == ["stem"]


def test_markup_that_changes_meaning_is_not_a_duplicate() -> None:
    content = item({"correct": "A"}, (Part("A", "H<sub>2</sub>O"), Part("B", "H<sup>2</sup>O")))
    assert SINGLE.validate(content) == []


def test_image_only_choice_is_not_empty() -> None:
    media = "/media/" + "0" * 64 + ".png"
    content = item({"correct": "A"}, (Part("A", f'<img src="{media}">'), Part("B", "chữ")))
    assert SINGLE.validate(content) == []


def test_seeded_shuffle_is_replayable_and_maps_back() -> None:
    first = SINGLE.candidate_view(item(), np.random.default_rng(7))
    again = SINGLE.candidate_view(item(), np.random.default_rng(7))
    assert first == again
    order = first["order"]["choices"]
    assert sorted(order) == ["A", "B", "C", "D"]
    texts = {p.id: p.text for p in CHOICES}
    assert [c["text"] for c in first["view"]["choices"]] == [texts[i] for i in order]
    orders = {tuple(SINGLE.candidate_view(item(), np.random.default_rng(s))["order"]["choices"])
              for s in range(20)}
    assert len(orders) > 1


def test_no_shuffle_when_the_item_forbids_it_or_no_rng() -> None:
    in_place = ["A", "B", "C", "D"]
    assert SINGLE.candidate_view(item(shuffle=False),
                                 np.random.default_rng(7))["order"]["choices"] == in_place
    assert SINGLE.candidate_view(item())["order"]["choices"] == in_place


def test_key_description() -> None:
    assert SINGLE.describe_key(item()) == "Đáp án đúng: B (Ctrl+Z)."
