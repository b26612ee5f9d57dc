"""A save that reaches the server inside the grace after the attempt was closed at its deadline.

Issue 10, hole 10: the grace window depended on who closed the attempt first. The page, the
API, the sweeper and ``close-expired`` now all wait out the grace (``delivery.answers_final``);
the candidate's own submit after the time is up cannot wait (the page needs its result), so a
save that arrives within SAVE_GRACE_SECONDS of the deadline is still taken and the attempt is
re-graded: a new result that supersedes the one graded at the close (results are append-only).
A save taken here is appended to the response log like any other written save.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from exam_engine.exams.delivery import get_attempt, grade_attempt
from exam_engine.exams.models import Answer, ResponseLogEntry
from exam_engine.exams.sitting import lock_session
from exam_engine.exams.states import AttemptStatus, SessionStatus


def save_into_attempt_closed_at_deadline(
        db: Session, attempt_id: int, *, position: int, stored: Any, flagged: bool, seq: int,
        now: datetime, grace_seconds: int,
        client_ms_on_item: int | None = None) -> tuple[int, datetime] | None:
    """Store the answer (and its response-log row) and re-grade if the attempt was closed at
    its deadline (not submitted early by the candidate), ``now`` is within the grace and
    results are not yet approved. Returns (stored seq, saved_at) — a newer stored save wins as
    always, and is not logged again — or None: refused."""
    attempt = get_attempt(db, attempt_id, lock=True)
    if (attempt.status is not AttemptStatus.SUBMITTED or attempt.deadline is None
            or attempt.submitted_at != attempt.deadline
            or now > attempt.deadline + timedelta(seconds=grace_seconds)):
        return None
    session = lock_session(db, attempt.candidate.exam_session_id)  # serialised with approval
    if session is None or session.status is SessionStatus.APPROVED:
        return None
    answer = db.get(Answer, (attempt_id, position))
    if answer is not None and answer.seq >= seq:
        return answer.seq, answer.saved_at
    if answer is None:
        answer = Answer(attempt_id=attempt_id, position=position)
        db.add(answer)
    answer.selected, answer.flagged, answer.seq, answer.saved_at = stored, flagged, seq, now
    db.add(ResponseLogEntry(attempt_id=attempt_id, position=position, seq=seq, selected=stored,
                            flagged=flagged, saved_at=now, client_ms_on_item=client_ms_on_item))
    db.flush()
    grade_attempt(db, attempt)
    db.flush()
    return answer.seq, answer.saved_at
