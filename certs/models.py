"""Certificates, their register numbers, and the master register (sổ gốc)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_engine.exams.models import Candidate
from exam_engine.kernel.db import Base, UTCDateTime, utcnow


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class RegisterCounter(Base):
    """Last register number used, per certificate type and calendar year (TT 21/2019)."""

    __tablename__ = "register_counters"

    certificate_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Certificate(Base):
    __tablename__ = "certificates"
    # One certificate per result and type, and per roster row (attempt) and type: the law's
    # uniqueness lives in the database, so twenty simultaneous "Cấp chứng chỉ" clicks cannot
    # issue twice whatever the Python above it does.
    __table_args__ = (
        UniqueConstraint("certificate_type", "year", "register_seq"),
        UniqueConstraint("result_id", "certificate_type", name="uq_certificates_result_type"),
        UniqueConstraint("candidate_id", "certificate_type",
                         name="uq_certificates_candidate_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"))
    certificate_type: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    register_seq: Mapped[int] = mapped_column(Integer)
    register_number: Mapped[str] = mapped_column(String(30), unique=True)  # số vào sổ gốc
    serial: Mapped[str] = mapped_column(String(30), unique=True)           # số hiệu
    verify_code: Mapped[str] = mapped_column(String(40), unique=True)
    issue_date: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_number: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[CertificateStatus] = mapped_column(
        Enum(CertificateStatus, native_enum=False, length=10,
             values_callable=lambda e: [m.value for m in e]), default=CertificateStatus.VALID)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the signed, structured certificate
    signature: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(64))

    candidate: Mapped[Candidate] = relationship()


class RegisterEntry(Base):
    """A row of the master register. Append-only: a revocation or correction is a new row
    linked to the certificate; nothing is overwritten."""

    __tablename__ = "register_entries"
    # A certificate is issued once and revoked once: two simultaneous revocations cannot both
    # write their row (partial unique indexes, the same on SQLite and PostgreSQL).
    __table_args__ = tuple(
        Index(f"uq_register_entries_one_{kind}", "certificate_id", unique=True,
              sqlite_where=text(f"kind = '{kind}'"), postgresql_where=text(f"kind = '{kind}'"))
        for kind in ("issue", "revoke"))

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # issue | revoke | correction
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    place_of_birth: Mapped[str] = mapped_column(String(200))
    gender: Mapped[str] = mapped_column(String(10))
    ethnicity: Mapped[str] = mapped_column(String(50))
    result: Mapped[str] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(30))
    register_number: Mapped[str] = mapped_column(String(30))
    issue_date: Mapped[date] = mapped_column(Date)
    decision_number: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
