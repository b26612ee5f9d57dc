"""The invigilators' pages (thin): today's rooms. The live room view grows here."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from exam_engine.exams.models import Candidate, ExamSession
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.web_context import db, roles_required

proctor_bp = Blueprint("proctor", __name__, url_prefix="/giam-thi", template_folder="templates")


@proctor_bp.get("/")
@roles_required(Role.PROCTOR, Role.STAFF)
def rooms():
    counts = dict(db().execute(select(Candidate.exam_session_id, func.count())
                               .group_by(Candidate.exam_session_id)).all())
    sessions = db().scalars(select(ExamSession).order_by(ExamSession.exam_date.desc(),
                                                         ExamSession.id.desc())).all()
    return render_template("proctor/rooms.html", sessions=sessions, counts=counts)
