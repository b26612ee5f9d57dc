"""Pages of incidents (biên bản) and the sanctions decided on them (thin over
``proctor.incidents``): record one from a room or a session, the session's list with the
sanction form, and the printable PDF."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from exam_engine.exams.errors import ExamError
from exam_engine.exams.sanctions import SANCTION_EN, SANCTION_VI
from exam_engine.exams.states import SanctionLevel, SessionStatus
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.legal_time import to_vn
from exam_engine.kernel.web_context import current_user, db, roles_required
from proctor import incidents
from proctor.incident_pdf import incident_report, render_incident_report

incidents_bp = Blueprint("proctor_incidents", __name__, url_prefix="/giam-thi",
                         template_folder="templates")
LEVELS = [(level.value, SANCTION_VI[level], SANCTION_EN[level]) for level in SanctionLevel]


@incidents_bp.route("/phong/<int:room_id>/bien-ban", methods=["GET", "POST"])
@roles_required(Role.PROCTOR, Role.STAFF)
def new(room_id: int):
    """Record a biên bản in a room (optionally about ``?candidate_id=``, from the live room)."""
    return _incident_form(room_id=room_id)


@incidents_bp.route("/ca-thi/<int:session_id>/bien-ban", methods=["GET", "POST"])
@roles_required(Role.PROCTOR, Role.STAFF)
def new_for_session(session_id: int):
    """Record a biên bản in a session without rooms (or, for staff, of the whole session)."""
    return _incident_form(session_id=session_id)


def _incident_form(*, room_id: int | None = None, session_id: int | None = None):
    user = current_user()
    source = request.form if request.method == "POST" else request.args
    candidate_id = incidents.parse_candidate_id(source.get("candidate_id"))
    scope = incidents.resolve_scope(db(), user, session_id=session_id, room_id=room_id,
                                    candidate_id=candidate_id)
    if request.method == "GET":
        return _form_page(scope, _prefill(scope))
    draft = incidents.IncidentDraft(
        category=request.form.get("category", ""),
        description=request.form.get("description", ""),
        occurred_at=request.form.get("occurred_at", ""),
        witnesses=request.form.get("witnesses", ""),
        refused_to_sign=request.form.get("refused_to_sign") == "yes",
        sanction_level=request.form.get("sanction_level", ""))
    try:
        incident = incidents.record_incident(db(), draft, scope, user=user, now=utcnow(),
                                             idempotency_key=request.form.get("idempotency_key"))
    except ExamError as error:
        db().rollback()  # a refused sanction must not leave its biên bản half-written
        problems = getattr(error, "problems", [])
        return _form_page(scope, request.form.to_dict(), error, problems), error.http_status
    flash(localized(f"Đã lập biên bản số {incident.id}.", f"Incident report {incident.id} saved."))
    return redirect(url_for("proctor_incidents.index", session_id=incident.exam_session_id,
                            _anchor=f"bien-ban-{incident.id}"), 303)


def _prefill(scope: incidents.IncidentScope) -> dict[str, str]:
    """A fresh form: now (Vietnam time) and the candidate asked for; for a correction
    (``?dinh-chinh=<id>``) the corrected biên bản's facts, its number in the text."""
    values = {"occurred_at": to_vn(utcnow()).strftime("%Y-%m-%dT%H:%M"),
              "candidate_id": str(scope.candidate.id) if scope.candidate else ""}
    corrects = request.args.get("dinh-chinh", "")
    if corrects:
        values.update(incidents.correction_of(db(), current_user(), scope, corrects))
    return values


def _form_page(scope: incidents.IncidentScope, values: dict[str, str],
               error: ExamError | None = None,
               problems: list[incidents.FieldProblem] | None = None) -> str:
    action = (url_for("proctor_incidents.new", room_id=scope.room.id) if scope.room is not None
              else url_for("proctor_incidents.new_for_session", session_id=scope.session.id))
    return render_template(
        "proctor/incident_new.html", scope=scope, values=values, action=action,
        candidates=incidents.candidates_for_form(db(), scope),
        categories=incidents.CATEGORIES, levels=LEVELS,
        error=localized(error.message_vi, error.message_en) if error else None,
        problems={p.field: localized(p.message_vi, p.message_en) for p in problems or ()})


@incidents_bp.get("/ca-thi/<int:session_id>/bien-ban-da-lap")
@roles_required(Role.PROCTOR, Role.STAFF)
def index(session_id: int):
    return _index_page(session_id)


def _index_page(session_id: int, error: ExamError | None = None):
    exam, rows = incidents.incidents_of_session(db(), current_user(), session_id)
    page = render_template(
        "proctor/incidents.html", exam=exam, rows=rows, categories=incidents.CATEGORIES,
        levels=LEVELS, sanction_vi=SANCTION_VI, sanction_en=SANCTION_EN,
        may_sanction=exam.status is not SessionStatus.APPROVED,
        may_record=incidents.may_act_on(db(), current_user(), exam.id, None),
        error=localized(error.message_vi, error.message_en) if error else None)
    return (page, error.http_status) if error else page


@incidents_bp.post("/bien-ban/<int:incident_id>/xu-ly")
@roles_required(Role.PROCTOR, Role.STAFF)
def sanction(incident_id: int):
    """Decide a sanction on a biên bản (the exam re-grades a submitted attempt at once)."""
    incident = incidents.get_incident(db(), current_user(), incident_id)
    session_id = incident.exam_session_id
    try:
        decided = incidents.sanction_incident(
            db(), incident_id, request.form.get("level", ""), request.form.get("reason", ""),
            user=current_user(), now=utcnow(), idempotency_key=request.form.get("idempotency_key"))
    except ExamError as error:
        db().rollback()
        return _index_page(session_id, error)
    flash(localized(f"Đã quyết định {SANCTION_VI[decided.level].lower()} theo biên bản số "
                    f"{incident_id}.",
                    f"{SANCTION_EN[decided.level]} decided on incident report {incident_id}."))
    return redirect(url_for("proctor_incidents.index", session_id=session_id,
                            _anchor=f"bien-ban-{incident_id}"), 303)


@incidents_bp.get("/bien-ban/<int:incident_id>.pdf")
@roles_required(Role.PROCTOR, Role.STAFF)
def pdf(incident_id: int):
    incident = incidents.get_incident(db(), current_user(), incident_id)
    body = render_incident_report(incident_report(db(), incident))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="bien-ban-{incident.id}.pdf"'})

