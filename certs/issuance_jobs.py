"""A session's certificates issued as one background job (:mod:`exam_engine.kernel.jobs`), with
progress per certificate signed; never inside the request.

The work function :func:`issue_session` is named to the queue by :data:`ISSUE_TARGET` with JSON
arguments: the session, who issues, the decision number, the instant of the click (the ngày cấp
is Vietnam's date at that instant, not whenever a worker gets to it) and the issuer as
configured then — its signing key by the path of the key file, so the key never passes through
Redis. The job is one transaction (:func:`certs.issuance.issue_certificates`): every number,
certificate and register row lands, or none does; its result is the ``IssueBatch`` as JSON.

One job per session at a time: the confirmed POST holds the session's row lock while it looks
in the cache for the job to send the click to (:func:`issue_job_to_follow`) and records the one
it starts (:func:`remember_issue_job`), so of two clicks the second is sent to the first's job,
whether it still runs or has already ended. The cache is for speed only: were it lost, a second
job would find every certificate issued and issue none (issuance is idempotent and serialised
by the same row lock).
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certs.issuance import IssueBatch, Issuer, issue_certificates
from exam_engine.exams.errors import ExamError
from exam_engine.exams.models import ExamSession
from exam_engine.kernel.cache import Cache
from exam_engine.kernel.jobs import JOB_TTL_SECONDS, JobFailed, Progress, job_status

__all__ = ["ISSUE_KIND", "ISSUE_TARGET", "JOB_ID", "batch_summary", "issue_job_owner",
           "issue_job_to_follow", "issue_session", "latest_issue_job", "lock_session",
           "remember_issue_job"]

ISSUE_KIND = "certificate-issue"
ISSUE_TARGET = "certs.issuance_jobs:issue_session"
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def batch_summary(batch: IssueBatch) -> dict[str, Any]:
    """What the progress page shows at the end, as JSON: who was issued what, who was refused
    and why."""
    return {"issued": [{"certificate_id": cert.id, "serial": cert.serial,
                        "register_number": cert.register_number,
                        "candidate_number": cert.candidate.candidate_number,
                        "full_name": cert.candidate.full_name} for cert in batch.issued],
            "refused": [asdict(refusal) for refusal in batch.refused]}


def issue_session(db: Session, progress: Progress, *, session_id: int, issued_by: int | None,
                  decision_number: str | None, requested_at: str,
                  issuer: dict[str, Any]) -> dict[str, Any]:
    """Issue the session's certificates (the job's work). A refusal the staff can act on
    (results not approved, no signing key) fails the job with its message; nothing is written.
    """
    fields = dict(issuer)
    key_file = Path(fields.pop("key_file"))
    try:
        key = key_file.read_bytes()
    except OSError:
        raise JobFailed(f"Không đọc được khóa ký chứng chỉ ({key_file}): hãy báo quản trị viên.",
                        f"The certificate signing key cannot be read ({key_file}); tell the "
                        "administrator.") from None
    session = db.get(ExamSession, session_id)
    if session is None:
        raise JobFailed("Ca thi không còn tồn tại.", "The exam session no longer exists.")
    try:
        batch = issue_certificates(db, session, issuer=Issuer(**fields, private_key_pem=key),
                                   now=datetime.fromisoformat(requested_at),
                                   issued_by=issued_by, decision_number=decision_number,
                                   progress=progress)
    except ExamError as refused:
        raise JobFailed(refused.message_vi, refused.message_en) from None
    except IntegrityError:
        # The database refused a certificate that slipped past the session lock: another
        # issuance wrote them, which is what this one wanted. This one wrote nothing.
        raise JobFailed("Chứng chỉ của ca thi này đã được cấp bởi một lần cấp khác.",
                        "This session's certificates were issued by another run.") from None
    return {"session_id": session_id, **batch_summary(batch)}


def lock_session(db: Session, session_id: int) -> ExamSession | None:
    """Take the session's row lock for this request's unit of work (PostgreSQL ``FOR UPDATE``;
    SQLite's POSTs hold the write lock already): a second click waits here for the first's
    commit, and then sees the job it started."""
    return db.execute(select(ExamSession).where(ExamSession.id == session_id).with_for_update()
                      .execution_options(populate_existing=True)).scalar_one_or_none()


def _session_key(session_id: int) -> str:
    return f"certs-issue:session:{session_id}"


def _job_key(job_id: str) -> str:
    return f"certs-issue:job:{job_id}"


def latest_issue_job(cache: Cache, session_id: int) -> str | None:
    """The session's most recent issuing job (for an hour), ended or not."""
    latest = cache.get_json(_session_key(session_id))
    return str(latest["job_id"]) if isinstance(latest, dict) else None


def issue_job_to_follow(cache: Cache, session_id: int, seen_job: str | None) -> str | None:
    """The session's issuing job a click is sent to, None to start one. The confirmation form
    says which job was the latest when it was shown (``seen_job``): a job started since then
    — the other half of a double-click, a colleague's — is what this click asked for too; so
    is one still running. Only a form shown after the latest job ended starts another."""
    job_id = latest_issue_job(cache, session_id)
    if job_id is None:
        return None
    if job_id != seen_job:
        return job_id
    owner = issue_job_owner(cache, job_id, session_id)
    job = job_status(cache, job_id, owner) if owner is not None else None
    return job_id if job is not None and job.status == "running" else None


def remember_issue_job(cache: Cache, session_id: int, job_id: str, *, user_id: int) -> None:
    cache.set_json(_job_key(job_id), {"session_id": session_id, "user_id": user_id},
                   JOB_TTL_SECONDS)
    cache.set_json(_session_key(session_id), {"job_id": job_id}, JOB_TTL_SECONDS)


def issue_job_owner(cache: Cache, job_id: str, session_id: int) -> int | None:
    """Who started the issuing job ``job_id`` of this session; None when it is not one (an
    unknown or expired id, another session's job, or another kind of job)."""
    record = cache.get_json(_job_key(job_id)) if JOB_ID.match(job_id) else None
    if not isinstance(record, dict) or record.get("session_id") != session_id:
        return None
    return int(record["user_id"])
