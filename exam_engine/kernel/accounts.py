"""Accounts and roles: the users who log in with a password.

Candidates at a test centre do not have accounts here: they log in with their candidate
number (số báo danh) and the session code the proctor reads out (see ``exam_engine.exams``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Enum, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from exam_engine.kernel.db import Base, UTCDateTime, utcnow
from exam_engine.kernel.login_sessions import end_user_login_sessions
from exam_engine.kernel.text import identifier_key, nfc


class Role(enum.StrEnum):
    CANDIDATE = "candidate"
    STUDENT = "student"
    TEACHER = "teacher"
    REVIEWER = "reviewer"
    PROCTOR = "proctor"
    STAFF = "staff"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20,
                                            values_callable=lambda e: [m.value for m in e]))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


_hasher = PasswordHasher()


class AccountError(ValueError):
    """A user that cannot be created as asked."""


def create_user(db: Session, username: str, password: str, full_name: str, role: Role) -> User:
    username = identifier_key(username)
    if not username:
        raise AccountError("username: must not be empty")
    _check_password_rules(password)
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"username: {username!r} is taken")
    user = User(username=username, full_name=nfc(full_name), role=role,
                password_hash=_hasher.hash(password))
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, else None (same answer for both
    unknown user and wrong password, so usernames cannot be probed)."""
    user = db.scalar(select(User).where(User.username == identifier_key(username)))
    if user is None or not user.active:
        _hasher.hash(password)  # spend the same time as a real check
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _check_password_rules(password: str) -> None:
    if len(password) < 8:
        raise AccountError("password: at least 8 characters")


class WrongPassword(AccountError):
    """The current password given to change it is not this user's."""


def change_password(db: Session, user: User, current_password: str, new_password: str) -> None:
    """Set a new password after checking the current one, and end every login session of
    this user: a cookie copied before the change (the reason one changes a password) must
    stop working. The caller logs the user in afresh in the browser that asked."""
    try:
        _hasher.verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise WrongPassword("current_password: does not match") from None
    _check_password_rules(new_password)
    user.password_hash = _hasher.hash(new_password)
    db.flush()
    end_user_login_sessions(db, user.id)
