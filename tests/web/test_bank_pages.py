"""The item-bank pages: who may see them, search, the item page and its review actions, import
preview, coverage."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from exam_engine.kernel.accounts import Role
from item_bank import workflow
from item_bank.content import ItemKind, ItemRecord, choice_item
from item_bank.formats import write
from item_bank.models import Item, ItemStatus, ItemVersion, refresh_search_text
from item_bank.seed import load_requirements
from item_bank.seeding import seed_requirements
from item_bank.types import item_type
from tests.conftest import login


@pytest.fixture
def tree(db):
    seed_requirements(db, load_requirements())
    db.commit()


@pytest.fixture
def make_item(db, tree):
    def make(stem: str, *, author_id: int | None, key: str, code: str = "IU04.5.2",
             status: ItemStatus = ItemStatus.DRAFT) -> ItemVersion:
        content = choice_item("single", stem, ["AVERAGE", "SUM", "COUNT", "MAX"], [1])
        version = workflow.create_item(db, ItemRecord(content, module=code[:4], code=code),
                                       key=key, author_id=author_id)
        refresh_search_text(version)
        version.status = status
        db.commit()
        return version

    return make


def status_now(db, version: ItemVersion) -> ItemStatus:
    """The status the app committed: end this session's read snapshot, forget what it knew."""
    db.rollback()
    db.expire_all()
    return db.get(ItemVersion, version.id).status


def section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start:page.index("</section>", start)]


@pytest.mark.parametrize("path", ["/ngan-hang/", "/ngan-hang/nhap", "/ngan-hang/do-phu"])
def test_only_bank_roles_see_the_bank(client, make_user, path):
    assert client.get(path).status_code == 302  # anonymous: to the login page
    make_user("hocsinh", Role.STUDENT)
    make_user("giaovien", Role.TEACHER)
    login(client, "hocsinh")
    assert client.get(path).status_code == 403
    client.post("/dang-xuat", data={"csrf_token": login(client, "hocsinh")})
    login(client, "giaovien")
    assert client.get(path).status_code == 200


def test_search_finds_vietnamese_words_typed_without_accents(client, make_user, make_item):
    teacher = make_user("giaovien", Role.TEACHER)
    make_item("Cách định dạng ô trong bảng tính?", author_id=teacher.id, key="IU04-DD1")
    make_item("Hàm nào tính tổng?", author_id=teacher.id, key="IU04-SUM")
    login(client, "giaovien")
    page = client.get("/ngan-hang/?q=dinh+dang").get_data(as_text=True)
    assert "IU04-DD1" in page and "IU04-SUM" not in page
    assert "Cách định dạng ô trong bảng tính?" in page
    page = client.get("/ngan-hang/?mine=1&status=draft&module=IU04").get_data(as_text=True)
    assert "IU04-DD1" in page and "IU04-SUM" in page
    assert "IU04-DD1" not in client.get("/ngan-hang/?status=approved").get_data(as_text=True)
    english = client.get("/ngan-hang/?lang=en").get_data(as_text=True)
    assert "Item bank" in english and "Draft" in english


def test_only_the_author_sends_an_item_for_review(client, db, make_user, make_item):
    author = make_user("tacgia", Role.TEACHER)
    make_user("giaovien2", Role.TEACHER)
    version = make_item("Hàm nào tính tổng?", author_id=author.id, key="IU04-SUM")
    token = login(client, "giaovien2")
    url = f"/ngan-hang/cau-hoi/{version.item_id}"
    assert 'id="submit-review"' not in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/gui-phan-bien", data={"csrf_token": token}).status_code == 403
    assert client.post("/ngan-hang/gui-phan-bien", data={
        "csrf_token": token, "version_id": str(version.id)}).status_code == 403
    assert status_now(db, version) is ItemStatus.DRAFT


def test_item_page_previews_as_a_candidate_and_keeps_the_key_for_reviewers(
        client, make_user, make_item):
    teacher = make_user("giaovien", Role.TEACHER)
    version = make_item("Hàm nào tính tổng các giá trị?", author_id=teacher.id, key="IU04-SUM")
    version.irt_a, version.irt_b, version.irt_c = 1.2, 0.3, 0.2
    login(client, "giaovien")
    page = client.get(f"/ngan-hang/cau-hoi/{version.item_id}").get_data(as_text=True)
    preview = section(page, "preview")
    assert "Hàm nào tính tổng các giá trị?" in preview and "AVERAGE" in preview
    assert "Đáp án đúng" not in preview
    assert "Đáp án đúng: B" in section(page, "review")
    assert 'id="submit-review"' in page and 'id="approve"' not in page
    assert "Tạo" in section(page, "history")


@pytest.mark.parametrize("kind", list(ItemKind))
def test_every_kind_previews_read_only_without_its_key(client, db, make_user, tree, kind):
    from tests.item_bank.fixtures.samples import sample
    teacher = make_user("giaovien", Role.TEACHER)
    record = sample(kind)
    version = workflow.create_item(db, record, key=record.external_id, author_id=teacher.id)
    db.commit()
    login(client, "giaovien")
    page = client.get(f"/ngan-hang/cau-hoi/{version.item_id}").get_data(as_text=True)
    preview = section(page, "preview")
    inputs = re.findall(r"<(?:input|select)\b[^>]*>", preview)
    assert inputs and all("disabled" in tag for tag in inputs)
    assert "[[" not in preview  # cloze gaps become boxes in place
    key = item_type(kind).describe_key(record.content)
    assert str(escape(key)) in section(page, "review")
    for text in (record.content.key.get("accepted") or [])[:1]:
        assert text not in preview


def test_icc_is_drawn_when_the_item_has_irt_parameters(client, db, make_user, make_item):
    teacher = make_user("giaovien", Role.TEACHER)
    version = make_item("Hàm nào tính tổng?", author_id=teacher.id, key="IU04-SUM")
    version.irt_a, version.irt_b, version.irt_c = 1.2, 0.3, 0.2
    db.commit()
    login(client, "giaovien")
    irt = section(client.get(f"/ngan-hang/cau-hoi/{version.item_id}").get_data(as_text=True),
                  "irt")
    assert "<svg" in irt and "1,200" in irt and 'id="irt-demo"' in irt  # decimal comma in Vietnamese


def test_review_actions_and_the_author_cannot_approve_his_own_item(client, db, make_user,
                                                                   make_item):
    author = make_user("tacgia", Role.REVIEWER)
    make_user("phanbien", Role.REVIEWER)
    version = make_item("Hàm nào tính tổng?", author_id=author.id, key="IU04-SUM")
    url = f"/ngan-hang/cau-hoi/{version.item_id}"
    token = login(client, "tacgia")
    assert client.post(f"{url}/gui-phan-bien", data={"csrf_token": token}).status_code == 302
    refused = client.post(f"{url}/duyet", data={"csrf_token": token})
    assert refused.status_code == 403  # item_bank.permissions refuses, as the API and bulk do
    assert "không được duyệt câu hỏi do chính mình soạn" in refused.get_data(as_text=True)
    assert status_now(db, version) is ItemStatus.IN_REVIEW

    client.post("/dang-xuat", data={"csrf_token": token})
    token = login(client, "phanbien")
    empty = client.post(f"{url}/tra-lai", data={"csrf_token": token, "comment": " "})
    assert empty.status_code == 422 and "cần nêu lý do" in empty.get_data(as_text=True)
    assert client.post(f"{url}/tra-lai", data={"csrf_token": token,
                                               "comment": "Phương án C chưa rõ."}
                       ).status_code == 302
    assert status_now(db, version) is ItemStatus.DRAFT
    page = client.get(url).get_data(as_text=True)
    assert "Phương án C chưa rõ." in section(page, "history")
    version.status = ItemStatus.IN_REVIEW  # the author sent it again
    db.commit()
    assert client.post(f"{url}/duyet", data={"csrf_token": token}).status_code == 302
    assert status_now(db, version) is ItemStatus.APPROVED


def test_teachers_cannot_approve(client, make_user, make_item):
    author = make_user("tacgia", Role.TEACHER)
    make_user("giaovien2", Role.TEACHER)
    version = make_item("Hàm nào tính tổng?", author_id=author.id, key="IU04-SUM",
                        status=ItemStatus.IN_REVIEW)
    token = login(client, "giaovien2")
    response = client.post(f"/ngan-hang/cau-hoi/{version.item_id}/duyet",
                           data={"csrf_token": token})
    assert response.status_code == 403


def test_bulk_submit_sends_the_ticked_drafts_for_review(client, db, make_user, make_item):
    teacher = make_user("giaovien", Role.TEACHER)
    first = make_item("Hàm nào tính tổng?", author_id=teacher.id, key="IU04-A")
    second = make_item("Hàm nào đếm ô?", author_id=teacher.id, key="IU04-B")
    token = login(client, "giaovien")
    response = client.post("/ngan-hang/gui-phan-bien", data={
        "csrf_token": token, "version_id": [str(first.id), str(second.id)]})
    assert response.status_code == 302
    assert {status_now(db, v) for v in (first, second)} == {ItemStatus.IN_REVIEW}


def test_import_preview_lists_every_error_and_imports_nothing(client, db, make_user, tree):
    make_user("giaovien", Role.TEACHER)
    good = ItemRecord(choice_item("single", "Phím tắt sao chép là gì?",
                                  ["Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+Z"], [0]),
                      module="IU03", code="IU03.4.1")
    bad = ItemRecord(choice_item("single", "Mã yêu cầu này không tồn tại?",
                                 ["Có", "Không", "Có thể", "Chưa rõ"], [1]),
                     module="IU04", code="IU04.99.9")
    data = write("excel", [good, bad]).data
    token = login(client, "giaovien")
    response = finished_job(client, client.post(
        "/ngan-hang/nhap", data={"csrf_token": token, "file": (_io(data), "cau-hoi.xlsx")},
        content_type="multipart/form-data"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    errors = page[page.index('id="errors"'):]
    assert "cau-hoi.xlsx" in errors and "hàng 3" in errors
    assert "IU04.99.9" in errors and "không có trong khung TT03" in errors
    assert 'id="confirm"' not in page
    token_field = client.post("/ngan-hang/nhap/xac-nhan", data={"csrf_token": token,
                                                               "token": "doan-bua"})
    assert token_field.status_code == 422
    assert db.scalar(select(func.count(Item.id))) == 0


def test_import_confirm_creates_drafts_of_the_uploaded_file(client, db, make_user, tree):
    teacher = make_user("giaovien", Role.TEACHER)
    record = ItemRecord(choice_item("single", "Phím tắt sao chép là gì?",
                                    ["Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+Z"], [0]),
                        module="IU03", code="IU03.4.1")
    token = login(client, "giaovien")
    preview = finished_job(client, client.post("/ngan-hang/nhap", data={
        "csrf_token": token, "file": (_io(write("excel", [record]).data), "cau-hoi.xlsx")},
        content_type="multipart/form-data")).get_data(as_text=True)
    assert "Phím tắt sao chép là gì?" in preview
    upload = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    response = finished_job(client, client.post("/ngan-hang/nhap/xac-nhan", data={
        "csrf_token": token, "token": upload}))
    assert response.status_code == 302 and "status=draft" in response.headers["Location"]
    versions = db.scalars(select(ItemVersion)).all()
    assert [(v.status, v.author_id) for v in versions] == [(ItemStatus.DRAFT, teacher.id)]
    again = client.post("/ngan-hang/nhap/xac-nhan", data={"csrf_token": token, "token": upload})
    assert again.status_code == 422  # the upload is spent: no double import


def test_an_import_job_is_seen_only_by_the_teacher_who_started_it(app, client, db, make_user,
                                                                  tree):
    make_user("giaovien", Role.TEACHER)
    make_user("dongnghiep", Role.TEACHER)
    record = ItemRecord(choice_item("single", "Phím tắt dán là gì?",
                                    ["Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+Z"], [1]),
                        module="IU03", code="IU03.4.1")
    token = login(client, "giaovien")
    started = client.post("/ngan-hang/nhap", data={
        "csrf_token": token, "file": (_io(write("excel", [record]).data), "cau-hoi.xlsx")},
        content_type="multipart/form-data")
    job_page = started.headers["Location"]
    job_id = job_page.rsplit("/", 1)[-1]
    assert finished_job(client, started).status_code == 200
    english = client.get(f"/ngan-hang/nhap/tien-do/{job_id}?lang=en").get_json()
    assert english["phase"] == "Checking each item"
    colleague = app.test_client()
    login(colleague, "dongnghiep")
    assert colleague.get(job_page).status_code == 404
    assert colleague.get(f"/ngan-hang/nhap/tien-do/{job_id}").status_code == 404
    assert client.get("/ngan-hang/nhap/tien-do/" + "z" * 32).status_code == 404


def test_excel_template_downloads(client, make_user):
    make_user("giaovien", Role.TEACHER)
    login(client, "giaovien")
    response = client.get("/ngan-hang/mau-excel.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"


def test_coverage_counts_approved_items_against_the_needs(client, make_user, make_item):
    teacher = make_user("giaovien", Role.TEACHER)
    make_item("Hàm nào tính tổng?", author_id=teacher.id, key="IU04-A",
              status=ItemStatus.APPROVED)
    make_item("Hàm nào đếm ô?", author_id=teacher.id, key="IU04-B", status=ItemStatus.APPROVED)
    make_item("Hàm nào lớn nhất?", author_id=teacher.id, key="IU04-C")  # a draft: not counted
    login(client, "giaovien")
    page = client.get("/ngan-hang/do-phu?n_IU04=3&n_IU03=0").get_data(as_text=True)
    row = _row(page, "IU04")
    assert '<td class="approved">2</td>' in row and "short" in row and "thiếu 1" in row
    assert '<td class="approved">2</td>' in _row(page, "IU04.5.2")
    assert '<td class="approved">0</td>' in _row(page, "IU03")


def _row(page: str, code: str) -> str:
    start = page.index(f'data-code="{code}"')
    start = page.rindex("<tr", 0, start)
    return page[start:page.index("</tr>", start)]


def finished_job(client, started):
    """The page of the job a POST started (preview or import), once the job has ended."""
    from exam_engine.kernel.jobs import wait_for_job
    assert started.status_code == 303, started.get_data(as_text=True)
    job_page = started.headers["Location"]
    job_id = job_page.rstrip("/").rsplit("/", 1)[-1]
    assert wait_for_job(job_id, timeout=60)
    progress = client.get(f"/ngan-hang/nhap/tien-do/{job_id}").get_json()
    assert progress["status"] in ("done", "failed") and progress["percent"] == 100
    return client.get(job_page)


def _io(data: bytes):
    import io
    return io.BytesIO(data)


def test_a_file_without_filing_is_filed_where_the_teacher_says(client, db, make_user, tree):
    make_user("giaovien", Role.TEACHER)
    aiken = ("Phím tắt nào dán nội dung?\nA. Ctrl+C\nB. Ctrl+V\nANSWER: B\n\n"
             "Phím tắt nào hoàn tác?\nA. Ctrl+Z\nB. Ctrl+Y\nANSWER: A\n").encode()
    token = login(client, "giaovien")
    refused = finished_job(client, client.post("/ngan-hang/nhap", data={
        "csrf_token": token, "file": (_io(aiken), "cu.txt")},
        content_type="multipart/form-data"))
    assert refused.status_code == 422 and "Cần mô-đun và mã yêu cầu" in refused.get_data(
        as_text=True)
    preview = finished_job(client, client.post("/ngan-hang/nhap", data={
        "csrf_token": token, "file": (_io(aiken), "cu.txt"), "default_module": "IU03",
        "default_code": "IU03.4.1", "default_subject": "Tin học", "default_grade": "10",
        "default_ic3_domain": "TB"}, content_type="multipart/form-data"))
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "IU03 / IU03.4.1" in page and "Tin học lớp 10" in page
    upload = re.search(r'name="token" value="([^"]+)"', page).group(1)
    finished_job(client, client.post("/ngan-hang/nhap/xac-nhan", data={
        "csrf_token": token, "token": upload}))
    items = db.scalars(select(Item).order_by(Item.id)).all()
    assert [(i.module, i.code, i.subject, i.grade, i.ic3_domain) for i in items] == [
        ("IU03", "IU03.4.1", "Tin học", 10, "TB")] * 2
