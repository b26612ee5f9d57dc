"""The teachers' item editor over HTTP: writing an item of every kind through the form, problems
beside their fields, editing (a new draft version for an approved item), who may use it, and
the live preview that shows what the candidate sees and never the key."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from exam_engine.kernel.accounts import Role
from item_bank import workflow
from item_bank.content import ItemKind, ItemRecord, choice_item, content_from_json
from item_bank.models import Item, ItemEvent, ItemStatus, ItemVersion
from item_bank.web.editor_form import form_from_content
from tests.conftest import login

FILED_TT03 = {"module": "IU04", "code": "IU04.5.2"}

#: kind -> (the form as a teacher fills it, the key it must store)
FILLED_FORMS: dict[ItemKind, tuple[dict[str, Any], dict[str, Any]]] = {
    ItemKind.SINGLE: ({
        "stem": "Hàm nào tính tổng các giá trị?", "choices[0].id": "A",
        "choices[0].text": "AVERAGE", "choices[1].id": "B", "choices[1].text": "SUM",
        "choices[2].id": "C", "choices[2].text": "COUNT", "choices[3].id": "D",
        "choices[3].text": "MAX", "key.correct": "B"}, {"correct": "B"}),
    ItemKind.MULTIPLE: ({
        "stem": "Những phần mềm nào là trình duyệt web?", "choices[0].id": "A",
        "choices[0].text": "Firefox", "choices[1].id": "B", "choices[1].text": "Microsoft Word",
        "choices[2].id": "C", "choices[2].text": "Chrome", "choices[3].id": "D",
        "choices[3].text": "Paint", "key.correct": ["A", "C"], "key.scoring": "partial"},
        {"correct": ["A", "C"], "scoring": "partial"}),
    ItemKind.TRUE_FALSE4: ({
        "stem": "Về thư điện tử, mỗi mệnh đề sau đúng hay sai?",
        "choices[0].id": "A", "choices[0].text": "Gửi được cho nhiều người.",
        "choices[1].id": "B", "choices[1].text": "Người nhận BCC thấy nhau.",
        "choices[2].id": "C", "choices[2].text": "Tệp đính kèm có thể chứa mã độc.",
        "choices[3].id": "D", "choices[3].text": "Thư đã gửi luôn thu hồi được.",
        "key.truth.A": "true", "key.truth.B": "false", "key.truth.C": "true",
        "key.truth.D": "false"},
        {"truth": {"A": True, "B": False, "C": True, "D": False}}),
    ItemKind.MATCHING: ({
        "stem": "Ghép phím tắt với tác dụng của nó.", "choices[0].id": "A",
        "choices[0].text": "Ctrl+C", "choices[1].id": "B", "choices[1].text": "Ctrl+V",
        "choices[2].id": "C", "choices[2].text": "Ctrl+Z", "targets[0].id": "1",
        "targets[0].text": "Dán", "targets[1].id": "2", "targets[1].text": "Sao chép",
        "targets[2].id": "3", "targets[2].text": "Hoàn tác", "targets[3].id": "4",
        "targets[3].text": "In trang", "key.pairs.A": "2", "key.pairs.B": "1",
        "key.pairs.C": "3"}, {"pairs": {"A": "2", "B": "1", "C": "3"}}),
    ItemKind.ORDERING: ({
        "stem": "Sắp xếp các bước để lưu một tệp mới.", "choices[0].id": "B",
        "choices[0].text": "Nhấn Ctrl+S", "choices[1].id": "A",
        "choices[1].text": "Chọn thư mục", "choices[2].id": "C",
        "choices[2].text": "Gõ tên tệp"}, {"order": ["B", "A", "C"]}),
    ItemKind.SHORT_ANSWER: ({
        "stem": "Tổ hợp phím nào hoàn tác thao tác vừa làm?",
        "key.accepted": "Ctrl+Z\r\nCtrl Z\r\n"},
        {"accepted": ["Ctrl+Z", "Ctrl Z"], "case_sensitive": False}),
    ItemKind.NUMERIC: ({
        "stem": "Kết quả của =ROUND(3.456; 1) là bao nhiêu?", "key.value": "3,5",
        "key.tolerance": "0,01", "key.tolerance_kind": "absolute"},
        {"value": 3.5, "tolerance": 0.01, "tolerance_kind": "absolute"}),
    ItemKind.CLOZE: ({
        "stem": "Hàm [[1]] cộng các ô; địa chỉ tuyệt đối của A1 là [[2]].",
        "key.gaps[0].id": "1", "key.gaps[0].mode": "text",
        "key.gaps[0].accepted": "SUM\r\nAUTOSUM", "key.gaps[1].id": "2",
        "key.gaps[1].mode": "choice", "key.gaps[1].choices": "$A$1\r\nA1\r\nA$1",
        "key.gaps[1].correct": "$A$1"},
        {"gaps": [{"id": "1", "accepted": ["SUM", "AUTOSUM"]},
                  {"id": "2", "choices": ["$A$1", "A1", "A$1"], "correct": "$A$1"}]}),
}


def filled(kind: ItemKind, token: str, **extra: Any) -> dict[str, Any]:
    fields, _ = FILLED_FORMS[kind]
    return {"csrf_token": token, "kind": kind.value, "points": "1", "shuffle": "1",
            **FILED_TT03, **fields, **extra}


def item_count(db) -> int:
    db.rollback()  # see what the app committed, not this session's snapshot
    return db.scalar(select(func.count(Item.id)))


def errors_beside(page: str, field: str) -> str:
    """The messages shown beside an input (bank/_editor_fields.html, field_errors)."""
    match = re.search(rf'data-errors-for="{re.escape(field)}">'
                      r'((?:<span class="error">[^<]*</span>)*)</span>', page)
    return match.group(1) if match else ""


def existing_item(db, author_id: int, *, status: ItemStatus = ItemStatus.DRAFT) -> ItemVersion:
    content = choice_item("single", "Phím tắt sao chép là gì?",
                          ["Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+Z"], [0])
    version = workflow.create_item(db, ItemRecord(content, module="IU03", code="IU03.4.1"),
                                   key="IU03-SAO-CHEP", author_id=author_id)
    version.status = status
    db.commit()
    return version


def edit_form(db, version: ItemVersion, token: str, **changes: str) -> dict[str, list[str]]:
    form = form_from_content(content_from_json(version.content), version.item)
    return {**form, "csrf_token": [token], **{name: [value] for name, value in changes.items()}}


@pytest.mark.parametrize("kind", list(ItemKind))
def test_a_teacher_writes_an_item_of_each_kind_through_the_form(client, db, make_user, tt03,
                                                                 kind):
    teacher = make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    page = client.get(f"/ngan-hang/soan?kind={kind.value}").get_data(as_text=True)
    data = filled(kind, token)
    for name in data:  # the page offers every input the teacher fills
        assert f'name="{name}"' in page, name

    response = client.post("/ngan-hang/soan", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.rollback()
    item = db.scalars(select(Item)).one()
    assert response.headers["Location"].endswith(f"/ngan-hang/cau-hoi/{item.id}")
    version = item.versions[0]
    assert (version.status, version.author_id, version.kind) == (ItemStatus.DRAFT, teacher.id,
                                                                  kind.value)
    assert version.content["key"] == FILLED_FORMS[kind][1]
    assert version.content["stem"] == data["stem"]
    assert (item.key, item.module, item.code) == ("IU04-I0001", "IU04", "IU04.5.2")
    landing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu câu hỏi IU04-I0001" in landing


def test_the_stored_parts_are_those_typed_and_filing_by_subject_works(client, db, make_user,
                                                                      tt03):
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    data = filled(ItemKind.MATCHING, token, module="", code="", subject="Tin học", grade="10",
                  ic3_domain="TB", difficulty="easy", title="Phím tắt", tags="phím tắt, Word")
    assert client.post("/ngan-hang/soan", data=data).status_code == 302
    db.rollback()
    item = db.scalars(select(Item)).one()
    content = content_from_json(item.versions[0].content)
    assert [p.text for p in content.choices] == ["Ctrl+C", "Ctrl+V", "Ctrl+Z"]
    assert [p.text for p in content.targets] == ["Dán", "Sao chép", "Hoàn tác", "In trang"]
    assert (item.subject, item.grade, item.ic3_domain, item.difficulty, item.title,
            item.tags) == ("Tin học", 10, "TB", "easy", "Phím tắt", ("phím tắt", "Word"))


def test_an_invalid_form_stores_nothing_and_names_each_field_in_vietnamese(client, db,
                                                                           make_user, tt03):
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    data = filled(ItemKind.SINGLE, token, **{"choices[1].text": "", "key.correct": "",
                                             "points": "hai", "code": "IU04.99.9"})
    response = client.post("/ngan-hang/soan", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Phương án «B» chưa có nội dung." in errors_beside(page, "choices[1].text")
    assert "Chưa chọn đáp án đúng." in errors_beside(page, "key.correct")
    assert "không phải là một số" in errors_beside(page, "points")
    assert "Mã yêu cầu “IU04.99.9” không có trong khung TT03." in errors_beside(page, "code")
    assert 'value="COUNT"' in page  # what was typed is kept
    assert item_count(db) == 0


def test_buttons_without_javascript_add_and_remove_rows_and_switch_kind(client, db, make_user,
                                                                        tt03):
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    data = filled(ItemKind.SINGLE, token)
    added = client.post("/ngan-hang/soan", data={**data, "action": "add:choices"})
    assert added.status_code == 200 and 'name="choices[4].text"' in added.get_data(as_text=True)
    removed = client.post("/ngan-hang/soan", data={**data, "action": "remove:choices:0"})
    page = removed.get_data(as_text=True)
    assert 'value="AVERAGE"' not in page and 'name="choices[0].text" value="SUM"' in page
    switched = client.post("/ngan-hang/soan", data={**data, "kind": "numeric", "action": "kind"})
    assert re.search(r'id="numeric-block" data-kinds="numeric">', switched.get_data(as_text=True))
    assert item_count(db) == 0


def test_editing_an_approved_item_makes_version_2_a_draft_and_keeps_version_1(client, db,
                                                                             make_user, tt03):
    teacher = make_user("giaovien", Role.TEACHER)
    version = existing_item(db, teacher.id, status=ItemStatus.APPROVED)
    token = login(client, "giaovien")
    url = f"/ngan-hang/cau-hoi/{version.item_id}/sua"
    page = client.get(url).get_data(as_text=True)
    assert "Phím tắt sao chép là gì?" in page and 'value="Ctrl+X"' in page
    response = client.post(url, data=edit_form(
        db, version, token, stem="Tổ hợp phím nào sao chép đoạn văn bản đã chọn?"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cau-hoi/{version.item_id}?v=2")
    db.rollback()
    db.expire_all()
    first, second = db.get(Item, version.item_id).versions
    assert (first.version, first.status) == (1, ItemStatus.APPROVED)
    assert first.content["stem"] == "Phím tắt sao chép là gì?"
    assert (second.version, second.status, second.author_id) == (2, ItemStatus.DRAFT,
                                                                  teacher.id)
    assert second.content["stem"] == "Tổ hợp phím nào sao chép đoạn văn bản đã chọn?"


def test_a_draft_is_edited_in_place_and_refiled_in_one_save(client, db, make_user, tt03):
    teacher = make_user("giaovien", Role.TEACHER)
    version = existing_item(db, teacher.id)
    token = login(client, "giaovien")
    response = client.post(f"/ngan-hang/cau-hoi/{version.item_id}/sua", data=edit_form(
        db, version, token, **{"choices[3].text": "Ctrl+Y", "module": "IU06",
                               "code": "IU06.4.1"}))
    assert response.status_code == 302
    db.rollback()
    db.expire_all()
    item = db.get(Item, version.item_id)
    assert len(item.versions) == 1 and (item.module, item.code) == ("IU06", "IU06.4.1")
    assert item.versions[0].content["choices"][3]["text"] == "Ctrl+Y"
    actions = db.scalars(select(ItemEvent.action).where(ItemEvent.item_id == item.id)).all()
    assert sorted(actions) == ["created", "edited", "reclassified"]


def test_an_item_in_review_cannot_be_edited(client, db, make_user, tt03):
    teacher = make_user("giaovien", Role.TEACHER)
    version = existing_item(db, teacher.id, status=ItemStatus.IN_REVIEW)
    token = login(client, "giaovien")
    response = client.post(f"/ngan-hang/cau-hoi/{version.item_id}/sua",
                           data=edit_form(db, version, token, stem="Câu hỏi đã sửa?"))
    assert response.status_code == 409
    assert "Câu hỏi đang được phản biện: chờ kết quả rồi mới sửa." in response.get_data(
        as_text=True)
    db.rollback()
    db.expire_all()
    assert db.get(ItemVersion, version.id).content["stem"] == "Phím tắt sao chép là gì?"


def test_only_authors_staff_and_admins_use_the_editor(client, db, make_user, tt03):
    author = make_user("tacgia", Role.TEACHER)
    for username, role in (("giaovien2", Role.TEACHER), ("phanbien", Role.REVIEWER),
                           ("thisinh", Role.CANDIDATE), ("canbo", Role.STAFF)):
        make_user(username, role)
    version = existing_item(db, author.id)
    edit_url = f"/ngan-hang/cau-hoi/{version.item_id}/sua"
    item_url = f"/ngan-hang/cau-hoi/{version.item_id}"
    assert client.get("/ngan-hang/soan").status_code == 302  # anonymous: to the login page
    assert client.get(edit_url).status_code == 302

    for username, new, edit in (("phanbien", 403, 403), ("thisinh", 403, 403),
                                ("giaovien2", 200, 403), ("canbo", 200, 200),
                                ("tacgia", 200, 200)):
        token = login(client, username)
        assert client.get("/ngan-hang/soan").status_code == new, username
        assert client.get(edit_url).status_code == edit, username
        assert client.post(edit_url, data=edit_form(db, version, token, stem="Đổi?")
                           ).status_code == (edit if edit == 403 else 302), username
        if username == "phanbien":
            page = client.get(item_url).get_data(as_text=True)
            assert 'id="edit-item"' not in page and 'id="nav-new-item"' not in page
            preview = client.post("/ngan-hang/xem-truoc",
                                  data=filled(ItemKind.SINGLE, token))
            assert preview.status_code == 403
        if username == "tacgia":
            page = client.get(item_url).get_data(as_text=True)
            assert 'id="edit-item"' in page and 'id="nav-new-item"' in page
        client.post("/dang-xuat", data={"csrf_token": token})


@pytest.mark.parametrize("kind", list(ItemKind))
def test_the_preview_shows_the_candidate_view_without_the_key_and_writes_nothing(
        client, db, make_user, tt03, kind):
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    response = client.post("/ngan-hang/xem-truoc", data=filled(kind, token),
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    result = response.get_json()
    html = result["html"]
    assert result["ok"] and result["problems"] == []
    assert FILLED_FORMS[kind][0]["stem"].split("[[")[0] in html
    assert "checked" not in html and "selected" not in html and "correct" not in html
    for secret in ("AUTOSUM", "Ctrl Z", "3,5", "3.5", "true", "false"):
        assert secret not in html
    assert re.findall(r"<(?:input|select)\b[^>]*>", html) == re.findall(
        r"<(?:input|select)\b[^>]*\bdisabled\b[^>]*>", html)
    assert item_count(db) == 0 and db.scalar(select(func.count(ItemEvent.id))) == 0


def test_the_preview_lists_the_problems_of_an_unfinished_item(client, db, make_user, tt03):
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    data = filled(ItemKind.SINGLE, token, **{"key.correct": "",
                                             "stem": "<p>Chọn <b>một</b><script>x()</script></p>"})
    result = client.post("/ngan-hang/xem-truoc", data=data).get_json()
    assert not result["ok"]
    assert {"field": "key.correct", "message": "Chưa chọn đáp án đúng."} in result["problems"]
    assert "<b>một</b>" in result["html"] and "script" not in result["html"]
    assert client.post("/ngan-hang/xem-truoc", data={"kind": "single"}).status_code == 400


def test_the_editor_speaks_english_on_request(client, make_user, tt03):
    make_user("giaovien", Role.TEACHER)
    login(client, "giaovien")
    page = client.get("/ngan-hang/soan?kind=numeric&lang=en").get_data(as_text=True)
    assert "Write an item" in page and "Correct value" in page and "Tolerance" in page
