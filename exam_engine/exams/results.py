"""Results after the exam: the one "current result" rule, the session's list, and approval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from exam_engine.exams.errors import SessionStateError
from exam_engine.exams.levels import check_session_modules
from exam_engine.exams.models import Attempt, AttemptItem, Candidate, ExamSession, Result
from exam_engine.exams.sitting import close_sitting, lock_session
from exam_engine.exams.states import AttemptStatus, SessionStatus
from exam_engine.exams.transitions import transition_session
from item_bank.models import ItemVersion


def is_current_result() -> ColumnElement[bool]:
    """SQL condition on ``Result``: no later result supersedes it. Results are append-only (a
    re-grade is a new row linked by ``supersedes_id``), so this is the one way the code base
    picks the result that counts — in joins (issuance) and in single look-ups alike."""
    newer = aliased(Result)
    return ~select(newer.id).where(newer.supersedes_id == Result.id).exists()


def current_result(db: Session, attempt_id: int) -> Result | None:
    """The attempt's result that counts (None while it has none)."""
    return db.scalar(select(Result).where(Result.attempt_id == attempt_id, is_current_result())
                     .order_by(Result.id.desc()).limit(1))


@dataclass(frozen=True)
class ResultRow:
    candidate: Candidate
    status: AttemptStatus
    result: Result | None


def session_results(db: Session, session: ExamSession) -> list[ResultRow]:
    """Every roster row with its attempt status (absent included) and current result."""
    current = {r.attempt_id: r for r in db.scalars(
        select(Result).join(Attempt, Attempt.id == Result.attempt_id).join(Candidate)
        .where(Candidate.exam_session_id == session.id, is_current_result()))}
    rows = []
    for candidate in session.candidates:
        attempt = candidate.attempt
        rows.append(ResultRow(candidate, attempt.status if attempt else AttemptStatus.ASSIGNED,
                              current.get(attempt.id) if attempt else None))
    return rows


def still_sitting(db: Session, session: ExamSession) -> list[Candidate]:
    """Candidates whose attempt is still open (started, deadline and grace not yet over), or
    paused by a proctor: a paused clock stands still, so its stored deadline ends nothing."""
    return list(db.scalars(select(Candidate).join(Attempt)
                           .where(Candidate.exam_session_id == session.id,
                                  Attempt.status.in_((AttemptStatus.IN_PROGRESS,
                                                      AttemptStatus.PAUSED)))
                           .order_by(Candidate.candidate_number)))


def approve_results(db: Session, session: ExamSession, *, approved_by: int | None,
                    now: datetime, grace_seconds: int = 0) -> None:
    """Approve once every attempt is closed. Approval closes the sitting first, so nobody can
    start afterwards and everyone who never started is recorded absent. Approving again is a
    calm no-op; while someone is still sitting it is refused, naming them."""
    # delivery reads the current result from this module: imported here to avoid a cycle
    from exam_engine.exams.delivery import finalize_expired_attempts

    session = lock_session(db, session.id) or session
    if session.status is SessionStatus.APPROVED:
        return
    if session.status is SessionStatus.DRAFT:
        raise SessionStateError("Ca thi chưa được xếp đề nên chưa có kết quả.",
                                "the session has no results yet")
    check_session_modules(session.certificate_type, session.items_per_module)
    actor = f"user:{approved_by}" if approved_by is not None else "system"
    # Close first: a start racing this approval either won (and is listed as sitting below)
    # or finds its attempt absent. A refusal rolls the closing back with everything else.
    close_sitting(db, session, actor=actor, now=now)
    finalize_expired_attempts(db, now, grace_seconds)
    sitting = still_sitting(db, session)
    if sitting:
        names = ", ".join(f"{c.full_name} (SBD {c.candidate_number})" for c in sitting)
        raise SessionStateError(
            f"Còn {len(sitting)} thí sinh đang làm bài: {names}. "
            "Chỉ duyệt kết quả khi mọi bài đã nộp.",
            f"{len(sitting)} candidate(s) still sitting: {names}")
    transition_session(db, session, SessionStatus.APPROVED, actor=actor, at=now)
    session.approved_by = approved_by
    session.approved_at = now
    db.flush()


def uses_demo_parameters(db: Session, session: ExamSession) -> bool:
    """True when any item on the session's forms still has demo IRT parameters (not yet
    calibrated): the θ ± SE shown beside its results is then illustrative only (issue 10,
    hole 15)."""
    return db.scalar(
        select(AttemptItem.attempt_id)
        .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).join(Candidate)
        .where(Candidate.exam_session_id == session.id, ItemVersion.irt_is_demo.is_(True))
        .limit(1)) is not None
