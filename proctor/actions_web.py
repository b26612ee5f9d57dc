"""The proctor's actions on candidates and rooms (thin over ``proctor.actions`` and
``proctor.accommodations``): pause and resume one candidate or a room, extra time,
force-submit, move, accommodations, and a candidate's page with every action's form.

Every action is a POST with ``reason`` and ``idempotency_key`` (form fields, or a JSON object's
members) and an optional ``next`` path. A JSON caller (the live room's script) gets
``{"ok": true, …}`` or problem details; a page gets a redirect with a flash, or the error page.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from exam_engine.exams.delivery import seconds_left
from exam_engine.exams.errors import ExamError
from exam_engine.exams.models import Attempt
from exam_engine.kernel.accounts import Role, User
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.redirects import safe_next_path
from exam_engine.kernel.web_context import current_user, db, roles_required
from proctor import accommodations, actions

actions_bp = Blueprint("proctor_actions", __name__, url_prefix="/giam-thi",
                       template_folder="templates")


class BadField(ExamError):
    http_status = 422


# ---- input and answer ------------------------------------------------------------------------

def _fields() -> Any:
    """The request's fields: the form, or the JSON object a script sent."""
    if not request.is_json:
        return request.form
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadField("Dữ liệu gửi lên phải là một đối tượng JSON.",
                       "the body must be a JSON object")
    return body


def _text(name: str) -> str:
    value = _fields().get(name)
    return value if isinstance(value, str) else "" if value is None else str(value)


def _key() -> str:
    key = _text("idempotency_key").strip()
    if not key:
        raise BadField("Thiếu mã chống gửi lặp (idempotency_key): hãy tải lại trang rồi thử lại.",
                       "idempotency_key is required; reload the page and try again")
    return key


def _whole(name: str, *, required: bool = True) -> int | None:
    raw = _fields().get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise BadField(f"Thiếu {name}.", f"{name} is required")
        return None
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValueError(raw)
        value = int(raw.strip() if isinstance(raw, str) else raw)
        if not 0 <= value < 2**31:  # what the database's integer columns hold
            raise ValueError(value)
    except ValueError:
        raise BadField(f"{name} phải là một số nguyên không âm.",
                       f"{name} must be a whole number ≥ 0") from None
    return value


def _user() -> User:
    user = current_user()
    assert user is not None  # roles_required
    return user


def _wants_json() -> bool:
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json",
                                                "application/problem+json"])
    return best in ("application/json", "application/problem+json")


def _attempt_json(attempt: Attempt, now: Any) -> dict[str, Any]:
    return {"id": attempt.id, "status": attempt.status.value,
            "seconds_left": round(seconds_left(attempt, now), 3),
            "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
            "extra_seconds": attempt.extra_seconds, "paused_seconds": attempt.paused_seconds}


def _answer(done: actions.ActionDone, vi: str, en: str, fallback: str):
    """The JSON answer, or the flash and the redirect (to ``next`` when it is a local path)."""
    now = utcnow()
    if _wants_json():
        return jsonify(ok=True, repeated=done.repeated, action={
            "id": done.action.id, "kind": done.action.kind.value,
            "at": done.action.at.isoformat(), "reason": done.action.reason},
            attempts=[_attempt_json(a, now) for a in done.attempts])
    if done.repeated:
        flash(localized("Thao tác này đã được thực hiện rồi (yêu cầu gửi lặp): không làm lại.",
                        "This action was already taken (a repeated request): nothing was "
                        "done again."))
    else:
        flash(localized(vi, en))
    return redirect(safe_next_path(_text("next")) or fallback)


def _desk_url(attempt_id: int) -> str:
    attempt = db().get(Attempt, attempt_id)
    return url_for("proctor_actions.candidate", candidate_id=attempt.candidate_id) \
        if attempt is not None else url_for("proctor.rooms")


def _attempt_action(service, attempt_id: int, vi: str, en: str, **extra: Any):
    done = service(db(), attempt_id, actor=_user(), reason=_text("reason"), now=utcnow(),
                   idempotency_key=_key(), **extra)
    return _answer(done, vi, en, _desk_url(attempt_id))


def _room_action(service, room_id: int, vi: str, en: str):
    done = service(db(), room_id, actor=_user(), reason=_text("reason"), now=utcnow(),
                   idempotency_key=_key())
    n = len(done.attempts)
    return _answer(done, vi.format(n=n), en.format(n=n),
                   url_for("proctor_live.room", room_id=room_id))


# ---- one candidate ---------------------------------------------------------------------------

@actions_bp.post("/bai-thi/<int:attempt_id>/tam-dung")
@roles_required(Role.PROCTOR, Role.STAFF)
def pause(attempt_id: int):
    return _attempt_action(actions.pause_candidate, attempt_id,
                           "Đã tạm dừng bài thi: đồng hồ của thí sinh đứng yên.",
                           "The attempt is paused: the candidate's clock stands still.")


@actions_bp.post("/bai-thi/<int:attempt_id>/tiep-tuc")
@roles_required(Role.PROCTOR, Role.STAFF)
def resume(attempt_id: int):
    return _attempt_action(actions.resume_candidate, attempt_id,
                           "Thí sinh đã được làm bài tiếp với thời gian còn lại như lúc dừng.",
                           "The candidate carries on with the time left he had when paused.")


@actions_bp.post("/bai-thi/<int:attempt_id>/them-gio")
@roles_required(Role.PROCTOR, Role.STAFF)
def extra_time(attempt_id: int):
    minutes = _whole("minutes")
    return _attempt_action(actions.give_extra_time, attempt_id,
                           f"Đã cộng thêm {minutes} phút.", f"{minutes} minutes added.",
                           minutes=minutes)


@actions_bp.post("/bai-thi/<int:attempt_id>/thu-bai")
@roles_required(Role.PROCTOR, Role.STAFF)
def force_submit(attempt_id: int):
    return _attempt_action(actions.force_submit, attempt_id,
                           "Đã thu bài của thí sinh.", "The candidate's attempt is submitted.")


@actions_bp.post("/thi-sinh/<int:candidate_id>/chuyen-cho")
@roles_required(Role.PROCTOR, Role.STAFF)
def move(candidate_id: int):
    done = actions.move_candidate(db(), candidate_id, _text("seat"), actor=_user(),
                                  reason=_text("reason"), now=utcnow(),
                                  room_id=_whole("room_id", required=False),
                                  idempotency_key=_key())
    seat = done.action.detail.get("to_seat", "")
    return _answer(done, f"Đã chuyển thí sinh sang chỗ {seat}: máy cũ không lưu bài được nữa, "
                         "thí sinh đăng nhập lại ở máy mới.",
                   f"The candidate is moved to {seat}: the old computer no longer saves; he "
                   "logs in again at the new one.",
                   url_for("proctor_actions.candidate", candidate_id=candidate_id))


# ---- a whole room ----------------------------------------------------------------------------

@actions_bp.post("/phong/<int:room_id>/tam-dung")
@roles_required(Role.PROCTOR, Role.STAFF)
def pause_room(room_id: int):
    return _room_action(actions.pause_room, room_id,
                        "Đã tạm dừng cả phòng ({n} bài thi).",
                        "The whole room is paused ({n} attempts).")


@actions_bp.post("/phong/<int:room_id>/tiep-tuc")
@roles_required(Role.PROCTOR, Role.STAFF)
def resume_room(room_id: int):
    return _room_action(actions.resume_room, room_id,
                        "Cả phòng đã được làm bài tiếp ({n} bài thi).",
                        "The whole room carries on ({n} attempts).")


# ---- pages -----------------------------------------------------------------------------------

@actions_bp.get("/thi-sinh/<int:candidate_id>/thao-tac")
@roles_required(Role.PROCTOR, Role.STAFF)
def candidate(candidate_id: int):
    """One candidate: his clock, seat and accommodation, every action's form, his log."""
    desk = actions.candidate_desk(db(), candidate_id, _user())
    now = utcnow()
    return render_template("proctor/action_candidate.html", desk=desk, now=now,
                           time_left=seconds_left(desk.attempt, now) if desk.attempt else None,
                           accommodation=accommodations.accommodation_of(db(), candidate_id),
                           max_minutes=actions.MAX_EXTRA_MINUTES)


@actions_bp.route("/thi-sinh/<int:candidate_id>/ho-tro", methods=["GET", "POST"])
@roles_required(Role.PROCTOR, Role.STAFF)
def accommodation(candidate_id: int):
    """The candidate's accommodation, entered before the exam."""
    if request.method == "POST":
        value = accommodations.parse_accommodation(
            _text("extra_minutes"), _text("time_multiplier"),
            _fields().get("large_text") in ("1", "on", "yes", True), _text("note"))
        saved = accommodations.set_accommodation(db(), candidate_id, value, actor=_user(),
                                                 reason=_text("reason"), now=utcnow(),
                                                 idempotency_key=_key())
        if _wants_json():
            return jsonify(ok=True, extra_minutes=saved.extra_minutes,
                           time_multiplier=saved.time_multiplier, large_text=saved.large_text,
                           note=saved.note)
        flash(localized("Đã lưu hỗ trợ đặc biệt của thí sinh.",
                        "The candidate's accommodation is saved."))
        return redirect(safe_next_path(_text("next"))
                        or url_for("proctor_actions.candidate", candidate_id=candidate_id))
    desk = actions.candidate_desk(db(), candidate_id, _user())
    return render_template("proctor/accommodation.html", desk=desk,
                           accommodation=accommodations.accommodation_of(db(), candidate_id),
                           max_minutes=accommodations.MAX_EXTRA_MINUTES,
                           max_multiplier=accommodations.MAX_MULTIPLIER)
