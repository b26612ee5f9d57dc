"""The one place where an attempt changes status, with its audit record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from exam_engine.exams.models import Attempt, AttemptEvent
from exam_engine.exams.states import ALLOWED_TRANSITIONS, AttemptStatus, IllegalTransition


def transition(db: Session, attempt: Attempt, target: AttemptStatus, *, actor: str,
               at: datetime, detail: str | None = None) -> None:
    current = attempt.status
    if (current, target) not in ALLOWED_TRANSITIONS:
        raise IllegalTransition(current, target)
    attempt.status = target
    db.add(AttemptEvent(attempt_id=attempt.id, from_status=current.value,
                        to_status=target.value, actor=actor, detail=detail, at=at))
