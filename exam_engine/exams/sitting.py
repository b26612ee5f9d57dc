"""When a session may be sat: scheduled and inside its sitting window; closing ends it.

Issue 10, hole 4: an absent candidate logged in after approval, sat, passed and was issued a
certificate. An attempt now starts only while its session is open for sitting, and closing the
session (approval closes it too) marks everyone who never started as absent (vắng thi).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.errors import SessionNotOpen
from exam_engine.exams.models import Attempt, Candidate, ExamSession
from exam_engine.exams.states import AttemptStatus, SessionStatus
from exam_engine.exams.transitions import transition, transition_session
from exam_engine.kernel.legal_time import VIETNAM, vn_datetime_text


def sitting_window(exam_date: date, opens: time, closes: time) -> tuple[datetime, datetime]:
    """The UTC instants of a window given as Vietnam times on the exam date."""
    opens_at = datetime.combine(exam_date, opens, VIETNAM)
    closes_at = datetime.combine(exam_date, closes, VIETNAM)
    if closes <= opens:  # an evening sitting that ends after midnight
        closes_at += timedelta(days=1)
    return opens_at, closes_at


def ensure_open_for_sitting(session: ExamSession, now: datetime) -> None:
    """Refuse a start unless the session is scheduled (not closed, not approved) and ``now`` is
    inside its window. A session with no window set is open from scheduling until closed."""
    if session.status is not SessionStatus.SCHEDULED:
        raise SessionNotOpen("Ca thi đã kết thúc: không thể bắt đầu làm bài.",
                             "the session is closed: no attempt may start")
    if session.sitting_opens_at is not None and now < session.sitting_opens_at:
        raise SessionNotOpen(
            f"Ca thi chưa mở: được bắt đầu từ {vn_datetime_text(session.sitting_opens_at)}.",
            f"the session opens at {vn_datetime_text(session.sitting_opens_at)} (Vietnam time)")
    if session.sitting_closes_at is not None and now >= session.sitting_closes_at:
        raise SessionNotOpen(
            f"Ca thi đã đóng lúc {vn_datetime_text(session.sitting_closes_at)}: "
            "không thể bắt đầu làm bài.",
            f"the session closed at {vn_datetime_text(session.sitting_closes_at)} (Vietnam time)")


def lock_session(db: Session, session_id: int) -> ExamSession | None:
    """The session row, locked for this unit of work (PostgreSQL; SQLite writers queue anyway),
    re-read so a concurrent change committed meanwhile is seen."""
    return db.scalar(select(ExamSession).where(ExamSession.id == session_id)
                     .with_for_update().execution_options(populate_existing=True))


def close_sitting(db: Session, session: ExamSession, *, actor: str, now: datetime) -> int:
    """End the sitting: nobody may start any more, and every candidate who never started is
    marked absent. Returns how many were marked absent; closing again changes nothing."""
    session = lock_session(db, session.id) or session
    if session.status is not SessionStatus.SCHEDULED:
        return 0
    transition_session(db, session, SessionStatus.CLOSED, actor=actor, at=now)
    session.closed_at = now
    # Locked like a start locks its attempt: a start that won the race is in progress (and
    # skipped here), one that lost finds its attempt absent.
    never_started = db.scalars(
        select(Attempt).join(Candidate)
        .where(Candidate.exam_session_id == session.id, Attempt.status == AttemptStatus.ASSIGNED)
        .with_for_update(of=Attempt).execution_options(populate_existing=True)).all()
    for attempt in never_started:
        transition(db, attempt, AttemptStatus.ABSENT, actor=actor, at=now,
                   detail="never started before the session closed")
    db.flush()
    return len(never_started)
