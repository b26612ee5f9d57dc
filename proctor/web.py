"""The invigilators' pages (thin): today's rooms, the waiting list and its admissions, the
exam cards. The live room view grows here."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select

from exam_engine.exams.models import Candidate, ExamSession
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.redirects import safe_next_path
from exam_engine.kernel.web_context import current_user, db, roles_required
from proctor.admission import admit, session_of_request, set_login_mode, waiting_list
from proctor.audit import action_token
from proctor.cards import issue_card, issue_cards, render_exam_cards
from proctor.models import CandidatePhoto, ExamRoom, RoomProctor
from proctor.web_common import session_or_404

proctor_bp = Blueprint("proctor", __name__, url_prefix="/giam-thi", template_folder="templates")


@proctor_bp.app_context_processor
def _action_token() -> dict[str, object]:
    # every proctor form that changes state carries a one-time key (proctor.audit)
    return {"action_token": action_token}


@proctor_bp.get("/")
@roles_required(Role.PROCTOR, Role.STAFF)
def rooms():
    counts = dict(db().execute(select(Candidate.exam_session_id, func.count())
                               .group_by(Candidate.exam_session_id)).all())
    sessions = db().scalars(select(ExamSession).order_by(ExamSession.exam_date.desc(),
                                                         ExamSession.id.desc())).all()
    user = current_user()
    mine: dict[int, list[ExamRoom]] = {}  # the rooms this proctor is assigned to, by session
    for room in db().scalars(select(ExamRoom).join(RoomProctor, RoomProctor.room_id == ExamRoom.id)
                             .where(RoomProctor.user_id == (user.id if user else -1))
                             .order_by(ExamRoom.name)):
        mine.setdefault(room.exam_session_id, []).append(room)
    return render_template("proctor/rooms.html", sessions=sessions, counts=counts, mine=mine)


@proctor_bp.get("/ca-thi/<int:session_id>/cho-vao")
@roles_required(Role.PROCTOR, Role.STAFF)
def waiting(session_id: int):
    """Candidates waiting to be admitted, with what the proctor checks against the ID card.
    The Refresh header keeps the list current without a script."""
    session = session_or_404(session_id)
    user = current_user()
    waiting = waiting_list(db(), session.id)
    with_photo = set(db().scalars(select(CandidatePhoto.candidate_id).where(
        CandidatePhoto.candidate_id.in_([w.candidate_id for w in waiting]))))
    page = render_template("proctor/waiting.html", exam=session, waiting=waiting,
                           with_photo=with_photo,
                           may_set_mode=user is not None and user.role in (Role.STAFF, Role.ADMIN))
    return page, 200, {"Refresh": "5"}


@proctor_bp.post("/ca-thi/<int:session_id>/cach-dang-nhap")
@roles_required(Role.STAFF)
def login_mode(session_id: int):
    """The session setting: personal code, proctor admission, or both (staff decide)."""
    session = session_or_404(session_id)
    set_login_mode(db(), session, request.form.get("login_mode", ""))
    flash(localized("Đã đổi cách đăng nhập của ca thi.", "The session's login mode is changed."))
    return redirect(url_for("proctor.waiting", session_id=session.id))


@proctor_bp.post("/cho-vao/<int:request_id>")
@roles_required(Role.PROCTOR, Role.STAFF)
def admit_candidate(request_id: int):
    """Admit a waiting login; a second login's admission moves the candidate to it."""
    session = session_of_request(db(), request_id)
    if session is None:
        abort(404, localized(f"Không có yêu cầu vào phòng số {request_id}.",
                             f"no admission request {request_id}"))
    user = current_user()
    assert user is not None  # roles_required
    admit(db(), request_id, user, utcnow(), reason=request.form.get("reason", ""),
          idempotency_key=request.form.get("idempotency_key"))
    flash(localized("Đã cho thí sinh vào phòng thi.", "Candidate admitted."))
    return redirect(safe_next_path(request.form.get("next"))
                    or url_for("proctor.waiting", session_id=session.id))


@proctor_bp.post("/ca-thi/<int:session_id>/the-du-thi")
@roles_required(Role.PROCTOR, Role.STAFF)
def exam_cards(session_id: int):
    """The session's exam cards as one PDF. Printing issues new personal codes (the earlier
    print's codes stop working), so it is a POST and the unit of work commits it."""
    session = session_or_404(session_id)
    return _pdf(render_exam_cards(issue_cards(db(), session, utcnow())),
                f"the-du-thi-{session.id}.pdf")


@proctor_bp.post("/thi-sinh/<int:candidate_id>/the-du-thi")
@roles_required(Role.PROCTOR, Role.STAFF)
def exam_card(candidate_id: int):
    """One candidate's card with a new personal code (lost card, failed computer)."""
    candidate = db().get(Candidate, candidate_id)
    if candidate is None:
        abort(404, localized(f"Không có thí sinh số {candidate_id}.", f"no candidate {candidate_id}"))
    card = issue_card(db(), candidate, utcnow())  # its refusals are 409s (exam error handler)
    return _pdf(render_exam_cards([card]), f"the-du-thi-{candidate.candidate_number}.pdf")


def _pdf(pdf: bytes, filename: str) -> Response:
    # no-store: the PDF holds live login codes
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"})
