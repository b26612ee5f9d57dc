"""Admission to the room: who asked to be let in, and which proctor let him in, when.

Both tables are append-only audit rows (issue 11): a request is never edited, and an admission
is a new row naming the proctor; one admission per request is a database constraint, so a
double click admits once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from exam_engine.kernel.db import Base, UTCDateTime, utcnow


class AdmissionRequest(Base):
    """A candidate's login that waits for a proctor (proctor admission or both)."""

    __tablename__ = "admission_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    remote_addr: Mapped[str | None] = mapped_column(String(45))


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
