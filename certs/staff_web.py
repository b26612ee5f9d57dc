"""Sở staff's certificate pages: issue a session's certificates, download, revoke, the register.

Issuing and revoking each have a confirmation page (a GET that shows what will happen, with
the form that does it), so they are confirmed without JavaScript too. The confirmed issue runs
as a background job (``certs.issuance_jobs``); its page shows the progress (job-progress.js
polls ``issue_progress``; without JS the page refreshes itself), then the outcome.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from certs.issuance import certificate_document, plan_issue, revoke_certificate
from certs.issuance_jobs import (
    ISSUE_KIND,
    ISSUE_TARGET,
    JOB_ID,
    issue_job_owner,
    issue_job_to_follow,
    latest_issue_job,
    lock_session,
    remember_issue_job,
)
from certs.models import Certificate, CertificateStatus, RegisterEntry
from certs.pdf import render_certificate
from certs.web import current_issuer
from exam_engine.exams.errors import ExamError
from exam_engine.exams.models import ExamSession
from exam_engine.exams.states import SessionStatus
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import gettext, localized
from exam_engine.kernel.jobs import JobView, QueueUnavailable, job_status, start_app_job
from exam_engine.kernel.web_context import cache, current_user, db, roles_required

certs_staff_bp = Blueprint("certs", __name__, url_prefix="/can-bo")

DECISION_NUMBER_MAX = 50  # certificates.decision_number / register_entries.decision_number


def _session_or_404(session_id: int) -> ExamSession:
    exam = db().get(ExamSession, session_id)
    if exam is None:
        abort(404)
    return exam


def _certificate_or_404(certificate_id: int) -> Certificate:
    cert = db().get(Certificate, certificate_id)
    if cert is None:
        abort(404)
    return cert


def _decision_number(required: bool) -> str | None:
    value = request.form.get("decision_number", "").strip()
    if len(value) > DECISION_NUMBER_MAX:
        raise ExamError(f"Số quyết định dài quá {DECISION_NUMBER_MAX} ký tự.",
                        f"the decision number is longer than {DECISION_NUMBER_MAX} characters")
    if required and not value:
        raise ExamError("Thu hồi cần lý do và số quyết định.", "reason and decision required")
    return value or None


@certs_staff_bp.get("/ca-thi/<int:session_id>/cap-chung-chi")
@roles_required(Role.STAFF)
def confirm_issue(session_id: int):
    exam = _session_or_404(session_id)
    return _confirm_page(exam)


def _confirm_page(exam: ExamSession, error: str | None = None) -> str:
    # The form names the latest job it knew of: a click is sent to any job started since.
    return render_template("staff/issue_confirm.html", exam=exam, plan=plan_issue(db(), exam),
                           seen_job=latest_issue_job(cache(), exam.id) or "", error=error)


def _issuer_arguments() -> dict[str, Any]:
    """The issuer as configured now, as the job's JSON: the key by its file, never its bytes."""
    fields = asdict(current_issuer())  # refuses here, in the request, when the key is missing
    del fields["private_key_pem"]
    return {**fields, "key_file": current_app.config["CERT_SIGNING_KEY_FILE"]}


@certs_staff_bp.post("/ca-thi/<int:session_id>/cap-chung-chi")
@roles_required(Role.STAFF)
def issue(session_id: int):
    """Start the session's issuing job (or find the one running) and go to its progress page.

    The session's row lock is held until this request commits: of two clicks, the second
    waits here and is then sent to the first's job (``issue_job_to_follow``)."""
    exam = lock_session(db(), session_id)
    if exam is None:
        abort(404)
    decision_number = _decision_number(required=False)
    seen_job = request.form.get("seen_job", "")
    job_id = issue_job_to_follow(cache(), session_id,
                                 seen_job if JOB_ID.match(seen_job) else None)
    if job_id is None:
        if exam.status is not SessionStatus.APPROVED:  # the job checks again, under the lock
            return _confirm_page(exam, localized(
                "Chỉ cấp chứng chỉ khi kết quả ca thi đã được duyệt.",
                "Certificates are issued only once the session's results are approved.")), 409
        user_id = current_user().id
        try:
            job_id = start_app_job(ISSUE_TARGET, arguments={
                "session_id": session_id, "issued_by": user_id,
                "decision_number": decision_number, "requested_at": utcnow().isoformat(),
                "issuer": _issuer_arguments()}, user_id=user_id, kind=ISSUE_KIND)
        except QueueUnavailable:
            return _confirm_page(exam, localized(QueueUnavailable.message_vi,
                                                 QueueUnavailable.message_en)), 503
        remember_issue_job(cache(), session_id, job_id, user_id=user_id)
    return redirect(url_for("certs.issue_job", session_id=session_id, job_id=job_id), 303)


def _issue_job_or_404(session_id: int, job_id: str) -> JobView:
    """The session's issuing job. Any staff member may follow it, not only who started it:
    issuing is the office's shared work, and a colleague's click is sent to the running job.
    An unknown or expired id, or another session's job, is the same 404."""
    owner = issue_job_owner(cache(), job_id, session_id)
    job = job_status(cache(), job_id, owner) if owner is not None else None
    if job is None or job.kind != ISSUE_KIND:
        abort(404)
    return job


@certs_staff_bp.get("/ca-thi/<int:session_id>/cap-chung-chi/viec/<job_id>")
@roles_required(Role.STAFF)
def issue_job(session_id: int, job_id: str):
    """The issuing job: its progress while it runs, then who was issued a certificate and who
    was refused and why, or why nothing was issued."""
    exam = _session_or_404(session_id)
    job = _issue_job_or_404(session_id, job_id)
    issued = len(job.result["issued"]) if job.status == "done" else 0
    return (render_template("staff/issue_job.html", exam=exam, job=job, issued_message=localized(
        f"Đã cấp {issued} chứng chỉ.", f"{issued} certificates issued.")),
            409 if job.status == "failed" else 200)


@certs_staff_bp.get("/ca-thi/<int:session_id>/cap-chung-chi/tien-do/<job_id>")
@roles_required(Role.STAFF)
def issue_progress(session_id: int, job_id: str):
    """The issuing job's progress as JSON, for job-progress.js."""
    job = _issue_job_or_404(session_id, job_id)
    return {"status": job.status, "phase": gettext(job.phase), "done": job.done,
            "total": job.total, "percent": job.percent}


def _revocation_note(cert: Certificate) -> str | None:
    if cert.status is not CertificateStatus.REVOKED:
        return None
    note = db().scalar(select(RegisterEntry.note).where(
        RegisterEntry.certificate_id == cert.id, RegisterEntry.kind == "revoke"))
    return note or ""


@certs_staff_bp.get("/chung-chi/<int:certificate_id>.pdf")
@roles_required(Role.STAFF)
def certificate_pdf(certificate_id: int):
    """The certificate drawn from its signed record; a revoked one carries "ĐÃ THU HỒI"."""
    cert = _certificate_or_404(certificate_id)
    pdf = render_certificate(certificate_document(cert), revoked_note=_revocation_note(cert))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="chung-chi-{cert.serial}.pdf"'})


@certs_staff_bp.get("/chung-chi/<int:certificate_id>.json")
@roles_required(Role.STAFF)
def certificate_json(certificate_id: int):
    """The certificate as structured, signed data (for the national database and e-wallets)."""
    cert = _certificate_or_404(certificate_id)
    return {"payload": cert.payload, "signature": cert.signature, "algorithm": "Ed25519",
            "key_id": cert.key_id, "status": cert.status.value,
            "public_key_url": url_for("public.signing_key", _external=True)}


@certs_staff_bp.get("/chung-chi/<int:certificate_id>/thu-hoi")
@roles_required(Role.STAFF)
def confirm_revoke(certificate_id: int):
    cert = _certificate_or_404(certificate_id)
    return render_template("staff/revoke_confirm.html", cert=cert,
                           document=certificate_document(cert))


@certs_staff_bp.post("/chung-chi/<int:certificate_id>/thu-hoi")
@roles_required(Role.STAFF)
def revoke(certificate_id: int):
    cert = _certificate_or_404(certificate_id)
    decision_number = _decision_number(required=True) or ""
    revoked = revoke_certificate(db(), cert, reason=request.form.get("reason", ""),
                                 decision_number=decision_number,
                                 revoked_by=current_user().id)
    if revoked:
        flash(localized(f"Đã thu hồi chứng chỉ {cert.serial}.",
                        f"Certificate {cert.serial} revoked."))
    else:
        flash(localized(f"Chứng chỉ {cert.serial} đã bị thu hồi trước đó.",
                        f"Certificate {cert.serial} was already revoked."))
    return redirect(url_for("certs.register"))


@certs_staff_bp.get("/so-goc")
@roles_required(Role.STAFF)
def register():
    entries = db().scalars(select(RegisterEntry).order_by(RegisterEntry.id)).all()
    certificates = {c.id: c for c in db().scalars(select(Certificate))}
    return render_template("staff/register.html", entries=entries, certificates=certificates)
