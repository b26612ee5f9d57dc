"""The bank's pages and API for filing (subject, grade, IC3 domain, tags), images, duplicates on
demand and export with its report of what a format cannot carry."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from exam_engine.kernel.accounts import Role
from item_bank import workflow
from item_bank.content import ItemRecord, choice_item
from item_bank.models import Item, ItemEvent, ItemStatus, MediaFile
from tests.conftest import login
from tests.item_bank.fixtures.samples import PNG

API = "/api/ngan-hang"
PNG_HASH = hashlib.sha256(PNG).hexdigest()


@pytest.fixture
def filed(db, tt03, make_user):
    """Three approved items: an IT-skill item with IC3 domain and tags, a maths item for grade
    10, and an exact copy of the first filed elsewhere."""
    teacher = make_user("giaovien", Role.TEACHER)
    make_user("phanbien", Role.REVIEWER)
    stem = "Hàm nào tính tổng các ô trong một vùng?"
    records = [
        ItemRecord(choice_item("single", stem, ["SUM", "AVERAGE"], [0]), module="IU04",
                   code="IU04.5.2", ic3_domain="CC", tags=("hàm", "Bảng tính")),
        ItemRecord(choice_item("single", "Nghiệm của phương trình 2x = 6 là?", ["3", "6"], [0]),
                   subject="Toán", grade=10, difficulty="easy", tags=("phương trình",)),
        ItemRecord(choice_item("single", stem, ["SUM", "AVERAGE"], [0]), subject="Tin học",
                   grade=10),
    ]
    versions = [workflow.create_item(db, r, key=f"K{i}", author_id=teacher.id)
                for i, r in enumerate(records)]
    for version in versions:
        version.status = ItemStatus.APPROVED
    db.commit()
    return versions


def test_items_are_found_by_subject_grade_ic3_domain_and_tag(client, filed):
    login(client, "giaovien")

    def keys(query: str) -> list[str]:
        page = client.get(f"/ngan-hang/?{query}").get_data(as_text=True)
        return sorted(k for k in ("K0", "K1", "K2") if f'data-key="{k}"' in page)

    assert keys("subject=To%C3%A1n") == ["K1"]
    assert keys("grade=10") == ["K1", "K2"]
    assert keys("ic3=CC") == ["K0"]
    assert keys("tag=B%E1%BA%A2NG+T%C3%8DNH") == ["K0"]  # "BẢNG TÍNH": a tag, any case
    assert keys("tag=h%C3%A0m&ic3=CC") == ["K0"]


def test_items_are_found_by_author(client, db, filed):
    other = make_other_author(db)
    login(client, "giaovien")
    page = client.get(f"/ngan-hang/?author={other.id}").get_data(as_text=True)
    assert 'data-key="K9"' in page and 'data-key="K0"' not in page
    assert "Lê Văn Tám</option>" in page  # the author list names everyone who wrote items


def make_other_author(db):
    from exam_engine.kernel.accounts import create_user
    author = create_user(db, "tacgia2", "mật-khẩu-123", "Lê Văn Tám", Role.TEACHER)
    workflow.create_item(db, ItemRecord(choice_item("single", "Ổ cứng SSD khác HDD ở điểm nào?",
                                                    ["Không có đĩa quay", "Rẻ hơn"], [0]),
                                        module="IU04", code="IU04.5.2"),
                         key="K9", author_id=author.id)
    db.commit()
    return author


def test_the_item_page_shows_where_the_item_is_filed(client, filed):
    login(client, "giaovien")
    page = client.get(f"/ngan-hang/cau-hoi/{filed[0].item_id}").get_data(as_text=True)
    assert "Tạo nội dung" in page and 'id="item-code">IU04.5.2' in page
    assert ">hàm</a>" in page and ">Bảng tính</a>" in page
    page = client.get(f"/ngan-hang/cau-hoi/{filed[1].item_id}").get_data(as_text=True)
    assert 'id="item-subject">Toán, lớp 10' in page and "Dễ" in page
    english = client.get(f"/ngan-hang/cau-hoi/{filed[0].item_id}?lang=en").get_data(as_text=True)
    assert "Content Creation" in english


def test_duplicates_in_the_bank_are_listed_on_demand(client, db, filed):
    login(client, "phanbien")
    page = client.get("/ngan-hang/trung-lap").get_data(as_text=True)
    assert 'data-pair="K0 K2"' in page and "Trùng hoàn toàn" in page
    assert "K1" not in page.split('id="duplicates"')[1]
    filed[2].status = ItemStatus.RETIRED  # retired items are not counted
    db.commit()
    page = client.get("/ngan-hang/trung-lap").get_data(as_text=True)
    assert "data-pair=" not in page and "Không có câu hỏi trùng lặp." in page


def test_coverage_counts_approved_items_per_ic3_domain_and_subject(client, filed):
    login(client, "giaovien")
    page = client.get("/ngan-hang/do-phu").get_data(as_text=True)
    ic3 = page.split('id="coverage-ic3"')[1].split("</table>")[0]
    assert '<tr data-ic3="CC"><td>CC — Tạo nội dung</td><td class="approved">1</td>' in ic3
    assert '<tr data-ic3="TB"><td>CC' not in ic3
    subjects = page.split('id="coverage-subjects"')[1].split("</table>")[0]
    assert "<td>Toán</td><td>10</td><td class=\"approved\">1</td>" in subjects
    assert "<td>Tin học</td><td>10</td><td class=\"approved\">1</td>" in subjects


def test_export_page_names_what_the_format_cannot_carry_then_downloads(client, filed):
    login(client, "giaovien")
    page = client.get("/ngan-hang/xuat?format=aiken&status=approved").get_data(as_text=True)
    assert 'id="export-count">3 ' in page
    report = page.split('id="not-carried"')[1]
    assert "K0" in report and "thẻ" in report  # tags (and the IC3 domain with them)
    assert "môn học" in page.split('id="not-carried"')[1]
    download = client.get(f"{API}/export?format=aiken&status=approved")
    assert download.status_code == 200 and "ANSWER: A" in download.get_data(as_text=True)
    page = client.get("/ngan-hang/xuat?format=excel&status=approved").get_data(as_text=True)
    assert 'id="all-carried"' in page
    assert client.get("/ngan-hang/xuat?format=pdf").status_code == 400


def test_an_uploaded_image_is_served_by_its_hash_to_anyone(client, db, make_user):
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    response = client.post("/ngan-hang/hinh-anh", headers={"X-CSRFToken": token},
                           data={"file": (io.BytesIO(PNG), "sơ đồ.png")})
    assert response.status_code == 200 and response.json["url"] == f"/media/{PNG_HASH}.png"
    refused = client.post("/ngan-hang/hinh-anh", headers={"X-CSRFToken": token},
                          data={"file": (io.BytesIO(b"<script>"), "x.png")})
    assert refused.status_code == 422 and "không phải hình ảnh" in refused.json["message"]
    client.post("/dang-xuat", data={"csrf_token": token})
    served = client.get(f"/media/{PNG_HASH}.png")  # no login
    assert served.status_code == 200 and served.data == PNG
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert "immutable" in served.headers["Cache-Control"]
    again = client.get(f"/media/{PNG_HASH}.png", headers={"If-None-Match": f'"{PNG_HASH}"'})
    assert again.status_code == 304
    assert client.get(f"/media/{PNG_HASH}.gif").status_code == 404
    assert client.get(f"/media/{'0' * 64}.png").status_code == 404
    assert db.scalar(select(func.count()).select_from(MediaFile)) == 1


def test_only_authors_upload_images(client, make_user):
    assert client.post("/ngan-hang/hinh-anh").status_code in (302, 400)
    make_user("hocsinh", Role.STUDENT)
    token = login(client, "hocsinh")
    response = client.post("/ngan-hang/hinh-anh", headers={"X-CSRFToken": token},
                           data={"file": (io.BytesIO(PNG), "a.png")})
    assert response.status_code == 403


def test_the_api_files_a_general_subject_item_and_reclassifies_without_a_new_version(
        client, db, tt03, make_user):
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    content = {"kind": "single", "stem": "Số nào là số nguyên tố?",
               "choices": [{"id": "A", "text": "4"}, {"id": "B", "text": "7"}],
               "key": {"correct": "B"}}
    missing = client.post(f"{API}/items", json={"content": content},
                          headers={"X-CSRFToken": token})
    assert missing.status_code == 422 and missing.json["problems"][0]["field"] == "module"
    created = client.post(f"{API}/items", headers={"X-CSRFToken": token}, json={
        "content": content, "subject": "Toán", "grade": 6, "tags": ["số học", "Số học"]})
    assert created.status_code == 201, created.json
    version = created.json["version"]
    assert (version["subject"], version["grade"], version["module"], version["tags"]) == (
        "Toán", 6, None, ["số học"])
    item_id = version["item_id"]
    db.get(Item, item_id).versions[0].status = ItemStatus.APPROVED
    db.commit()
    moved = client.put(f"{API}/items/{item_id}/classification", headers={"X-CSRFToken": token},
                       json={"module": "IU04", "code": "IU04.5.2", "ic3_domain": "TB",
                             "subject": "Toán", "grade": 6, "tags": ["hàm"]})
    assert moved.status_code == 200, moved.json
    assert (moved.json["version"]["version"], moved.json["version"]["status"]) == (1, "approved")
    assert moved.json["version"]["code"] == "IU04.5.2"
    event = db.scalar(select(ItemEvent).where(ItemEvent.action == "reclassified"))
    assert event.comment == "module, code, ic3_domain, tags"
    wrong = client.put(f"{API}/items/{item_id}/classification", headers={"X-CSRFToken": token},
                       json={"module": "IU04", "code": "IU06.4.1"})
    assert wrong.status_code == 422 and wrong.json["problems"][0]["field"] == "code"


def test_the_api_lists_duplicates_and_refuses_a_bad_threshold(client, filed):
    login(client, "giaovien")
    pairs = client.get(f"{API}/duplicates").json["pairs"]
    assert [(p["first"]["key"], p["second"]["key"], p["kind"]) for p in pairs] == [
        ("K0", "K2", "exact")]
    assert client.get(f"{API}/duplicates?threshold=0.2").status_code == 400
    assert client.get(f"{API}/duplicates?threshold=abc").status_code == 400


def test_the_api_item_has_no_statistics_before_any_exam(client, filed):
    login(client, "giaovien")
    item = client.get(f"{API}/items/{filed[0].item_id}").json
    assert item["statistics"] == {str(filed[0].id): None}  # no exam has used it yet
