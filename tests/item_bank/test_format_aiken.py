"""Aiken: single choice only; encodings; every error with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from item_bank import formats
from item_bank.content import ItemKind
from item_bank.formats import FormatErrors
from tests.item_bank.fixtures.samples import VI_ALL, keep_only, nfd, sample

FIXTURES = Path(__file__).parent / "fixtures"


def test_single_choice_round_trips_with_every_diacritic() -> None:
    record = sample(ItemKind.SINGLE)
    exported = formats.write("aiken", [record])
    back = formats.read("aiken", exported.data, exported.filename).records
    assert back == [keep_only(record, set())]
    assert VI_ALL in back[0].content.stem


def test_nfd_input_is_normalised() -> None:
    record = sample(ItemKind.SINGLE)
    exported = formats.write("aiken", [nfd(record)])
    assert formats.read("aiken", exported.data, "x.txt").records == [keep_only(record, set())]


def test_what_aiken_cannot_carry_is_reported_per_item() -> None:
    records = [sample(kind) for kind in ItemKind]
    exported = formats.write("aiken", records)
    kinds = [i for i in exported.not_carried if i.field == "kind"]
    assert [i.location for i in kinds] == [f"câu {n} (IU04-00{n})" for n in range(2, 9)]
    fields = {i.field for i in exported.not_carried if i.location == "câu 1 (IU04-001)"}
    assert fields == {"external_id", "title", "module", "code", "subject", "grade", "tags",
                      "difficulty", "feedback", "points", "shuffle"}
    assert len(formats.read("aiken", exported.data, "x.txt").records) == 1


def test_bom_crlf_parenthesised_options_and_multiline_stems_are_read() -> None:
    records = formats.read(None, (FIXTURES / "aiken_ok.txt").read_bytes(), "aiken_ok.txt").records
    assert [r.content.key for r in records] == [{"correct": "B"}, {"correct": "A"}]
    assert records[0].content.stem == "Hàm nào tính tổng các ô?"
    assert records[1].content.stem == "Phím tắt sao chép là gì?\nCâu hỏi có hai dòng."
    assert [p.text for p in records[0].content.choices] == ["AVERAGE", "SUM", "COUNT"]


def test_a_legacy_encoding_is_refused_naming_file_and_lines() -> None:
    with pytest.raises(FormatErrors) as caught:
        formats.read("aiken", (FIXTURES / "aiken_cp1258.txt").read_bytes(), "aiken_cp1258.txt")
    issues = caught.value.issues
    assert {i.file for i in issues} == {"aiken_cp1258.txt"}
    assert [i.location for i in issues] == ["dòng 1", "dòng 6", "dòng 7"]
    assert all(i.field == "encoding" and "UTF-8" in i.message_vi for i in issues)


def test_all_errors_of_the_file_are_reported_together() -> None:
    with pytest.raises(FormatErrors) as caught:
        formats.read("aiken", (FIXTURES / "aiken_errors.txt").read_bytes(), "aiken_errors.txt")
    found = [(i.location, i.field) for i in caught.value.issues]
    assert found == [("dòng 1", "answer"), ("dòng 8", "answer"), ("dòng 12", "choices")]
    assert "“E”" in caught.value.issues[1].message_vi


def test_an_empty_file_is_an_error() -> None:
    with pytest.raises(FormatErrors):
        formats.read("aiken", b"\n\n", "rong.txt")
