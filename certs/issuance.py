"""Issue certificates in a batch to the passed candidates of an approved session; revoke them.

One transaction for the batch: numbers, certificates and master-register rows all land, or
none does. Each certificate is signed once, at issue, over its full content; every PDF is later
drawn from that stored payload (``certificate_document``), never from live rows or settings.

Concurrency: issuers of one session queue on its row lock (PostgreSQL ``FOR UPDATE``; SQLite
serialises writers with ``BEGIN IMMEDIATE``), so the second of two clicks sees the first's
certificates and issues nothing. The database's unique constraints stay the last word.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from certs.document import BASIC_MODULES, CertificateData
from certs.eligibility import Refusal, modules_passed, refusal
from certs.models import Certificate, CertificateStatus, RegisterEntry
from certs.numbering import format_register_number, format_serial, next_register_seq
from certs.signing import key_id, sign_payload
from exam_engine.exams.errors import ExamError
from exam_engine.exams.models import Attempt, Candidate, ExamSession, Result
from exam_engine.exams.results import is_current_result
from exam_engine.exams.states import SessionStatus
from exam_engine.kernel.jobs import Progress
from exam_engine.kernel.legal_time import vn_today
from proctor.photos import photo_of

PHASE_SIGNING = "Ký và ghi chứng chỉ vào sổ gốc"  # a job's progress phase, shown to staff


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


@dataclass(frozen=True)
class IssueBatch:
    """What one issuing run did: the new certificates, and the passed candidates refused."""

    issued: list[Certificate]
    refused: list[Refusal]


def certificate_data(cert: Certificate, session: ExamSession, issuer: Issuer,
                     modules: tuple[str, ...], photo_jpeg: bytes | None = None
                     ) -> CertificateData:
    """The content to sign, at issue: the holder as enrolled (with his registration photo,
    whose SHA-256 the signature covers), today's issuer and signer."""
    person = cert.candidate
    return CertificateData(photo_jpeg=photo_jpeg,
        certificate_type=cert.certificate_type, full_name=person.full_name,
        date_of_birth=person.date_of_birth, place_of_birth=person.place_of_birth,
        gender=person.gender, ethnicity=person.ethnicity, citizen_id=person.citizen_id,
        modules_passed=BASIC_MODULES if cert.certificate_type == "basic" else modules,
        exam_council=session.exam_council,
        exam_date=session.exam_date, result_summary="Đạt", issuer_name=issuer.name,
        issue_place=issuer.place, issue_date=cert.issue_date, signer_name=issuer.signer_name,
        signer_title=issuer.signer_title, signs_on_behalf_of=issuer.signs_on_behalf_of,
        serial=cert.serial, register_number=cert.register_number,
        verify_url=verify_url(issuer.public_base_url, cert.verify_code),
        decision_number=cert.decision_number)


def certificate_document(cert: Certificate) -> CertificateData:
    """The certificate exactly as signed at issue: what every PDF is drawn from. The photo is
    the candidate's stored one when it is still the photo that was signed (photos are frozen
    once results are approved; a different one is left out rather than shown unsigned)."""
    db = object_session(cert)
    photo = photo_of(db, cert.candidate_id) if db is not None else None
    signed = cert.payload.get("holder", {}).get("photo_sha256")
    jpeg = photo.data if photo is not None and signed == hashlib.sha256(photo.data).hexdigest() \
        else None
    return CertificateData.from_signed_payload(cert.payload, photo_jpeg=jpeg)


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/xac-minh/{code}"


def _passed_results(db: Session, session: ExamSession) -> list[tuple[Candidate, Result]]:
    return [(candidate, result) for candidate, result in db.execute(
        select(Candidate, Result).join(Attempt, Attempt.candidate_id == Candidate.id)
        .join(Result, Result.attempt_id == Attempt.id)
        .where(Candidate.exam_session_id == session.id, Result.passed.is_(True),
               is_current_result())
        .order_by(Candidate.candidate_number))]


def _lock_session(db: Session, session: ExamSession) -> ExamSession:
    """Queue behind any other issuer of this session, then read its status afresh."""
    return db.execute(select(ExamSession).where(ExamSession.id == session.id)
                      .with_for_update()
                      .execution_options(populate_existing=True)).scalar_one()


@dataclass(frozen=True)
class IssuePlan:
    """Who would be issued a certificate now, and which passed candidates are refused."""

    eligible: list[tuple[Candidate, Result]]
    refused: list[Refusal]


def plan_issue(db: Session, session: ExamSession) -> IssuePlan:
    """Passed candidates of the session without a certificate of its type, sorted into those
    who may be issued one and those refused (with the reason)."""
    already = set(db.scalars(select(Certificate.candidate_id).join(Candidate)
                             .where(Candidate.exam_session_id == session.id,
                                    Certificate.certificate_type == session.certificate_type)))
    eligible: list[tuple[Candidate, Result]] = []
    refused: list[Refusal] = []
    for candidate, result in _passed_results(db, session):
        if candidate.id in already:
            continue
        why = refusal(db, session, candidate, result)
        if why is None:
            eligible.append((candidate, result))
        else:
            refused.append(why)
    return IssuePlan(eligible, refused)


def issue_certificates(db: Session, session: ExamSession, *, issuer: Issuer, now: datetime,
                       issued_by: int | None, decision_number: str | None = None,
                       progress: Progress | None = None) -> IssueBatch:
    """Certificates for every eligible passed candidate of the session who has none yet.

    Idempotent, also under concurrent calls. ``now`` is the instant of issue: the ngày cấp
    and the register year are Vietnam's date at that instant (Asia/Ho_Chi_Minh). ``progress``
    (a background job's) hears of each certificate signed.
    """
    session = _lock_session(db, session)
    if session.status is not SessionStatus.APPROVED:
        raise ExamError("Chỉ cấp chứng chỉ khi kết quả ca thi đã được duyệt.",
                        "results must be approved before issuing")
    issue_date = vn_today(now)
    plan = plan_issue(db, session)
    issued: list[Certificate] = []
    report = progress or (lambda _phase, _done, _total: None)
    report(PHASE_SIGNING, 0, len(plan.eligible))
    for candidate, result in plan.eligible:
        cert = _new_certificate(db, session, candidate, result, issuer=issuer,
                                issue_date=issue_date, issued_by=issued_by,
                                decision_number=decision_number)
        db.add(register_entry(cert, kind="issue", recorded_by=issued_by))
        issued.append(cert)
        report(PHASE_SIGNING, len(issued), len(plan.eligible))
    db.flush()
    return IssueBatch(issued, plan.refused)


def _new_certificate(db: Session, session: ExamSession, candidate: Candidate, result: Result, *,
                     issuer: Issuer, issue_date: date, issued_by: int | None,
                     decision_number: str | None) -> Certificate:
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
    photo = photo_of(db, candidate.id)
    payload = certificate_data(cert, session, issuer, modules_passed(session, result),
                               photo.data if photo is not None else None).to_signed_payload()
    cert.payload = payload
    cert.signature = sign_payload(payload, issuer.private_key_pem)
    db.add(cert)
    db.flush()
    return cert


def register_entry(cert: Certificate, *, kind: str, recorded_by: int | None,
                   note: str | None = None) -> RegisterEntry:
    """A master-register row, copied from the signed record (the person as certified)."""
    holder = cert.payload["holder"]
    return RegisterEntry(
        certificate_id=cert.id, kind=kind, full_name=holder["full_name"],
        date_of_birth=date.fromisoformat(holder["date_of_birth"]),
        place_of_birth=holder["place_of_birth"], gender=holder["gender"],
        ethnicity=holder["ethnicity"], result=cert.payload["exam"]["result"], serial=cert.serial,
        register_number=cert.register_number, issue_date=cert.issue_date,
        decision_number=cert.decision_number, note=note, recorded_by=recorded_by)


def revoke_certificate(db: Session, cert: Certificate, *, reason: str, decision_number: str,
                       revoked_by: int | None) -> bool:
    """Revoke (cheating, ineligibility, tampering…): the decision is a new register row.

    Idempotent: a certificate already revoked (by an earlier or a simultaneous request, which
    this one queues behind on the certificate's row lock) is left as it is and False returned.
    """
    cert = db.execute(select(Certificate).where(Certificate.id == cert.id).with_for_update()
                      .execution_options(populate_existing=True)).scalar_one()
    if cert.status is CertificateStatus.REVOKED:
        return False
    if not reason.strip() or not decision_number.strip():
        raise ExamError("Thu hồi cần lý do và số quyết định.", "reason and decision required")
    cert.status = CertificateStatus.REVOKED
    db.add(register_entry(cert, kind="revoke", recorded_by=revoked_by,
                          note=f"QĐ {decision_number.strip()}: {reason.strip()}"))
    db.flush()
    return True
