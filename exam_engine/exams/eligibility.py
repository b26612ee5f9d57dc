"""Who may sit an advanced exam: a holder of the basic certificate (TTLT 17/2016)."""

from __future__ import annotations

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from exam_engine.exams.models import Candidate

# The certificates are the certs package's (which builds on the exam): read as a table here,
# so the two packages do not import each other.
_CERTIFICATES = table("certificates", column("candidate_id"), column("certificate_type"),
                      column("status"))


def holds_basic_certificate(db: Session, citizen_id: str) -> bool:
    """True when this CCCD holds a valid (not revoked) basic certificate issued here.

    The one place the rule lives: enrolment asks it, and issuance asks it again. An equivalent
    recorded by other means (another issuer's certificate) will be added here.
    """
    return db.scalar(
        select(_CERTIFICATES.c.candidate_id)
        .join(Candidate, Candidate.id == _CERTIFICATES.c.candidate_id)
        .where(Candidate.citizen_id == citizen_id.strip(),
               _CERTIFICATES.c.certificate_type == "basic",
               _CERTIFICATES.c.status == "valid").limit(1)) is not None
