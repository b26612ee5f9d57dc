"""Pages of the live room view and the session's rooms overview (thin: ask
``proctor.permissions``, call ``proctor.live_room``, render or serialise)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, url_for

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.legal_time import to_vn
from exam_engine.kernel.web_context import current_user, db, roles_required
from proctor.events import KIND_NAMES
from proctor.live_room import STATES, room_snapshot, session_overview
from proctor.permissions import may_invigilate, may_oversee

live_bp = Blueprint("proctor_live", __name__, url_prefix="/giam-thi", template_folder="templates",
                    static_folder="static", static_url_path="/static/live")

POLL_MS = 2000  # the issue asks for ≤ 5 s behind: a poll every 2 s, shown "updated at"


def vn_clock(iso: str | None) -> str:
    """``HH:MM:SS`` on Vietnam's clock for a snapshot's UTC time ("" for None)."""
    if not iso:
        return ""
    return to_vn(datetime.fromisoformat(iso)).strftime("%H:%M:%S")


def _event_labels() -> dict[str, str]:
    return {kind: localized(vi, en) for kind, (vi, en) in KIND_NAMES.items()}


def _with_urls(snapshot: dict[str, Any]) -> dict[str, Any]:
    for candidate in snapshot["candidates"]:
        candidate["photo_url"] = (url_for("proctor_rooms.photo",
                                                candidate_id=candidate["id"],
                                                v=candidate["photo_version"])
                                  if candidate["has_photo"] else None)
        waiting = candidate["waiting"]
        candidate["admit_url"] = (url_for("proctor.admit_candidate",
                                                request_id=waiting["request_id"])
                                  if waiting else None)
    return snapshot


def _allowed_or_abort(room_id: int) -> None:
    if not may_invigilate(db(), current_user(), room_id):
        abort(403)


@live_bp.get("/phong/<int:room_id>")
@roles_required(Role.PROCTOR, Role.STAFF)
def room(room_id: int):
    """The seat map, each seat opening its candidate's panel (``?ghe=A1`` without script)."""
    _allowed_or_abort(room_id)
    snapshot = _with_urls(room_snapshot(db(), room_id, utcnow()))
    seat = (request.args.get("ghe") or "").strip().upper()
    selected = next((c["id"] for c in snapshot["candidates"] if c["seat"].upper() == seat), None)
    return render_template("proctor/live_room.html", live=snapshot, states=STATES,
                           by_id={c["id"]: c for c in snapshot["candidates"]},
                           selected_id=selected, poll_ms=POLL_MS,
                           vn_clock=vn_clock, event_labels=_event_labels())


@live_bp.get("/phong/<int:room_id>/trang-thai")
def room_state(room_id: int):
    """The room's snapshot as JSON, polled by live-room.js. A script polls it, so a lost
    login answers 401 rather than the login page."""
    user = current_user()
    if user is None or not user.active:
        abort(401)
    _allowed_or_abort(room_id)
    response = jsonify(_with_urls(room_snapshot(db(), room_id, utcnow())))
    response.headers["Cache-Control"] = "no-store"
    return response


@live_bp.get("/ca-thi/<int:session_id>/phong")
@roles_required(Role.PROCTOR, Role.STAFF)
def overview(session_id: int):
    """Staff: every room of the session with a summary each, the session's totals and the
    candidates without a seat. A proctor: the rooms he may invigilate."""
    user = current_user()
    data = session_overview(db(), session_id, utcnow())
    oversees = may_oversee(user)
    if not oversees:
        data["rooms"] = [r for r in data["rooms"] if may_invigilate(db(), user, r["id"])]
    page = render_template("proctor/live_overview.html", data=data, states=STATES,
                           oversees=oversees, vn_clock=vn_clock)
    # staff follow the whole session here; a proctor comes to find his room, then watches it
    return page, 200, ({"Refresh": "10"} if oversees else {})
