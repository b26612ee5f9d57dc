"""Bulk actions on the bank list: all the ticked items, or none of them."""

from __future__ import annotations

import pytest

from exam_engine.kernel.accounts import Role
from item_bank import workflow
from item_bank.content import ItemRecord, choice_item
from item_bank.models import Item, ItemStatus, ItemVersion
from tests.conftest import login


@pytest.fixture
def in_review(db, tt03, make_user):
    teacher = make_user("giaovien", Role.TEACHER)
    reviewer = make_user("phanbien", Role.REVIEWER)
    versions = []
    for i, (stem, author) in enumerate((("Hàm nào tính tổng?", teacher),
                                        ("Hàm nào đếm ô có số?", teacher),
                                        ("Hàm nào tìm giá trị lớn nhất?", reviewer))):
        record = ItemRecord(choice_item("single", stem, ["SUM", "COUNT", "MAX"], [i]),
                            module="IU04", code="IU04.5.2")
        version = workflow.create_item(db, record, key=f"B{i}", author_id=author.id)
        workflow.submit_for_review(db, version, actor_id=author.id)
        versions.append(version)
    db.commit()
    return versions


def statuses(db, versions) -> list[ItemStatus]:
    db.rollback()
    db.expire_all()
    return [db.get(ItemVersion, v.id).status for v in versions]


def bulk(client, token, versions, action, **fields):
    return client.post("/ngan-hang/hang-loat", data={
        "csrf_token": token, "action": action, "version_id": [str(v.id) for v in versions],
        **fields})


def test_a_reviewer_approves_the_ticked_items_at_once(client, db, in_review):
    token = login(client, "phanbien")
    response = bulk(client, token, in_review[:2], "approve")
    assert response.status_code == 302
    assert statuses(db, in_review) == [ItemStatus.APPROVED, ItemStatus.APPROVED,
                                       ItemStatus.IN_REVIEW]
    page = client.get("/ngan-hang/").get_data(as_text=True)
    assert "Đã duyệt 2 câu hỏi." in page


def test_one_refusal_undoes_the_whole_batch_and_names_the_item(client, db, in_review):
    token = login(client, "phanbien")
    refused = bulk(client, token, in_review, "approve")  # the third is the reviewer's own
    assert statuses(db, in_review) == [ItemStatus.IN_REVIEW] * 3
    # a permission refusal (item_bank.permissions) is a 403 naming the item, as on its page
    assert refused.status_code == 403
    assert ("Câu hỏi B2: người phản biện không được duyệt câu hỏi do chính mình soạn"
            in refused.get_data(as_text=True))


def test_a_teacher_cannot_approve_and_retiring_needs_a_reason(client, db, in_review):
    token = login(client, "giaovien")
    assert bulk(client, token, in_review[:1], "approve").status_code == 403
    assert bulk(client, token, in_review[:1], "retire", comment="x").status_code == 403
    client.post("/dang-xuat", data={"csrf_token": token})
    token = login(client, "phanbien")
    bulk(client, token, in_review[:2], "approve")
    bulk(client, token, in_review[:2], "retire")
    assert "Ngừng dùng cần nêu lý do." in client.get("/ngan-hang/").get_data(as_text=True)
    bulk(client, token, in_review[:2], "retire", comment="Đã có câu thay thế")
    assert statuses(db, in_review[:2]) == [ItemStatus.RETIRED] * 2


def test_authors_tag_their_items_in_bulk(client, db, in_review):
    token = login(client, "giaovien")
    bulk(client, token, in_review[:2], "tag", tag=" Hàm  thống kê ")
    db.rollback()
    db.expire_all()
    assert [db.get(Item, v.item_id).tags for v in in_review] == [
        ("Hàm thống kê",), ("Hàm thống kê",), ()]
    assert bulk(client, token, in_review[2:], "tag", tag="x").status_code == 403
