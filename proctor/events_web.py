"""The exam page's events endpoint (thin), off the answer path: its own URL, its own write
(``proctor.events``), never the answer save's. Its answer carries the attempt's state, so the
page learns a pause, a resume, extra time or a force-submit from it."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, session

from exam_engine.exams.errors import LoginEnded
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.uploads import body_limit
from exam_engine.kernel.web_context import (
    SESSION_ID,
    candidate_required,
    checks_own_login_session,
    db,
    forget_login,
)
from proctor.events import check_events_login, parse_batch, take_batch

events_bp = Blueprint("proctor_events", __name__, url_prefix="/thi", template_folder="templates")

EVENTS_BODY_LIMIT = 32 * 1024  # the page sends at most 50 events of a few bytes of detail


@events_bp.post("/api/su-kien")
@checks_own_login_session  # checked below, to tell a moved browser from an ended login
@body_limit(EVENTS_BODY_LIMIT)
@candidate_required
def events():
    attempt_id = int(session["attempt_id"])
    token = session.get(SESSION_ID)
    unit = db()
    try:
        check_events_login(unit, token if isinstance(token, str) else None, attempt_id)
    except LoginEnded:
        forget_login()
        raise
    batch = parse_batch(request.get_json(silent=True))
    return jsonify(take_batch(unit, attempt_id, batch, now=utcnow(),
                              remote_addr=request.remote_addr,
                              user_agent=request.headers.get("User-Agent")))
