"""Importing files into the bank: every problem previewed, then all or nothing."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats import write
from item_bank.formats.excel_template import build_template, example_records
from item_bank.importing import ImportRefused, commit_import, preview_import
from item_bank.models import Item, ItemEvent, ItemStatus, ItemVersion


def excel(records) -> bytes:
    return write("excel", records).data


def test_template_imports_all_its_items_as_drafts_with_history(db, tt03):
    versions = commit_import(db, build_template(), "mau.xlsx", author_id=None)
    db.commit()
    assert [v.item.key for v in versions] == ["IU04-001", "IU06-001", "IU03-001"]
    assert all(v.status is ItemStatus.DRAFT for v in versions)
    assert db.scalar(select(func.count(ItemEvent.id)).where(ItemEvent.action == "created")) == 3
    assert all(v.search_text for v in versions)


def test_submit_option_puts_every_item_in_review(db, tt03):
    versions = commit_import(db, build_template(), "mau.xlsx", author_id=None, submit=True)
    assert {v.status for v in versions} == {ItemStatus.IN_REVIEW}


def test_preview_reports_every_error_of_a_bad_file_and_commit_imports_nothing(db, tt03):
    good, tf, short = example_records()
    unknown_module = replace(tf, external_id="X2", module="IU99", code="IU99.1")
    no_module = replace(short, external_id="X3", module=None,
                        content=replace(short.content, stem="Phím tắt lưu tệp là gì?"))
    wrong_code = replace(good, external_id="X4", code="IU06.4.1", content=replace(
        good.content, stem="Hàm nào đếm số ô có số trong vùng?"))
    data = excel([unknown_module, no_module, wrong_code])
    preview = preview_import(db, data, "loi.xlsx")
    assert not preview.ok and preview.format == "excel"
    assert {(e.location, e.field) for e in preview.errors} == {
        ("sheet Câu hỏi, hàng 2", "module"), ("sheet Câu hỏi, hàng 2", "code"),
        ("sheet Câu hỏi, hàng 3", "module"), ("sheet Câu hỏi, hàng 4", "code")}
    assert all(e.file == "loi.xlsx" and e.message_vi for e in preview.errors)
    assert "IU99" in preview.errors[0].message_vi
    with pytest.raises(ImportRefused) as refused:
        commit_import(db, data, "loi.xlsx", author_id=None)
    assert len(refused.value.errors) == len(preview.errors)
    db.rollback()
    assert db.scalar(select(func.count(Item.id))) == 0


def _break_cells(data: bytes, changes: dict[tuple[int, str], str]) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Câu hỏi"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    for (row, header), value in changes.items():
        sheet.cell(row=row, column=headers[header], value=value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_every_unreadable_row_is_reported_with_its_cell(db, tt03):
    data = _break_cells(build_template(), {(2, "Đáp án"): "Z", (3, "Loại câu"): "Tự luận"})
    preview = preview_import(db, data, "hong.xlsx")
    assert not preview.ok and preview.rows == []
    rows = {e.location.split(",")[1].strip() for e in preview.errors}
    assert {"hàng 2", "hàng 3"} <= rows
    with pytest.raises(ImportRefused):
        commit_import(db, data, "hong.xlsx", author_id=None)
    assert db.scalar(select(func.count(Item.id))) == 0


def test_unreadable_file_is_an_error_not_an_exception(db, tt03):
    preview = preview_import(db, b"PK\x03\x04 not really a zip", "hong.xlsx")
    assert not preview.ok and preview.rows == []


def test_exact_duplicates_in_the_bank_and_in_the_file_are_errors(db, tt03):
    commit_import(db, build_template(), "mau.xlsx", author_id=None)
    db.commit()
    first = example_records()[0]
    again = replace(first, external_id="Y1", content=replace(
        first.content, choices=tuple(reversed(first.content.choices))))
    fresh = replace(first, external_id="Y2", content=ItemContent(
        kind=ItemKind.SINGLE, stem="Định dạng tệp mặc định của Excel là gì?",
        choices=(Part("A", ".xlsx"), Part("B", ".docx"), Part("C", ".pptx")),
        key={"correct": "A"}))
    preview = preview_import(db, excel([again, fresh, fresh]), "trung.xlsx")
    assert preview.rows[0].exact_duplicate_of == ["IU04-001"]
    assert preview.rows[2].exact_duplicate_of == ["sheet Câu hỏi, hàng 3"]
    assert preview.rows[1].exact_duplicate_of == []
    assert {e.location for e in preview.errors if e.field == "duplicate"} == {
        "sheet Câu hỏi, hàng 2", "sheet Câu hỏi, hàng 4"}


def test_near_duplicates_are_warnings_and_do_not_block(db, tt03):
    commit_import(db, build_template(), "mau.xlsx", author_id=None)
    db.commit()
    first = example_records()[0]
    near = replace(first, external_id="Z1", content=replace(
        first.content, stem="Hàm nào tính tổng các giá trị trong vùng A1:A20?"))
    preview = preview_import(db, excel([near]), "gan.xlsx")
    assert preview.ok
    assert preview.rows[0].near_duplicates and preview.rows[0].near_duplicates[0][0] == "IU04-001"
    assert any(w.field == "duplicate" for w in preview.warnings)


def test_taken_external_ids_get_generated_keys(db, tt03):
    commit_import(db, build_template(), "mau.xlsx", author_id=None)
    db.commit()
    record = ItemRecord(content=ItemContent(
        kind=ItemKind.SINGLE, stem="Phần mềm nào là bảng tính?",
        choices=(Part("A", "Word"), Part("B", "Excel")), key={"correct": "B"}),
        external_id="IU04-001", module="IU04", code="IU04.5.2")
    other = replace(record, content=replace(record.content, stem="Tệp .docx mở bằng gì?"))
    versions = commit_import(db, excel([record, other]), "moi.xlsx", author_id=None)
    assert [v.item.key for v in versions] == ["IU04-I0001", "IU04-I0002"]
    assert db.scalar(select(func.count(ItemVersion.id))) == 5
