"""Admission to the room: who asked to be let in, and which proctor let him in, when.

Both tables are append-only audit rows (issue 11): a request is never edited, and an admission
is a new row naming the proctor; one admission per request is a database constraint, so a
double click admits once.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from exam_engine.kernel.db import Base, UTCDateTime, utcnow, value_enum


class AdmissionRequest(Base):
    """A candidate's login that waits for a proctor (proctor admission or both)."""

    __tablename__ = "admission_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    reason: Mapped[str] = mapped_column(String(20), default="admission")  # AdmissionReason


class Admission(Base):
    """A proctor let the candidate of ``request_id`` in, after checking his ID card."""

    __tablename__ = "admissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("admission_requests.id"), unique=True)
    admitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    admitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set once, by the waiting browser that goes in: an admission lets one browser in, so a
    # copy of the waiting cookie gets nothing (the row's only write after its insert).
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AdmissionReason(enum.StrEnum):
    ADMISSION = "admission"        # the session lets candidates in by the proctor's admission
    SECOND_LOGIN = "second_login"  # his attempt already has a live login: admitting = moving


class InvigilationSettings(Base):
    """A session's invigilation settings (a row appears with the defaults when first needed)."""

    __tablename__ = "invigilation_settings"

    exam_session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"),
                                                 primary_key=True)
    proctors_per_room: Mapped[int] = mapped_column(Integer, default=2)
    # Starting is allowed from the room's opening until this many minutes after it; later only
    # with a proctor's leave (a ProctorAction ALLOW_LATE).
    late_entry_minutes: Mapped[int] = mapped_column(Integer, default=15)
    # A start within this many minutes of the opening counts as on time, later as late (muộn).
    on_time_minutes: Mapped[int] = mapped_column(Integer, default=5)
    require_fullscreen: Mapped[bool] = mapped_column(default=False)


class ExamRoom(Base):
    """A room (phòng thi) of a session with its seat map: ``rows`` × ``columns`` seats named
    A1, A2 … (row letter, column number); ``spare_seats`` are kept free for moves."""

    __tablename__ = "exam_rooms"
    __table_args__ = (UniqueConstraint("exam_session_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[int] = mapped_column(Integer)
    spare_seats: Mapped[list[str]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RoomProctor(Base):
    """A proctor assigned to a room (two per room by the session's setting)."""

    __tablename__ = "room_proctors"

    room_id: Mapped[int] = mapped_column(ForeignKey("exam_rooms.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SeatAssignment(Base):
    """Where a candidate sits now (a move rewrites it; the ProctorAction keeps the history)."""

    __tablename__ = "seat_assignments"
    __table_args__ = (UniqueConstraint("room_id", "seat"),)

    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("exam_rooms.id"), index=True)
    seat: Mapped[str] = mapped_column(String(10))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CandidatePhoto(Base):
    """The candidate's photo (4×6 from registration): exam card, waiting list, room view,
    room list and certificate."""

    __tablename__ = "candidate_photos"

    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Accommodation(Base):
    """What a candidate is granted before the exam: extra time (minutes and/or a multiplier of
    the duration) and larger text. Every change is also a ProctorAction."""

    __tablename__ = "accommodations"

    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), primary_key=True)
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    time_multiplier: Mapped[float] = mapped_column(Float, default=1.0)
    large_text: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ActionKind(enum.StrEnum):
    OPEN_ROOM = "open_room"
    CLOSE_ROOM = "close_room"
    ASSIGN_SEAT = "assign_seat"
    ASSIGN_PROCTOR = "assign_proctor"
    ADMIT = "admit"
    ALLOW_LATE = "allow_late"
    PAUSE = "pause"
    RESUME = "resume"
    PAUSE_ROOM = "pause_room"
    RESUME_ROOM = "resume_room"
    EXTRA_TIME = "extra_time"
    ACCOMMODATION = "accommodation"
    MOVE = "move"
    FORCE_SUBMIT = "force_submit"
    INCIDENT = "incident"
    SANCTION = "sanction"
    PHOTO = "photo"
    SEB = "seb"


class ProctorAction(Base):
    """The append-only audit log of the room: every proctor's or staff member's action, with
    its reason. ``idempotency_key`` (the form's one-time token) makes a double click act once."""

    __tablename__ = "proctor_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("exam_rooms.id"), index=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    kind: Mapped[ActionKind] = mapped_column(value_enum(ActionKind, 30))
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class Incident(Base):
    """A biên bản: what happened, when, who saw it; printable, signed on paper by the
    proctors and the candidate (or noting his refusal). A sanction decided on it points to
    the exam's AttemptSanction."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("exam_rooms.id"))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    witnesses: Mapped[list[str]] = mapped_column(JSON, default=list)
    candidate_refused_to_sign: Mapped[bool] = mapped_column(default=False)
    sanction_id: Mapped[int | None] = mapped_column(ForeignKey("attempt_sanctions.id"))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class ExamEvent(Base):
    """What the exam page saw (tab hidden, blur, copy …) or the server noticed (a second login,
    an IP change), off the answer path. A browser's event is stored once: (attempt,
    client_seq) is unique, so a resent batch changes nothing; server events have no seq."""

    __tablename__ = "exam_events"
    __table_args__ = (UniqueConstraint("attempt_id", "client_seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))  # the unique index leads with it
    client_seq: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    client_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    server_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AttemptPresence(Base):
    """The last contact of the candidate's browser (written by the events endpoint): what
    the live room shows as last contact, IP, device and clock skew."""

    __tablename__ = "attempt_presence"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    clock_skew_ms: Mapped[int | None] = mapped_column(Integer)


class SebConfig(Base):
    """Safe Exam Browser for a session: the settings its ``.seb`` file carries (so the server
    knows the Config Key) and the Browser Exam Keys of the SEB builds the centre installed."""

    __tablename__ = "seb_configs"

    exam_session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"),
                                                 primary_key=True)
    required: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    config_key: Mapped[str] = mapped_column(String(64))
    browser_exam_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ForensicsRun(Base):
    """One run of the after-exam forensics for a session (a background job); re-running adds
    a run, the newest finished one is the report."""

    __tablename__ = "forensics_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_session_id: Mapped[int] = mapped_column(ForeignKey("exam_sessions.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
