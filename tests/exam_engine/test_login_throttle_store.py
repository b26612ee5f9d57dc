"""The login-failure counters in the database: a window, a limit, and no race past it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from exam_engine.kernel.db import make_session_factory, transaction
from exam_engine.kernel.throttle import (
    MAX_TRIES,
    WINDOW,
    LoginFailure,
    count_try,
    forget_tries,
    login_key,
)

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def test_the_limit_holds_within_a_window_and_lifts_after_it(db):
    key = login_key("user", "canbo", "10.0.0.1")
    assert all(count_try(db, key, T0 + timedelta(seconds=i)) for i in range(MAX_TRIES))
    assert not count_try(db, key, T0 + timedelta(minutes=14))
    assert count_try(db, key, T0 + WINDOW + timedelta(seconds=1))  # a new window
    db.commit()


def test_forgetting_starts_the_count_afresh_and_keys_are_separate(db):
    key = login_key("user", "canbo", "10.0.0.1")
    for _ in range(MAX_TRIES):
        count_try(db, key, T0)
    assert count_try(db, login_key("user", "canbo", "10.0.0.2"), T0)
    assert count_try(db, login_key("candidate", "canbo", "10.0.0.1"), T0)
    forget_tries(db, key)
    assert count_try(db, key, T0)
    db.commit()


def test_expired_counters_of_other_keys_are_swept(db):
    old = login_key("user", "canbo", "10.0.0.1")
    count_try(db, old, T0)
    count_try(db, login_key("user", "khac", "10.0.0.9"), T0 + WINDOW + timedelta(minutes=1))
    db.commit()
    assert db.get(LoginFailure, old) is None


def test_simultaneous_tries_never_get_past_the_limit(engine, db):
    """Counting happens before the password check, in one upsert: 3 × MAX_TRIES tries racing
    on one key (each its own transaction, as requests are) admit exactly MAX_TRIES."""
    factory = make_session_factory(engine, writes=True)
    key = login_key("user", "canbo", "10.0.0.1")
    admitted: list[bool] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3 * MAX_TRIES)

    def one_try() -> None:
        try:
            start.wait()
            with transaction(factory) as unit:
                admitted.append(count_try(unit, key, T0))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=one_try) for _ in range(3 * MAX_TRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert admitted.count(True) == MAX_TRIES
