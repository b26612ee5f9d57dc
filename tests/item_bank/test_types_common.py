"""What every item type promises: a registry entry, a clean sample, a view without the key,
zero for a blank response, replayable shuffles."""

from __future__ import annotations

import json

import numpy as np
import pytest

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.types import ITEM_TYPES, InvalidResponse, ItemType, item_type


def parts(*texts: str, ids: str = "ABCDEFGH") -> tuple[Part, ...]:
    return tuple(Part(part_id, text) for part_id, text in zip(ids, texts, strict=False))


SAMPLES: dict[ItemKind, ItemContent] = {
    ItemKind.SINGLE: ItemContent(
        ItemKind.SINGLE, "Tổ hợp phím nào hoàn tác thao tác vừa làm?",
        parts("Ctrl+C", "Ctrl+Z", "Ctrl+V", "Ctrl+X"), key={"correct": "B"},
        feedback="Ctrl+Z là lệnh Undo."),
    ItemKind.MULTIPLE: ItemContent(
        ItemKind.MULTIPLE, "Những thiết bị nào là thiết bị vào?",
        parts("Bàn phím", "Màn hình", "Chuột", "Máy in"),
        key={"correct": ["A", "C"], "scoring": "partial"}, points=2.0),
    ItemKind.TRUE_FALSE4: ItemContent(
        ItemKind.TRUE_FALSE4, "Về bảng tính Excel:",
        parts("Hàm SUM tính tổng.", "Ô A1 nằm ở cột 1, hàng A.", "Có thể đổi tên trang tính.",
              "Một tệp chỉ có một trang tính."),
        key={"truth": {"A": True, "B": False, "C": True, "D": False}}),
    ItemKind.MATCHING: ItemContent(
        ItemKind.MATCHING, "Ghép phần mềm với công dụng:",
        parts("Word", "Excel", "PowerPoint"),
        targets=parts("Soạn thảo văn bản", "Bảng tính", "Trình chiếu", "Vẽ ảnh",
                      ids="WXYZ"),
        key={"pairs": {"A": "W", "B": "X", "C": "Y"}}),
    ItemKind.ORDERING: ItemContent(
        ItemKind.ORDERING, "Sắp xếp các bước chèn biểu đồ:",
        parts("Chọn vùng dữ liệu", "Vào thẻ Insert", "Chọn loại biểu đồ", "Chỉnh tiêu đề"),
        key={"order": ["A", "B", "C", "D"]}),
    ItemKind.SHORT_ANSWER: ItemContent(
        ItemKind.SHORT_ANSWER, "Tổ hợp phím dùng để lưu tệp là gì?",
        key={"accepted": ["Ctrl+S", "Ctrl S"]}),
    ItemKind.NUMERIC: ItemContent(
        ItemKind.NUMERIC, "Kết quả của =ROUND(3,456;1) là bao nhiêu?",
        key={"value": 3.5, "tolerance": 0.01, "tolerance_kind": "absolute"}),
    ItemKind.CLOZE: ItemContent(
        ItemKind.CLOZE, "Hàm [[1]] tính tổng; phím [[2]] chọn nhiều ô rời nhau.",
        key={"gaps": [{"id": "1", "accepted": ["SUM"]},
                      {"id": "2", "choices": ["Ctrl", "Shift", "Alt"], "correct": "Ctrl"}]}),
}

# key field names and key values a candidate must never receive
KEY_FIELDS = ("correct", "truth", "pairs", "accepted", "value", "tolerance", "scoring",
              "feedback", "Undo")
SECRET_VALUES = {ItemKind.SHORT_ANSWER: ["Ctrl+S", "Ctrl S"],
                 ItemKind.NUMERIC: ["3.5", "3,5", "0.01"],
                 ItemKind.CLOZE: ["SUM"]}


def view_json(kind: ItemKind, seed: int | None = 1) -> str:
    rng = None if seed is None else np.random.default_rng(seed)
    return json.dumps(item_type(kind).candidate_view(SAMPLES[kind], rng)["view"],
                      ensure_ascii=False)


def test_registry_has_one_type_per_kind() -> None:
    assert set(ITEM_TYPES) == set(ItemKind)
    for kind, handler in ITEM_TYPES.items():
        assert isinstance(handler, ItemType) and handler.kind == kind
    assert item_type("cloze") is ITEM_TYPES[ItemKind.CLOZE]
    with pytest.raises(ValueError, match="unknown item kind"):
        item_type("essay")


@pytest.mark.parametrize("kind", list(ItemKind))
def test_samples_validate_clean(kind: ItemKind) -> None:
    assert item_type(kind).validate(SAMPLES[kind]) == []


@pytest.mark.parametrize("seed", [None, 1, 2])
@pytest.mark.parametrize("kind", list(ItemKind))
def test_candidate_view_never_contains_the_key(kind: ItemKind, seed: int | None) -> None:
    serialised = view_json(kind, seed)
    for name in KEY_FIELDS:
        assert f'"{name}"' not in serialised and name not in serialised
    for secret in SECRET_VALUES.get(kind, []):
        assert secret not in serialised
    view = json.loads(serialised)
    for part in view.get("choices", []) + view.get("targets", []):
        assert set(part) == {"id", "text"}


@pytest.mark.parametrize("kind", list(ItemKind))
def test_order_lists_the_ids_shown(kind: ItemKind) -> None:
    shown = item_type(kind).candidate_view(SAMPLES[kind], np.random.default_rng(5))
    for field in ("choices", "targets"):
        if field in shown["view"]:
            assert shown["order"][field] == [p["id"] for p in shown["view"][field]]


@pytest.mark.parametrize("kind", list(ItemKind))
def test_same_seed_same_view(kind: ItemKind) -> None:
    assert view_json(kind, 42) == view_json(kind, 42)


@pytest.mark.parametrize("blank", [None, "", "   ", [], {}])
@pytest.mark.parametrize("kind", list(ItemKind))
def test_blank_response_scores_zero(kind: ItemKind, blank: object) -> None:
    handler = item_type(kind)
    assert handler.normalise_response(blank, SAMPLES[kind]) is None
    assert handler.score(SAMPLES[kind], blank) == 0.0


@pytest.mark.parametrize("kind", list(ItemKind))
def test_max_score_is_the_points_and_key_is_described(kind: ItemKind) -> None:
    handler = item_type(kind)
    assert handler.max_score(SAMPLES[kind]) == SAMPLES[kind].points
    description = handler.describe_key(SAMPLES[kind])
    assert description and description.endswith(".")


@pytest.mark.parametrize("kind", list(ItemKind))
def test_wrong_kind_and_bad_common_fields_are_problems(kind: ItemKind) -> None:
    other = ItemKind.CLOZE if kind != ItemKind.CLOZE else ItemKind.SINGLE
    sample = SAMPLES[kind]
    broken = ItemContent(other, "  ", sample.choices, sample.targets, sample.key, points=0)
    fields = {problem.field for problem in item_type(kind).validate(broken)}
    assert {"kind", "stem", "points"} <= fields


@pytest.mark.parametrize("kind", list(ItemKind))
def test_invalid_response_carries_a_vietnamese_message(kind: ItemKind) -> None:
    with pytest.raises(InvalidResponse) as raised:
        item_type(kind).normalise_response(object(), SAMPLES[kind])
    assert raised.value.message_vi and raised.value.message_en


@pytest.mark.parametrize("kind", list(ItemKind))
def test_normalising_twice_changes_nothing(kind: ItemKind) -> None:
    responses = {ItemKind.SINGLE: "B", ItemKind.MULTIPLE: ["C", "A"],
                 ItemKind.TRUE_FALSE4: {"B": "sai", "A": True},
                 ItemKind.MATCHING: {"B": "X", "A": "W"}, ItemKind.ORDERING: ["B", "A", "C", "D"],
                 ItemKind.SHORT_ANSWER: "  ctrl+s ", ItemKind.NUMERIC: "3,5",
                 ItemKind.CLOZE: {"2": "Ctrl", "1": " sum"}}
    handler = item_type(kind)
    once = handler.normalise_response(responses[kind], SAMPLES[kind])
    assert handler.normalise_response(once, SAMPLES[kind]) == once
    assert json.loads(json.dumps(once)) == once  # stored as JSON as it is


MALFORMED = [None, 1, "A", ["A"], {"A": "B"}, [{"id": 1}], float("nan"), [None], {1: 2}]
KEY_FIELD_NAMES = ["correct", "truth", "pairs", "order", "accepted", "value", "tolerance",
                   "tolerance_kind", "scoring", "gaps", "case_sensitive"]


@pytest.mark.parametrize("kind", list(ItemKind))
def test_validate_reports_malformed_keys_instead_of_raising(kind: ItemKind) -> None:
    sample = SAMPLES[kind]
    for name in KEY_FIELD_NAMES:
        for value in MALFORMED:
            for key in ({name: value}, {"gaps": [{"id": "1", name: value, "choices": value}]}):
                content = ItemContent(kind, "Câu [[1]]", sample.choices, sample.targets, key)
                assert isinstance(item_type(kind).validate(content), list)
    assert item_type(kind).validate(ItemContent(kind, "x", key=["not", "a", "mapping"])) != []
