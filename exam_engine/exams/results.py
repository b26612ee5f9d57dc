"""Staff use cases after the exam: review and approve a session's results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.delivery import finalize_expired_attempts
from exam_engine.exams.errors import ExamError
from exam_engine.exams.models import Attempt, Candidate, ExamSession, Result
from exam_engine.exams.states import AttemptStatus, SessionStatus


@dataclass(frozen=True)
class ResultRow:
    candidate: Candidate
    status: AttemptStatus
    result: Result | None


def session_results(db: Session, session: ExamSession) -> list[ResultRow]:
    """Every roster row with its attempt status and latest result (None = absent / open)."""
    rows = []
    for candidate in session.candidates:
        attempt = candidate.attempt
        result = None
        if attempt is not None:
            result = db.scalar(select(Result).where(Result.attempt_id == attempt.id)
                               .order_by(Result.id.desc()))
        rows.append(ResultRow(candidate, attempt.status if attempt else AttemptStatus.ASSIGNED,
                              result))
    return rows


def approve_results(db: Session, session: ExamSession, *, approved_by: int, now: datetime,
                    grace_seconds: int = 0) -> None:
    """Approve once every attempt is closed; candidates who never started count as absent."""
    if session.status is SessionStatus.APPROVED:
        return
    if session.status is not SessionStatus.SCHEDULED:
        raise ExamError("Ca thi chưa được xếp đề nên chưa có kết quả.",
                        "the session has no results yet")
    finalize_expired_attempts(db, now, grace_seconds)
    open_attempts = db.scalar(select(Attempt.id).join(Candidate)
                              .where(Candidate.exam_session_id == session.id,
                                     Attempt.status == AttemptStatus.IN_PROGRESS).limit(1))
    if open_attempts is not None:
        raise ExamError("Còn thí sinh đang làm bài: chỉ duyệt kết quả khi mọi bài đã nộp.",
                        "some candidates are still sitting the exam")
    session.status = SessionStatus.APPROVED
    session.approved_by = approved_by
    session.approved_at = now
    db.flush()
