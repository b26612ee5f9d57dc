"""Exam sessions, rosters, attempts, their forms and saved answers."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_engine.exams.states import AttemptStatus, LoginMode, SanctionLevel, SessionStatus
from exam_engine.kernel.db import Base, UTCDateTime, utcnow, value_enum


class ExamSession(Base):
    """One sitting: a room, a date, the exam's settings and its roster."""

    __tablename__ = "exam_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    certificate_type: Mapped[str] = mapped_column(String(10), default="basic")
    exam_date: Mapped[date] = mapped_column(Date)
    room: Mapped[str] = mapped_column(String(100))
    exam_council: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    items_per_module: Mapped[dict[str, int]] = mapped_column(JSON)
    pass_percent: Mapped[float] = mapped_column(Float, default=50.0)
    session_code: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[SessionStatus] = mapped_column(value_enum(SessionStatus), default=SessionStatus.DRAFT)
    form_seed: Mapped[int | None] = mapped_column(Integer)
    # The sitting window (UTC instants; staff enter Vietnam times on the exam date). Attempts
    # start only inside it while the session is scheduled; None = no bound on that side.
    sitting_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sitting_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How a candidate gets in (issue 11): his personal code, the proctor's admission, or both.
    # The room-wide session_code alone never suffices.
    login_mode: Mapped[LoginMode] = mapped_column(value_enum(LoginMode),
                                                  default=LoginMode.PERSONAL_CODE)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="session", order_by="Candidate.candidate_number")

    @property
    def n_items(self) -> int:
        return sum(self.items_per_module.values())


class ExamSessionEvent(Base):
    """Audit history of a session: every status change, who caused it and when (append-only)."""

    __tablename__ = "exam_session_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(40))  # "user:12", "system"
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Candidate(Base):
    """A roster row: who sits, with the identity printed on the certificate."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("exam_session_id", "candidate_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    candidate_number: Mapped[str] = mapped_column(String(20))  # số báo danh
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    place_of_birth: Mapped[str] = mapped_column(String(200))
    gender: Mapped[str] = mapped_column(String(10))
    ethnicity: Mapped[str] = mapped_column(String(50), default="Kinh")
    citizen_id: Mapped[str] = mapped_column(String(12))  # CCCD
    # The personal one-time login code printed on his exam card (proctor.login_codes): only
    # its hash is kept, so the plain code exists on the card alone. None = none issued yet.
    login_code_hash: Mapped[str | None] = mapped_column(String(64))
    login_code_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    login_code_spent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[ExamSession] = relationship(back_populates="candidates")
    attempt: Mapped[Attempt | None] = relationship(back_populates="candidate", uselist=False)


def new_part_secret() -> str:
    return secrets.token_hex(16)


class Attempt(Base):
    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), unique=True)
    status: Mapped[AttemptStatus] = mapped_column(value_enum(AttemptStatus),
                                                  default=AttemptStatus.ASSIGNED)
    form_seed: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extra_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # While PAUSED: when the clock stopped (resuming moves the deadline by the pause's length).
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)  # all pauses so far
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Keys the opaque part ids this attempt's page sees (exam_engine.exams.part_tokens); it
    # never leaves the server, so the ids tell nothing about the parts or the key.
    part_secret: Mapped[str] = mapped_column(String(32), default=new_part_secret)

    candidate: Mapped[Candidate] = relationship(back_populates="attempt")
    items: Mapped[list[AttemptItem]] = relationship(order_by="AttemptItem.position")
    # No ``result`` relationship: the result that counts is ``results.current_result``.


class AttemptEvent(Base):
    """Audit history of an attempt: every transition, who caused it and when (append-only)."""

    __tablename__ = "attempt_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(40))  # "candidate", "server:deadline", "user:12"
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AttemptItem(Base):
    """One question of a candidate's form: the item version and his option order."""

    __tablename__ = "attempt_items"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    module: Mapped[str] = mapped_column(String(4))
    # Choice items: shown position -> original option index. Other kinds: the type's display
    # order of part ids ({"choices": [...], "targets": [...]}, cloze {"gaps": {...}}, or {}).
    option_order: Mapped[list[int] | dict[str, Any]] = mapped_column(JSON)


class Answer(Base):
    """The latest acknowledged answer per question. ``seq`` orders saves from the browser, so
    a retried or late, older save never overwrites a newer one."""

    __tablename__ = "answers"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Every kind in part ids, never display positions or the page's opaque ids: choice items
    # the ticked ids (sorted; rows saved before opaque ids hold shown positions), other kinds the
    # type's normalised response (part ids, text, a number); [] when not answered.
    selected: Mapped[Any] = mapped_column(JSON)
    flagged: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ResponseLogEntry(Base):
    """Every acknowledged change of every answer (append-only, apart from ``answers``, which
    keeps only the latest): what a multiple-choice appeal re-checks and the forensics read.
    One row per written save: (attempt, position, seq) is unique, as a seq is written once."""

    __tablename__ = "response_log"
    __table_args__ = (UniqueConstraint("attempt_id", "position", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))  # the unique index leads with it
    position: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    selected: Mapped[Any] = mapped_column(JSON)   # as stored in ``answers`` (part ids)
    flagged: Mapped[bool] = mapped_column(default=False)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the server's time
    # The browser's count of time spent on this question so far (ms), as it reported it.
    client_ms_on_item: Mapped[int | None] = mapped_column(Integer)


class AttemptSanction(Base):
    """A sanction decided against an attempt (append-only); grading applies the most severe.
    The proctor's incident report (``proctor.models.Incident``) points here."""

    __tablename__ = "attempt_sanctions"
    __table_args__ = (UniqueConstraint("attempt_id", "level"),)  # a double click decides once

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    level: Mapped[SanctionLevel] = mapped_column(value_enum(SanctionLevel))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Result(Base):
    """A graded result (append-only: a re-grade is a new row that supersedes the old)."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("results.id"))
    n_correct: Mapped[int] = mapped_column(Integer)
    n_items: Mapped[int] = mapped_column(Integer)
    percent: Mapped[float] = mapped_column(Float)
    module_scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    passed: Mapped[bool]
    theta: Mapped[float | None] = mapped_column(Float)
    theta_se: Mapped[float | None] = mapped_column(Float)
    # A sanction's effect (AttemptSanction): the level applied and the percent before it.
    sanction: Mapped[str | None] = mapped_column(String(20))
    percent_before_sanction: Mapped[float | None] = mapped_column(Float)
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
