"""The response log (issue 11): every acknowledged change of every answer, written with the
answer in the same transaction, on SQLite and PostgreSQL; read back by ``proctor.response_log``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from exam_engine.exams import delivery, saving
from exam_engine.exams.errors import ExamClosed, InvalidAnswer
from exam_engine.exams.models import Answer, ResponseLogEntry
from exam_engine.kernel.cache import MemoryCache
from exam_engine.kernel.db import make_session_factory
from exam_engine.kernel.login_sessions import begin_login_session, token_hash
from proctor.response_log import LoggedChange, changes_of, session_response_log

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
GRACE = 3


def _started(db, session, index=0, at=T0):
    attempt = session.candidates[index].attempt
    delivery.start_attempt(db, attempt.id, at, grace_seconds=GRACE)
    db.commit()
    return attempt


def _save(db, attempt_id, position, selected, seq, *, at=T0 + timedelta(minutes=1),
          ms=None, login_hash=None):
    saved = saving.save_answer(db, MemoryCache(), attempt_id, position=position,
                               selected=selected, flagged=False, seq=seq, now=at,
                               grace_seconds=GRACE, ms_on_item=ms, login_hash=login_hash)
    db.commit()
    return saved


def _parts(db, attempt_id, position):
    return saving.form_shape(db, MemoryCache(), attempt_id).questions[position][1]


def _log(db, attempt_id):
    db.rollback()  # a fresh snapshot
    return changes_of(db, attempt_id)


def test_every_written_save_is_logged_once_in_order_with_both_times(db, make_session):
    attempt = _started(db, make_session(n_candidates=1))
    parts = _parts(db, attempt.id, 0)
    _save(db, attempt.id, 0, [1], 1, at=T0 + timedelta(seconds=10), ms=4_000)
    _save(db, attempt.id, 3, [0], 1, at=T0 + timedelta(seconds=20), ms=2_500)
    _save(db, attempt.id, 0, [2], 2, at=T0 + timedelta(seconds=30), ms=9_100)
    _save(db, attempt.id, 0, [], 3, at=T0 + timedelta(seconds=40))  # cleared; no time sent
    log = _log(db, attempt.id)
    assert [(c.position, c.seq, c.client_ms_on_item, c.saved_at) for c in log] == [
        (0, 1, 4_000, T0 + timedelta(seconds=10)), (3, 1, 2_500, T0 + timedelta(seconds=20)),
        (0, 2, 9_100, T0 + timedelta(seconds=30)), (0, 3, None, T0 + timedelta(seconds=40))]
    assert [c.selected for c in log if c.position == 0] == [[parts[1]], [parts[2]], []]
    final = db.get(Answer, (attempt.id, 0))
    assert (final.seq, final.selected) == (log[-1].seq, log[-1].selected)


def test_a_retried_or_stale_save_writes_no_log_row_and_does_not_fail(db, make_session):
    attempt = _started(db, make_session(n_candidates=1))
    assert _save(db, attempt.id, 0, [1], 2, ms=100).seq == 2
    assert _save(db, attempt.id, 0, [1], 2, ms=100).seq == 2   # the retry of an acked seq
    assert _save(db, attempt.id, 0, [3], 1, ms=50).seq == 2    # an older save arriving late
    assert [(c.position, c.seq) for c in _log(db, attempt.id)] == [(0, 2)]


def test_a_refused_save_writes_no_log_row(db, make_session):
    attempt = _started(db, make_session(n_candidates=1, duration_minutes=30))
    with pytest.raises(ExamClosed):
        _save(db, attempt.id, 0, [1], 1, at=T0 + timedelta(minutes=31))
    db.rollback()
    assert _log(db, attempt.id) == []


def test_two_browsers_sending_the_same_save_at_once_both_get_it_and_it_is_logged_once(
        db, make_session):
    attempt = _started(db, make_session(n_candidates=1))
    _save(db, attempt.id, 0, [0], 1)  # form shape cached, answer row there
    factory = make_session_factory(db.get_bind(), writes=True)
    barrier, results, errors = threading.Barrier(2), [], []

    def send() -> None:
        with factory() as unit:
            try:
                barrier.wait()
                results.append(saving.save_answer(
                    unit, MemoryCache(), attempt.id, position=0, selected=[2], flagged=False,
                    seq=2, now=T0 + timedelta(minutes=2), grace_seconds=GRACE, ms_on_item=7))
                unit.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert [r.seq for r in results] == [2, 2]
    assert [(c.seq, c.client_ms_on_item) for c in _log(db, attempt.id)] == [(1, None), (2, 7)]


def test_the_time_on_the_item_is_optional_rounded_clamped_and_refused_when_not_a_time(
        db, make_session):
    attempt = _started(db, make_session(n_candidates=1))
    _save(db, attempt.id, 0, [1], 1, ms=1234.6)
    _save(db, attempt.id, 0, [2], 2, ms=10**12)
    assert [c.client_ms_on_item for c in _log(db, attempt.id)] == [1235, saving.MAX_MS_ON_ITEM]
    for bad in (-1, "1200", True, float("nan"), [5]):
        with pytest.raises(InvalidAnswer, match="ms_on_item"):
            _save(db, attempt.id, 0, [3], 3, ms=bad)
        db.rollback()
    assert len(_log(db, attempt.id)) == 2


def test_a_late_save_inside_the_grace_after_the_time_up_submit_is_logged(db, make_session):
    attempt = _started(db, make_session(n_candidates=1, duration_minutes=30))
    deadline = T0 + timedelta(minutes=30)
    _save(db, attempt.id, 1, [0], 1, at=deadline - timedelta(seconds=5), ms=300)
    delivery.submit_attempt(db, attempt.id, actor="candidate", now=deadline + timedelta(seconds=1))
    db.commit()
    _save(db, attempt.id, 1, [1], 2, at=deadline + timedelta(seconds=GRACE), ms=900)
    _save(db, attempt.id, 1, [1], 2, at=deadline + timedelta(seconds=GRACE), ms=900)  # retry
    parts = _parts(db, attempt.id, 1)
    assert [(c.seq, c.selected, c.client_ms_on_item, c.saved_at) for c in _log(db, attempt.id)] \
        == [(1, [parts[0]], 300, deadline - timedelta(seconds=5)),
            (2, [parts[1]], 900, deadline + timedelta(seconds=GRACE))]


class _Statements:
    """Counts the statements sent to the database while it is active."""

    def __init__(self, engine) -> None:
        self.engine, self.sent = engine, []

    def _count(self, _conn, _cursor, statement, *_args) -> None:
        self.sent.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


@pytest.mark.parametrize("with_login", [False, True], ids=["no login", "login checked"])
def test_a_save_and_its_log_row_are_one_statement_on_postgresql_and_two_on_sqlite(
        db, make_session, with_login):
    attempt = _started(db, make_session(n_candidates=1))
    login_hash = token_hash(begin_login_session(db, attempt_id=attempt.id)) if with_login \
        else None
    db.commit()
    _save(db, attempt.id, 0, [1], 1, login_hash=login_hash)  # the form shape is now cached
    cache = MemoryCache()
    saving.form_shape(db, cache, attempt.id)
    db.connection()  # the transaction has begun (SQLite's BEGIN is not the save's)
    with _Statements(db.get_bind()) as statements:
        saving.save_answer(db, cache, attempt.id, position=0, selected=[2], flagged=False,
                           seq=2, now=T0 + timedelta(minutes=2), ms_on_item=42,
                           login_hash=login_hash)
    db.commit()
    expected = 1 if db.get_bind().dialect.name == "postgresql" else 2
    assert len(statements.sent) == expected, statements.sent
    assert statements.sent[0].lstrip().upper().startswith(
        "WITH" if expected == 1 else "INSERT INTO ANSWERS")
    assert [(c.seq, c.client_ms_on_item) for c in _log(db, attempt.id)] == [(1, None), (2, 42)]


def test_the_log_is_apart_from_answers_and_keeps_every_change(db, make_session):
    """``answers`` keeps the latest; the log keeps the whole history of the question."""
    attempt = _started(db, make_session(n_candidates=1))
    for seq in range(1, 6):
        _save(db, attempt.id, 2, [seq % 4], seq, at=T0 + timedelta(seconds=seq))
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Answer)
                     .where(Answer.attempt_id == attempt.id)) == 1
    assert db.scalar(select(func.count()).select_from(ResponseLogEntry)
                     .where(ResponseLogEntry.attempt_id == attempt.id)) == 5


def test_a_sessions_log_is_read_by_attempt_and_leaves_other_sessions_out(db, make_session):
    first = make_session(n_candidates=2)
    other = make_session(n_candidates=1)
    a, b = _started(db, first, 0), _started(db, first, 1)
    c = _started(db, other, 0)
    _save(db, b.id, 1, [0], 1, at=T0 + timedelta(seconds=1), ms=10)
    _save(db, a.id, 0, [1], 1, at=T0 + timedelta(seconds=2), ms=20)
    _save(db, b.id, 1, [1], 2, at=T0 + timedelta(seconds=3), ms=30)
    _save(db, c.id, 0, [1], 1, at=T0 + timedelta(seconds=4))
    db.rollback()
    log = session_response_log(db, first.id)
    assert set(log) == {a.id, b.id}
    assert [(x.position, x.seq, x.client_ms_on_item) for x in log[b.id]] == [(1, 1, 10),
                                                                            (1, 2, 30)]
    assert all(isinstance(x, LoggedChange) and x.attempt_id == a.id for x in log[a.id])
    assert session_response_log(db, other.id).keys() == {c.id}
