"""Staff session pages for issue 10: scheduling is idempotent under concurrency (hole 2), a
refused roster lists every error and keeps the form (hole 14), levels are never mixed (hole
13), approval is confirmed and names who is still sitting, and an absentee cannot sit after
approval (hole 4), demo IRT parameters are said to be demo (hole 15)."""

from __future__ import annotations

import html
import io
import re
import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from exam_engine.exams import delivery
from exam_engine.exams.models import Attempt, AttemptItem, Candidate, ExamSession
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.db import utcnow
from item_bank.models import ItemVersion
from tests.conftest import candidate_login_form, login

FORM = {"title": "Kỳ thi tháng 12", "exam_date": "2026-12-05", "room": "Phòng máy 2",
        "exam_council": "Hội đồng thi Sở GD&ĐT Bắc Ninh", "duration_minutes": "35",
        "pass_percent": "50", **{f"n_IU0{i}": "2" for i in range(1, 7)}}
HEADER = "so_bao_danh,ho_ten,ngay_sinh,noi_sinh,gioi_tinh,cccd,dan_toc\n"


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _attempt_count(db, session_id: int) -> int:
    db.rollback()
    return db.scalar(select(func.count(Attempt.id)).join(Candidate)
                     .where(Candidate.exam_session_id == session_id))


def test_scheduling_twice_is_a_calm_no_op(client, db, make_session, make_user):
    """Reproduces hole 2 (exam side): a second "Xếp đề" gave a 500."""
    session = make_session(n_candidates=3, schedule=False)
    make_user()
    token = login(client, "canbo")
    first = client.post(f"/can-bo/ca-thi/{session.id}/xep-de", data={"csrf_token": token})
    second = client.post(f"/can-bo/ca-thi/{session.id}/xep-de", data={"csrf_token": token},
                         follow_redirects=True)
    assert first.status_code == 302 and second.status_code == 200
    assert "Ca thi đã được xếp đề trước đó: không xếp lại." in _text(second)
    assert _attempt_count(db, session.id) == 3


def test_simultaneous_schedulings_assemble_every_form_once(app, db, make_session, make_user):
    """Reproduces hole 2 on PostgreSQL: two staff pressing "Xếp đề" at once gave a 500
    (unique attempt per candidate). Real threads, one client and database session each."""
    session = make_session(n_candidates=4, schedule=False)
    make_user()
    clients = [app.test_client() for _ in range(4)]
    tokens = [login(c, "canbo") for c in clients]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def schedule(client, token):
        barrier.wait()
        statuses.append(client.post(f"/can-bo/ca-thi/{session.id}/xep-de",
                                    data={"csrf_token": token}).status_code)

    threads = [threading.Thread(target=schedule, args=pair) for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302] * 4
    assert _attempt_count(db, session.id) == 4
    assert db.scalar(select(func.count()).select_from(AttemptItem)) == 4 * 12


def test_a_refused_roster_lists_every_error_and_keeps_the_form(client, db, make_user):
    """Reproduces hole 14: validation stopped at the first error and the form was lost."""
    make_user()
    token = login(client, "canbo")
    roster = (HEADER + "BN01,Lê Văn Tám,02/09/1995,Huế,Nam,024095001111,Kinh\n"
              "BN02,Phạm Thị Chín,30/02/1995,Huế,Nữ,024095001112,Kinh\n"
              "BN03,Đỗ Minh,01/01/1990,Huế,Khác,12345,Kinh\n"
              "BN01,,01/01/1991,Huế,Nam,024095001113,Kinh\n")
    response = client.post("/can-bo/ca-thi", data={**FORM, "title": "Ca chiều thứ Bảy",
                                                   "roster_csv": roster, "csrf_token": token})
    page = _text(response)
    assert response.status_code == 422
    for problem in ("dòng 3, ngay_sinh: '30/02/1995' không phải ngày dd/mm/yyyy",
                    "dòng 4, giới tính", "dòng 4, CCCD: phải gồm đúng 12 chữ số",
                    "dòng 5, họ và tên: không được để trống", "dòng 5, số báo danh: BN01 bị trùng"):
        assert problem in page
    assert 'value="Ca chiều thứ Bảy"' in page and "Phạm Thị Chín,30/02/1995" in page
    assert db.scalar(select(func.count(ExamSession.id))) == 0


def test_an_uploaded_roster_comes_back_as_text_to_correct(client, db, make_user):
    make_user()
    token = login(client, "canbo")
    upload = (HEADER + "BN01,Lê Văn Tám,31/02/1995,Huế,Nam,024095001111,Kinh\n").encode()
    response = client.post("/can-bo/ca-thi", content_type="multipart/form-data", data={
        **FORM, "csrf_token": token, "roster_file": (io.BytesIO(upload), "danh-sach.csv")})
    page = _text(response)
    assert response.status_code == 422 and "dòng 2, ngay_sinh" in page
    assert "Lê Văn Tám,31/02/1995" in page


def test_a_session_mixing_basic_and_advanced_modules_is_refused(client, db, make_user):
    """Reproduces hole 13: a mixed session passed approval and crashed at issue."""
    make_user()
    token = login(client, "canbo")
    response = client.post("/can-bo/ca-thi", data={**FORM, "n_IU08": "2", "csrf_token": token})
    assert response.status_code == 400
    assert "không được trộn mô-đun cơ bản và nâng cao" in _text(response)
    assert db.scalar(select(func.count(ExamSession.id))) == 0


def test_approval_is_confirmed_first_and_absentees_cannot_sit_afterwards(
        app, client, db, make_session, make_user):
    """Reproduces hole 4 through the pages: approve, then the absent candidate logs in."""
    session = make_session(n_candidates=2)
    sitter = session.candidates[0].attempt
    delivery.start_attempt(db, sitter.id, utcnow() - timedelta(minutes=31))
    db.commit()
    make_user()
    token = login(client, "canbo")
    unconfirmed = client.post(f"/can-bo/ca-thi/{session.id}/duyet", data={"csrf_token": token})
    assert unconfirmed.status_code == 302
    assert unconfirmed.headers["Location"].endswith(f"/can-bo/ca-thi/{session.id}/duyet")
    db.rollback()
    assert db.get(ExamSession, session.id).status.value == "scheduled"
    confirm = _text(client.get(f"/can-bo/ca-thi/{session.id}/duyet"))
    assert "Sẽ ghi nhận vắng" in confirm and "Trần Văn Đức (SBD BN0002)" in confirm
    approved = client.post(f"/can-bo/ca-thi/{session.id}/duyet",
                           data={"csrf_token": token, "confirm": "yes"}, follow_redirects=True)
    assert approved.status_code == 200
    row = re.search(r'<tr data-candidate="BN0002">.*?</tr>', _text(approved), re.S).group(0)
    assert "Vắng" in row

    # Issue 11: the absent candidate's personal code is refused at the login itself now (it
    # used to let him in and refuse the start), so there is no exam page to start from.
    candidate = app.test_client()
    refused = candidate_login_form(candidate, session.session_code, "BN0002")
    assert refused.status_code == 401 and "vắng thi" in _text(refused)
    assert candidate.get("/thi/").status_code == 302
    db.rollback()
    assert db.get(Attempt, session.candidates[1].attempt.id).status is AttemptStatus.ABSENT


def test_approval_refused_while_sitting_names_the_candidates(client, db, make_session, make_user):
    session = make_session(n_candidates=2)
    delivery.start_attempt(db, session.candidates[1].attempt.id, utcnow())
    db.commit()
    make_user()
    token = login(client, "canbo")
    confirm = _text(client.get(f"/can-bo/ca-thi/{session.id}/duyet"))
    assert 'id="still-sitting"' in confirm and "Trần Văn Đức (SBD BN0002)" in confirm
    refused = client.post(f"/can-bo/ca-thi/{session.id}/duyet",
                          data={"csrf_token": token, "confirm": "yes"})
    assert refused.status_code == 409
    assert "Còn 1 thí sinh đang làm bài: Trần Văn Đức (SBD BN0002)" in _text(refused)


def test_theta_from_demo_parameters_is_labelled_as_demo(client, db, make_session, make_user):
    """Reproduces hole 15 (staff page): θ ± SE from demo item parameters had no word of it."""
    session = make_session(n_candidates=1)
    attempt = session.candidates[0].attempt
    delivery.start_attempt(db, attempt.id, utcnow())
    delivery.submit_attempt(db, attempt.id, actor="candidate", now=utcnow())
    db.commit()
    make_user()
    login(client, "canbo")
    assert 'id="demo-parameters"' in _text(client.get(f"/can-bo/ca-thi/{session.id}"))
    db.execute(update(ItemVersion).values(irt_is_demo=False))
    db.commit()
    assert 'id="demo-parameters"' not in _text(client.get(f"/can-bo/ca-thi/{session.id}"))
