"""Login throttling: at most ``MAX_TRIES`` failed tries per identifier and client address in a
``WINDOW`` (the lock ends when the window that began with the first failure ends).

The counters live in the database, not the cache. A throttle in a cache that is down either
fails open (a locked account gets fresh tries, as it did) or, failing closed, locks a whole
test centre out of the exam whenever Redis blinks. Failed logins are rare, so one row write
each costs nothing, and the database is already the one thing a login cannot do without.

Each try is counted *before* the password is checked, in the same transaction, so a hundred
simultaneous guesses cannot all pass a "not locked yet" check; the row lock (PostgreSQL) or
the write lock (SQLite) queues them. A refused login keeps its count: the view asks the unit
of work to commit it (``web_context.keep_writes_of_refusal``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Integer, String, case, delete, literal, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from exam_engine.kernel.db import Base, UTCDateTime
from exam_engine.kernel.text import identifier_key

MAX_TRIES = 10
WINDOW = timedelta(minutes=15)


class LoginFailure(Base):
    __tablename__ = "login_failures"

    # SHA-256 of (kind, address, identifier key): bounded length, and no typed secret (people
    # do type their password into the username field) stored in clear.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    tries: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


def login_key(kind: str, identifier: str, client_address: str | None) -> str:
    """The counter for this kind of login ("user", "candidate"), identifier and address.

    Keyed by who is tried as well as where from: a whole room behind one NAT address must not
    be locked out by one candidate's typos. Every variant of an identifier (case, white space,
    Unicode composition) gives the same key, as it finds the same account.
    """
    raw = "\0".join((kind, client_address or "-", identifier_key(identifier)))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _upsert(db: Session):  # noqa: ANN202 - the dialect's insert construct
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(LoginFailure)


def count_try(db: Session, key: str, now: datetime) -> bool:
    """Count one login try against this key; True while it is within the limit.

    Call before checking the password; call ``forget_tries`` after a successful login.
    """
    table = LoginFailure.__table__
    cutoff = literal(now - WINDOW, UTCDateTime())
    expired = table.c.window_started_at < cutoff
    statement = _upsert(db).values(key=key, tries=1, window_started_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"tries": case((expired, 1), else_=table.c.tries + 1),
              "window_started_at": case((expired, literal(now, UTCDateTime())),
                                        else_=table.c.window_started_at)})
    db.execute(statement)
    _sweep_expired(db, now)
    row = db.get(LoginFailure, key, populate_existing=True)
    return row is not None and row.tries <= MAX_TRIES


def _sweep_expired(db: Session, now: datetime) -> None:
    """Drop a few expired counters of other keys, so the table holds only live ones.

    Rows another login holds are skipped (PostgreSQL), never waited for: two logins sweeping
    each other's rows would deadlock. SQLite serialises writers, so there is nothing to skip.
    """
    stale = (select(LoginFailure.key)
             .where(LoginFailure.window_started_at < now - WINDOW).limit(100))
    if db.get_bind().dialect.name == "postgresql":
        stale = stale.with_for_update(skip_locked=True)
    db.execute(delete(LoginFailure).where(LoginFailure.key.in_(stale.scalar_subquery())))


def forget_tries(db: Session, key: str) -> None:
    """A successful login starts the count afresh."""
    db.execute(delete(LoginFailure).where(LoginFailure.key == key))
