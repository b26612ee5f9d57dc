"""The candidate's pages and JSON API through the real app (test client, real database)."""

from __future__ import annotations

import re

import pytest

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import transaction
from exam_engine.kernel.login_sessions import ENDED_MOVED, end_attempt_login_sessions
from tests.conftest import candidate_login_form


def _csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def _login_candidate(client, session, number="BN0001"):
    response = candidate_login_form(client, session.session_code, number)
    assert response.status_code == 302, response.get_data(as_text=True)
    return _csrf(client.get("/thi/").get_data(as_text=True))


def test_candidate_sits_saves_and_submits_through_the_api(client, make_session):
    session = make_session(n_candidates=2)
    token = _login_candidate(client, session)
    assert client.post("/thi/bat-dau", data={"csrf_token": token}).status_code == 302
    page = client.get("/thi/").get_data(as_text=True)
    assert "exam.js" in page
    paper = client.get("/thi/api/paper").get_json()
    assert paper["status"] == "in_progress" and len(paper["questions"]) == 12
    assert 0 < paper["seconds_left"] <= 30 * 60
    headers = {"X-CSRFToken": token}
    ack = client.post("/thi/api/answers", json={"position": 0, "selected": [1], "seq": 1},
                      headers=headers)
    assert ack.status_code == 200 and ack.get_json()["seq"] == 1
    stale = client.post("/thi/api/answers", json={"position": 0, "selected": [3], "seq": 0},
                        headers=headers)
    assert stale.status_code == 422
    resumed = client.get("/thi/api/paper").get_json()
    assert resumed["questions"][0]["selected"] == [1]
    done = client.post("/thi/api/submit", json={}, headers=headers)
    assert done.status_code == 200 and done.get_json()["receipt"].startswith("KQ-")
    refused = client.post("/thi/api/answers", json={"position": 1, "selected": [0], "seq": 1},
                          headers=headers)
    assert refused.status_code == 409
    assert "đã nộp" in refused.get_json()["message"]
    result = client.get("/thi/ket-qua").get_data(as_text=True)
    assert "Kết quả bài thi" in result and "Nguyễn Thị Ánh Tuyết" in result


def test_saves_without_the_csrf_token_are_refused(client, make_session):
    session = make_session()
    token = _login_candidate(client, session)
    client.post("/thi/bat-dau", data={"csrf_token": token})
    response = client.post("/thi/api/answers", json={"position": 0, "selected": [1], "seq": 1})
    assert response.status_code == 400 and response.get_json()["error"] == "CSRFError"


def test_wrong_login_code_is_refused_in_vietnamese(client, make_session):
    make_session()
    page = client.get("/thi/dang-nhap").get_data(as_text=True)
    response = client.post("/thi/dang-nhap", data={
        "candidate_number": "BN0001", "login_code": "ZZZZZZ", "csrf_token": _csrf(page)})
    assert response.status_code == 401
    assert "Số báo danh hoặc mã đăng nhập không đúng" in response.get_data(as_text=True)


def test_answer_keys_never_reach_the_candidate(client, make_session, db):
    from sqlalchemy import select

    from exam_engine.exams.models import AttemptItem
    from item_bank.models import ItemVersion
    session = make_session(n_candidates=1)
    token = _login_candidate(client, session)
    client.post("/thi/bat-dau", data={"csrf_token": token})
    body = client.get("/thi/api/paper").get_data(as_text=True) + client.get("/thi/").get_data(as_text=True)
    assert '"correct"' not in body and "explanation" not in body
    attempt_id = session.candidates[0].attempt.id
    for slot in db.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)):
        version = db.get(ItemVersion, slot.item_version_id)
        assert version.stem in body  # the question is there; its key is not


@pytest.mark.parametrize("path", ["/can-bo/ca-thi", "/can-bo/so-goc"])
def test_staff_pages_need_a_staff_login(client, make_user, path):
    assert client.get(path).status_code == 302
    make_user("giaovien", Role.TEACHER)
    page = client.get("/dang-nhap").get_data(as_text=True)
    client.post("/dang-nhap", data={"username": "giaovien", "password": "mật-khẩu-123",
                                    "csrf_token": _csrf(page)})
    assert client.get(path).status_code == 403


def test_english_is_available(client):
    page = client.get("/thi/dang-nhap?lang=en").get_data(as_text=True)
    assert "Candidate login" in page and "Login code" in page
    assert "Thí sinh đăng nhập" in client.get("/thi/dang-nhap?lang=vi").get_data(as_text=True)


def test_another_computer_resumes_with_every_answer_and_the_same_deadline(app, make_session):
    session = make_session(n_candidates=1)
    first = app.test_client()
    token = _login_candidate(first, session)
    first.post("/thi/bat-dau", data={"csrf_token": token})
    for position, choice in ((0, [2]), (5, [1]), (11, [0])):
        ack = first.post("/thi/api/answers", json={"position": position, "selected": choice,
                                                   "seq": 1}, headers={"X-CSRFToken": token})
        assert ack.status_code == 200
    before = first.get("/thi/api/paper").get_json()
    # the first computer died: the proctor moves the candidate to a spare (issue 11: its login
    # ends as "moved"; a new card's code lets him in there)
    with transaction(app.extensions["db_sessions"]) as unit:
        end_attempt_login_sessions(unit, session.candidates[0].attempt.id, reason=ENDED_MOVED)
    second = app.test_client()
    other_token = _login_candidate(second, session)
    second.post("/thi/bat-dau", data={"csrf_token": other_token})  # starting again is resuming
    after = second.get("/thi/api/paper").get_json()
    assert after["deadline"] == before["deadline"]
    assert after["seconds_left"] <= before["seconds_left"]
    answered = {q["position"]: q["selected"] for q in after["questions"] if q["selected"]}
    assert answered == {0: [2], 5: [1], 11: [0]}
