"""Server-side login sessions: a signed cookie alone no longer proves a login.

The Flask session cookie is signed, not revocable: a copy taken from a shared computer kept
working after "Đăng xuất". Each login now records a random session id here and puts it in the
cookie; every request checks the row (``web_context.install_login_session_checks``), and
logout or a password change ends the row, so every copy of the cookie dies with it.

The rows live in the database, not the cache: Redis is for speed, never for truth — a cache
that forgot (restart, eviction) would either log everyone out or, worse, forget a revocation.
The check is one primary-key read per request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from exam_engine.kernel.db import Base, UTCDateTime, utcnow

# A login lasts a working day at most: a cookie forgotten on a shared computer, never logged
# out, stops working by the next morning (an exam sitting is far shorter).
MAX_AGE = timedelta(hours=12)

ENDED_LOGOUT = "logout"
ENDED_PASSWORD = "password"
ENDED_MOVED = "moved"   # the proctor moved the candidate to another computer (issue 11)


class LoginSession(Base):
    __tablename__ = "login_sessions"

    # SHA-256 of the id in the cookie: a copy of this table lets no one forge a live session.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # A candidate's login (số báo danh + session code) is tied to the attempt. No foreign key:
    # the kernel knows no exam table, and an attempt is never deleted.
    attempt_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why it ended, for the browser that held it: ENDED_LOGOUT, ENDED_MOVED, ENDED_PASSWORD.
    ended_reason: Mapped[str | None] = mapped_column(String(20))


def token_hash(token: str) -> str:
    """What the table keeps of a cookie's session id."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def begin_login_session(db: Session, *, user_id: int | None = None,
                        attempt_id: int | None = None) -> str:
    """Record a new login and return the id to keep in the cookie (shown only this once)."""
    if (user_id is None) == (attempt_id is None):
        raise ValueError("a login session belongs to exactly one user or one attempt")
    token = secrets.token_urlsafe(32)
    db.add(LoginSession(id_hash=token_hash(token), user_id=user_id, attempt_id=attempt_id))
    db.flush()
    return token


def login_session_is_live(db: Session, token: str, *, user_id: int | None = None,
                          attempt_id: int | None = None, now: datetime | None = None) -> bool:
    """True when this id was issued for this user (or attempt), has not been ended and is
    younger than ``MAX_AGE``."""
    row = db.get(LoginSession, token_hash(token))
    return (row is not None and row.ended_at is None
            and row.user_id == user_id and row.attempt_id == attempt_id
            and row.created_at > (now or utcnow()) - MAX_AGE)


def end_login_session(db: Session, token: str, now: datetime | None = None) -> None:
    """Logout: this id (and so every copy of the cookie carrying it) stops working."""
    db.execute(update(LoginSession)
               .where(LoginSession.id_hash == token_hash(token), LoginSession.ended_at.is_(None))
               .values(ended_at=now or utcnow(), ended_reason=ENDED_LOGOUT))


def end_user_login_sessions(db: Session, user_id: int, now: datetime | None = None) -> int:
    """End every session of this user (a password change, a disabled account); how many."""
    result = db.execute(update(LoginSession)
                        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
                        .values(ended_at=now or utcnow(), ended_reason=ENDED_PASSWORD))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_attempt_login_sessions(db: Session, attempt_id: int, now: datetime | None = None, *,
                               reason: str = ENDED_MOVED, keep: str | None = None) -> int:
    """End every session of this candidate's attempt (e.g. the invigilator moves him to a
    spare computer and the old one must not keep writing) but ``keep`` (an id hash); how many."""
    query = update(LoginSession).where(LoginSession.attempt_id == attempt_id,
                                       LoginSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(LoginSession.id_hash != keep)
    result = db.execute(query.values(ended_at=now or utcnow(), ended_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]



def ended_reason(db: Session, id_hash: str) -> str | None:
    """Why this login session ended (None while live or unknown)."""
    row = db.get(LoginSession, id_hash)
    return None if row is None else row.ended_reason
