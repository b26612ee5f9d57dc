"""Register numbers: consecutive natural numbers per certificate type and calendar year,
never duplicated or skipped (TT 21/2019/TT-BGDĐT).

The counter row is incremented inside the issuing transaction: concurrent issuers queue on its
row lock (PostgreSQL) or on the write lock (SQLite), and a rolled-back batch gives its numbers
back, so there is never a gap.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from certs.models import RegisterCounter

TYPE_PREFIX = {"basic": "CB", "advanced": "NC"}  # cơ bản / nâng cao


def next_register_seq(db: Session, certificate_type: str, year: int) -> int:
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    db.execute(dialect.insert(RegisterCounter)
               .values(certificate_type=certificate_type, year=year, last_seq=0)
               .on_conflict_do_nothing())
    return db.execute(update(RegisterCounter)
                      .where(RegisterCounter.certificate_type == certificate_type,
                             RegisterCounter.year == year)
                      .values(last_seq=RegisterCounter.last_seq + 1)
                      .returning(RegisterCounter.last_seq)).scalar_one()


def format_register_number(certificate_type: str, year: int, seq: int) -> str:
    return f"{TYPE_PREFIX[certificate_type]}-{year}-{seq:06d}"


def format_serial(issuer_code: str, certificate_type: str, year: int, seq: int) -> str:
    return f"{issuer_code}{year % 100:02d}{TYPE_PREFIX[certificate_type]}{seq:06d}"
