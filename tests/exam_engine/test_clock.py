"""The exam clock under the proctors' control (issue 11): pause, resume, extra time and
force-submit as exam services, on SQLite and PostgreSQL. A pause stops the server's clock:
the time left stands still, nothing closes the attempt at its stored deadline, and resuming
gives back exactly the time left it had."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from exam_engine.exams import clock, delivery, saving
from exam_engine.exams.errors import AttemptPaused, ExamClosed, NotStarted, SessionStateError
from exam_engine.exams.models import Attempt, AttemptEvent
from exam_engine.exams.results import approve_results, current_result
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.cache import MemoryCache

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
GRACE = 3
PROCTOR = "user:7"


def _started(db, make_session, at=T0, n=1):
    session = make_session(n_candidates=n, duration_minutes=30)
    for candidate in session.candidates:
        delivery.start_attempt(db, candidate.attempt.id, at, grace_seconds=GRACE)
    db.commit()
    return session.candidates[0].attempt


def _fresh(db, attempt_id) -> Attempt:
    """The attempt as committed (the services flush; the test commits like the request)."""
    db.commit()
    db.expire_all()
    return db.get(Attempt, attempt_id)


def _events(db, attempt_id):
    return [(e.from_status, e.to_status, e.actor) for e in db.scalars(
        select(AttemptEvent).where(AttemptEvent.attempt_id == attempt_id)
        .order_by(AttemptEvent.id))]


def test_a_pause_of_three_minutes_gives_back_the_same_time_left(db, make_session):
    attempt = _started(db, make_session)
    paused_at = T0 + timedelta(minutes=10)
    clock.pause_attempt(db, attempt.id, paused_at, PROCTOR)
    left_when_paused = delivery.seconds_left(_fresh(db, attempt.id), paused_at)
    assert left_when_paused == 20 * 60
    clock.resume_attempt(db, attempt.id, paused_at + timedelta(minutes=3), PROCTOR)
    attempt = _fresh(db, attempt.id)
    assert attempt.status is AttemptStatus.IN_PROGRESS
    assert delivery.seconds_left(attempt, paused_at + timedelta(minutes=3)) == left_when_paused
    assert attempt.deadline == T0 + timedelta(minutes=33)
    assert attempt.paused_seconds == 180 and attempt.paused_at is None


def test_the_time_left_stands_still_while_paused(db, make_session):
    attempt = _started(db, make_session)
    clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=5), PROCTOR)
    attempt = _fresh(db, attempt.id)
    for later in (timedelta(minutes=6), timedelta(hours=2)):
        assert delivery.seconds_left(attempt, T0 + later) == 25 * 60
    paper = delivery.paper(db, attempt, T0 + timedelta(hours=2))
    assert paper["status"] == "paused" and paper["seconds_left"] == 25 * 60


def test_pausing_a_paused_attempt_and_resuming_a_running_one_change_nothing(db, make_session):
    attempt = _started(db, make_session)
    clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=1), PROCTOR)
    clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=2), "user:8")
    assert _fresh(db, attempt.id).paused_at == T0 + timedelta(minutes=1)
    clock.resume_attempt(db, attempt.id, T0 + timedelta(minutes=4), PROCTOR)
    clock.resume_attempt(db, attempt.id, T0 + timedelta(minutes=5), "user:8")
    attempt = _fresh(db, attempt.id)
    assert attempt.deadline == T0 + timedelta(minutes=33) and attempt.paused_seconds == 180
    assert _events(db, attempt.id) == [("assigned", "in_progress", "candidate"),
                                       ("in_progress", "paused", PROCTOR),
                                       ("paused", "in_progress", PROCTOR)]


def test_two_pauses_add_up(db, make_session):
    attempt = _started(db, make_session)
    for start, minutes in ((5, 2), (10, 4)):
        clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=start), PROCTOR)
        clock.resume_attempt(db, attempt.id, T0 + timedelta(minutes=start + minutes), PROCTOR)
    attempt = _fresh(db, attempt.id)
    assert attempt.paused_seconds == 6 * 60
    assert attempt.deadline == T0 + timedelta(minutes=36)


def test_a_paused_attempt_is_not_closed_at_its_old_deadline(db, make_session):
    attempt = _started(db, make_session)
    clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=29), PROCTOR)
    db.commit()
    long_after = T0 + timedelta(minutes=45)
    assert delivery.finalize_expired_attempts(db, long_after, GRACE) == 0
    delivery.close_if_expired(db, _fresh(db, attempt.id), long_after, grace_seconds=GRACE)
    delivery.start_attempt(db, attempt.id, long_after, grace_seconds=GRACE)  # a reload
    assert _fresh(db, attempt.id).status is AttemptStatus.PAUSED
    assert not delivery.answers_final(_fresh(db, attempt.id), long_after, GRACE)
    # resumed after 16 minutes, he has his last minute; the sweeper waits for it
    clock.resume_attempt(db, attempt.id, long_after, PROCTOR)
    db.commit()
    assert delivery.finalize_expired_attempts(db, long_after + timedelta(seconds=59), GRACE) == 0
    saved = saving.save_answer(db, MemoryCache(), attempt.id, position=0, selected=[0],
                               flagged=False, seq=1, now=long_after + timedelta(seconds=30),
                               grace_seconds=GRACE)
    assert saved.seq == 1
    db.commit()
    assert delivery.finalize_expired_attempts(
        db, long_after + timedelta(minutes=1, seconds=GRACE + 1), GRACE) == 1
    db.commit()
    assert _fresh(db, attempt.id).status is AttemptStatus.SUBMITTED


def test_extra_time_moves_the_deadline_of_a_started_attempt(db, make_session):
    attempt = _started(db, make_session)
    clock.grant_extra_time(db, attempt.id, 600, T0 + timedelta(minutes=20), PROCTOR)
    attempt = _fresh(db, attempt.id)
    assert attempt.extra_seconds == 600
    assert attempt.deadline == T0 + timedelta(minutes=40)
    assert delivery.seconds_left(attempt, T0 + timedelta(minutes=20)) == 20 * 60
    event = db.scalars(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id)
                       .order_by(AttemptEvent.id.desc())).first()
    assert (event.from_status, event.to_status, event.actor) == ("in_progress", "in_progress",
                                                                 PROCTOR)
    assert event.detail == "extra time +600 s (total 600 s)"


def test_extra_time_given_while_paused_is_there_after_the_resume(db, make_session):
    attempt = _started(db, make_session)
    clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=10), PROCTOR)
    clock.grant_extra_time(db, attempt.id, 300, T0 + timedelta(minutes=11), PROCTOR)
    assert delivery.seconds_left(_fresh(db, attempt.id), T0 + timedelta(minutes=12)) == 25 * 60
    clock.resume_attempt(db, attempt.id, T0 + timedelta(minutes=13), PROCTOR)
    attempt = _fresh(db, attempt.id)
    assert delivery.seconds_left(attempt, T0 + timedelta(minutes=13)) == 25 * 60
    assert attempt.deadline == T0 + timedelta(minutes=38)


def test_extra_time_before_the_start_lengthens_the_attempt_when_it_starts(db, make_session):
    attempt = make_session(n_candidates=1, duration_minutes=30).candidates[0].attempt
    clock.grant_extra_time(db, attempt.id, 900, T0 - timedelta(hours=1), PROCTOR)
    assert delivery.seconds_left(_fresh(db, attempt.id), T0) == 45 * 60
    delivery.start_attempt(db, attempt.id, T0)
    assert _fresh(db, attempt.id).deadline == T0 + timedelta(minutes=45)


@pytest.mark.parametrize("seconds", [0, -60, clock.MAX_GRANT_SECONDS + 1, True, 1.5])
def test_absurd_extra_time_is_refused(db, make_session, seconds):
    attempt = _started(db, make_session)
    with pytest.raises(clock.InvalidExtraTime):
        clock.grant_extra_time(db, attempt.id, seconds, T0, PROCTOR)
    assert _fresh(db, attempt.id).extra_seconds == 0


def test_extra_time_has_a_ceiling_in_total(db, make_session):
    attempt = _started(db, make_session)
    clock.grant_extra_time(db, attempt.id, clock.MAX_GRANT_SECONDS, T0, PROCTOR)
    clock.grant_extra_time(db, attempt.id, clock.MAX_GRANT_SECONDS, T0, PROCTOR)
    with pytest.raises(clock.InvalidExtraTime, match="Tổng thời gian"):
        clock.grant_extra_time(db, attempt.id, 60, T0, PROCTOR)


def test_extra_time_is_refused_once_submitted_absent_or_out_of_time(db, make_session):
    attempt = _started(db, make_session)
    with pytest.raises(ExamClosed, match="hết giờ"):
        clock.grant_extra_time(db, attempt.id, 60, T0 + timedelta(minutes=30), PROCTOR)
    delivery.submit_attempt(db, attempt.id, actor="candidate", now=T0 + timedelta(minutes=5))
    with pytest.raises(ExamClosed, match="đã nộp"):
        clock.grant_extra_time(db, attempt.id, 60, T0 + timedelta(minutes=6), PROCTOR)
    db.rollback()
    absent = make_session(n_candidates=1).candidates[0].attempt
    absent.status = AttemptStatus.ABSENT
    db.commit()
    with pytest.raises(ExamClosed, match="vắng"):
        clock.grant_extra_time(db, absent.id, 60, T0, PROCTOR)


def test_a_pause_is_refused_before_the_start_after_the_submit_and_once_time_is_up(
        db, make_session):
    attempt = make_session(n_candidates=1, duration_minutes=30).candidates[0].attempt
    with pytest.raises(NotStarted):
        clock.pause_attempt(db, attempt.id, T0, PROCTOR)
    delivery.start_attempt(db, attempt.id, T0)
    with pytest.raises(ExamClosed):
        clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=30), PROCTOR)
    delivery.submit_attempt(db, attempt.id, actor="candidate", now=T0 + timedelta(minutes=1))
    with pytest.raises(ExamClosed):
        clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=2), PROCTOR)
    with pytest.raises(ExamClosed):
        clock.resume_attempt(db, attempt.id, T0 + timedelta(minutes=2), PROCTOR)


def test_force_submit_closes_a_paused_attempt_ending_its_pause(db, make_session):
    attempt = _started(db, make_session)
    clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=10), PROCTOR)
    now = T0 + timedelta(minutes=50)  # well past the stored deadline: the pause stopped it
    result = clock.force_submit(db, attempt.id, now, PROCTOR)
    attempt = _fresh(db, attempt.id)
    assert attempt.status is AttemptStatus.SUBMITTED
    assert attempt.submitted_at == now and attempt.paused_seconds == 40 * 60
    assert attempt.deadline == T0 + timedelta(minutes=70) and attempt.paused_at is None
    assert current_result(db, attempt.id).id == result.id
    assert _events(db, attempt.id)[-1] == ("paused", "submitted", PROCTOR)
    assert clock.force_submit(db, attempt.id, now, PROCTOR).id == result.id  # idempotent


def test_force_submit_of_a_running_attempt_is_the_proctors_not_the_deadlines(db, make_session):
    attempt = _started(db, make_session)
    clock.force_submit(db, attempt.id, T0 + timedelta(minutes=12), PROCTOR)
    attempt = _fresh(db, attempt.id)
    assert attempt.submitted_at == T0 + timedelta(minutes=12)
    assert _events(db, attempt.id)[-1] == ("in_progress", "submitted", PROCTOR)


def test_the_candidate_cannot_submit_while_paused(db, make_session):
    attempt = _started(db, make_session)
    clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=1), PROCTOR)
    with pytest.raises(AttemptPaused):
        delivery.submit_attempt(db, attempt.id, actor="candidate", now=T0 + timedelta(minutes=2))
    assert _fresh(db, attempt.id).status is AttemptStatus.PAUSED


def test_approval_waits_for_a_paused_candidate(db, make_session):
    attempt = _started(db, make_session)
    clock.pause_attempt(db, attempt.id, T0 + timedelta(minutes=1), PROCTOR)
    db.commit()
    session = attempt.candidate.session
    with pytest.raises(SessionStateError, match="BN0001"):
        approve_results(db, session, approved_by=None, now=T0 + timedelta(hours=3),
                        grace_seconds=GRACE)
    db.rollback()
    assert _fresh(db, attempt.id).status is AttemptStatus.PAUSED


def test_planned_extra_time_changes_only_before_the_start(db, make_session):
    attempt = make_session(n_candidates=1, duration_minutes=30).candidates[0].attempt
    clock.plan_extra_time(db, attempt.id, 600, T0, PROCTOR)
    clock.plan_extra_time(db, attempt.id, -300, T0, PROCTOR)
    assert _fresh(db, attempt.id).extra_seconds == 300
    with pytest.raises(clock.InvalidExtraTime):
        clock.plan_extra_time(db, attempt.id, -301, T0, PROCTOR)
    delivery.start_attempt(db, attempt.id, T0)
    with pytest.raises(clock.AlreadyStarted, match="Thêm giờ"):
        clock.plan_extra_time(db, attempt.id, 60, T0, PROCTOR)
