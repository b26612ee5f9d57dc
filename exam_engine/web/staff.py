"""Sở staff: exam sessions, rosters, scheduling and approval (certificates: ``certs.staff_web``)."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from certs.models import Certificate
from exam_engine.exams import results, scheduling
from exam_engine.exams.errors import ExamError
from exam_engine.exams.models import Candidate, ExamSession
from exam_engine.exams.roster_csv import parse_roster_csv
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.web_context import current_user, db, roles_required

staff_bp = Blueprint("staff", __name__, url_prefix="/can-bo")
MODULES = scheduling.TT03_BASIC_MODULES


def _session_or_404(session_id: int) -> ExamSession:
    exam = db().get(ExamSession, session_id)
    if exam is None:
        abort(404)
    return exam


@staff_bp.get("/ca-thi")
@roles_required(Role.STAFF, Role.PROCTOR)
def sessions():
    rows = db().scalars(select(ExamSession).order_by(ExamSession.exam_date.desc(),
                                                     ExamSession.id.desc())).all()
    return render_template("staff/sessions.html", sessions=rows, modules=MODULES,
                           today=date.today().isoformat(),
                           can_manage=current_user().role in (Role.STAFF, Role.ADMIN))


def _form_int(name: str, default: int) -> int:
    raw = request.form.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ExamError(f"Trường '{name}': phải là số nguyên.", f"field {name}: integer") from None


@staff_bp.post("/ca-thi")
@roles_required(Role.STAFF)
def create_session():
    try:
        exam_date = date.fromisoformat(request.form.get("exam_date", ""))
        pass_percent = float(request.form.get("pass_percent", "50") or 50)
    except ValueError:
        raise ExamError("Ngày thi hoặc ngưỡng đạt không hợp lệ.",
                        "invalid exam date or pass mark") from None
    exam = scheduling.create_session(
        db(), title=request.form.get("title", "").strip() or "Kỳ thi ƯDCNTT cơ bản",
        exam_date=exam_date, room=request.form.get("room", ""),
        exam_council=request.form.get("exam_council", ""),
        duration_minutes=_form_int("duration_minutes", 40),
        items_per_module={m: _form_int(f"n_{m}", 5) for m in MODULES},
        pass_percent=pass_percent, created_by=current_user().id)
    roster_text = request.form.get("roster_csv", "")
    upload = request.files.get("roster_file")
    if upload and upload.filename:
        try:
            roster_text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ExamError(f"Tệp {upload.filename}: không phải UTF-8.",
                            f"file {upload.filename}: not UTF-8") from None
    if roster_text.strip():
        scheduling.enrol_candidates(db(), exam, parse_roster_csv(roster_text))
    return redirect(url_for("staff.session_detail", session_id=exam.id))


@staff_bp.get("/ca-thi/<int:session_id>")
@roles_required(Role.STAFF, Role.PROCTOR)
def session_detail(session_id: int):
    exam = _session_or_404(session_id)
    certificates = {c.candidate_id: c for c in db().scalars(
        select(Certificate).join(Candidate).where(Candidate.exam_session_id == exam.id))}
    return render_template("staff/session.html", exam=exam,
                           rows=results.session_results(db(), exam), certificates=certificates,
                           can_manage=current_user().role in (Role.STAFF, Role.ADMIN))


@staff_bp.post("/ca-thi/<int:session_id>/xep-de")
@roles_required(Role.STAFF)
def schedule(session_id: int):
    count = scheduling.schedule_session(db(), _session_or_404(session_id))
    flash(localized(f"Đã xếp {count} đề thi.", f"{count} forms assembled."))
    return redirect(url_for("staff.session_detail", session_id=session_id))


@staff_bp.post("/ca-thi/<int:session_id>/duyet")
@roles_required(Role.STAFF)
def approve(session_id: int):
    results.approve_results(db(), _session_or_404(session_id), approved_by=current_user().id,
                            now=utcnow(), grace_seconds=current_app.config["SAVE_GRACE_SECONDS"])
    return redirect(url_for("staff.session_detail", session_id=session_id))
