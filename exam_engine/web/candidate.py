"""The candidate's exam: instructions, the questions, autosave, submit, result."""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from exam_engine.exams import delivery, saving
from exam_engine.exams.errors import InvalidAnswer, LoginEnded
from exam_engine.exams.models import Attempt
from exam_engine.exams.results import current_result
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.uploads import ANSWER_BODY_LIMIT, body_limit
from exam_engine.kernel.web_context import (
    cache,
    candidate_required,
    checks_own_login_session,
    db,
    forget_login,
    login_session_hash,
)
from proctor.exam_page import page_settings
from proctor.rooms import ensure_may_start

candidate_bp = Blueprint("candidate", __name__, url_prefix="/thi")


def _attempt_id() -> int:
    return int(session["attempt_id"])


def _current_attempt(now: datetime) -> Attempt:
    """This candidate's attempt, closed first if its deadline has passed (a write, so the
    request takes the writing session)."""
    unit = db(writes=True)
    attempt = delivery.close_if_expired(unit, delivery.get_attempt(unit, _attempt_id()), now,
                                        grace_seconds=current_app.config["SAVE_GRACE_SECONDS"])
    return attempt


@candidate_bp.get("/")
@candidate_required
def exam():
    now = utcnow()
    attempt = _current_attempt(now)
    if attempt.status is AttemptStatus.SUBMITTED:
        return redirect(url_for("candidate.result"))
    session_ = attempt.candidate.session
    # A paused attempt keeps its exam page (a reload during a pause must not send the
    # candidate back to the instructions): its saves are refused until the proctor resumes.
    sitting = attempt.status in (AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED)
    template = "exam.html" if sitting else "instructions.html"
    settings = page_settings(db(), attempt)  # larger text, full screen (issue 11)
    return render_template(template, attempt=attempt, candidate=attempt.candidate,
                           exam=session_, seconds_left=delivery.seconds_left(attempt, now),
                           large_text=settings.large_text,
                           require_fullscreen=settings.require_fullscreen)


@candidate_bp.post("/bat-dau")
@candidate_required
def start():
    now = utcnow()
    # The room's gate (issue 11): open, within the late window or let in late by a proctor.
    ensure_may_start(db(), delivery.get_attempt(db(), _attempt_id(), lock=True), now)
    delivery.start_attempt(db(), _attempt_id(), now,
                           grace_seconds=current_app.config["SAVE_GRACE_SECONDS"])
    return redirect(url_for("candidate.exam"))


@candidate_bp.get("/api/paper")
@candidate_required
def paper():
    now = utcnow()
    attempt = _current_attempt(now)
    response = jsonify(delivery.paper(db(), attempt, now))
    response.headers["Cache-Control"] = "no-store"
    return response


@candidate_bp.post("/api/answers")
@checks_own_login_session  # inside the guarded upsert: one round trip per save
@body_limit(ANSWER_BODY_LIMIT)  # a save is a few hundred bytes; 413 past 64 KB
@candidate_required
def save_answer():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidAnswer("Dữ liệu gửi lên không hợp lệ.", "the body must be a JSON object")
    try:
        position, seq = int(body["position"]), int(body["seq"])
        selected = [int(i) for i in body.get("selected", [])]
    except (KeyError, TypeError, ValueError):
        raise InvalidAnswer("Thiếu câu hỏi, lựa chọn hoặc số thứ tự lưu.",
                            "position, selected and seq are required") from None
    # Choice questions send "selected" (shown positions), as they always have; the other kinds
    # send "response" in their type's shape, read by saving against the item.
    login_hash = login_session_hash()
    if login_hash is None:
        forget_login()
        abort(401)
    try:
        saved = saving.save_answer(
            db(), cache(), _attempt_id(), position=position, selected=selected,
            flagged=bool(body.get("flagged", False)), seq=seq, now=utcnow(),
            grace_seconds=current_app.config["SAVE_GRACE_SECONDS"],
            response=body.get("response"), login_hash=login_hash,
            ms_on_item=body.get("ms_on_item"))  # checked by the service (422 naming it)
    except LoginEnded:  # MovedAway too (409): the proctor moved him to another computer
        forget_login()
        raise
    return jsonify(ok=True, position=saved.position, seq=saved.seq,
                   saved_at=saved.saved_at.isoformat())


@candidate_bp.post("/api/submit")
@candidate_required
def submit():
    result = delivery.submit_attempt(db(), _attempt_id(), actor="candidate", now=utcnow())
    return jsonify(ok=True, receipt=f"KQ-{result.attempt_id}-{result.id}",
                   result_url=url_for("candidate.result"))


@candidate_bp.get("/ket-qua")
@candidate_required
def result():
    attempt = delivery.get_attempt(db(), _attempt_id())
    if attempt.status is not AttemptStatus.SUBMITTED:
        return redirect(url_for("candidate.exam"))
    latest = current_result(db(), attempt.id)
    return render_template("result.html", attempt=attempt, candidate=attempt.candidate,
                           exam=attempt.candidate.session, result=latest)

