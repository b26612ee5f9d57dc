"""A session's life as data: open for sitting inside its window, closed by approval, absentees
recorded (issue 10, hole 4), and approval that says who is still sitting (hole 14)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from exam_engine.exams import delivery, saving
from exam_engine.exams.errors import NotStarted, SessionNotOpen, SessionStateError
from exam_engine.exams.models import ExamSessionEvent
from exam_engine.exams.results import approve_results, session_results
from exam_engine.exams.sitting import close_sitting, sitting_window
from exam_engine.exams.states import AttemptStatus, SessionStatus
from exam_engine.exams.transitions import transition_session
from exam_engine.kernel.cache import MemoryCache

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội on the exam date


def _attempts(session):
    return [c.attempt for c in session.candidates]


def test_an_absent_candidate_cannot_start_after_approval(db, make_session):
    """Reproduces hole 4: a candidate who never started logged in after approval, sat, passed
    and was issued a certificate. Now approval closes the session and marks him absent."""
    session = make_session(n_candidates=2, duration_minutes=30)
    sitter, absentee = _attempts(session)
    delivery.start_attempt(db, sitter.id, T0)
    delivery.submit_attempt(db, sitter.id, actor="candidate", now=T0 + timedelta(minutes=20))
    approve_results(db, session, approved_by=None, now=T0 + timedelta(hours=1))
    db.commit()
    with pytest.raises(SessionNotOpen, match="vắng thi"):
        delivery.start_attempt(db, absentee.id, T0 + timedelta(hours=2))
    db.rollback()
    db.refresh(absentee)
    assert absentee.status is AttemptStatus.ABSENT and absentee.started_at is None
    statuses = {r.candidate.candidate_number: r.status for r in session_results(db, session)}
    assert statuses == {"BN0001": AttemptStatus.SUBMITTED, "BN0002": AttemptStatus.ABSENT}


def test_approval_closes_the_sitting_and_records_each_step(db, make_session):
    session = make_session(n_candidates=1)
    approve_results(db, session, approved_by=None, now=T0)
    db.commit()
    events = db.scalars(select(ExamSessionEvent).where(ExamSessionEvent.exam_session_id == session.id)
                        .order_by(ExamSessionEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        ("draft", "scheduled"), ("scheduled", "closed"), ("closed", "approved")]
    assert session.status is SessionStatus.APPROVED and session.closed_at == T0
    approve_results(db, session, approved_by=None, now=T0 + timedelta(minutes=1))  # calm again
    assert session.approved_at == T0


def test_a_closed_session_refuses_new_starts_but_a_started_attempt_runs_to_its_deadline(
        db, make_session):
    session = make_session(n_candidates=2, duration_minutes=30)
    started, late = _attempts(session)
    delivery.start_attempt(db, started.id, T0)
    assert close_sitting(db, session, actor="user:1", now=T0 + timedelta(minutes=5)) == 1
    db.commit()
    with pytest.raises(SessionNotOpen, match="đã kết thúc"):
        delivery.start_attempt(db, late.id, T0 + timedelta(minutes=6))
    db.rollback()
    resumed = delivery.start_attempt(db, started.id, T0 + timedelta(minutes=10))
    assert resumed.status is AttemptStatus.IN_PROGRESS


def test_an_attempt_starts_only_inside_the_sitting_window(db, make_session):
    session = make_session(n_candidates=3)
    opens, closes = sitting_window(date(2026, 11, 24), time(8, 0), time(11, 30))
    session.sitting_opens_at, session.sitting_closes_at = opens, closes
    db.commit()
    early, on_time, late = _attempts(session)
    with pytest.raises(SessionNotOpen, match="chưa mở: được bắt đầu từ 24/11/2026 08:00"):
        delivery.start_attempt(db, early.id, opens - timedelta(minutes=1))
    db.rollback()
    assert delivery.start_attempt(db, on_time.id, opens).status is AttemptStatus.IN_PROGRESS
    db.commit()
    with pytest.raises(SessionNotOpen, match="đã đóng lúc 24/11/2026 11:30"):
        delivery.start_attempt(db, late.id, closes)
    db.rollback()
    assert closes - opens == timedelta(hours=3, minutes=30) and opens == T0


def test_session_steps_follow_the_transition_table(db, make_session):
    draft = make_session(n_candidates=1, schedule=False)
    with pytest.raises(SessionStateError, match="«nháp»: không thể chuyển sang «đã duyệt»"):
        transition_session(db, draft, SessionStatus.APPROVED, actor="test", at=T0)
    with pytest.raises(SessionStateError, match="chưa được xếp đề"):
        approve_results(db, draft, approved_by=None, now=T0)


def test_approval_refusal_names_everyone_still_sitting(db, make_session):
    """Reproduces hole 14: the refusal said only that someone was still sitting."""
    session = make_session(n_candidates=3, duration_minutes=30)
    first, second, _ = _attempts(session)
    delivery.start_attempt(db, first.id, T0)
    delivery.start_attempt(db, second.id, T0)
    db.commit()
    with pytest.raises(SessionStateError) as refused:
        approve_results(db, session, approved_by=None, now=T0 + timedelta(minutes=10))
    assert "Còn 2 thí sinh đang làm bài: Nguyễn Thị Ánh Tuyết (SBD BN0001), " \
           "Trần Văn Đức (SBD BN0002)." in refused.value.message_vi
    db.rollback()
    db.refresh(session)
    assert session.status is SessionStatus.SCHEDULED  # the refused approval closed nothing


def test_approval_waits_out_the_save_grace_of_the_last_attempt(db, make_session):
    session = make_session(n_candidates=1, duration_minutes=30)
    attempt = _attempts(session)[0]
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    deadline = T0 + timedelta(minutes=30)
    with pytest.raises(SessionStateError, match="đang làm bài"):
        approve_results(db, session, approved_by=None, now=deadline + timedelta(seconds=2),
                        grace_seconds=3)
    db.rollback()
    approve_results(db, session, approved_by=None, now=deadline + timedelta(seconds=4),
                    grace_seconds=3)
    assert session.status is SessionStatus.APPROVED


def test_an_absentee_saving_or_submitting_gets_a_refusal_not_a_server_error(db, make_session):
    session = make_session(n_candidates=1)
    absentee = _attempts(session)[0]
    approve_results(db, session, approved_by=None, now=T0)
    db.commit()
    with pytest.raises(NotStarted):
        saving.save_answer(db, MemoryCache(), absentee.id, position=0, selected=[0],
                           flagged=False, seq=1, now=T0 + timedelta(minutes=1))
    db.rollback()
    with pytest.raises(SessionNotOpen, match="vắng thi"):
        delivery.submit_attempt(db, absentee.id, actor="candidate", now=T0)
