"""Excel import/export: round trips per type, errors named by sheet/row/cell, the template."""

from __future__ import annotations

import io
import time
from dataclasses import replace

import pytest
from openpyxl import Workbook, load_workbook

from item_bank import formats
from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats import FormatErrors
from item_bank.formats.excel import HEADERS
from item_bank.formats.excel_template import INSTRUCTION_SHEET, build_template, example_records
from tests.item_bank.fixtures.samples import CLOZE_WITH_IDS, nfd, sample


def workbook_bytes(rows: list[list[object]], headers: list[str] = HEADERS,
                   title: str = "Câu hỏi") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(**cells: object) -> list[object]:
    return [cells.get(h) for h in HEADERS]


@pytest.mark.parametrize("kind", list(ItemKind))
def test_every_type_round_trips_with_all_metadata(kind: ItemKind) -> None:
    record = sample(kind)
    exported = formats.write("excel", [record])
    assert exported.not_carried == []
    assert exported.filename.endswith(".xlsx")
    assert formats.read("excel", exported.data, exported.filename).records == [record]


def test_images_round_trip_through_the_attachment_sheet() -> None:
    big = bytes(range(256)) * 400  # > one cell of base64, so it is split over rows
    record = sample(ItemKind.SINGLE, media=True)
    record = replace(record, media={**record.media, "lon.bin": big})
    exported = formats.write("excel", [record, sample(ItemKind.ORDERING, media=True)])
    back = formats.read(None, exported.data, "ngan_hang.xlsx").records
    assert back == [record, sample(ItemKind.ORDERING, media=True)]


def test_nfd_text_is_normalised_to_nfc() -> None:
    record = sample(ItemKind.SINGLE)
    exported = formats.write("excel", [nfd(record)])
    assert formats.read("excel", exported.data, "x.xlsx").records == [record]


def test_relative_tolerance_case_sensitivity_and_all_or_nothing_round_trip() -> None:
    numeric = replace(sample(ItemKind.NUMERIC), content=replace(
        sample(ItemKind.NUMERIC).content,
        key={"value": 120.0, "tolerance": 0.07, "tolerance_kind": "relative"}))
    short = replace(sample(ItemKind.SHORT_ANSWER), content=replace(
        sample(ItemKind.SHORT_ANSWER).content,
        key={"accepted": ["Ctrl+Z"], "case_sensitive": True}))
    multiple = replace(sample(ItemKind.MULTIPLE), content=replace(
        sample(ItemKind.MULTIPLE).content, key={"correct": ["A", "C"],
                                                "scoring": "all_or_nothing"}))
    records = [numeric, short, multiple]
    exported = formats.write("excel", records)
    assert formats.read("excel", exported.data, "x.xlsx").records == records


def test_text_that_looks_like_a_formula_stays_text() -> None:
    record = ItemRecord(ItemContent(ItemKind.SHORT_ANSWER, "=SUM(A1:A3) trả về gì?",
                                    key={"accepted": ["=6"], "case_sensitive": False}))
    exported = formats.write("excel", [record])
    sheet = load_workbook(io.BytesIO(exported.data))["Câu hỏi"]
    assert sheet["F2"].data_type == "s"
    assert formats.read("excel", exported.data, "x.xlsx").records == [record]


def test_teacher_written_answers_are_understood() -> None:
    data = workbook_bytes([
        row(**{"Loại câu": "Đúng/Sai 4 ý", "Nội dung câu hỏi": "Xét các mệnh đề",
               "Phương án A": "a", "Phương án B": "b", "Phương án C": "c", "Phương án D": "d",
               "Đáp án": "Đ, S, đúng, sai"}),
        row(**{"Loại câu": "Điền số", "Nội dung câu hỏi": "Bao nhiêu?", "Đáp án": 42}),
        row(**{"Loại câu": "numeric", "Nội dung câu hỏi": "Bao nhiêu?", "Đáp án": "3,5 ± 0,01"}),
        row(**{"Loại câu": "Ghép đôi", "Nội dung câu hỏi": "Ghép", "Phương án A": "x",
               "Phương án B": "y", "Vế phải 1": "1", "Vế phải 2": "2", "Đáp án": "a–2; b-1",
               "Độ khó": "khó", "Thẻ": "một, hai"}),
    ])
    records = formats.read("excel", data, "gv.xlsx").records
    assert records[0].content.key == {"truth": {"A": True, "B": False, "C": True, "D": False}}
    assert records[1].content.key == {"value": 42.0, "tolerance": 0.0,
                                      "tolerance_kind": "absolute"}
    assert records[2].content.key["tolerance"] == 0.01
    assert records[3].content.key == {"pairs": {"A": "2", "B": "1"}}
    assert records[3].difficulty == "hard" and records[3].tags == ("một", "hai")


def test_every_error_of_the_sheet_is_reported_with_row_and_cell() -> None:
    data = workbook_bytes([
        row(**{"Loại câu": "Một lựa chọn", "Nội dung câu hỏi": "Thiếu đáp án",
               "Phương án A": "x", "Phương án B": "y"}),
        row(**{"Loại câu": "Một lựa chọn", "Nội dung câu hỏi": "Đáp án ngoài khoảng",
               "Phương án A": "x", "Phương án B": "y", "Đáp án": "E"}),
        row(**{"Loại câu": "Tự luận", "Nội dung câu hỏi": "Loại lạ", "Đáp án": "A"}),
        row(**{"Loại câu": "Đúng/Sai 4 ý", "Nội dung câu hỏi": "Thiếu ý",
               "Phương án A": "a", "Phương án B": "b", "Phương án C": "c", "Phương án D": "d",
               "Đáp án": "Đ,S,Đ"}),
        row(**{"Loại câu": "Nhiều lựa chọn", "Nội dung câu hỏi": "Ô trống ở giữa",
               "Phương án A": "a", "Phương án C": "c", "Đáp án": "A,C", "Độ khó": "rất khó"}),
        row(**{"Loại câu": "Một lựa chọn", "Phương án A": "a", "Phương án B": "b",
               "Đáp án": "A"}),
    ])
    with pytest.raises(FormatErrors) as caught:
        formats.read("excel", data, "loi.xlsx")
    issues = caught.value.issues
    found = {(i.location, i.field) for i in issues}
    assert len(found) == len(issues), "each problem is reported once"
    assert ("sheet Câu hỏi, hàng 2, ô S2", "key") in found
    assert ("sheet Câu hỏi, hàng 3, ô S3", "key") in found
    assert ("sheet Câu hỏi, hàng 4, ô B4", "kind") in found
    assert ("sheet Câu hỏi, hàng 5, ô S5", "key") in found
    assert ("sheet Câu hỏi, hàng 6, ô H6", "choices") in found
    assert ("sheet Câu hỏi, hàng 6, ô E6", "difficulty") in found
    assert ("sheet Câu hỏi, hàng 7, ô F7", "stem") in found
    assert all(i.file == "loi.xlsx" and i.message_vi and i.message_en for i in issues)
    out_of_range = next(i for i in issues if i.location.endswith("S3"))
    assert "“E”" in out_of_range.message_vi and "A, B" in out_of_range.message_vi


def test_missing_columns_and_missing_sheet_are_clear_errors() -> None:
    with pytest.raises(FormatErrors) as caught:
        formats.read("excel", workbook_bytes([], headers=["Mã câu", "Loại câu"]), "a.xlsx")
    assert "Nội dung câu hỏi" in caught.value.issues[0].message_vi
    with pytest.raises(FormatErrors) as caught:
        formats.read("excel", workbook_bytes([], title="Sheet1"), "b.xlsx")
    assert caught.value.issues[0].location == "sheet Câu hỏi"


def test_a_broken_file_is_refused_and_nothing_imported() -> None:
    with pytest.raises(FormatErrors) as caught:
        formats.read("excel", b"PK\x03\x04 not really a zip", "hong.xlsx")
    assert caught.value.issues[0].file == "hong.xlsx"
    assert caught.value.issues[0].field == "zip"


def test_more_options_than_columns_is_reported_not_dropped() -> None:
    parts = tuple(Part(chr(65 + i), f"pa {i}") for i in range(7))
    record = ItemRecord(ItemContent(ItemKind.SINGLE, "Bảy phương án", parts, key={"correct": "A"}))
    exported = formats.write("excel", [record, sample(ItemKind.SINGLE)])
    assert [(i.location, i.field) for i in exported.not_carried] == [("câu 1", "choices")]
    assert len(formats.read("excel", exported.data, "x.xlsx").records) == 1


def test_the_template_explains_every_column_and_imports_its_examples() -> None:
    data = build_template()
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Câu hỏi", INSTRUCTION_SHEET]
    guide_text = " ".join(str(c) for r in book[INSTRUCTION_SHEET].iter_rows(values_only=True)
                          for c in r if c)
    for header in HEADERS:
        name = header.rsplit(" ", 1)[0] if header[-1] in "ABCDEF123456" else header
        assert name in guide_text, header
    assert formats.read("excel", data, "mau.xlsx").records == example_records()


@pytest.mark.slow
def test_ten_thousand_rows_import_well_under_a_minute() -> None:
    record = sample(ItemKind.SINGLE)
    records = [replace(record, external_id=f"Q{i:05d}") for i in range(10_000)]
    data = formats.write("excel", records).data
    start = time.perf_counter()
    back = formats.read("excel", data, "lon.xlsx").records
    elapsed = time.perf_counter() - start
    print(f"\n10,000-row Excel import: {elapsed:.2f} s")
    assert back == records
    assert elapsed < 60


def test_cloze_option_ids_and_case_sensitivity_are_reported() -> None:
    record = CLOZE_WITH_IDS
    exported = formats.write("excel", [record])
    assert [(i.location, i.field) for i in exported.not_carried] == [("câu 1", "key")] * 2
    back = formats.read("excel", exported.data, "x.xlsx").records[0]
    assert back.content.key == {"gaps": [
        {"id": "a", "accepted": ["Ctrl+C"]},
        {"id": "b", "choices": ["Ctrl+V", "Ctrl+X"], "correct": "Ctrl+V"}]}


def test_a_repeated_item_id_is_a_warning_naming_both_rows() -> None:
    record = sample(ItemKind.SINGLE)
    result = formats.read("excel", formats.write("excel", [record, record]).data, "x.xlsx")
    assert len(result.records) == 2
    assert [(w.location, w.field) for w in result.warnings] == [
        ("sheet Câu hỏi, hàng 3", "external_id")]
    assert "hàng 2" in result.warnings[0].message_vi
