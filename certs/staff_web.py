"""Sở staff's certificate pages: issue a session's certificates, download, revoke, the register."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from certs.issuance import certificate_data, issue_certificates, revoke_certificate
from certs.models import Certificate, RegisterEntry
from certs.pdf import render_certificate
from certs.web import current_issuer
from exam_engine.exams.models import ExamSession
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.web_context import current_user, db, roles_required

certs_staff_bp = Blueprint("certs", __name__, url_prefix="/can-bo")


def _session_or_404(session_id: int) -> ExamSession:
    exam = db().get(ExamSession, session_id)
    if exam is None:
        abort(404)
    return exam


@certs_staff_bp.post("/ca-thi/<int:session_id>/cap-chung-chi")
@roles_required(Role.STAFF)
def issue(session_id: int):
    issued = issue_certificates(db(), _session_or_404(session_id), issuer=current_issuer(),
                                issue_date=date.today(), issued_by=current_user().id,
                                decision_number=request.form.get("decision_number") or None)
    flash(localized(f"Đã cấp {len(issued)} chứng chỉ.", f"{len(issued)} certificates issued."))
    return redirect(url_for("staff.session_detail", session_id=session_id))


@certs_staff_bp.get("/chung-chi/<int:certificate_id>.pdf")
@roles_required(Role.STAFF)
def certificate_pdf(certificate_id: int):
    cert = db().get(Certificate, certificate_id)
    if cert is None:
        abort(404)
    pdf = render_certificate(certificate_data(cert, cert.candidate.session, current_issuer()))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="chung-chi-{cert.serial}.pdf"'})


@certs_staff_bp.get("/chung-chi/<int:certificate_id>.json")
@roles_required(Role.STAFF)
def certificate_json(certificate_id: int):
    """The certificate as structured, signed data (for the national database and e-wallets)."""
    cert = db().get(Certificate, certificate_id)
    if cert is None:
        abort(404)
    return {"payload": cert.payload, "signature": cert.signature, "algorithm": "Ed25519",
            "key_id": cert.key_id, "status": cert.status.value,
            "public_key_url": url_for("public.signing_key", _external=True)}


@certs_staff_bp.post("/chung-chi/<int:certificate_id>/thu-hoi")
@roles_required(Role.STAFF)
def revoke(certificate_id: int):
    cert = db().get(Certificate, certificate_id)
    if cert is None:
        abort(404)
    revoke_certificate(db(), cert, reason=request.form.get("reason", ""),
                       decision_number=request.form.get("decision_number", ""),
                       revoked_by=current_user().id)
    return redirect(url_for("certs.register"))


@certs_staff_bp.get("/so-goc")
@roles_required(Role.STAFF)
def register():
    entries = db().scalars(select(RegisterEntry).order_by(RegisterEntry.id)).all()
    certificates = {c.id: c for c in db().scalars(select(Certificate))}
    return render_template("staff/register.html", entries=entries, certificates=certificates)
