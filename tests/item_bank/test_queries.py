"""Searching the bank accent-insensitively and counting coverage per requirement code."""

from __future__ import annotations

import pytest

from exam_engine.kernel.accounts import Role
from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.models import RequirementCode, refresh_search_text
from item_bank.queries import coverage, search_items
from item_bank.workflow import approve, create_item, edit, submit_for_review


@pytest.fixture
def tree(db):
    for module in ("IU03", "IU04"):
        db.add(RequirementCode(code=module, module=module, name=f"Mô-đun {module}"))
    db.flush()
    for code, parent in (("IU04.5", "IU04"), ("IU04.5.1", "IU04.5"), ("IU04.5.2", "IU04.5"),
                         ("IU03.4", "IU03")):
        db.add(RequirementCode(code=code, parent_code=parent, module=parent[:4], name=code))
    db.commit()


def add(db, key: str, stem: str, code: str, *, author_id=None):
    record = ItemRecord(content=ItemContent(
        kind=ItemKind.SINGLE, stem=stem, choices=(Part("A", "Đúng"), Part("B", "Sai")),
        key={"correct": "A"}), module=code[:4], code=code)
    version = create_item(db, record, key=key, author_id=author_id)
    refresh_search_text(version)
    db.flush()
    return version


def _approve(db, version, reviewer):
    submit_for_review(db, version, actor_id=None)
    approve(db, version, reviewer_id=reviewer.id)


def test_search_without_accents_finds_the_vietnamese_stem(db, tree):
    add(db, "K1", "Muốn <b>định dạng</b> ô, chọn lệnh nào?", "IU04.5.1")
    add(db, "K2", "Dính dáng gì tới tệp?", "IU04.5.2")
    db.commit()
    found, total = search_items(db, q="dinh dang")
    assert total == 2 and {v.item.key for v in found} == {"K1", "K2"}
    found, total = search_items(db, q="ĐỊNH dạng, chọn LỆNH")
    assert [v.item.key for v in found] == ["K1"] and total == 1
    assert search_items(db, q="không có")[1] == 0


def test_search_returns_only_the_latest_version_and_filters(db, tree):
    first = add(db, "K1", "Phím tắt sao chép là gì?", "IU04.5.1")
    add(db, "K2", "Phím tắt dán là gì?", "IU03.4")
    db.commit()
    first.status = first.status.APPROVED  # as if approved; editing it makes version 2
    db.flush()
    newer = edit(db, first, ItemContent(kind=ItemKind.SINGLE, stem="Phím tắt sao chép?",
                                        choices=(Part("A", "Ctrl+C"), Part("B", "Ctrl+V")),
                                        key={"correct": "A"}), actor_id=None)
    refresh_search_text(newer)
    db.commit()
    found, total = search_items(db)
    assert total == 2 and {v.version for v in found if v.item.key == "K1"} == {2}
    assert [v.item.key for v in search_items(db, code="IU04.5")[0]] == ["K1"]
    assert [v.item.key for v in search_items(db, module="IU03")[0]] == ["K2"]
    assert [v.item.key for v in search_items(db, status="draft")[0]] == ["K2", "K1"]
    assert search_items(db, q="ctrl+c")[1] == 1
    page, total = search_items(db, limit=1, offset=1)
    assert len(page) == 1 and total == 2


def test_coverage_counts_approved_items_with_sub_codes_in_the_module(db, tree, make_user):
    reviewer = make_user("phanbien", Role.REVIEWER)
    for i, code in enumerate(("IU04.5.1", "IU04.5.1", "IU04.5.2", "IU03.4")):
        version = add(db, f"C{i}", f"Câu số {i} về {code}?", code)
        _approve(db, version, reviewer)
    add(db, "D1", "Bản nháp chưa duyệt?", "IU04.5.2")
    db.commit()
    rows = {r.code: r for r in coverage(db, needs={"IU04": 5, "IU04.5.1": 2})}
    assert rows["IU04"].approved == 3 and rows["IU04"].needed == 5
    assert rows["IU04.5"].approved == 3
    assert rows["IU04.5.1"].approved == 2 and rows["IU04.5.1"].needed == 2
    assert rows["IU04.5.2"].approved == 1 and rows["IU04.5.2"].needed is None
    assert rows["IU03"].approved == 1
    assert {r.module for r in coverage(db, modules=["IU03"])} == {"IU03"}


def test_search_text_follows_content_set_by_any_path(db, tree):
    record = ItemRecord(content=ItemContent(
        kind=ItemKind.SINGLE, stem="Thư mục gốc là gì?", choices=(Part("A", "Ổ đĩa"),
                                                                   Part("B", "Tệp")),
        key={"correct": "A"}), module="IU03", code="IU03.4")
    version = create_item(db, record, key="W1", author_id=None)  # no refresh call
    db.commit()
    assert search_items(db, q="thu muc goc o dia")[1] == 1
    edit(db, version, ItemContent(kind=ItemKind.SINGLE, stem="Đường dẫn tuyệt đối?",
                                  choices=(Part("A", "Có"), Part("B", "Không")),
                                  key={"correct": "A"}), actor_id=None)
    db.commit()
    assert search_items(db, q="thu muc")[1] == 0
    assert search_items(db, q="duong dan tuyet doi")[1] == 1
