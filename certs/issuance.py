"""Issue certificates in a batch to the passed candidates of an approved session.

One transaction for the batch: numbers, certificates and master-register rows all land, or
none does. Rendering the PDF happens later, on request, from the stored signed payload.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from certs.document import BASIC_MODULES, CertificateData
from certs.models import Certificate, CertificateStatus, RegisterEntry
from certs.numbering import format_register_number, format_serial, next_register_seq
from certs.signing import key_id, sign_payload
from exam_engine.exams.errors import ExamError
from exam_engine.exams.models import Attempt, Candidate, ExamSession, Result
from exam_engine.exams.states import SessionStatus


@dataclass(frozen=True)
class Issuer:
    """Who issues, and the key that signs. Passed in, never read from the app."""

    name: str
    place: str
    code: str
    signer_name: str
    signer_title: str
    signs_on_behalf_of: str | None
    public_base_url: str
    private_key_pem: bytes


def certificate_data(cert: Certificate, session: ExamSession, issuer: Issuer) -> CertificateData:
    person = cert.candidate
    return CertificateData(
        certificate_type=cert.certificate_type, full_name=person.full_name,
        date_of_birth=person.date_of_birth, place_of_birth=person.place_of_birth,
        gender=person.gender, ethnicity=person.ethnicity, citizen_id=person.citizen_id,
        modules_passed=(BASIC_MODULES if cert.certificate_type == "basic"
                        else tuple(sorted(session.items_per_module))), exam_council=session.exam_council,
        exam_date=session.exam_date, result_summary="Đạt", issuer_name=issuer.name,
        issue_place=issuer.place, issue_date=cert.issue_date, signer_name=issuer.signer_name,
        signer_title=issuer.signer_title, signs_on_behalf_of=issuer.signs_on_behalf_of,
        serial=cert.serial, register_number=cert.register_number,
        verify_url=verify_url(issuer.public_base_url, cert.verify_code),
        decision_number=cert.decision_number)


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/xac-minh/{code}"


def issue_certificates(db: Session, session: ExamSession, *, issuer: Issuer, issue_date: date,
                       issued_by: int, decision_number: str | None = None) -> list[Certificate]:
    """Certificates for every passed candidate of the session who has none yet (idempotent)."""
    if session.status is not SessionStatus.APPROVED:
        raise ExamError("Chỉ cấp chứng chỉ khi kết quả ca thi đã được duyệt.",
                        "results must be approved before issuing")
    newer = aliased(Result)
    passed = db.execute(
        select(Candidate, Result).join(Attempt, Attempt.candidate_id == Candidate.id)
        .join(Result, Result.attempt_id == Attempt.id)
        .where(Candidate.exam_session_id == session.id, Result.passed.is_(True),
               ~select(newer.id).where(newer.supersedes_id == Result.id).exists())
        .order_by(Candidate.candidate_number)).all()
    already = set(db.scalars(select(Certificate.candidate_id).join(Candidate)
                             .where(Candidate.exam_session_id == session.id)))
    issued = []
    for candidate, result in passed:
        if candidate.id in already:
            continue
        year = issue_date.year
        seq = next_register_seq(db, session.certificate_type, year)
        cert = Certificate(
            candidate_id=candidate.id, result_id=result.id,
            certificate_type=session.certificate_type, year=year, register_seq=seq,
            register_number=format_register_number(session.certificate_type, year, seq),
            serial=format_serial(issuer.code, session.certificate_type, year, seq),
            verify_code=secrets.token_urlsafe(12), issue_date=issue_date, issued_by=issued_by,
            decision_number=decision_number, status=CertificateStatus.VALID,
            payload={}, signature="", key_id=key_id(issuer.private_key_pem))
        cert.candidate = candidate
        payload = certificate_data(cert, session, issuer).to_signed_payload()
        cert.payload = payload
        cert.signature = sign_payload(payload, issuer.private_key_pem)
        db.add(cert)
        db.flush()
        db.add(register_entry(cert, kind="issue", recorded_by=issued_by))
        issued.append(cert)
    db.flush()
    return issued


def register_entry(cert: Certificate, *, kind: str, recorded_by: int | None,
                   note: str | None = None) -> RegisterEntry:
    person = cert.candidate
    return RegisterEntry(
        certificate_id=cert.id, kind=kind, full_name=person.full_name,
        date_of_birth=person.date_of_birth, place_of_birth=person.place_of_birth,
        gender=person.gender, ethnicity=person.ethnicity, result="Đạt", serial=cert.serial,
        register_number=cert.register_number, issue_date=cert.issue_date,
        decision_number=cert.decision_number, note=note, recorded_by=recorded_by)


def revoke_certificate(db: Session, cert: Certificate, *, reason: str, decision_number: str,
                       revoked_by: int) -> None:
    """Revoke (cheating, ineligibility, tampering…): the decision is a new register row."""
    if cert.status is CertificateStatus.REVOKED:
        raise ExamError("Chứng chỉ đã bị thu hồi trước đó.", "already revoked")
    if not reason.strip() or not decision_number.strip():
        raise ExamError("Thu hồi cần lý do và số quyết định.", "reason and decision required")
    cert.status = CertificateStatus.REVOKED
    db.add(register_entry(cert, kind="revoke", recorded_by=revoked_by,
                          note=f"QĐ {decision_number.strip()}: {reason.strip()}"))
    db.flush()
