"""Export from the bank, import into the bank: the same items come back — content, images and
where they are filed — in every format, for every type the format carries; whatever a format
cannot carry is named in its export report, never dropped silently."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.exporting import export_versions, record_of
from item_bank.formats import FORMATS, write
from item_bank.importing import commit_import
from item_bank.models import ItemStatus, ItemVersion
from item_bank.workflow import Classification
from tests.item_bank.fixtures.samples import sample

FILING = ("title", "module", "code", "subject", "grade", "tags", "ic3_domain", "difficulty")
CONTENT = ("feedback", "points", "shuffle")


def bank_sample(kind: ItemKind):
    from dataclasses import replace
    record = replace(sample(kind, media=True), ic3_domain="CC")
    if kind is ItemKind.MATCHING:  # targets in first-use order, as GIFT writes them
        record = replace(record, content=replace(
            record.content, targets=(Part("1", "Sao chép"), Part("2", "Dán"),
                                     Part("3", "Hoàn tác")),
            key={"pairs": {"A": "1", "B": "2", "C": "3"}}))
    return record


def meaning(content: ItemContent) -> tuple:
    """Parts and key by their texts: formats may label parts anew (Moodle's ordering items
    come back in the right order, labelled A, B, C), which changes no item's meaning."""
    text = {p.id: p.text for p in (*content.choices, *content.targets)}
    key = dict(content.key)
    if content.kind is ItemKind.SINGLE:
        key["correct"] = text[key["correct"]]
    elif content.kind is ItemKind.MULTIPLE:
        key["correct"] = sorted(text[i] for i in key["correct"])
    elif content.kind is ItemKind.TRUE_FALSE4:
        key["truth"] = {text[i]: v for i, v in key["truth"].items()}
    elif content.kind is ItemKind.MATCHING:
        key["pairs"] = {text[a]: text[b] for a, b in key["pairs"].items()}
    elif content.kind is ItemKind.ORDERING:
        key["order"] = [text[i] for i in key["order"]]
    choices = [p.text for p in content.choices]
    if content.kind is ItemKind.ORDERING:
        choices.sort()  # shown shuffled anyway; the key holds the order
    return choices, [p.text for p in content.targets], key


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_then_import_gives_the_same_items(db, tt03, fmt):
    kinds = [k for k in ItemKind if k in FORMATS[fmt].kinds]
    originals = commit_import(db, write("excel", [bank_sample(k) for k in kinds]).data,
                              "goc.xlsx", author_id=None)
    db.flush()
    first = record_of(originals[0])  # Excel carries everything, images included
    assert (first.ic3_domain, first.tags, first.subject, first.grade, first.difficulty) == (
        "CC", ("hàm", "bảng tính"), "Tin học", 10, "medium")
    assert "/media/" in first.content.stem
    exported = export_versions(db, fmt, originals)
    not_carried: dict[str, set[str]] = {}
    for issue in exported.not_carried:
        key = issue.location.split("(")[-1].rstrip(")")
        not_carried.setdefault(key, set()).add(issue.field)
    # Retire the originals so the copies are not refused as exact duplicates of them.
    db.execute(update(ItemVersion).where(ItemVersion.id.in_([v.id for v in originals]))
               .values(status=ItemStatus.RETIRED))
    # Formats without filing (Aiken) are filed for the whole file, as the import page asks.
    copies = commit_import(db, exported.data, exported.filename, author_id=None,
                           defaults=Classification(module="IU04", code="IU04.5.2"))
    assert len(copies) == len(originals)
    for old, new in zip(originals, copies, strict=True):
        lost = not_carried.get(old.item.key, set())
        before, after = record_of(old), record_of(new)
        assert after.content.kind == before.content.kind
        assert after.content.stem == before.content.stem or "media" in lost, old.item.key
        assert meaning(after.content) == meaning(before.content), (fmt, old.item.key)
        for name in CONTENT:
            if name not in lost:
                assert getattr(after.content, name) == getattr(before.content, name), name
        for name in FILING:
            carried_as = "tags" if name == "ic3_domain" else name
            if carried_as not in lost:
                assert getattr(after, name) == getattr(before, name), (fmt, name)
        if "media" not in lost:
            assert "/media/" in after.content.stem  # the image came back, stored by hash
