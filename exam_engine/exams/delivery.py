"""Candidate use cases during the exam: log in, start or resume, the paper, submit.

The server's clock is the only clock: deadline = start + duration + granted extra time, moved
on by every pause (``clock``: a proctor's pause, resume, extra time and force-submit).
Saving an answer, the hot path, lives in ``saving.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.exams.ability import eap_from_versions
from exam_engine.exams.answer_input import is_storable
from exam_engine.exams.errors import AttemptPaused, NotFound, NotStarted, SessionNotOpen
from exam_engine.exams.grading import (
    CHOICE_KINDS,
    apply_sanction,
    grade,
    graded_item,
    most_severe_sanction,
    ticked_options,
)
from exam_engine.exams.models import (
    Answer,
    Attempt,
    AttemptItem,
    AttemptSanction,
    Candidate,
    ExamSession,
    Result,
)
from exam_engine.exams.part_tokens import (
    QuestionTokens,
    content_fields,
    response_in_tokens,
    tokenised_view,
)
from exam_engine.exams.results import current_result
from exam_engine.exams.sitting import ensure_open_for_sitting
from exam_engine.exams.states import AttemptStatus, SanctionLevel, SessionStatus
from exam_engine.exams.transitions import transition
from exam_engine.kernel.text import identifier_key, nfc
from item_bank.models import ItemVersion
from item_bank.types.base import is_blank


def find_candidate_for_login(db: Session, candidate_number: str, session_code: str) -> Candidate:
    """The roster row for this số báo danh in the session whose code the proctor read out.
    Knowing the two is not enough to sit: the caller (``proctor.admission.sign_in``) lets the
    candidate in only as his session's ``login_mode`` says."""
    candidate = db.scalar(
        select(Candidate).join(ExamSession)
        # Case-insensitive: 'bn0001' is BN0001 (the same key the login throttle counts by).
        .where(func.lower(Candidate.candidate_number) == identifier_key(candidate_number),
               ExamSession.session_code == nfc(session_code).strip().upper(),
               ExamSession.status != SessionStatus.DRAFT))
    if candidate is None or candidate.attempt is None:
        raise NotFound("Số báo danh hoặc mã đăng nhập không đúng.",
                       "unknown candidate number or login code")
    return candidate


def candidates_numbered(db: Session, candidate_number: str) -> list[Candidate]:
    """Every scheduled roster row with this số báo danh (one per session that uses it): a
    personal login code says which of them is logging in."""
    return list(db.scalars(
        select(Candidate).join(ExamSession)
        .where(func.lower(Candidate.candidate_number) == identifier_key(candidate_number),
               ExamSession.status != SessionStatus.DRAFT)))


def get_attempt(db: Session, attempt_id: int, *, lock: bool = False) -> Attempt:
    """The attempt; with ``lock``, locked for this unit of work (PostgreSQL; SQLite writers
    queue) and re-read, so a change another request committed while we waited for the lock is
    seen even when this session had loaded the attempt before."""
    query = select(Attempt).where(Attempt.id == attempt_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    attempt = db.scalar(query)
    if attempt is None:
        raise NotFound("Không tìm thấy bài thi.", "attempt not found")
    return attempt


def seconds_left(attempt: Attempt, now: datetime) -> float:
    """Time left by the server's clock, in seconds (fractional: the page must not end early).
    While a proctor has paused the attempt the clock stands still at the pause."""
    if attempt.deadline is None:
        return float(attempt.candidate.session.duration_minutes * 60 + attempt.extra_seconds)
    if attempt.status is AttemptStatus.PAUSED and attempt.paused_at is not None:
        now = attempt.paused_at
    return max(0.0, (attempt.deadline - now).total_seconds())


def start_attempt(db: Session, attempt_id: int, now: datetime, *,
                  grace_seconds: int = 0) -> Attempt:
    """Start the clock, or resume: starting again (another computer, a reload) changes nothing.

    A first start needs the session open for sitting (``sitting.ensure_open_for_sitting``); a
    candidate marked absent when the session closed never starts. Resuming a started attempt
    is always allowed: its own deadline, not the window, ends it.
    """
    attempt = get_attempt(db, attempt_id, lock=True)
    if attempt.status is AttemptStatus.ABSENT:
        raise _marked_absent()
    if attempt.status is AttemptStatus.ASSIGNED:
        ensure_open_for_sitting(attempt.candidate.session, now)
        if db.scalar(select(AttemptSanction.id).where(
                AttemptSanction.attempt_id == attempt.id,
                AttemptSanction.level == SanctionLevel.EXPELLED)) is not None:
            raise SessionNotOpen("Thí sinh đã bị đình chỉ thi: không được bắt đầu làm bài.",
                                 "the candidate was expelled from this test and may not start")
        duration = attempt.candidate.session.duration_minutes
        attempt.started_at = now
        attempt.deadline = now + timedelta(minutes=duration, seconds=attempt.extra_seconds)
        transition(db, attempt, AttemptStatus.IN_PROGRESS, actor="candidate", at=now)
        db.flush()
    return close_if_expired(db, attempt, now, grace_seconds=grace_seconds)


def _marked_absent() -> SessionNotOpen:
    return SessionNotOpen("Ca thi đã kết thúc: thí sinh đã được ghi nhận vắng thi.",
                          "the session is closed and this candidate was marked absent")


def answers_final(attempt: Attempt, now: datetime, grace_seconds: int) -> bool:
    """The one deadline rule: saves are taken until deadline + grace, and nothing — the page,
    the API, the sweeper, ``close-expired`` — closes an attempt on the deadline's behalf before
    then, so the grace never depends on who looks first (issue 10, hole 10). A paused
    attempt's clock stands still: its stored deadline is not final (resuming moves it)."""
    if attempt.status is AttemptStatus.PAUSED:
        return False
    return attempt.deadline is not None and now > attempt.deadline + timedelta(
        seconds=grace_seconds)


def close_if_expired(db: Session, attempt: Attempt, now: datetime, *,
                     grace_seconds: int = 0) -> Attempt:
    """Submit the attempt once its deadline and grace have passed: whoever looks first (the
    page, the API, the sweeper) closes it, so a candidate never sees an exam the server
    considers over — and every one of them waits out the same grace."""
    if attempt.status is AttemptStatus.IN_PROGRESS and answers_final(attempt, now, grace_seconds):
        submit_attempt(db, attempt.id, actor="server:deadline", now=now)
    return attempt


def paper(db: Session, attempt: Attempt, now: datetime) -> dict[str, Any]:
    """Everything the candidate's page needs to (re)build itself — never the answer key, and
    nothing that correlates with it: every part is named by its opaque per-attempt id
    (``part_tokens``) and shown in the attempt's own shuffled order."""
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
        if not is_storable(stored):  # a row saved before saves refused it: shown unanswered
            stored = []
        questions.append({
            "position": slot.position, "module": slot.module,
            **_question_view(attempt.part_secret, slot, version, stored),
            "flagged": answer.flagged if answer else False,
            "seq": answer.seq if answer else 0,
        })
    return {"attempt_id": attempt.id, "status": attempt.status.value,
            "seconds_left": round(seconds_left(attempt, now), 3),
            "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
            "questions": questions}


def _question_view(secret: str, slot: AttemptItem, version: ItemVersion,
                   stored: Any) -> dict[str, Any]:
    """One question for the page: choice kinds as ``options`` (texts), ``option_ids`` (opaque)
    and the answer as ``selected`` (shown positions) and ``response`` (opaque ids); the other
    kinds as their type's ``view`` and ``response``, parts named by opaque ids."""
    view = version.candidate_view(slot.option_order)
    if version.kind in CHOICE_KINDS:
        shown = [version.content["choices"][i]["id"] for i in slot.option_order]
        tokens = QuestionTokens(secret, slot.position, {"choices": shown})
        ticked = ticked_options(stored, version.content, slot.option_order)
        selected = [n for n, original in enumerate(slot.option_order) if original in ticked]
        return {**view, "option_ids": [tokens.token("choices", part) for part in shown],
                "selected": selected,
                "response": [tokens.token("choices", shown[n]) for n in selected]}
    tokens = QuestionTokens(secret, slot.position, content_fields(version.content_model))
    response = None if is_blank(stored) else response_in_tokens(version.kind, stored, tokens)
    return {**view, "view": tokenised_view(view["view"], tokens), "response": response}


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
    # θ is a measurement of ability from the item scores, not a score: no sanction touches it
    theta, theta_se = eap_from_versions([version for _, version in rows], summary.item_scores)
    # the most severe sanction decided so far (exam_engine.exams.sanctions) lowers the score
    sanctioned = most_severe_sanction(db.scalars(
        select(AttemptSanction.level).where(AttemptSanction.attempt_id == attempt.id)))
    summary = apply_sanction(summary, sanctioned, session.pass_percent)
    current = current_result(db, attempt.id)
    previous = current.id if current is not None else None
    # n_correct counts items with full credit; percent and module_scores carry the exact credit
    result = Result(attempt_id=attempt.id, supersedes_id=previous, n_correct=summary.n_correct,
                    n_items=summary.n_items, percent=summary.percent,
                    module_scores=summary.modules, passed=summary.passed,
                    theta=theta, theta_se=theta_se, sanction=summary.sanction,
                    percent_before_sanction=summary.percent_before_sanction)
    db.add(result)
    return result


def submit_attempt(db: Session, attempt_id: int, *, actor: str, now: datetime,
                   allow_paused: bool = False) -> Result:
    """Close and grade the attempt. Idempotent: submitting again returns the same result.
    A paused attempt is closed only by a proctor (``clock.force_submit``, which ends the pause
    first and passes ``allow_paused``); anyone else is told it is paused."""
    attempt = get_attempt(db, attempt_id, lock=True)
    if attempt.status is AttemptStatus.PAUSED and not allow_paused:
        raise AttemptPaused("Bài thi đang tạm dừng: hãy chờ cán bộ coi thi cho làm tiếp.",
                            "the invigilator has paused the attempt; wait until it resumes")
    if attempt.status is AttemptStatus.SUBMITTED:
        result = current_result(db, attempt.id)
        assert result is not None
        return result
    if attempt.status is AttemptStatus.ASSIGNED:
        raise NotStarted("Bài thi chưa bắt đầu.", "the attempt has not started")
    if attempt.status is AttemptStatus.ABSENT:
        raise _marked_absent()
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
    """Submit every attempt whose deadline plus grace has passed (``answers_final``). Safe to
    run anywhere, often: the sweeper thread of each gunicorn worker and ``close-expired``.
    Only running attempts: a paused one's clock stands still, whatever its stored deadline."""
    expired = db.scalars(select(Attempt.id).where(
        Attempt.status == AttemptStatus.IN_PROGRESS,
        Attempt.deadline < now - timedelta(seconds=grace_seconds))).all()
    for attempt_id in expired:
        submit_attempt(db, attempt_id, actor="server:deadline", now=now)
    return len(expired)
