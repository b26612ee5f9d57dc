"""One live seat per candidate (issue 11), end to end through the app on SQLite and
PostgreSQL: a second browser logging in to an attempt another browser holds — or with a code
the start already spent — never sits beside it silently. It waits; the proctor's admission
moves the candidate to it; the old browser stops saving and is told why; no answer
acknowledged on the old computer is lost on the new one."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from exam_engine.exams.models import Answer
from exam_engine.exams.states import LoginMode
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.login_sessions import ENDED_LOGOUT, ENDED_MOVED, LoginSession
from proctor.models import ActionKind, AdmissionRequest, ExamEvent, ProctorAction
from tests.conftest import csrf_token_of, login, personal_code_for, race

WAITING = "/thi/cho-giam-thi"


def _log_in(client, number: str, code: str):
    page = client.get("/thi/dang-nhap").get_data(as_text=True)
    return client.post("/thi/dang-nhap", data={"candidate_number": number, "login_code": code,
                                               "csrf_token": csrf_token_of(page)},
                       environ_base={"REMOTE_ADDR": getattr(client, "remote_addr", "127.0.0.1")},
                       headers={"User-Agent": getattr(client, "user_agent", "Werkzeug")})


def _browser(app, remote_addr: str, user_agent: str):
    client = app.test_client()
    client.remote_addr, client.user_agent = remote_addr, user_agent
    return client


def _start(client) -> str:
    token = csrf_token_of(client.get("/thi/").get_data(as_text=True))
    assert client.post("/thi/bat-dau", data={"csrf_token": token}).status_code == 302
    return token


def _save(client, token: str, question: dict, seq: int, choice: int):
    return client.post("/thi/api/answers", headers={"X-CSRFToken": token}, json={
        "position": question["position"], "seq": seq,
        "response": [question["option_ids"][choice]]})


def _fresh(db):
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    db.expire_all()
    return db


def _proctor(app, make_user):
    make_user("giamthi", Role.PROCTOR)
    client = app.test_client()
    return client, login(client, "giamthi")


def _waiting_table(proctor, session_id: int) -> str:
    page = proctor.get(f"/giam-thi/ca-thi/{session_id}/cho-vao").get_data(as_text=True)
    return re.search(r'<table class="grid" id="waiting">.*?</table>', page, re.S).group(0)


def _admit(proctor, token: str, request_id: int, reason: str = ""):
    return proctor.post(f"/giam-thi/cho-vao/{request_id}", data={
        "csrf_token": token, "reason": reason, "idempotency_key": f"admit-{request_id}"})


def test_a_second_browser_waits_and_the_proctors_admission_moves_the_candidate_to_it(
        app, db, make_session, make_user):
    session = make_session(n_candidates=2)
    code = personal_code_for(app, session.session_code)
    old = _browser(app, "10.0.0.11", "Máy A1")
    assert _log_in(old, "BN0001", code).headers["Location"].endswith("/thi/")
    token = _start(old)
    questions = old.get("/thi/api/paper").get_json()["questions"]
    assert _save(old, token, questions[0], 1, 2).status_code == 200
    assert _save(old, token, questions[1], 1, 0).status_code == 200
    assert _save(old, token, questions[1], 2, 1).status_code == 200  # changed his mind

    new = _browser(app, "10.0.0.12", "Máy B3")
    second = _log_in(new, "BN0001", code)
    assert second.status_code == 302 and second.headers["Location"].endswith(WAITING)
    page = new.get(WAITING)
    assert page.status_code == 200 and page.headers["Refresh"] == "3"
    assert 'data-reason="second_login"' in page.get_data(as_text=True)
    assert "đang được làm ở một máy khác" in page.get_data(as_text=True)
    assert new.get("/thi/").status_code == 302  # not in
    assert _save(old, token, questions[2], 1, 0).status_code == 200  # the old one sits on

    request = _fresh(db).scalar(select(AdmissionRequest))
    assert request.reason == "second_login" and request.remote_addr == "10.0.0.12"
    event = db.scalar(select(ExamEvent))
    assert (event.attempt_id, event.kind, event.client_seq) == (request.attempt_id,
                                                                "second_login", None)
    assert event.detail == {"remote_addr": "10.0.0.12", "user_agent": "Máy B3",
                            "request_id": request.id}
    proctor, proctor_token = _proctor(app, make_user)
    listed = _waiting_table(proctor, session.id)
    assert "BN0001" in listed and "Đăng nhập lần hai — chuyển máy?" in listed
    assert "Xác nhận chuyển máy" in listed

    assert _admit(proctor, proctor_token, request.id, "Máy A1 hỏng bàn phím").status_code == 302
    [move] = _fresh(db).scalars(select(ProctorAction)).all()
    assert (move.kind, move.reason, move.candidate_id) == (
        ActionKind.MOVE, "Máy A1 hỏng bàn phím", session.candidates[0].id)
    assert move.detail["ended_logins"] == 1 and move.detail["request_id"] == request.id
    assert db.scalars(select(LoginSession.ended_reason)
                      .where(LoginSession.attempt_id.is_not(None))).all() == [ENDED_MOVED]

    entered = new.get(WAITING)
    assert entered.status_code == 302 and entered.headers["Location"].endswith("/thi/")
    paper = new.get("/thi/api/paper").get_json()
    assert paper["status"] == "in_progress"
    acknowledged = {q["position"]: (q["seq"], q["response"]) for q in paper["questions"][:3]}
    assert acknowledged == {
        questions[0]["position"]: (1, [questions[0]["option_ids"][2]]),
        questions[1]["position"]: (2, [questions[1]["option_ids"][1]]),
        questions[2]["position"]: (1, [questions[2]["option_ids"][0]])}

    refused = _save(old, token, questions[3], 1, 0)
    assert refused.status_code == 409 and refused.get_json()["error"] == "MovedAway"
    new_token = csrf_token_of(new.get("/thi/").get_data(as_text=True))
    assert _save(new, new_token, questions[3], 1, 1).status_code == 200
    assert _save(new, new_token, questions[0], 2, 3).status_code == 200
    stored = {a.position: a.seq for a in _fresh(db).scalars(select(Answer))}
    assert stored == {questions[i]["position"]: seq for i, seq in ((0, 2), (1, 2), (2, 1),
                                                                  (3, 1))}


def test_the_old_browser_is_told_it_was_moved_not_sent_to_the_login(app, make_session,
                                                                     make_user, db):
    session = make_session(n_candidates=1)
    code = personal_code_for(app, session.session_code)
    old = app.test_client()
    _log_in(old, "BN0001", code)
    _start(old)
    new = app.test_client()
    _log_in(new, "BN0001", code)
    proctor, token = _proctor(app, make_user)
    _admit(proctor, token, _fresh(db).scalar(select(AdmissionRequest.id)))
    page = old.get("/thi/")
    assert page.status_code == 409
    assert "Bạn đã được cán bộ coi thi chuyển sang máy khác" in page.get_data(as_text=True)


def test_a_second_login_before_the_start_waits_too(app, db, make_session):
    session = make_session(n_candidates=1)
    code = personal_code_for(app, session.session_code)
    first = app.test_client()
    assert _log_in(first, "BN0001", code).headers["Location"].endswith("/thi/")
    second = app.test_client()
    assert _log_in(second, "BN0001", code).headers["Location"].endswith(WAITING)
    assert first.get("/thi/").status_code == 200
    assert _fresh(db).scalar(select(AdmissionRequest.reason)) == "second_login"


def test_a_code_spent_by_the_start_waits_even_with_no_live_login(app, db, make_session):
    """His browser was closed (the cookie gone): the code that started the exam no longer
    lets anyone in alone."""
    session = make_session(n_candidates=1)
    code = personal_code_for(app, session.session_code)
    first = app.test_client()
    _log_in(first, "BN0001", code)
    _start(first)
    first.post("/dang-xuat", data={"csrf_token": csrf_token_of(
        first.get("/thi/").get_data(as_text=True))})
    assert _fresh(db).scalars(select(LoginSession.ended_reason)).all() == [ENDED_LOGOUT]
    later = app.test_client()
    assert _log_in(later, "BN0001", code).headers["Location"].endswith(WAITING)
    assert _fresh(db).scalar(select(AdmissionRequest.reason)) == "second_login"


def test_the_same_browser_logging_in_again_is_no_second_device(app, db, make_session):
    session = make_session(n_candidates=1)
    code = personal_code_for(app, session.session_code)
    browser = app.test_client()
    _log_in(browser, "BN0001", code)
    _start(browser)
    again = _log_in(browser, "BN0001", code)
    assert again.headers["Location"].endswith("/thi/")
    assert browser.get("/thi/api/paper").get_json()["status"] == "in_progress"
    assert _fresh(db).scalars(select(AdmissionRequest)).all() == []
    reasons = sorted(r or "" for r in db.scalars(select(LoginSession.ended_reason)))
    assert reasons == ["", ENDED_LOGOUT]  # the cookie it replaced is ended, not left live


def test_after_the_proctor_moved_him_a_new_card_lets_him_in_at_the_new_computer(
        app, db, make_session, make_user):
    session = make_session(n_candidates=1)
    code = personal_code_for(app, session.session_code)
    old = app.test_client()
    _log_in(old, "BN0001", code)
    token = _start(old)
    question = old.get("/thi/api/paper").get_json()["questions"][0]
    _save(old, token, question, 1, 1)
    proctor, proctor_token = _proctor(app, make_user)
    candidate_id = session.candidates[0].id
    assert proctor.post(f"/giam-thi/thi-sinh/{candidate_id}/chuyen-cho", data={
        "csrf_token": proctor_token, "seat": "Máy 12", "reason": "Máy hỏng",
        "idempotency_key": "move-1"}).status_code == 302  # a session without rooms
    new_code = personal_code_for(app, session.session_code)
    new = app.test_client()
    assert _log_in(new, "BN0001", new_code).headers["Location"].endswith("/thi/")
    paper = new.get("/thi/api/paper").get_json()
    assert paper["questions"][0]["response"] == [question["option_ids"][1]]
    assert _log_in(app.test_client(), "BN0001", new_code).headers["Location"].endswith(WAITING)


@pytest.mark.parametrize("mode", [LoginMode.ADMISSION, LoginMode.BOTH])
def test_with_the_proctors_admission_a_second_browser_is_a_second_login_too(
        app, db, make_session, make_user, mode):
    session = make_session(n_candidates=1)
    session.login_mode = mode
    db.commit()
    code = (session.session_code if mode is LoginMode.ADMISSION
            else personal_code_for(app, session.session_code))
    proctor, token = _proctor(app, make_user)
    first = app.test_client()
    assert _log_in(first, "BN0001", code).headers["Location"].endswith(WAITING)
    assert _fresh(db).scalar(select(AdmissionRequest.reason)) == "admission"
    _admit(proctor, token, db.scalar(select(AdmissionRequest.id)))
    assert first.get(WAITING).headers["Location"].endswith("/thi/")
    _start(first)
    second = app.test_client()
    assert _log_in(second, "BN0001", code).headers["Location"].endswith(WAITING)
    reasons = _fresh(db).scalars(select(AdmissionRequest.reason)
                                 .order_by(AdmissionRequest.id)).all()
    assert reasons == ["admission", "second_login"]
    assert "Đăng nhập lần hai" in _waiting_table(proctor, session.id)
    kinds = [a.kind for a in db.scalars(select(ProctorAction).order_by(ProctorAction.id))]
    assert kinds == [ActionKind.ADMIT]


def test_two_waiting_logins_admitted_one_after_the_other_move_rather_than_share(
        app, db, make_session, make_user):
    """Both asked before either was in, so neither was a second login when it asked; the
    second admission is a move all the same, and the list says so before the proctor clicks."""
    session = make_session(n_candidates=1)
    session.login_mode = LoginMode.ADMISSION
    db.commit()
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        assert _log_in(browser, "BN0001", session.session_code).headers["Location"].endswith(
            WAITING)
    proctor, token = _proctor(app, make_user)
    first_id, second_id = _fresh(db).scalars(select(AdmissionRequest.id)
                                             .order_by(AdmissionRequest.id)).all()
    assert "Đăng nhập lần hai" not in _waiting_table(proctor, session.id)
    _admit(proctor, token, first_id)
    first.get(WAITING)
    assert first.get("/thi/").status_code == 200
    assert "Đăng nhập lần hai" in _waiting_table(proctor, session.id)
    _admit(proctor, token, second_id)
    second.get(WAITING)
    assert second.get("/thi/").status_code == 200
    assert first.get("/thi/").status_code == 409
    kinds = [a.kind for a in _fresh(db).scalars(select(ProctorAction).order_by(ProctorAction.id))]
    assert kinds == [ActionKind.ADMIT, ActionKind.MOVE]


def test_two_browsers_logging_in_at_the_same_moment_do_not_both_get_in(app, db, make_session):
    session = make_session(n_candidates=1)
    code = personal_code_for(app, session.session_code)
    browsers = [app.test_client() for _ in range(4)]
    pages = [csrf_token_of(b.get("/thi/dang-nhap").get_data(as_text=True)) for b in browsers]
    # four computers: four addresses, so the login throttle's row is no common lock
    answers = race(browsers, lambda browser, i: browser.post("/thi/dang-nhap", data={
        "candidate_number": "BN0001", "login_code": code, "csrf_token": pages[i]},
        environ_base={"REMOTE_ADDR": f"10.0.1.{i + 1}"}))
    places = sorted(getattr(a, "headers", {}).get("Location", repr(a)).rsplit("/thi/", 1)[-1]
                    for a in answers)
    assert places == ["", "cho-giam-thi", "cho-giam-thi", "cho-giam-thi"]
    live = _fresh(db).scalars(select(LoginSession).where(LoginSession.ended_at.is_(None))).all()
    assert len(live) == 1
