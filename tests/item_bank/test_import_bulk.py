"""The bulk import writes exactly what creating the items one by one wrote, all or nothing,
and carries on the bank's keys; 10,000 items go through ``commit_import`` on both backends."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part, content_to_json
from item_bank.formats import write
from item_bank.importing import ImportRefused, commit_import, next_item_key, preview_import
from item_bank.media import image_resolver
from item_bank.models import (
    Item,
    ItemContributor,
    ItemEvent,
    ItemTag,
    ItemVersion,
    MediaFile,
    refresh_search_text,
)
from item_bank.seed import load_basic_bank, load_requirements
from item_bank.seeding import seed_requirements
from item_bank.workflow import create_item, submit_for_review
from tests.item_bank.fixtures.samples import sample


@pytest.fixture
def tree(db):
    seed_requirements(db, load_requirements())
    db.commit()


@pytest.fixture
def author(make_user):
    from exam_engine.kernel.accounts import Role
    return make_user("giaovien", Role.TEACHER).id


def existing(db, key: str, stem: str) -> None:
    """An item already in the bank, keyed as an earlier import would have keyed it."""
    content = ItemContent(ItemKind.SINGLE, stem, (Part("A", "Có"), Part("B", "Không")),
                          key={"correct": "A"})
    create_item(db, ItemRecord(content, module="IU04", code="IU04.5.2"), key=key, author_id=None)
    db.commit()


def mixed_file() -> bytes:
    """Every item type; own ids free, taken and missing; filing by TT03, subject and grade,
    IC3 domain and tags (one repeated in another case); one picture."""
    records = []
    for n, kind in enumerate(ItemKind):
        record = sample(kind, media=kind is ItemKind.SINGLE)
        record = replace(record, module=("IU04", "IU06", "IU03")[n % 3],
                         code=("IU04.5.2", "IU06.4.1", "IU03.4.1")[n % 3],
                         tags=("hàm", "Hàm", "bảng tính") if n % 2 else ("ôn thi",),
                         ic3_domain="CC" if n % 4 == 0 else None)
        own = {0: "IU04-I0007", 1: None, 2: "GV-TỰ-ĐẶT", 3: None}.get(n, record.external_id)
        records.append(replace(record, external_id=own))
    return write("excel", records).data


def one_by_one(db, data: bytes, *, author_id: int | None, submit: bool) -> None:
    """The import as it was before the bulk writer: each item through ``create_item``."""
    preview = preview_import(db, data, "x.xlsx")
    assert preview.ok, preview.errors
    taken: set[str] = set()
    for row in preview.rows:
        key = next_item_key(db, row.record, taken)
        taken.add(key)
        version = create_item(db, replace(row.record, external_id=key), key=key,
                              author_id=author_id, checked=True,
                              resolve_image=image_resolver(db, row.record.media,
                                                           created_by=author_id))
        refresh_search_text(version)
        if submit:
            submit_for_review(db, version, actor_id=author_id)
    db.commit()


def snapshot(db) -> dict[str, Any]:
    """Everything an import writes, without ids and times; events in the order written."""
    db.expire_all()
    items = db.scalars(select(Item).order_by(Item.id)).all()
    key_of = {item.id: item.key for item in items}
    return {
        "items": [(i.key, i.module, i.code, i.subject, i.grade, i.ic3_domain, i.difficulty,
                   i.title, i.author_id) for i in items],
        "tags": sorted((key_of[t.item_id], t.position, t.tag, t.folded)
                       for t in db.scalars(select(ItemTag))),
        "versions": [(key_of[v.item_id], v.version, v.kind, v.content, v.search_text,
                      v.status, v.author_id, v.irt_is_demo, v.irt_a)
                     for v in db.scalars(select(ItemVersion).order_by(ItemVersion.id))],
        "events": [(key_of[e.item_id], e.version_id is not None, e.action, e.actor_id, e.comment)
                   for e in db.scalars(select(ItemEvent).order_by(ItemEvent.id))],
        "media": sorted(db.scalars(select(MediaFile.sha256))),
        "contributors": sorted((key_of[v.item_id], v.version, c.user_id) for c, v in db.execute(
            select(ItemContributor, ItemVersion).join(
                ItemVersion, ItemVersion.id == ItemContributor.version_id))),
    }


def forget_imported(db, keep: int) -> None:
    """Back to the bank before the import: its first ``keep`` items, no pictures."""
    imported = select(Item.id).where(Item.id > keep)
    db.execute(delete(ItemContributor).where(ItemContributor.version_id.in_(
        select(ItemVersion.id).where(ItemVersion.item_id.in_(imported)))))
    for table, column in ((ItemEvent, ItemEvent.item_id), (ItemTag, ItemTag.item_id),
                          (ItemVersion, ItemVersion.item_id), (Item, Item.id)):
        db.execute(delete(table).where(column.in_(imported)))
    db.execute(delete(MediaFile))
    db.commit()


@pytest.mark.parametrize("submit", [False, True])
def test_bulk_import_writes_what_the_item_by_item_path_wrote(db, tree, author, submit):
    existing(db, "IU04-I0007", "Phím tắt nào mở hộp thoại In?")
    existing(db, "IU04-001", "Phím tắt nào lưu tệp đang mở?")
    data = mixed_file()
    one_by_one(db, data, author_id=author, submit=submit)
    before = snapshot(db)
    forget_imported(db, keep=2)

    versions = commit_import(db, data, "x.xlsx", author_id=author, submit=submit)
    db.commit()
    after = snapshot(db)
    assert after == before
    # and it is what it should be, not only the same as before
    keys = [key for key, *_ in after["items"][2:]]
    assert keys == [v.item.key for v in versions]
    assert keys[:4] == ["IU04-I0008", "IU06-I0001", "GV-TỰ-ĐẶT", "IU04-I0009"]
    assert all(v.search_text for v in versions) and len(after["media"]) == 1
    assert {action for *_, action, _, _ in after["events"][2:]} == (
        {"created", "submitted"} if submit else {"created"})
    assert ("IU06-I0001", 0, "hàm", "hàm") in after["tags"]
    assert not any(t[0] == "IU06-I0001" and t[2] == "Hàm" for t in after["tags"])


def test_an_error_anywhere_imports_nothing(db, tree, author):
    existing(db, "IU04-I0001", "Phím tắt nào mở hộp thoại In?")
    good = [replace(sample(kind), external_id=None) for kind in
            (ItemKind.SINGLE, ItemKind.MULTIPLE, ItemKind.NUMERIC)]
    last_bad = replace(good[2], code="IU04.99.9", content=replace(
        good[2].content, stem="Mã yêu cầu này không có trong khung?"))
    with pytest.raises(ImportRefused) as refused:
        commit_import(db, write("excel", [*good[:2], last_bad]).data, "loi.xlsx",
                      author_id=author)
    assert [(e.location, e.field) for e in refused.value.errors] == [
        ("sheet Câu hỏi, hàng 4", "code")]
    db.rollback()
    assert db.scalar(select(func.count(Item.id))) == 1


def test_an_option_emptied_by_the_sanitiser_refuses_the_file_naming_its_row(db, tree, author):
    good = replace(sample(ItemKind.SINGLE, media=True), external_id=None)
    script_only = replace(good, content=replace(good.content, stem="Chọn hình đúng?", choices=(
        Part("A", '<img src="javascript:alert(1)">'), *good.content.choices[1:])))
    with pytest.raises(ImportRefused) as refused:
        commit_import(db, write("excel", [good, script_only]).data, "xau.xlsx", author_id=author)
    assert [(e.file, e.location, e.field) for e in refused.value.errors] == [
        ("xau.xlsx", "sheet Câu hỏi, hàng 3", "choices[0].text")]
    db.rollback()
    assert db.scalar(select(func.count(Item.id))) == 0
    assert db.scalar(select(func.count()).select_from(MediaFile)) == 0


def test_keys_continue_after_the_banks_and_skip_taken_own_ids(db, tree, author):
    for key, stem in (("IU04-I0041", "Phím tắt nào mở hộp thoại In?"),
                      ("IU04-I0002", "Phím tắt nào lưu tệp?"), ("IU06-X1", "Thư rác là gì?")):
        existing(db, key, stem)
    base = replace(sample(ItemKind.SHORT_ANSWER), external_id=None)
    records = [replace(base, external_id=own, module=module, code=code,
                       content=replace(base.content, stem=f"Phím tắt số {n} là gì? {n * 'x'}"))
               for n, (own, module, code) in enumerate([
                   (None, "IU04", "IU04.5.2"), ("IU06-X1", "IU06", "IU06.4.1"),
                   ("IU04-I0050", "IU04", "IU04.5.2"), (None, "IU04", "IU04.5.2"),
                   (None, None, None)])]
    records[4] = replace(records[4], subject="Toán", grade=6)
    versions = commit_import(db, write("excel", records).data, "x.xlsx", author_id=author)
    assert [v.item.key for v in versions] == [
        "IU04-I0042", "IU06-I0001", "IU04-I0050", "IU04-I0051", "ITEM-I0001"]


def varied_records(n: int, seed: int = 0) -> list[ItemRecord]:
    """``n`` single-choice items of random Vietnamese words: neither exact nor near repeats."""
    rng = random.Random(seed)
    words = sorted({w for item in load_basic_bank() for w in item["stem"].split()})
    records = []
    for i in range(n):
        stem = " ".join(rng.choices(words, k=14)) + "?"
        choices = tuple(Part(p, " ".join(rng.choices(words, k=3))) for p in "ABCD")
        records.append(ItemRecord(ItemContent(ItemKind.SINGLE, stem, choices,
                                              key={"correct": rng.choice("ABCD")}),
                                  module="IU04", code="IU04.5.2",
                                  tags=("lớn",) if i % 2 else ()))
    return records


@pytest.mark.slow
def test_ten_thousand_items_import_through_commit_import(db, tree, author):
    existing(db, "IU04-I0001", "Phím tắt nào mở hộp thoại In?")
    data = write("excel", varied_records(10_000)).data
    phases = []
    versions = commit_import(db, data, "lon.xlsx", author_id=author,
                             progress=lambda phase, done, total: phases.append(phase))
    db.commit()
    assert len(versions) == 10_000
    assert db.scalar(select(func.count(Item.id))) == 10_001
    assert db.scalar(select(func.count(ItemVersion.id))) == 10_001
    assert db.scalar(select(func.count(ItemEvent.id))) == 10_001
    assert db.scalar(select(func.count()).select_from(ItemTag)) == 5_000
    assert versions[-1].item.key == "IU04-I10001"
    assert "Ghi câu hỏi vào ngân hàng" in phases
    assert content_to_json(versions[0].content_model)["stem"] == versions[0].content["stem"]
