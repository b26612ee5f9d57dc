"""The registry: detection, and that each format's declared types are exactly what it writes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from item_bank import formats
from item_bank.content import ItemKind
from item_bank.formats import FORMATS, FormatErrors
from tests.item_bank.fixtures.samples import sample


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_declared_types_are_written_and_the_others_reported(fmt: str) -> None:
    info = FORMATS[fmt]
    records = [sample(kind) for kind in ItemKind]
    exported = formats.write(fmt, records)
    assert exported.filename.endswith(info.extension)
    refused_kinds = {records[int(i.location.split()[1]) - 1].content.kind
                     for i in exported.not_carried if i.field == "kind"}
    assert refused_kinds == set(ItemKind) - info.kinds
    back = formats.read(fmt, exported.data, exported.filename).records
    assert sorted(r.content.kind for r in back) == sorted(info.kinds)


@pytest.mark.parametrize(("filename", "data", "expected"), [
    ("bank.xlsx", b"PK\x03\x04", "excel"),
    ("cau_hoi.gift", b"", "gift"),
    ("cau_hoi.txt", "Câu?{=a ~b}".encode(), "gift"),
    ("cau_hoi.txt", "Câu?\nA. a\nB. b\nANSWER: A\n".encode(), "aiken"),
    ("quiz.xml", b"<?xml version='1.0'?><quiz/>", "moodle_xml"),
])
def test_format_is_detected_from_name_and_content(filename: str, data: bytes,
                                                  expected: str) -> None:
    assert formats.detect(data, filename) == expected


def test_an_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(FormatErrors) as caught:
        formats.read("word", b"", "de.docx")
    assert caught.value.issues[0].file == "de.docx"
    assert "word" in caught.value.issues[0].message_vi


def test_an_export_with_nothing_to_carry_is_still_reported() -> None:
    exported = formats.write("aiken", [sample(ItemKind.CLOZE)])
    assert exported.data == b""
    assert [i.field for i in exported.not_carried] == ["kind"]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_structurally_broken_items_are_reported_not_written(fmt: str) -> None:
    bad_single = replace(sample(ItemKind.SINGLE), content=replace(
        sample(ItemKind.SINGLE).content, key={"correct": "Z"}))
    bad_cloze = replace(sample(ItemKind.CLOZE), content=replace(
        sample(ItemKind.CLOZE).content,
        key={"gaps": [{"id": "1", "accepted": ["SUM"]},
                      {"id": "2", "choices": ["a", "b"], "correct": "c"}]}))
    exported = formats.write(fmt, [bad_single, bad_cloze, sample(ItemKind.SINGLE)])
    keys = [(i.location, i.field) for i in exported.not_carried if i.field == "key"]
    assert keys == [("câu 1 (IU04-001)", "key"), ("câu 2 (IU04-008)", "key")]
    assert len(formats.read(fmt, exported.data, exported.filename).records) == 1
