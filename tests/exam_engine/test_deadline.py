"""The deadline on the server's clock: extra time, the save grace window — one rule whoever
closes the attempt (issue 10, hole 10) — the deadline sweeper and ``close-expired``."""

from __future__ import annotations

import threading
import time as wall
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from exam_engine.exams import delivery, saving
from exam_engine.exams.errors import ExamClosed
from exam_engine.exams.models import Answer, Attempt, AttemptEvent
from exam_engine.exams.results import current_result
from exam_engine.exams.states import AttemptStatus
from exam_engine.gunicorn_conf import start_deadline_sweeper, sweep_once
from exam_engine.kernel.cache import MemoryCache
from exam_engine.kernel.db import utcnow

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
GRACE = 3


def _started(db, make_session, at=T0, extra_seconds=0):
    attempt = make_session(n_candidates=1, duration_minutes=30).candidates[0].attempt
    attempt.extra_seconds = extra_seconds
    delivery.start_attempt(db, attempt.id, at, grace_seconds=GRACE)
    db.commit()
    return attempt


def _save(db, attempt_id, at, seq=1):
    saved = saving.save_answer(db, MemoryCache(), attempt_id, position=0, selected=[0],
                               flagged=False, seq=seq, now=at, grace_seconds=GRACE)
    db.commit()
    return saved


def _status(db, attempt_id):
    """The status as committed now (a fresh read: the sweeper commits in its own session)."""
    db.rollback()
    return AttemptStatus(db.scalar(select(Attempt.__table__.c.status)
                                   .where(Attempt.__table__.c.id == attempt_id)))


def _open_the_page(db, attempt, now):
    return delivery.close_if_expired(db, attempt, now, grace_seconds=GRACE)


def _resume_on_another_computer(db, attempt, now):
    return delivery.start_attempt(db, attempt.id, now, grace_seconds=GRACE)


def _sweep(db, attempt, now):
    return delivery.finalize_expired_attempts(db, now, GRACE)


@pytest.mark.parametrize("closer", [_open_the_page, _resume_on_another_computer, _sweep],
                         ids=["page", "resume", "sweeper"])
def test_a_save_inside_the_grace_is_kept_whoever_looks_first(db, make_session, closer):
    """Reproduces hole 10: opening the paper at the deadline closed the attempt with no grace,
    so a save the sweeper would have taken was refused. Every closer now waits out the grace."""
    attempt = _started(db, make_session)
    deadline = T0 + timedelta(minutes=30)
    closer(db, attempt, deadline + timedelta(seconds=1))
    db.commit()
    assert attempt.status is AttemptStatus.IN_PROGRESS
    assert _save(db, attempt.id, deadline + timedelta(seconds=GRACE)).seq == 1
    closer(db, attempt, deadline + timedelta(seconds=GRACE + 1))
    db.commit()
    db.refresh(attempt)
    assert attempt.status is AttemptStatus.SUBMITTED
    assert attempt.submitted_at == deadline  # the deadline closed it, not the late look
    with pytest.raises(ExamClosed):
        _save(db, attempt.id, deadline + timedelta(seconds=GRACE + 1), seq=2)


def test_a_save_after_the_grace_is_refused_even_if_nobody_closed_the_attempt(db, make_session):
    attempt = _started(db, make_session)
    with pytest.raises(ExamClosed, match="hết giờ"):
        _save(db, attempt.id, T0 + timedelta(minutes=30, seconds=GRACE + 1))


def test_extra_time_moves_the_deadline_and_the_grace_with_it(db, make_session):
    attempt = _started(db, make_session, extra_seconds=120)
    deadline = T0 + timedelta(minutes=32)
    assert attempt.deadline == deadline
    assert delivery.seconds_left(attempt, T0 + timedelta(minutes=31)) == 60
    assert delivery.finalize_expired_attempts(db, deadline - timedelta(seconds=1), GRACE) == 0
    assert _save(db, attempt.id, deadline + timedelta(seconds=GRACE)).seq == 1
    assert delivery.finalize_expired_attempts(db, deadline + timedelta(seconds=GRACE + 1),
                                              GRACE) == 1


def test_extra_time_granted_before_the_start_shows_in_the_time_left(db, make_session):
    attempt = make_session(n_candidates=1, duration_minutes=30).candidates[0].attempt
    attempt.extra_seconds = 300
    assert delivery.seconds_left(attempt, T0) == 35 * 60


def test_the_deadline_sweeper_thread_closes_expired_attempts(app, db, make_session):
    attempt = _started(db, make_session, at=utcnow() - timedelta(minutes=31))
    stop = threading.Event()
    thread = start_deadline_sweeper(app, every=0.05, stop=stop)
    try:
        for _ in range(200):
            if _status(db, attempt.id) is AttemptStatus.SUBMITTED:
                break
            wall.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert _status(db, attempt.id) is AttemptStatus.SUBMITTED
    actors = db.scalars(select(AttemptEvent.actor).where(AttemptEvent.attempt_id == attempt.id,
                                                         AttemptEvent.to_status == "submitted"))
    assert list(actors) == ["server:deadline"]
    assert current_result(db, attempt.id) is not None
    assert sweep_once(app) == 0  # idempotent: nothing left to close


def test_the_sweeper_leaves_an_attempt_inside_its_grace(app, db, make_session):
    app.config["SAVE_GRACE_SECONDS"] = 600
    attempt = _started(db, make_session, at=utcnow() - timedelta(minutes=31))
    assert sweep_once(app) == 0
    assert _status(db, attempt.id) is AttemptStatus.IN_PROGRESS


def test_close_expired_command_submits_what_the_deadline_ended(app, db, make_session):
    expired = _started(db, make_session, at=utcnow() - timedelta(minutes=31))
    result = app.test_cli_runner().invoke(args=["close-expired"])
    assert result.exit_code == 0, result.output
    assert "closed 1 attempt(s) at their deadline" in result.output
    assert _status(db, expired.id) is AttemptStatus.SUBMITTED
    again = app.test_cli_runner().invoke(args=["close-expired"])
    assert again.exit_code == 0 and "closed" not in again.output


def test_a_save_inside_the_grace_after_a_submit_at_the_time_up_is_kept_and_regraded(
        db, make_session):
    """Reproduces hole 10 for the last closer: the page's submit when the time runs out closed
    the attempt, and a save still inside the grace was refused."""
    attempt = _started(db, make_session)
    deadline = T0 + timedelta(minutes=30)
    graded = delivery.submit_attempt(db, attempt.id, actor="candidate",
                                     now=deadline + timedelta(seconds=1))
    db.commit()
    assert _save(db, attempt.id, deadline + timedelta(seconds=GRACE)).seq == 1
    regraded = current_result(db, attempt.id)
    assert regraded.id != graded.id and regraded.supersedes_id == graded.id
    assert db.get(Answer, (attempt.id, 0)).seq == 1  # the re-grade read the kept answer
    with pytest.raises(ExamClosed, match="đã nộp"):
        _save(db, attempt.id, deadline + timedelta(seconds=GRACE + 1), seq=2)


def test_a_submit_before_the_deadline_takes_no_later_save(db, make_session):
    attempt = _started(db, make_session)
    delivery.submit_attempt(db, attempt.id, actor="candidate", now=T0 + timedelta(minutes=10))
    db.commit()
    with pytest.raises(ExamClosed, match="đã nộp"):
        _save(db, attempt.id, T0 + timedelta(minutes=10, seconds=1))
