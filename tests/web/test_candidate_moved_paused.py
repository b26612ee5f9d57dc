"""The candidate's save through the app when a proctor has paused the attempt or moved the
candidate to another computer (issue 11), the page's time on the question reaching the response
log, and the exam page's per-candidate settings (larger text, full screen)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from flask import template_rendered
from sqlalchemy import select

from exam_engine.exams.models import Answer, Attempt
from exam_engine.exams.states import AttemptStatus
from exam_engine.exams.transitions import transition
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.login_sessions import (
    ENDED_LOGOUT,
    ENDED_MOVED,
    end_attempt_login_sessions,
)
from proctor.models import Accommodation, InvigilationSettings
from proctor.response_log import changes_of
from tests.conftest import candidate_login


def _sitting(client, make_session, **session):
    exam = make_session(n_candidates=1, **session)
    token = candidate_login(client, exam.session_code, start=True)
    question = client.get("/thi/api/paper").get_json()["questions"][0]
    return exam, token, question


def _save(client, token, question, seq, **extra):
    return client.post("/thi/api/answers", headers={"X-CSRFToken": token}, json={
        "position": question["position"], "seq": seq,
        "response": [question["option_ids"][seq % len(question["option_ids"])]], **extra})


def _attempt(db, exam) -> Attempt:
    db.rollback()  # the app committed in its own sessions
    return db.scalar(select(Attempt).where(Attempt.candidate_id == exam.candidates[0].id))


def _stored_seqs(db, attempt_id):
    db.rollback()
    return [a.seq for a in db.scalars(select(Answer).where(Answer.attempt_id == attempt_id))]


def _pause(db, attempt: Attempt) -> None:
    """What the proctor's pause does to the attempt (the action itself is the live room's)."""
    now = utcnow()
    transition(db, attempt, AttemptStatus.PAUSED, actor="proctor:test", at=now)
    attempt.paused_at = now
    db.commit()


def test_a_save_to_a_paused_attempt_is_refused_with_409_and_nothing_is_stored(
        client, db, make_session):
    exam, token, question = _sitting(client, make_session)
    assert _save(client, token, question, 1).status_code == 200
    attempt = _attempt(db, exam)
    _pause(db, attempt)
    refused = _save(client, token, question, 2)
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["error"] == "AttemptPaused"
    assert problem["message"].startswith("Bài thi đang tạm dừng")
    assert _stored_seqs(db, attempt.id) == [1]
    assert [c.seq for c in changes_of(db, attempt.id)] == [1]
    # the login is untouched: once resumed, the same browser saves again
    transition(db, attempt, AttemptStatus.IN_PROGRESS, actor="proctor:test", at=utcnow())
    db.commit()
    assert _save(client, token, question, 2).status_code == 200


def test_a_paused_attempt_past_its_old_deadline_is_told_paused_not_time_up(
        client, db, make_session):
    """A pause stops the clock: while it lasts the stored deadline may pass, and the refusal
    must still say "paused" (resuming moves the deadline)."""
    exam, token, question = _sitting(client, make_session)
    attempt = _attempt(db, exam)
    _pause(db, attempt)
    attempt.deadline = utcnow().replace(year=2000)
    db.commit()
    refused = _save(client, token, question, 1)
    assert (refused.status_code, refused.get_json()["error"]) == (409, "AttemptPaused")


def test_the_old_computer_is_told_it_was_moved_and_stops_saving(app, client, db, make_session):
    exam, token, question = _sitting(client, make_session)
    assert _save(client, token, question, 1).status_code == 200
    attempt = _attempt(db, exam)
    end_attempt_login_sessions(db, attempt.id, utcnow(), reason=ENDED_MOVED)
    db.commit()
    refused = _save(client, token, question, 2)
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["error"] == "MovedAway"
    assert problem["message"].startswith("Bạn đã được cán bộ coi thi chuyển sang máy khác: "
                                         "máy này không lưu bài nữa.")
    assert _stored_seqs(db, attempt.id) == [1]
    # and it is anonymous from then on: nothing more from this browser
    assert _save(client, token, question, 3).status_code in (400, 401)
    assert _stored_seqs(db, attempt.id) == [1]


def test_a_login_ended_otherwise_is_still_a_401_not_a_move(client, db, make_session):
    exam, token, question = _sitting(client, make_session)
    attempt = _attempt(db, exam)
    end_attempt_login_sessions(db, attempt.id, utcnow(), reason=ENDED_LOGOUT)
    db.commit()
    refused = _save(client, token, question, 1)
    assert (refused.status_code, refused.get_json()["error"]) == (401, "LoginEnded")


def test_the_pages_time_on_the_question_reaches_the_response_log(client, db, make_session):
    exam, token, question = _sitting(client, make_session)
    assert _save(client, token, question, 1, ms_on_item=5_250).status_code == 200
    assert _save(client, token, question, 2).status_code == 200  # optional
    attempt = _attempt(db, exam)
    assert [(c.seq, c.client_ms_on_item) for c in changes_of(db, attempt.id)] == [
        (1, 5_250), (2, None)]


def test_a_time_on_the_question_that_is_not_one_is_a_422_naming_the_field(
        client, db, make_session):
    exam, token, question = _sitting(client, make_session)
    for bad in (-5, "5s", True):
        refused = _save(client, token, question, 1, ms_on_item=bad)
        assert refused.status_code == 422
        assert "ms_on_item" in refused.get_json()["message"]
    assert _stored_seqs(db, _attempt(db, exam).id) == []


@contextmanager
def _rendered(app):
    seen: list[tuple[str, dict]] = []

    def record(_sender, template, context, **_extra):
        seen.append((template.name, context))

    template_rendered.connect(record, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(record, app)


def _exam_page_context(app, client) -> dict:
    with _rendered(app) as seen:
        assert client.get("/thi/").status_code == 200
    name, context = seen[0]
    assert name == "exam.html"
    return context


def test_the_exam_page_gets_larger_text_and_full_screen_from_the_candidate_and_session(
        app, client, db, make_session):
    exam, _, _ = _sitting(client, make_session)
    context = _exam_page_context(app, client)
    assert (context["large_text"], context["require_fullscreen"]) == (False, False)
    db.add(Accommodation(candidate_id=exam.candidates[0].id, large_text=True))
    db.add(InvigilationSettings(exam_session_id=exam.id, require_fullscreen=True))
    db.commit()
    context = _exam_page_context(app, client)
    assert (context["large_text"], context["require_fullscreen"]) == (True, True)


def test_an_accommodation_without_larger_text_leaves_the_default(app, client, db, make_session):
    exam, _, _ = _sitting(client, make_session)
    db.add(Accommodation(candidate_id=exam.candidates[0].id, extra_minutes=10))
    db.commit()
    context = _exam_page_context(app, client)
    assert (context["large_text"], context["require_fullscreen"]) == (False, False)


def test_a_reload_during_a_pause_keeps_the_exam_page_and_its_clock_stands_still(
        app, client, db, make_session):
    exam, _, _ = _sitting(client, make_session)
    attempt = _attempt(db, exam)
    _pause(db, attempt)
    attempt.paused_at -= timedelta(minutes=5)  # paused five minutes ago
    db.commit()
    at_the_pause = (attempt.deadline - attempt.paused_at).total_seconds()
    context = _exam_page_context(app, client)
    assert context["attempt"].status is AttemptStatus.PAUSED
    assert context["seconds_left"] == at_the_pause
    paper = client.get("/thi/api/paper").get_json()
    assert (paper["status"], paper["seconds_left"]) == ("paused", round(at_the_pause, 3))
