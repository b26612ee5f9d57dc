"""Who sits (issue 11): personal one-time login codes and admission by the proctor, through the
real app on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from exam_engine.exams.models import Candidate
from exam_engine.exams.states import LoginMode
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import transaction, utcnow
from exam_engine.kernel.login_sessions import ENDED_MOVED, end_attempt_login_sessions
from proctor.login_codes import ALPHABET, CODE_LENGTH
from proctor.models import Admission, AdmissionRequest
from tests.conftest import (
    candidate_login,
    candidate_login_form,
    csrf_token_of,
    login,
    personal_code_for,
)


def _post_login(client, number: str, code: str):
    page = client.get("/thi/dang-nhap").get_data(as_text=True)
    # Both field names: the form before issue 11 read ``session_code``, so this post is exactly
    # what let a neighbour in then.
    return client.post("/thi/dang-nhap", data={"candidate_number": number, "login_code": code,
                                               "session_code": code,
                                               "csrf_token": csrf_token_of(page)})


def _set_mode(db, session, mode: LoginMode) -> None:
    session.login_mode = mode
    db.commit()


def test_the_session_code_and_a_neighbours_number_no_longer_let_anyone_in(client, make_session):
    """Reproduces issue 11: anyone with the room-wide code and BN0002's số báo danh sat (and
    could submit) BN0002's exam."""
    session = make_session(n_candidates=2)
    refused = _post_login(client, "BN0002", session.session_code)
    assert refused.status_code == 401
    assert "mã cá nhân in trên thẻ dự thi" in refused.get_data(as_text=True)
    assert client.get("/thi/").status_code == 302  # not logged in


def test_a_personal_code_lets_its_own_candidate_in_and_nobody_else(app, client, make_session):
    session = make_session(n_candidates=2)
    code = personal_code_for(app, session.session_code, "BN0001")
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert not set(code) & set("01OIL")  # no look-alikes to misread from the card
    assert _post_login(app.test_client(), "BN0002", code).status_code == 401
    assert _post_login(client, "bn0001", code.lower()).status_code == 302
    assert client.get("/thi/").status_code == 200


def test_only_a_hash_of_the_personal_code_is_stored(app, db, make_session):
    session = make_session(n_candidates=1)
    code = personal_code_for(app, session.session_code)
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    db.expire_all()
    row = db.scalar(select(Candidate).where(Candidate.exam_session_id == session.id))
    assert row.login_code_hash and len(row.login_code_hash) == 64
    assert code not in row.login_code_hash and code.lower() not in row.login_code_hash


def test_the_code_is_spent_by_the_login_that_starts_and_another_login_then_waits_for_the_invigilator(
        app, client, make_session):
    """One live seat (issue 11): the code that started the exam lets nobody else in alone;
    such a login waits until a proctor moves the candidate (tests/proctor/test_one_live_seat)."""
    session = make_session(n_candidates=1)
    code = personal_code_for(app, session.session_code)
    assert _post_login(client, "BN0001", code).status_code == 302
    # before Start the same browser may log in again (a reload of the login page)
    assert _post_login(client, "BN0001", code).headers["Location"].endswith("/thi/")
    token = csrf_token_of(client.get("/thi/").get_data(as_text=True))
    assert client.post("/thi/bat-dau", data={"csrf_token": token}).status_code == 302
    second = _post_login(app.test_client(), "BN0001", code)
    assert second.status_code == 302 and second.headers["Location"].endswith("/thi/cho-giam-thi")


def test_a_code_issued_after_the_start_lets_one_login_resume_once_the_proctor_moved_him(
        app, client, db, make_session):
    """The proctor's on-demand code for a candidate whose computer failed mid-exam: once the
    proctor has moved him (the old computer's login ends as "moved"), it lets one login in."""
    session = make_session(n_candidates=1)
    candidate_login(client, session.session_code, start=True)
    attempt_id = session.candidates[0].attempt.id
    with transaction(app.extensions["db_sessions"]) as unit:
        end_attempt_login_sessions(unit, attempt_id, reason=ENDED_MOVED)
    new_code = personal_code_for(app, session.session_code)
    other_computer = app.test_client()
    assert _post_login(other_computer, "BN0001", new_code).status_code == 302
    assert other_computer.get("/thi/api/paper").get_json()["status"] == "in_progress"
    again = _post_login(app.test_client(), "BN0001", new_code)  # spent, and the seat is taken
    assert again.headers["Location"].endswith("/thi/cho-giam-thi")


def test_printing_the_cards_again_voids_the_codes_printed_before(app, client, db, make_session,
                                                                 make_user):
    session = make_session(n_candidates=1)
    first = personal_code_for(app, session.session_code)
    make_user("giamthi", Role.PROCTOR)
    proctor = app.test_client()
    token = login(proctor, "giamthi")
    printed = proctor.post(f"/giam-thi/ca-thi/{session.id}/the-du-thi",
                           data={"csrf_token": token})
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert printed.headers["Cache-Control"] == "no-store"
    assert _post_login(client, "BN0001", first).status_code == 401


def _waiting_table(proctor, session_id: int) -> str:
    page = proctor.get(f"/giam-thi/ca-thi/{session_id}/cho-vao").get_data(as_text=True)
    return re.search(r'<table class="grid" id="waiting">.*?</table>', page, re.S).group(0)


def _proctor(app, make_user):
    make_user("giamthi", Role.PROCTOR)
    client = app.test_client()
    return client, login(client, "giamthi")


def test_with_proctor_admission_the_candidate_waits_until_a_proctor_admits_him(
        app, client, db, make_session, make_user):
    session = make_session(n_candidates=2)
    _set_mode(db, session, LoginMode.ADMISSION)
    waiting = _post_login(client, "BN0002", session.session_code)
    assert waiting.status_code == 302 and waiting.headers["Location"].endswith("/thi/cho-giam-thi")
    page = client.get("/thi/cho-giam-thi")
    assert page.status_code == 200 and page.headers["Refresh"] == "3"
    assert "Chờ cán bộ coi thi" in page.get_data(as_text=True)
    assert client.get("/thi/").status_code == 302  # no exam page before admission
    assert client.get("/thi/api/paper").status_code == 401

    proctor, token = _proctor(app, make_user)
    listed = _waiting_table(proctor, session.id)
    assert "BN0002" in listed and "Trần Văn Đức" in listed and "02/01/1990" in listed
    assert "BN0001" not in listed
    request_id = db.scalar(select(AdmissionRequest.id))
    admitted = proctor.post(f"/giam-thi/cho-vao/{request_id}", data={"csrf_token": token})
    assert admitted.status_code == 302

    copied_cookie = app.test_client()
    copied_cookie.set_cookie("session", client.get_cookie("session").value)
    entered = client.get("/thi/cho-giam-thi")
    assert entered.status_code == 302 and entered.headers["Location"].endswith("/thi/")
    assert client.get("/thi/").status_code == 200
    used = copied_cookie.get("/thi/cho-giam-thi")  # one admission lets one browser in
    assert used.status_code == 409 and "báo cán bộ coi thi" in used.get_data(as_text=True)
    assert copied_cookie.get("/thi/").status_code == 302
    assert "BN0002" not in _waiting_table(proctor, session.id)
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    db.expire_all()
    row = db.scalar(select(Admission))
    proctor_id = db.scalar(select(Admission.admitted_by))
    assert row.request_id == request_id and proctor_id is not None
    assert abs(row.admitted_at - utcnow()) < timedelta(minutes=1)
    assert row.entered_at is not None and row.entered_at >= row.admitted_at


def test_admitting_twice_records_one_admission(app, client, db, make_session, make_user):
    session = make_session(n_candidates=1)
    _set_mode(db, session, LoginMode.ADMISSION)
    _post_login(client, "BN0001", session.session_code)
    proctor, token = _proctor(app, make_user)
    request_id = db.scalar(select(AdmissionRequest.id))
    for _ in range(2):
        assert proctor.post(f"/giam-thi/cho-vao/{request_id}",
                            data={"csrf_token": token}).status_code == 302
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    db.expire_all()
    assert len(db.scalars(select(Admission)).all()) == 1


def test_admitting_an_unknown_request_is_a_404_naming_it(app, make_user):
    proctor, token = _proctor(app, make_user)
    missing = proctor.post("/giam-thi/cho-vao/999", data={"csrf_token": token})
    assert missing.status_code == 404 and "999" in missing.get_data(as_text=True)


def test_with_both_the_personal_code_leads_to_the_waiting_list_and_the_session_code_nowhere(
        app, client, db, make_session):
    session = make_session(n_candidates=1)
    _set_mode(db, session, LoginMode.BOTH)
    assert _post_login(client, "BN0001", session.session_code).status_code == 401
    response = candidate_login_form(client, session.session_code)
    assert response.status_code == 302 and response.headers["Location"].endswith("/thi/cho-giam-thi")
    assert client.get("/thi/").status_code == 302


def test_the_waiting_page_without_a_waiting_login_sends_to_the_login(client):
    response = client.get("/thi/cho-giam-thi")
    assert response.status_code == 302 and "/thi/dang-nhap" in response.headers["Location"]


def test_staff_set_the_login_mode_and_a_proctor_may_not(app, client, db, make_session,
                                                         make_user):
    session = make_session(n_candidates=1)
    make_user("canbo", Role.STAFF)
    staff = app.test_client()
    token = login(staff, "canbo")
    proctor, proctor_token = _proctor(app, make_user)
    assert proctor.post(f"/giam-thi/ca-thi/{session.id}/cach-dang-nhap", data={
        "csrf_token": proctor_token, "login_mode": "admission"}).status_code == 403
    bad = staff.post(f"/giam-thi/ca-thi/{session.id}/cach-dang-nhap",
                     data={"csrf_token": token, "login_mode": "mo-cua"})
    assert bad.status_code == 422 and "mo-cua" in bad.get_data(as_text=True)
    assert staff.post(f"/giam-thi/ca-thi/{session.id}/cach-dang-nhap", data={
        "csrf_token": token, "login_mode": "admission"}).status_code == 302
    waiting = _post_login(client, "BN0001", session.session_code)
    assert waiting.status_code == 302 and waiting.headers["Location"].endswith("/thi/cho-giam-thi")
