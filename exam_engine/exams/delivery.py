"""Candidate use cases during the exam: log in, start or resume, the paper, submit.

The server's clock is the only clock: deadline = start + duration + granted extra time.
Saving an answer, the hot path, lives in ``saving.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.ability import eap_from_versions
from exam_engine.exams.errors import NotFound, NotStarted
from exam_engine.exams.grading import CHOICE_KINDS, grade, graded_item
from exam_engine.exams.models import Answer, Attempt, AttemptItem, Candidate, ExamSession, Result
from exam_engine.exams.states import AttemptStatus, SessionStatus
from exam_engine.exams.transitions import transition
from exam_engine.kernel.text import nfc
from item_bank.models import ItemVersion
from item_bank.types.base import is_blank


def find_candidate_for_login(db: Session, candidate_number: str, session_code: str) -> Candidate:
    """The roster row for this số báo danh in the session whose code the proctor read out."""
    candidate = db.scalar(
        select(Candidate).join(ExamSession)
        .where(Candidate.candidate_number == nfc(candidate_number),
               ExamSession.session_code == nfc(session_code).upper(),
               ExamSession.status != SessionStatus.DRAFT))
    if candidate is None or candidate.attempt is None:
        raise NotFound("Số báo danh hoặc mã ca thi không đúng.",
                       "unknown candidate number or session code")
    return candidate


def get_attempt(db: Session, attempt_id: int, *, lock: bool = False) -> Attempt:
    query = select(Attempt).where(Attempt.id == attempt_id)
    if lock:
        query = query.with_for_update()
    attempt = db.scalar(query)
    if attempt is None:
        raise NotFound("Không tìm thấy bài thi.", "attempt not found")
    return attempt


def seconds_left(attempt: Attempt, now: datetime) -> float:
    """Time left by the server's clock, in seconds (fractional: the page must not end early)."""
    if attempt.deadline is None:
        return float(attempt.candidate.session.duration_minutes * 60 + attempt.extra_seconds)
    return max(0.0, (attempt.deadline - now).total_seconds())


def start_attempt(db: Session, attempt_id: int, now: datetime) -> Attempt:
    """Start the clock, or resume: starting again (another computer, a reload) changes nothing."""
    attempt = get_attempt(db, attempt_id, lock=True)
    if attempt.status is AttemptStatus.ASSIGNED:
        duration = attempt.candidate.session.duration_minutes
        attempt.started_at = now
        attempt.deadline = now + timedelta(minutes=duration, seconds=attempt.extra_seconds)
        transition(db, attempt, AttemptStatus.IN_PROGRESS, actor="candidate", at=now)
        db.flush()
    return close_if_expired(db, attempt, now)


def close_if_expired(db: Session, attempt: Attempt, now: datetime) -> Attempt:
    """Submit the attempt if its deadline has passed: whoever looks first (the page, the API,
    the sweeper) closes it, so a candidate never sees an exam the server considers over."""
    if attempt.status is AttemptStatus.IN_PROGRESS and attempt.deadline <= now:
        submit_attempt(db, attempt.id, actor="server:deadline", now=now)
    return attempt


def paper(db: Session, attempt: Attempt, now: datetime) -> dict[str, Any]:
    """Everything the candidate's page needs to (re)build itself — never the answer key."""
    rows = db.execute(select(AttemptItem, ItemVersion)
                      .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
                      .where(AttemptItem.attempt_id == attempt.id)
                      .order_by(AttemptItem.position)).all()
    answers = {a.position: a for a in db.scalars(select(Answer)
                                                 .where(Answer.attempt_id == attempt.id))}
    questions = []
    for slot, version in rows:
        answer = answers.get(slot.position)
        stored = answer.selected if answer else []
        questions.append({
            "position": slot.position, "module": slot.module,
            **version.candidate_view(slot.option_order),
            # choice kinds: shown positions; other kinds: the normalised response or None
            **({"selected": stored} if version.kind in CHOICE_KINDS
               else {"response": None if is_blank(stored) else stored}),
            "flagged": answer.flagged if answer else False,
            "seq": answer.seq if answer else 0,
        })
    return {"attempt_id": attempt.id, "status": attempt.status.value,
            "seconds_left": round(seconds_left(attempt, now), 3),
            "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
            "questions": questions}


def grade_attempt(db: Session, attempt: Attempt) -> Result:
    """Grade from the stored form and answers, and record the result (append-only)."""
    rows = db.execute(select(AttemptItem, ItemVersion)
                      .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
                      .where(AttemptItem.attempt_id == attempt.id)
                      .order_by(AttemptItem.position)).all()
    answers = {a.position: a.selected for a in
               db.scalars(select(Answer).where(Answer.attempt_id == attempt.id))}
    graded = [graded_item(slot.module, version.kind, version.content, slot.option_order,
                          answers.get(slot.position))
              for slot, version in rows]
    session = attempt.candidate.session
    summary = grade(graded, session.pass_percent)
    theta, theta_se = eap_from_versions([version for _, version in rows], summary.item_scores)
    previous = db.scalar(select(Result.id).where(Result.attempt_id == attempt.id)
                         .order_by(Result.id.desc()))
    # n_correct counts items with full credit; percent and module_scores carry the exact credit
    result = Result(attempt_id=attempt.id, supersedes_id=previous, n_correct=summary.n_correct,
                    n_items=summary.n_items, percent=summary.percent,
                    module_scores=summary.modules, passed=summary.passed,
                    theta=theta, theta_se=theta_se)
    db.add(result)
    return result


def submit_attempt(db: Session, attempt_id: int, *, actor: str, now: datetime) -> Result:
    """Close and grade the attempt. Idempotent: submitting again returns the same result."""
    attempt = get_attempt(db, attempt_id, lock=True)
    if attempt.status is AttemptStatus.SUBMITTED:
        result = db.scalar(select(Result).where(Result.attempt_id == attempt.id)
                           .order_by(Result.id.desc()))
        assert result is not None
        return result
    if attempt.status is AttemptStatus.ASSIGNED:
        raise NotStarted("Bài thi chưa bắt đầu.", "the attempt has not started")
    detail = None
    if now >= attempt.deadline and actor != "server:deadline":
        # The time was up before this request: the deadline, not the request, closed it.
        actor, detail = "server:deadline", "requested by the candidate after the deadline"
    attempt.submitted_at = min(now, attempt.deadline)
    transition(db, attempt, AttemptStatus.SUBMITTED, actor=actor, at=now, detail=detail)
    result = grade_attempt(db, attempt)
    db.flush()
    return result


def finalize_expired_attempts(db: Session, now: datetime, grace_seconds: int = 0) -> int:
    """Submit every attempt whose deadline (plus grace) has passed. Safe to run anywhere, often."""
    expired = db.scalars(select(Attempt.id).where(
        Attempt.status == AttemptStatus.IN_PROGRESS,
        Attempt.deadline < now - timedelta(seconds=grace_seconds))).all()
    for attempt_id in expired:
        submit_attempt(db, attempt_id, actor="server:deadline", now=now)
    return len(expired)
