"""An item's life on a real database: versions, review, history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from exam_engine.kernel.accounts import Role
from item_bank.content import ItemContent, ItemKind, ItemRecord, Part, choice_item
from item_bank.models import ItemStatus, ItemVersion, RequirementCode
from item_bank.workflow import (
    InvalidItem,
    WorkflowError,
    add_comment,
    approve,
    create_item,
    edit,
    history,
    retire,
    return_to_author,
    submit_for_review,
)

T = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def people(db, make_user):
    db.add(RequirementCode(code="IU04", module="IU04", name="Sử dụng bảng tính cơ bản"))
    db.commit()
    return make_user("giaovien", Role.TEACHER), make_user("phanbien", Role.REVIEWER)


def record(stem="Hàm nào tính tổng một vùng ô?", kind="single"):
    return ItemRecord(content=choice_item(kind, stem, ["SUM", "COUNT", "MAX", "AVERAGE"],
                                          [0] if kind == "single" else [0, 3]),
                      module="IU04", code="IU04")


def test_an_item_goes_from_draft_through_review_to_approved(db, people):
    author, reviewer = people
    version = create_item(db, record(), key="IU04-900", author_id=author.id, at=T)
    assert version.status is ItemStatus.DRAFT and version.version == 1
    submit_for_review(db, version, actor_id=author.id, at=T)
    return_to_author(db, version, reviewer_id=reviewer.id, comment="Phương án B chưa hợp lý", at=T)
    assert version.status is ItemStatus.DRAFT
    edit(db, version, record("Hàm nào tính tổng các ô trong một vùng?").content,
         actor_id=author.id, at=T)
    submit_for_review(db, version, actor_id=author.id, at=T)
    add_comment(db, version, actor_id=reviewer.id, text="Đã sửa, tốt.", at=T)
    approve(db, version, reviewer_id=reviewer.id, at=T)
    db.commit()
    assert version.status is ItemStatus.APPROVED
    assert version.stem == "Hàm nào tính tổng các ô trong một vùng?"
    steps = [(e.action, e.actor_id, e.comment) for e in history(db, version.item_id)]
    assert steps == [("created", author.id, None), ("submitted", author.id, None),
                     ("returned", reviewer.id, "Phương án B chưa hợp lý"),
                     ("edited", author.id, None), ("submitted", author.id, None),
                     ("commented", reviewer.id, "Đã sửa, tốt."), ("approved", reviewer.id, None)]


def test_a_reviewer_never_approves_his_own_item(db, people):
    author, _ = people
    version = create_item(db, record(), key="IU04-901", author_id=author.id)
    submit_for_review(db, version, actor_id=author.id)
    with pytest.raises(WorkflowError, match="chính mình soạn"):
        approve(db, version, reviewer_id=author.id)


def test_nobody_who_edited_a_version_approves_it_though_its_author_stays(db, people, make_user):
    """Reproduces: an in-place edit kept only the first author, so whoever edited a draft could
    approve it afterwards (issue 10, hole 3). Every contributor is recorded."""
    author, reviewer = people
    editor = make_user("phanbien2", Role.REVIEWER)
    version = create_item(db, record(), key="IU04-902", author_id=author.id)
    edit(db, version, record("Hàm nào cộng các ô?").content, actor_id=editor.id)
    assert version.author_id == author.id
    assert version.contributor_ids == {author.id, editor.id}
    submit_for_review(db, version, actor_id=author.id)
    with pytest.raises(WorkflowError, match="chính mình soạn hoặc đã sửa"):
        approve(db, version, reviewer_id=editor.id)
    approve(db, version, reviewer_id=reviewer.id)
    db.commit()
    assert version.status is ItemStatus.APPROVED
    new = edit(db, version, record("Hàm nào cộng một vùng ô?").content, actor_id=reviewer.id)
    assert new.version == 2 and new.contributor_ids == {reviewer.id}


def test_editing_an_approved_version_makes_a_new_one_and_approval_retires_the_old(db, people):
    author, reviewer = people
    first = create_item(db, record(), key="IU04-902", author_id=author.id)
    submit_for_review(db, first, actor_id=author.id)
    approve(db, first, reviewer_id=reviewer.id)
    frozen = dict(first.content)
    second = edit(db, first, record("Hàm nào cộng các giá trị của một vùng ô?").content,
                  actor_id=author.id)
    assert (second.version, second.status) == (2, ItemStatus.DRAFT)
    assert first.content == frozen and first.status is ItemStatus.APPROVED  # immutable
    submit_for_review(db, second, actor_id=author.id)
    approve(db, second, reviewer_id=reviewer.id)
    db.commit()
    statuses = db.execute(select(ItemVersion.version, ItemVersion.status)
                          .where(ItemVersion.item_id == first.item_id)
                          .order_by(ItemVersion.version)).all()
    assert statuses == [(1, ItemStatus.RETIRED), (2, ItemStatus.APPROVED)]


def test_steps_the_state_does_not_allow_are_refused(db, people):
    author, reviewer = people
    version = create_item(db, record(), key="IU04-903", author_id=author.id)
    with pytest.raises(WorkflowError, match="không thể chuyển|Không thể chuyển"):
        approve(db, version, reviewer_id=reviewer.id)  # a draft skips no review
    submit_for_review(db, version, actor_id=author.id)
    with pytest.raises(WorkflowError, match="đang được phản biện"):
        edit(db, version, record().content, actor_id=author.id)
    with pytest.raises(WorkflowError, match="lý do"):
        return_to_author(db, version, reviewer_id=reviewer.id, comment="  ")
    with pytest.raises(WorkflowError):
        retire(db, version, actor_id=reviewer.id, reason="cũ")


def test_invalid_content_is_refused_with_the_field_named(db, people):
    author, _ = people
    broken = ItemContent(kind=ItemKind.SINGLE, stem="Chọn một?",
                         choices=(Part("A", "Một"), Part("B", "Hai")), key={"correct": "C"})
    with pytest.raises(InvalidItem) as error:
        create_item(db, ItemRecord(content=broken, module="IU04", code="IU04"), key="IU04-904",
                    author_id=author.id)
    assert error.value.problems and error.value.problems[0].field


def test_stems_are_sanitised_before_they_are_stored(db, people):
    author, _ = people
    dirty = record('Hàm <b>SUM</b> làm gì?<script>alert(1)</script><img src="x" onerror="y">')
    version = create_item(db, dirty, key="IU04-905", author_id=author.id)
    assert version.stem.startswith("Hàm <b>SUM</b> làm gì?")
    assert "script" not in version.stem and "onerror" not in version.stem


def test_reclassifying_keeps_the_content_and_the_approval_and_rewrites_the_tags(db, people):
    from item_bank.models import Item, ItemEvent
    from item_bank.workflow import Classification, reclassify
    author, reviewer = people
    version = create_item(db, replace_tags(record(), ("hàm", "SUM")), key="IU04-910",
                          author_id=author.id)
    submit_for_review(db, version, actor_id=author.id)
    approve(db, version, reviewer_id=reviewer.id)
    db.commit()
    item = db.get(Item, version.item_id)
    # keep one tag under another spelling, drop one, add one: same (item, folded tag) key reused
    reclassify(db, item, Classification(module="IU04", code="IU04", subject="Tin học", grade=10,
                                        tags=("HÀM", "bảng tính")), actor_id=author.id)
    db.commit()
    db.expire_all()
    item = db.get(Item, version.item_id)
    assert item.tags == ("HÀM", "bảng tính") and (item.subject, item.grade) == ("Tin học", 10)
    assert [v.status for v in item.versions] == [ItemStatus.APPROVED]
    event = db.scalars(select(ItemEvent).where(ItemEvent.action == "reclassified")).one()
    assert event.comment == "subject, grade, tags"
    reclassify(db, item, Classification.of_item(item), actor_id=author.id)  # no change, no event
    assert db.scalars(select(ItemEvent).where(ItemEvent.action == "reclassified")).all() == [event]


def replace_tags(item_record: ItemRecord, tags: tuple[str, ...]) -> ItemRecord:
    from dataclasses import replace
    return replace(item_record, tags=tags)
