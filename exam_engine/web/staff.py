"""Sở staff: exam sessions, rosters, scheduling and approval (certificates: ``certs.staff_web``)."""

from __future__ import annotations

from datetime import date, time

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
from exam_engine.exams import results, sanctions, scheduling
from exam_engine.exams.errors import ExamError, InvalidRoster
from exam_engine.exams.levels import TT03_ADVANCED_MODULES, TT03_BASIC_MODULES
from exam_engine.exams.models import Candidate, ExamSession
from exam_engine.exams.roster_csv import parse_roster_csv
from exam_engine.exams.sitting import sitting_window
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.input_guard import DB_INT_MAX, db_int
from exam_engine.kernel.legal_time import vn_today
from exam_engine.kernel.web_context import current_user, db, roles_required
from proctor.incidents import reports_of_sanctions

staff_bp = Blueprint("staff", __name__, url_prefix="/can-bo")
MODULES = TT03_BASIC_MODULES
# The form's defaults: a basic session asks 5 questions of each basic module, none advanced.
DEFAULT_COUNTS = {**{m: 5 for m in TT03_BASIC_MODULES}, **{m: 0 for m in TT03_ADVANCED_MODULES}}


def _session_or_404(session_id: int) -> ExamSession:
    exam = db().get(ExamSession, session_id)
    if exam is None:
        abort(404)
    return exam


def _sessions_page(form: dict[str, str] | None = None, problems: list[str] | None = None,
                   message: str | None = None, status: int = 200):
    rows = db().scalars(select(ExamSession).order_by(ExamSession.exam_date.desc(),
                                                     ExamSession.id.desc())).all()
    return render_template("staff/sessions.html", sessions=rows, modules=MODULES,
                           advanced_modules=TT03_ADVANCED_MODULES, defaults=DEFAULT_COUNTS,
                           today=vn_today().isoformat(), form=form or {},
                           problems=problems or [], message=message,
                           can_manage=current_user().role in (Role.STAFF, Role.ADMIN)), status


@staff_bp.get("/ca-thi")
@roles_required(Role.STAFF, Role.PROCTOR)
def sessions():
    return _sessions_page()


def _form_int(name: str, default: int) -> int:
    raw = request.form.get(name, "").strip()
    try:
        return db_int(raw) if raw else default  # int() alone let 2**40 reach the database
    except ValueError:
        raise ExamError(f"Trường '{name}': phải là số nguyên (tối đa {DB_INT_MAX}).",
                        f"field {name}: an integer up to {DB_INT_MAX}") from None


def _form_time(name: str) -> time | None:
    raw = request.form.get(name, "").strip()
    try:
        return time.fromisoformat(raw) if raw else None
    except ValueError:
        raise ExamError(f"Trường '{name}': giờ phải có dạng HH:MM.",
                        f"field {name}: a HH:MM time") from None


def _roster_text() -> str:
    roster_text = request.form.get("roster_csv", "")
    upload = request.files.get("roster_file")
    if upload and upload.filename:
        try:
            roster_text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ExamError(f"Tệp {upload.filename}: không phải UTF-8.",
                            f"file {upload.filename}: not UTF-8") from None
    return roster_text


def _create_session_from_form(roster_text: str) -> ExamSession:
    try:
        exam_date = date.fromisoformat(request.form.get("exam_date", ""))
        pass_percent = float(request.form.get("pass_percent", "50") or 50)
    except ValueError:
        raise ExamError("Ngày thi hoặc ngưỡng đạt không hợp lệ.",
                        "invalid exam date or pass mark") from None
    opens, closes = _form_time("sitting_opens"), _form_time("sitting_closes")
    if (opens is None) != (closes is None):
        raise ExamError("Giờ mở và giờ đóng ca thi: nhập cả hai hoặc để trống cả hai.",
                        "give both the opening and the closing time, or neither")
    window = sitting_window(exam_date, opens, closes) if opens and closes else (None, None)
    exam = scheduling.create_session(
        db(), title=request.form.get("title", "").strip() or "Kỳ thi ƯDCNTT cơ bản",
        exam_date=exam_date, room=request.form.get("room", ""),
        exam_council=request.form.get("exam_council", ""),
        duration_minutes=_form_int("duration_minutes", 40),
        items_per_module={m: _form_int(f"n_{m}", n) for m, n in DEFAULT_COUNTS.items()},
        pass_percent=pass_percent, created_by=current_user().id,
        certificate_type=request.form.get("certificate_type", "basic"),
        sitting_opens_at=window[0], sitting_closes_at=window[1])
    if roster_text.strip():
        scheduling.enrol_candidates(db(), exam, parse_roster_csv(roster_text))
    return exam


@staff_bp.post("/ca-thi")
@roles_required(Role.STAFF)
def create_session():
    """Create a session with its roster; a refusal comes back on the same page with every
    problem listed and everything typed (or uploaded) kept, so nothing is entered twice."""
    roster_text = _roster_text()
    try:
        exam = _create_session_from_form(roster_text)
    except ExamError as error:
        db().rollback()  # nothing of a refused session is kept
        kept = {k: v for k, v in request.form.items() if k != "csrf_token"}
        kept["roster_csv"] = roster_text  # an uploaded file comes back as text to correct
        problems = ([localized(p.text_vi(), p.text_en()) for p in error.problems]
                    if isinstance(error, InvalidRoster) else [])
        message = (localized("Danh sách thí sinh có lỗi nên chưa tạo ca thi:",
                             "The roster has errors, so no session was created:")
                   if problems else localized(error.message_vi, error.message_en))
        return _sessions_page(kept, problems, message, status=error.http_status)
    return redirect(url_for("staff.session_detail", session_id=exam.id))


@staff_bp.get("/ca-thi/<int:session_id>")
@roles_required(Role.STAFF, Role.PROCTOR)
def session_detail(session_id: int):
    exam = _session_or_404(session_id)
    certificates = {c.candidate_id: c for c in db().scalars(
        select(Certificate).join(Candidate).where(Candidate.exam_session_id == exam.id))}
    rows = results.session_results(db(), exam)
    return render_template("staff/session.html", exam=exam, rows=rows, certificates=certificates,
                           demo_parameters=results.uses_demo_parameters(db(), exam),
                           can_manage=current_user().role in (Role.STAFF, Role.ADMIN),
                           **_sanctioned(exam))


def _sanctioned(exam: ExamSession) -> dict[str, object]:
    """The sanctioned candidates (level, percent before and after) with each sanction's biên
    bản, for the session's page and the approval page."""
    rows = sanctions.sanctioned_candidates(db(), exam)
    return {"sanctioned": rows, "sanction_labels": (sanctions.SANCTION_VI, sanctions.SANCTION_EN),
            "sanction_reports": reports_of_sanctions(
                db(), [decided.id for row in rows for decided in row.sanctions])}


@staff_bp.post("/ca-thi/<int:session_id>/xep-de")
@roles_required(Role.STAFF)
def schedule(session_id: int):
    count = scheduling.schedule_session(db(), _session_or_404(session_id),
                                        actor=f"user:{current_user().id}", now=utcnow())
    if count:
        flash(localized(f"Đã xếp {count} đề thi.", f"{count} forms assembled."))
    else:  # a second click, or a colleague was quicker: nothing to do
        flash(localized("Ca thi đã được xếp đề trước đó: không xếp lại.",
                        "The session was already scheduled: nothing was changed."))
    return redirect(url_for("staff.session_detail", session_id=session_id))


@staff_bp.get("/ca-thi/<int:session_id>/duyet")
@roles_required(Role.STAFF)
def confirm_approve(session_id: int):
    """Approving closes the sitting for good: staff see what it will do and confirm."""
    exam = _session_or_404(session_id)
    rows = results.session_results(db(), exam)
    return render_template(
        "staff/approve_confirm.html", exam=exam,
        submitted=[r for r in rows if r.status is AttemptStatus.SUBMITTED],
        absent=[r.candidate for r in rows
                if r.status in (AttemptStatus.ASSIGNED, AttemptStatus.ABSENT)],
        sitting=[r.candidate for r in rows if r.status is AttemptStatus.IN_PROGRESS],
        **_sanctioned(exam))


@staff_bp.post("/ca-thi/<int:session_id>/duyet")
@roles_required(Role.STAFF)
def approve(session_id: int):
    if request.form.get("confirm") != "yes":  # not from the confirmation page: show it first
        return redirect(url_for("staff.confirm_approve", session_id=session_id))
    results.approve_results(db(), _session_or_404(session_id), approved_by=current_user().id,
                            now=utcnow(), grace_seconds=current_app.config["SAVE_GRACE_SECONDS"])
    return redirect(url_for("staff.session_detail", session_id=session_id))
