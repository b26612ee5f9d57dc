"""Staff and proctor pages: who may do what, and all-or-nothing session creation."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from exam_engine.exams.models import ExamSession
from exam_engine.kernel.accounts import Role
from tests.conftest import login

FORM = {"title": "Kỳ thi tháng 12", "exam_date": "2026-12-05", "room": "Phòng máy 2",
        "exam_council": "Hội đồng thi Sở GD&ĐT Bắc Ninh", "duration_minutes": "35",
        "pass_percent": "50", **{f"n_IU0{i}": "2" for i in range(1, 7)}}


def test_staff_create_and_schedule_a_session_from_the_form(client, db, make_user, make_bank):
    make_bank()
    make_user("canbo", Role.STAFF)
    token = login(client, "canbo")
    roster = ("so_bao_danh,ho_ten,ngay_sinh,noi_sinh,gioi_tinh,cccd,dan_toc\n"
              "BN0101,Trương Ngọc Ưng Hoàng,02/09/1995,Bắc Giang,Nam,024095001111,Kinh\n")
    response = client.post("/can-bo/ca-thi", data={**FORM, "roster_csv": roster, "csrf_token": token})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Trương Ngọc Ưng Hoàng" in page and "Nháp" in page
    session_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    client.post(f"/can-bo/ca-thi/{session_id}/xep-de", data={"csrf_token": token})
    assert db.get(ExamSession, session_id).status.value == "scheduled"


def test_a_bad_roster_creates_nothing_and_names_the_line(client, db, make_user):
    make_user("canbo", Role.STAFF)
    token = login(client, "canbo")
    roster = ("so_bao_danh,ho_ten,ngay_sinh,noi_sinh,gioi_tinh,cccd\n"
              "BN0101,Lê Văn Tám,02/09/1995,Huế,Nam,024095001111\n"
              "BN0102,Phạm Thị Chín,30/02/1995,Huế,Nữ,024095001112\n")
    response = client.post("/can-bo/ca-thi", data={**FORM, "roster_csv": roster, "csrf_token": token})
    assert response.status_code == 422
    assert "dòng 3, ngay_sinh" in response.get_data(as_text=True)
    assert db.scalar(select(func.count(ExamSession.id))) == 0


def test_proctors_see_the_session_code_but_cannot_approve_or_issue(client, make_session, make_user):
    session = make_session(n_candidates=1)
    make_user("giamthi", Role.PROCTOR)
    token = login(client, "giamthi")
    page = client.get(f"/can-bo/ca-thi/{session.id}").get_data(as_text=True)
    assert session.session_code in page and 'id="approve"' not in page
    assert client.post(f"/can-bo/ca-thi/{session.id}/duyet", data={"csrf_token": token}).status_code == 403
    assert client.get("/can-bo/so-goc").status_code == 403


def test_forms_without_csrf_token_are_refused(client, make_user):
    make_user("canbo", Role.STAFF)
    login(client, "canbo")
    assert client.post("/can-bo/ca-thi", data=FORM).status_code == 400


def test_repeated_wrong_passwords_lock_that_account_name_only(client, make_user):
    make_user("canbo", Role.STAFF)
    make_user("canbo2", Role.STAFF)
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    for _ in range(10):
        assert client.post("/dang-nhap", data={"username": "canbo", "password": "sai-mat-khau",
                                               "csrf_token": token}).status_code == 401
    locked = client.post("/dang-nhap", data={"username": "canbo", "password": "mật-khẩu-123",
                                            "csrf_token": token})
    assert locked.status_code == 401 and "Quá nhiều lần" in locked.get_data(as_text=True)
    assert login(client, "canbo2")  # a colleague at the same address still gets in
