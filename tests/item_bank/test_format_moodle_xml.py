"""Moodle XML: round trips for every type, Moodle's own exports, images, XML attacks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from item_bank import formats
from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats import FormatErrors
from tests.item_bank.fixtures.samples import CLOZE_WITH_IDS, PNG, keep_only, nfd, sample

FIXTURES = Path(__file__).parent / "fixtures"
CARRIED = {"external_id", "title", "module", "code", "subject", "grade", "tags", "feedback",
           "points", "shuffle", "media"}


def moodle_sample(kind: ItemKind, media: bool = False) -> ItemRecord:
    record = sample(kind, media=media)
    content = record.content
    if kind is ItemKind.MATCHING:  # Moodle keeps the right-hand column in first-use order
        content = replace(content, targets=(Part("1", "Sao chép"), Part("2", "Dán"),
                                            Part("3", "Hoàn tác")),
                          key={"pairs": {"A": "1", "B": "2", "C": "3"}})
    if kind is ItemKind.ORDERING:  # Moodle stores the items in their correct order
        content = replace(content, key={"order": ["A", "B", "C"]})
    if kind not in (ItemKind.SINGLE, ItemKind.MULTIPLE, ItemKind.MATCHING, ItemKind.TRUE_FALSE4):
        content = replace(content, shuffle=True)  # only Moodle's choice types have the setting
    return replace(record, content=content)


@pytest.mark.parametrize("kind", list(ItemKind))
def test_every_type_round_trips(kind: ItemKind) -> None:
    record = moodle_sample(kind)
    exported = formats.write("moodle_xml", [record])
    assert {i.field for i in exported.not_carried} == {"difficulty"}
    back = formats.read("moodle_xml", exported.data, exported.filename).records
    assert back == [keep_only(record, CARRIED)]


@pytest.mark.parametrize("kind", [ItemKind.SINGLE, ItemKind.CLOZE, ItemKind.MATCHING])
def test_images_travel_as_pluginfile_attachments(kind: ItemKind) -> None:
    record = moodle_sample(kind, media=True)
    exported = formats.write("moodle_xml", [record])
    assert b"@@PLUGINFILE@@/hinh_1.png" in exported.data
    assert b'<file name="hinh_1.png" path="/" encoding="base64">' in exported.data
    back = formats.read("moodle_xml", exported.data, "x.xml").records
    assert back == [keep_only(record, CARRIED)]
    assert back[0].media == {"hinh_1.png": PNG}


def test_all_or_nothing_case_sensitivity_and_plain_text_escaping_round_trip() -> None:
    records = [
        ItemRecord(ItemContent(ItemKind.MULTIPLE, "a < b & c > d?",
                               (Part("A", "x <= y"), Part("B", "AT&amp;T")),
                               key={"correct": ["A", "B"], "scoring": "all_or_nothing"})),
        ItemRecord(ItemContent(ItemKind.SHORT_ANSWER, "<p>HTML <b>giữ nguyên</b></p>",
                               key={"accepted": ["Ctrl+Z"], "case_sensitive": True})),
    ]
    exported = formats.write("moodle_xml", records)
    assert b'type="multichoiceset"' in exported.data
    assert formats.read("moodle_xml", exported.data, "x.xml").records == records


def test_nfd_input_is_normalised() -> None:
    record = moodle_sample(ItemKind.SINGLE)
    exported = formats.write("moodle_xml", [nfd(record)])
    assert formats.read("moodle_xml", exported.data, "x.xml").records == [
        keep_only(record, CARRIED)]


def test_what_moodle_cannot_carry_is_reported() -> None:
    numeric = replace(sample(ItemKind.NUMERIC), content=replace(
        sample(ItemKind.NUMERIC).content,
        key={"value": 200.0, "tolerance": 0.05, "tolerance_kind": "relative"}))
    exported = formats.write("moodle_xml", [numeric, sample(ItemKind.ORDERING),
                                            sample(ItemKind.MATCHING)])
    found = {(i.location, i.field) for i in exported.not_carried}
    assert ("câu 1 (IU04-007)", "tolerance_kind") in found
    assert ("câu 2 (IU04-005)", "choices") in found
    assert ("câu 3 (IU04-004)", "targets") in found
    back = formats.read("moodle_xml", exported.data, "x.xml").records
    assert back[0].content.key == {"value": 200.0, "tolerance": 10.0,
                                   "tolerance_kind": "absolute"}


def test_a_moodle_export_is_read_with_its_images_and_cloze() -> None:
    result = formats.read(None, (FIXTURES / "moodle_sample.xml").read_bytes(), "moodle_sample.xml")
    records = result.records
    assert [r.content.kind for r in records] == [
        ItemKind.SINGLE, ItemKind.SINGLE, ItemKind.MATCHING, ItemKind.SHORT_ANSWER,
        ItemKind.NUMERIC, ItemKind.CLOZE]
    first = records[0]
    assert first.content.stem == '<p>Hàm nào tính tổng?</p><p><img src="hình 1.png" alt="" /></p>'
    assert first.media == {"hình 1.png": b"\x89PNG\r\n\x1a\n"}
    assert first.module == "IU04" and first.subject == "Tin học" and first.tags == ("hàm",)
    assert first.external_id == "M-01" and first.title == "Hàm tổng"
    assert [p.text for p in first.content.choices] == ["SUM", "AVERAGE", "A < B"]
    assert records[1].content.key == {"correct": "A"}
    assert [p.text for p in records[1].content.choices] == ["Đúng", "Sai"]
    assert [p.text for p in records[2].content.targets] == ["Sao chép", "Dán", "In"]
    assert records[3].content.key == {"accepted": ["Ctrl+Z"], "case_sensitive": True}
    assert records[4].content.key == {"value": 2.0, "tolerance": 0.5,
                                      "tolerance_kind": "absolute"}
    assert records[5].content.stem == "<p>Hàm [[1]] cộng; [[2]] là thủ đô.</p>"
    assert records[5].content.key == {"gaps": [
        {"id": "1", "accepted": ["SUM"]},
        {"id": "2", "choices": ["Huế", "Hà Nội", "Đà Nẵng"], "correct": "Hà Nội"}]}
    warned = {(w.location, w.field) for w in result.warnings}
    assert ("/quiz/question[5]/answer[2]", "answer") in warned
    assert ("/quiz/question[8]", "type") in warned


def test_all_errors_are_reported_with_their_xml_path() -> None:
    with pytest.raises(FormatErrors) as caught:
        formats.read("moodle_xml", (FIXTURES / "moodle_errors.xml").read_bytes(),
                     "moodle_errors.xml")
    found = [(i.location, i.field) for i in caught.value.issues]
    assert found == [
        ("/quiz/question[1]", "key"),
        ("/quiz/question[2]/answer[1]", "key"),
        ("/quiz/question[3]/questiontext", "key"),
        ("/quiz/question[4]", "type"),
        ("/quiz/question[5]", "stem"),
    ]
    assert {i.file for i in caught.value.issues} == {"moodle_errors.xml"}


@pytest.mark.parametrize("name", ["xml_billion_laughs.xml", "xml_external_entity.xml"])
def test_doctype_and_entities_are_refused(name: str) -> None:
    with pytest.raises(FormatErrors) as caught:
        formats.read("moodle_xml", (FIXTURES / name).read_bytes(), name)
    issue = caught.value.issues[0]
    assert issue.file == name and issue.field == "xml" and "DOCTYPE" in issue.message_vi


def test_malformed_xml_names_line_and_column() -> None:
    with pytest.raises(FormatErrors) as caught:
        formats.read("moodle_xml", b"<quiz>\n<question type='x'>\n</quiz>", "hong.xml")
    assert caught.value.issues[0].location.startswith("dòng 3")


def test_the_root_must_be_quiz() -> None:
    with pytest.raises(FormatErrors) as caught:
        formats.read("moodle_xml", b"<html/>", "a.xml")
    assert caught.value.issues[0].location == "/html"


def test_cloze_case_sensitivity_round_trips_and_gap_and_option_ids_are_reported() -> None:
    record = CLOZE_WITH_IDS
    exported = formats.write("moodle_xml", [record])
    assert b"{1:SHORTANSWER_C:=Ctrl+C}" in exported.data
    assert [(i.location, i.field) for i in exported.not_carried] == [("câu 1", "key")] * 2
    back = formats.read("moodle_xml", exported.data, "x.xml").records[0]
    assert back.content.key == {"gaps": [
        {"id": "1", "accepted": ["Ctrl+C"], "case_sensitive": True},
        {"id": "2", "choices": ["Ctrl+V", "Ctrl+X"], "correct": "Ctrl+V"}]}
