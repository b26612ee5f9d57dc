"""GIFT: round trips per type it carries, Moodle's syntax read as Moodle reads it, all errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from item_bank import formats
from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats import FormatErrors
from tests.item_bank.fixtures.samples import VI_ALL, keep_only, nfd, sample

FIXTURES = Path(__file__).parent / "fixtures"
CARRIED = {"external_id", "title", "module", "code", "subject", "grade", "tags", "feedback"}
KINDS = [ItemKind.SINGLE, ItemKind.MULTIPLE, ItemKind.TRUE_FALSE4, ItemKind.MATCHING,
         ItemKind.SHORT_ANSWER, ItemKind.NUMERIC]


def gift_sample(kind: ItemKind) -> ItemRecord:
    record = sample(kind)
    if kind is ItemKind.MATCHING:  # GIFT keeps the right-hand column in first-use order
        record = replace(record, content=replace(
            record.content, targets=(Part("1", "Sao chép"), Part("2", "Dán"),
                                     Part("3", "Hoàn tác")),
            key={"pairs": {"A": "1", "B": "2", "C": "3"}}))
    return record


@pytest.mark.parametrize("kind", KINDS)
def test_every_carried_type_round_trips(kind: ItemKind) -> None:
    record = gift_sample(kind)
    exported = formats.write("gift", [record])
    assert {i.field for i in exported.not_carried} == {"difficulty", "points", "shuffle"}
    back = formats.read("gift", exported.data, exported.filename).records
    assert back == [keep_only(record, CARRIED)]


def test_special_characters_and_diacritics_survive_escaping() -> None:
    tricky = "Dấu ~ = # { } : \\ và xuống dòng\nhai " + VI_ALL
    record = ItemRecord(ItemContent(
        ItemKind.SINGLE, tricky, (Part("A", "a = b"), Part("B", "{x} ~ #1: \\n")),
        key={"correct": "B"}, feedback="Vì: {lý do} = #1"), title="Tiêu đề: có dấu {}")
    exported = formats.write("gift", [record])
    assert formats.read("gift", exported.data, "x.gift").records == [record]


def test_nfd_input_is_normalised_and_html_stems_keep_their_markup() -> None:
    record = sample(ItemKind.SINGLE, media=True)
    exported = formats.write("gift", [nfd(record)])
    assert {i.field for i in exported.not_carried} >= {"media"}
    back = formats.read("gift", exported.data, "x.gift").records
    assert back == [keep_only(record, CARRIED)]


def test_what_gift_cannot_carry_is_reported_per_item() -> None:
    all_or_nothing = replace(sample(ItemKind.MULTIPLE), content=replace(
        sample(ItemKind.MULTIPLE).content, key={"correct": ["A"], "scoring": "all_or_nothing"}))
    exported = formats.write("gift", [sample(ItemKind.ORDERING), sample(ItemKind.CLOZE),
                                      all_or_nothing, sample(ItemKind.MATCHING)])
    found = {(i.location, i.field) for i in exported.not_carried}
    assert ("câu 1 (IU04-005)", "kind") in found
    assert ("câu 2 (IU04-008)", "kind") in found
    assert ("câu 3 (IU04-002)", "scoring") in found
    assert ("câu 4 (IU04-004)", "targets") in found
    assert len(formats.read("gift", exported.data, "x.gift").records) == 2


def test_moodle_style_file_is_read_like_moodle_reads_it() -> None:
    result = formats.read(None, (FIXTURES / "gift_moodle.gift").read_bytes(), "gift_moodle.gift")
    records = result.records
    assert [r.content.kind for r in records] == [
        ItemKind.SINGLE, ItemKind.SINGLE, ItemKind.MULTIPLE, ItemKind.SHORT_ANSWER,
        ItemKind.NUMERIC, ItemKind.NUMERIC, ItemKind.MATCHING]
    first = records[0]
    assert first.external_id == "G-01" and first.tags == ("hàm", "SUM")
    assert first.title == "Hàm tổng" and first.module == "IU04" and first.subject == "Tin học"
    assert first.content.stem == "<p>Hàm nào tính <b>tổng</b>?</p>"
    assert first.content.key == {"correct": "A"}
    assert first.content.feedback == "Hàm SUM cộng các giá trị."
    assert [p.text for p in records[1].content.choices] == ["Đúng", "Sai"]
    assert records[2].content.stem == "Những trình duyệt web là _____ trên máy tính."
    assert records[2].content.key == {"correct": ["A", "B"], "scoring": "partial"}
    assert records[3].content.stem.startswith("Dấu hai chấm : và dấu bằng = được viết thoát; "
                                              "dấu ngoặc { } và ~ # cũng vậy.")
    assert records[3].content.key["accepted"] == ["a=b", "a : b"]
    assert records[4].content.key == {"value": 1985.0, "tolerance": 2.0,
                                      "tolerance_kind": "absolute"}
    assert records[5].content.key == {"value": 100.0, "tolerance": 1.0,
                                      "tolerance_kind": "absolute"}
    assert records[6].content.key == {"pairs": {"A": "1", "B": "2", "C": "3"}}
    warned = {(w.location, w.field) for w in result.warnings}
    assert ("dòng 5", "feedback") in warned  # per-answer feedback is not kept
    assert any(w.field == "kind" for w in result.warnings)  # the essay is skipped, said so


def test_all_errors_of_the_file_are_reported_together() -> None:
    with pytest.raises(FormatErrors) as caught:
        formats.read("gift", (FIXTURES / "gift_errors.gift").read_bytes(), "gift_errors.gift")
    found = [(i.location, i.field) for i in caught.value.issues]
    assert found == [("dòng 1", "answers"), ("dòng 3", "answers"), ("dòng 5", "answers"),
                     ("dòng 7", "answers"), ("dòng 9", "answers")]
    assert {i.file for i in caught.value.issues} == {"gift_errors.gift"}


def test_a_legacy_encoding_is_refused() -> None:
    data = "Thủ đô?{=Hà Nội ~Huế}".encode("cp1258", errors="replace") + b"\xe0\n"
    with pytest.raises(FormatErrors) as caught:
        formats.read("gift", data, "cu.gift")
    assert caught.value.issues[0].location == "dòng 1"
    assert caught.value.issues[0].field == "encoding"
