"""The exam clock under the proctors' control: pause, resume, extra time, force-submit.

The server's clock is the only clock (ARCHITECTURE): a candidate gets the duration plus the
extra time granted, and a pause does not count — while PAUSED the time left stands still
(``delivery.seconds_left``), nothing closes the attempt at its stored deadline, and resuming
moves the deadline on by the pause's length.

Each function locks the attempt row, so a pause, a grant, a save's guarded upsert and a submit
of one attempt never interleave, and records what it changed as an ``AttemptEvent`` (through
``transitions.transition`` when the status changes). ``actor`` is written there as given
("user:12"). Services flush; the caller's unit of work commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from exam_engine.exams.delivery import get_attempt, submit_attempt
from exam_engine.exams.errors import ExamClosed, ExamError, NotStarted
from exam_engine.exams.models import Attempt, AttemptEvent, Result
from exam_engine.exams.states import AttemptStatus
from exam_engine.exams.transitions import transition

# One grant of extra time, and all the extra time an attempt may carry: a sitting lasts a few
# hours and a candidate's login at most 12 (kernel.login_sessions.MAX_AGE).
MAX_GRANT_SECONDS = 4 * 3600
MAX_TOTAL_EXTRA_SECONDS = 8 * 3600


class AlreadyStarted(ExamError):
    """Planned time (an accommodation) changes only before the start; later it is extra time."""

    http_status = 409


class InvalidExtraTime(ExamError):
    http_status = 422


def _time_is_up(attempt: Attempt, now: datetime) -> bool:
    return (attempt.status is AttemptStatus.IN_PROGRESS and attempt.deadline is not None
            and now >= attempt.deadline)


def _refuse_closed(attempt: Attempt, now: datetime) -> None:
    if attempt.status is AttemptStatus.SUBMITTED:
        raise ExamClosed("Bài thi đã nộp.", "the attempt is already submitted")
    if attempt.status is AttemptStatus.ABSENT:
        raise ExamClosed("Thí sinh đã được ghi nhận vắng thi.", "the candidate was marked absent")
    if _time_is_up(attempt, now):
        raise ExamClosed("Đã hết giờ làm bài: bài thi sẽ được thu.",
                         "the time is up; the attempt is being closed")


def pause_attempt(db: Session, attempt_id: int, now: datetime, actor: str) -> Attempt:
    """Stop the candidate's clock (IN_PROGRESS → PAUSED). Pausing a paused attempt changes
    nothing; one not started, submitted, absent or out of time is refused (409)."""
    attempt = get_attempt(db, attempt_id, lock=True)
    if attempt.status is AttemptStatus.PAUSED:
        return attempt
    if attempt.status is AttemptStatus.ASSIGNED:
        raise NotStarted("Thí sinh chưa bắt đầu làm bài: chưa có gì để tạm dừng.",
                         "the attempt has not started; there is nothing to pause")
    _refuse_closed(attempt, now)
    transition(db, attempt, AttemptStatus.PAUSED, actor=actor, at=now)
    attempt.paused_at = now
    db.flush()
    return attempt


def _end_pause(attempt: Attempt, now: datetime) -> timedelta:
    """Close the books of the pause in progress: the deadline moves on by its length."""
    assert attempt.paused_at is not None and attempt.deadline is not None
    length = max(now - attempt.paused_at, timedelta(0))  # two hosts' clocks may differ a bit
    attempt.deadline += length
    attempt.paused_seconds += round(length.total_seconds())
    attempt.paused_at = None
    return length


def resume_attempt(db: Session, attempt_id: int, now: datetime, actor: str) -> Attempt:
    """Restart the clock (PAUSED → IN_PROGRESS) with the time left it had when paused.
    Resuming a running attempt changes nothing; a closed one is refused (409)."""
    attempt = get_attempt(db, attempt_id, lock=True)
    if attempt.status is AttemptStatus.IN_PROGRESS:
        return attempt
    if attempt.status is not AttemptStatus.PAUSED:
        _refuse_closed(attempt, now)
        raise NotStarted("Bài thi chưa bắt đầu.", "the attempt has not started")
    length = _end_pause(attempt, now)
    transition(db, attempt, AttemptStatus.IN_PROGRESS, actor=actor, at=now,
               detail=f"paused for {round(length.total_seconds())} s")
    db.flush()
    return attempt


def grant_extra_time(db: Session, attempt_id: int, seconds: int, now: datetime,
                     actor: str) -> Attempt:
    """Give the candidate ``seconds`` more: added to ``extra_seconds``, and to the deadline
    once started (paused or not). Refused on a submitted or absent attempt, one whose time is
    already up, and for amounts outside 1 s … MAX_GRANT_SECONDS or a total past
    MAX_TOTAL_EXTRA_SECONDS."""
    if not isinstance(seconds, int) or isinstance(seconds, bool) \
            or not 0 < seconds <= MAX_GRANT_SECONDS:
        raise InvalidExtraTime(
            f"Thời gian thêm phải từ 1 giây đến {MAX_GRANT_SECONDS // 60} phút.",
            f"extra time must be between 1 second and {MAX_GRANT_SECONDS // 60} minutes")
    attempt = get_attempt(db, attempt_id, lock=True)
    _refuse_closed(attempt, now)
    _check_total(attempt.extra_seconds + seconds)
    attempt.extra_seconds += seconds
    if attempt.deadline is not None:
        attempt.deadline += timedelta(seconds=seconds)
    _record(db, attempt, actor, now,
            f"extra time +{seconds} s (total {attempt.extra_seconds} s)")
    return attempt


def plan_extra_time(db: Session, attempt_id: int, delta_seconds: int, now: datetime,
                    actor: str) -> Attempt:
    """Change the extra time planned before the start (an accommodation entered or changed)
    by ``delta_seconds`` (negative: less). Only before the start: after it, raises
    ``AlreadyStarted`` — time is then given with ``grant_extra_time``."""
    attempt = get_attempt(db, attempt_id, lock=True)
    if attempt.status is not AttemptStatus.ASSIGNED:
        raise AlreadyStarted(
            "Thí sinh đã bắt đầu làm bài: không đổi thời gian hỗ trợ được nữa, hãy dùng "
            "«Thêm giờ».",
            "the candidate has started; the planned time can no longer change — use extra time")
    total = attempt.extra_seconds + delta_seconds
    if total < 0:
        raise InvalidExtraTime("Thời gian thêm không thể âm.", "extra time cannot be negative")
    _check_total(total)
    if delta_seconds:
        attempt.extra_seconds = total
        _record(db, attempt, actor, now,
                f"planned extra time {delta_seconds:+d} s (total {total} s)")
    return attempt


def force_submit(db: Session, attempt_id: int, now: datetime, actor: str) -> Result:
    """A proctor closes the attempt now, running or paused (a paused one's pause ends here,
    so its deadline and pause total stay true); graded like any submit. Submitting a
    submitted attempt returns its result; one not started is refused (409)."""
    attempt = get_attempt(db, attempt_id, lock=True)
    if attempt.status is AttemptStatus.PAUSED:
        _end_pause(attempt, now)
        db.flush()
    return submit_attempt(db, attempt.id, actor=actor, now=now, allow_paused=True)


def _check_total(total: int) -> None:
    if total > MAX_TOTAL_EXTRA_SECONDS:
        raise InvalidExtraTime(
            f"Tổng thời gian thêm của một bài thi không quá {MAX_TOTAL_EXTRA_SECONDS // 60} "
            "phút.", f"an attempt's extra time totals at most "
            f"{MAX_TOTAL_EXTRA_SECONDS // 60} minutes")


def _record(db: Session, attempt: Attempt, actor: str, now: datetime, detail: str) -> None:
    """A change of the clock that is no change of status, in the attempt's history."""
    status = attempt.status.value
    db.add(AttemptEvent(attempt_id=attempt.id, from_status=status, to_status=status,
                        actor=actor[:40], detail=detail, at=now))
    db.flush()
