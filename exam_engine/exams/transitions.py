"""The one place where an attempt or a session changes status, with its audit record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from exam_engine.exams.errors import SessionStateError
from exam_engine.exams.models import Attempt, AttemptEvent, ExamSession, ExamSessionEvent
from exam_engine.exams.states import (
    ALLOWED_TRANSITIONS,
    SESSION_TRANSITIONS,
    AttemptStatus,
    IllegalTransition,
    SessionStatus,
)

SESSION_STATUS_VI = {SessionStatus.DRAFT: "nháp", SessionStatus.SCHEDULED: "đã xếp đề",
                     SessionStatus.CLOSED: "đã kết thúc", SessionStatus.APPROVED: "đã duyệt"}


def transition(db: Session, attempt: Attempt, target: AttemptStatus, *, actor: str,
               at: datetime, detail: str | None = None) -> None:
    current = attempt.status
    if (current, target) not in ALLOWED_TRANSITIONS:
        raise IllegalTransition(current, target)
    attempt.status = target
    db.add(AttemptEvent(attempt_id=attempt.id, from_status=current.value,
                        to_status=target.value, actor=actor, detail=detail, at=at))


def transition_session(db: Session, session: ExamSession, target: SessionStatus, *, actor: str,
                       at: datetime, detail: str | None = None) -> None:
    """Move the session to ``target`` if its life allows it (SESSION_TRANSITIONS), recorded."""
    current = session.status
    if (current, target) not in SESSION_TRANSITIONS:
        raise SessionStateError(
            f"Ca thi đang ở trạng thái «{SESSION_STATUS_VI[current]}»: không thể chuyển sang "
            f"«{SESSION_STATUS_VI[target]}».",
            f"the session cannot go from {current.value} to {target.value}")
    session.status = target
    db.add(ExamSessionEvent(exam_session_id=session.id, from_status=current.value,
                            to_status=target.value, actor=actor, detail=detail, at=at))
