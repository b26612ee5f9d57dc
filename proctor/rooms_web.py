"""Pages of rooms and seats, photos, the room list, opening and closing rooms, late entry (thin:
parse the form, ask ``proctor.permissions``, call one service, render or redirect).

Staff and admins set rooms up (``may_oversee``); whoever may invigilate a room opens and closes
it, lets a late candidate in, sees its candidates' photos and prints its list and cards
(``may_invigilate``). Every form that changes state carries a one-time ``idempotency_key``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from exam_engine.exams.errors import ExamError, NotFound
from exam_engine.exams.models import Candidate, ExamSession
from exam_engine.exams.states import SessionStatus
from exam_engine.kernel.accounts import Role, User
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.input_guard import db_int
from exam_engine.kernel.redirects import safe_next_path
from exam_engine.kernel.uploads import body_limit
from exam_engine.kernel.web_context import current_user, db, roles_required
from proctor import room_setup, rooms
from proctor.cards import issue_cards, render_exam_cards
from proctor.models import CandidatePhoto, ExamRoom
from proctor.permissions import may_invigilate, may_oversee
from proctor.photos import (
    MAX_PHOTO_BYTES,
    MAX_ZIP_BYTES,
    photo_of,
    read_photo_zip,
    roster_numbers,
    set_photo,
    store_photos,
)
from proctor.room_list import render_room_list, room_sheet
from proctor.rooms import MARK_VI, RoomInputError
from proctor.web_common import overseers_only

rooms_bp = Blueprint("proctor_rooms", __name__, url_prefix="/giam-thi", template_folder="templates")

FORM_ROOM = 1024 * 1024  # an upload's other fields; keeps the 413's limit a round "3 MB"


def _actor() -> User:
    user = current_user()
    assert user is not None  # roles_required
    return user


def _found(model: type, object_id: int, vi: str, en: str) -> Any:
    row = db().get(model, object_id)
    if row is None:
        abort(404, localized(f"{vi} {object_id}.", f"{en} {object_id}"))
    return row


def _invigilates_or_403(room_id: int | None) -> None:
    if not may_invigilate(db(), current_user(), room_id):
        abort(403)


def _form_int(name: str) -> int:
    raw = request.form.get(name, "").strip()
    try:
        return db_int(raw)
    except ValueError:
        raise RoomInputError(f"Trường '{name}': hãy nhập một số nguyên.",
                             f"field {name}: a whole number is required") from None


def _key() -> str | None:
    return request.form.get("idempotency_key") or None


def _setup_url(session_id: int, anchor: str = "") -> str:
    return url_for("proctor_rooms.setup", session_id=session_id) + (f"#{anchor}" if anchor else "")


def _done(message_vi: str, message_en: str, target: str):
    flash(localized(message_vi, message_en))
    return redirect(target, 303)


def _back_after_room_action(session_id: int) -> str:
    """Where the live room page asked to go back to (a path on this site), else a page the
    caller may see."""
    chosen = safe_next_path(request.form.get("next"))
    if chosen:
        return chosen
    return _setup_url(session_id) if may_oversee(current_user()) else url_for("proctor.rooms")


# ---- the setup page -----------------------------------------------------------------------------

def _setup_page(session: ExamSession, *, error: ExamError | None = None):
    now = utcnow()
    seats = room_setup.seats_by_candidate(db(), session.id)
    with_photo = set(db().scalars(select(CandidatePhoto.candidate_id).join(
        Candidate, Candidate.id == CandidatePhoto.candidate_id)
        .where(Candidate.exam_session_id == session.id)))
    overviews = room_setup.room_overviews(db(), session.id, now)
    problems = [{"file": p.file, "message": localized(p.message_vi, p.message_en)}
                for p in getattr(error, "problems", [])]
    page = render_template(
        "proctor/room_setup.html", exam=session, settings=rooms.settings_for(db(), session.id),
        overviews=overviews, proctors=room_setup.proctor_users(db()), seats=seats,
        with_photo=with_photo, marks=MARK_VI,
        frozen=session.status not in (SessionStatus.DRAFT, SessionStatus.SCHEDULED),
        free=sum(1 for o in overviews for row in o.seat_rows for seat, spare, who in row
                 if not spare and who is None),
        error=localized(error.message_vi, error.message_en) if error and not problems else None,
        problems=problems, max_photo_mb=MAX_PHOTO_BYTES // (1024 * 1024),
        max_zip_mb=MAX_ZIP_BYTES // (1024 * 1024))
    return page, error.http_status if error else 200


def _refused(session_id: int, error: ExamError):
    """The setup page again, with the refusal (every problem of a zip) at its top."""
    db().rollback()  # a failed flush must not linger into the page's reads
    return _setup_page(_found(ExamSession, session_id, "Không có ca thi số", "no exam session"),
                       error=error)


def _on_setup_page(session_id: int, action: Callable[[], Any]):
    """Run a setup action; a refusal it raises shows on the setup page."""
    try:
        return action()
    except NotFound:
        raise
    except ExamError as refused:  # bad input, a conflict, a zip's problems, a closed session
        return _refused(session_id, refused)


@rooms_bp.get("/ca-thi/<int:session_id>/phong-thi")
@overseers_only
def setup(session_id: int):
    return _setup_page(_found(ExamSession, session_id, "Không có ca thi số", "no exam session"))


@rooms_bp.post("/ca-thi/<int:session_id>/cai-dat-giam-thi")
@overseers_only
def save_settings(session_id: int):
    def act():
        room_setup.save_settings(
            db(), session_id, proctors_per_room=_form_int("proctors_per_room"),
            late_entry_minutes=_form_int("late_entry_minutes"),
            on_time_minutes=_form_int("on_time_minutes"),
            require_fullscreen=request.form.get("require_fullscreen") == "1")
        return _done("Đã lưu cài đặt coi thi.", "Invigilation settings saved.",
                     _setup_url(session_id, "settings"))
    return _on_setup_page(session_id, act)


@rooms_bp.post("/ca-thi/<int:session_id>/phong-thi")
@overseers_only
def create_room(session_id: int):
    def act():
        room = room_setup.create_room(
            db(), session_id, name=request.form.get("name", ""), rows=_form_int("rows"),
            columns=_form_int("columns"), spare_seats=request.form.get("spare_seats", ""))
        return _done(f"Đã tạo phòng thi «{room.name}».", f"Room {room.name!r} created.",
                     _setup_url(session_id, f"room-{room.id}"))
    return _on_setup_page(session_id, act)


@rooms_bp.post("/phong/<int:room_id>/sua")
@overseers_only
def edit_room(room_id: int):
    room = _found(ExamRoom, room_id, "Không có phòng thi số", "no exam room")

    def act():
        room_setup.update_room(
            db(), room.id, name=request.form.get("name", ""), rows=_form_int("rows"),
            columns=_form_int("columns"), spare_seats=request.form.get("spare_seats", ""))
        return _done(f"Đã lưu phòng thi «{room.name}».", f"Room {room.name!r} saved.",
                     _setup_url(room.exam_session_id, f"room-{room.id}"))
    return _on_setup_page(room.exam_session_id, act)


@rooms_bp.post("/phong/<int:room_id>/giam-thi")
@overseers_only
def room_proctors(room_id: int):
    room = _found(ExamRoom, room_id, "Không có phòng thi số", "no exam room")

    def act():
        try:
            ids = [db_int(v) for v in request.form.getlist("proctor_ids")]
        except ValueError:
            raise RoomInputError("Trường 'proctor_ids': mã giám thị không hợp lệ.",
                                 "field proctor_ids: not a user id") from None
        room_setup.set_room_proctors(db(), room.id, ids, actor_id=_actor().id, now=utcnow(),
                                     idempotency_key=_key())
        return _done(f"Đã phân công giám thị phòng «{room.name}».",
                     f"Proctors of room {room.name!r} saved.",
                     _setup_url(room.exam_session_id, f"room-{room.id}"))
    return _on_setup_page(room.exam_session_id, act)


@rooms_bp.post("/ca-thi/<int:session_id>/xep-cho")
@overseers_only
def seat_automatically(session_id: int):
    def act():
        n = room_setup.assign_seats_automatically(db(), session_id, actor_id=_actor().id,
                                                  now=utcnow(), idempotency_key=_key())
        return _done(f"Đã xếp chỗ cho {n} thí sinh.", f"{n} candidates seated.",
                     _setup_url(session_id, "roster"))
    return _on_setup_page(session_id, act)


@rooms_bp.post("/thi-sinh/<int:candidate_id>/cho-ngoi")
@overseers_only
def seat_by_hand(candidate_id: int):
    candidate = _found(Candidate, candidate_id, "Không có thí sinh số", "no candidate")

    def act():
        placed = room_setup.assign_seat(
            db(), candidate.id, _form_int("room_id"), request.form.get("seat", ""),
            actor_id=_actor().id, now=utcnow(), reason=request.form.get("reason", ""),
            idempotency_key=_key())
        return _done(f"Đã xếp thí sinh {candidate.candidate_number} vào chỗ {placed.seat}.",
                     f"Candidate {candidate.candidate_number} seated at {placed.seat}.",
                     _setup_url(candidate.exam_session_id, "roster"))
    return _on_setup_page(candidate.exam_session_id, act)


# ---- photos -----------------------------------------------------------------------------------

@rooms_bp.post("/ca-thi/<int:session_id>/anh")
@body_limit(MAX_ZIP_BYTES + FORM_ROOM)
@overseers_only
def upload_photos(session_id: int):
    """A zip of photos named by số báo danh: all stored, or none and every problem named."""
    session = _found(ExamSession, session_id, "Không có ca thi số", "no exam session")
    upload = request.files.get("photos_zip")
    if upload is None or not upload.filename:
        return _refused(session.id, RoomInputError(
            "Trường 'photos_zip': hãy chọn một tệp .zip ảnh.", "field photos_zip: choose a .zip "
            "of photos"))
    numbers, actor_id = roster_numbers(db(), session.id), _actor().id
    # Reading and re-making hundreds of photos takes seconds: hold no transaction meanwhile
    # (on SQLite a writing one holds the write lock every candidate's save waits for).
    db().rollback()
    return _on_setup_page(session_id, lambda: _store_zip(
        session_id, read_photo_zip(upload.stream, numbers), actor_id))


def _store_zip(session_id: int, photos: list, actor_id: int):
    n = store_photos(db(), session_id, photos, actor_id=actor_id, now=utcnow())
    return _done(f"Đã lưu {n} ảnh thí sinh.", f"{n} photos stored.",
                 _setup_url(session_id, "roster"))


@rooms_bp.post("/thi-sinh/<int:candidate_id>/anh")
@body_limit(MAX_PHOTO_BYTES + FORM_ROOM)
@overseers_only
def upload_photo(candidate_id: int):
    candidate = _found(Candidate, candidate_id, "Không có thí sinh số", "no candidate")
    upload = request.files.get("photo")

    def act():
        if upload is None or not upload.filename:
            raise RoomInputError("Trường 'photo': hãy chọn một ảnh JPEG hoặc PNG.",
                                 "field photo: choose a JPEG or PNG image")
        set_photo(db(), candidate.id, upload.read(MAX_PHOTO_BYTES + 1), file=upload.filename,
                  actor_id=_actor().id, now=utcnow())
        return _done(f"Đã lưu ảnh thí sinh {candidate.candidate_number}.",
                     f"Photo of candidate {candidate.candidate_number} stored.",
                     _setup_url(candidate.exam_session_id, "roster"))
    return _on_setup_page(candidate.exam_session_id, act)


@rooms_bp.get("/anh/<int:candidate_id>")
@roles_required(Role.PROCTOR, Role.STAFF)
def photo(candidate_id: int):
    """The photo, to staff and to whoever may invigilate the candidate's room; never cached."""
    candidate = _found(Candidate, candidate_id, "Không có thí sinh số", "no candidate")
    placed = rooms.seat_of(db(), candidate.id)
    _invigilates_or_403(placed[0].id if placed else None)
    found = photo_of(db(), candidate.id)
    if found is None:
        abort(404, localized(f"Thí sinh {candidate.candidate_number} chưa có ảnh.",
                             f"candidate {candidate.candidate_number} has no photo"))
    return Response(found.data, mimetype=found.content_type, headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


# ---- the room's papers: the list and the cards ----------------------------------------------

@rooms_bp.get("/phong/<int:room_id>/danh-sach.pdf")
@roles_required(Role.PROCTOR, Role.STAFF)
def room_list(room_id: int):
    room = _found(ExamRoom, room_id, "Không có phòng thi số", "no exam room")
    _invigilates_or_403(room.id)
    pdf = render_room_list(room_sheet(db(), room.id, utcnow()))
    return _pdf(pdf, f"danh-sach-phong-{room.id}.pdf")


@rooms_bp.post("/phong/<int:room_id>/the-du-thi")
@roles_required(Role.PROCTOR, Role.STAFF)
def room_cards(room_id: int):
    """The room's exam cards, in seat order. Printing issues new personal codes (the earlier
    print's codes stop working), so it is a POST and the unit of work commits it."""
    room = _found(ExamRoom, room_id, "Không có phòng thi số", "no exam room")
    _invigilates_or_403(room.id)
    session = _found(ExamSession, room.exam_session_id, "Không có ca thi số", "no exam session")
    return _pdf(render_exam_cards(issue_cards(db(), session, utcnow(), room_id=room.id)),
                f"the-du-thi-phong-{room.id}.pdf")


def _pdf(pdf: bytes, filename: str) -> Response:
    # names, dates of birth, photos (and on cards live login codes): never kept by a cache
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{filename}"',
        "Cache-Control": "private, no-store"})


# ---- the day: open, close, let in late ------------------------------------------------------

@rooms_bp.post("/phong/<int:room_id>/mo")
@roles_required(Role.PROCTOR, Role.STAFF)
def open_room(room_id: int):
    room = _found(ExamRoom, room_id, "Không có phòng thi số", "no exam room")
    _invigilates_or_403(room.id)
    opened = rooms.open_room(db(), room.id, _actor().id, utcnow(),
                             request.form.get("reason", ""), _key())
    return _done(f"Phòng thi «{opened.name}» đã mở.", f"Room {opened.name!r} is open.",
                 _back_after_room_action(room.exam_session_id))


@rooms_bp.post("/phong/<int:room_id>/dong")
@roles_required(Role.PROCTOR, Role.STAFF)
def close_room(room_id: int):
    room = _found(ExamRoom, room_id, "Không có phòng thi số", "no exam room")
    _invigilates_or_403(room.id)
    absent = rooms.close_room(db(), room.id, _actor().id, utcnow(),
                              request.form.get("reason", ""), _key())
    return _done(f"Phòng thi «{room.name}» đã đóng; {absent} thí sinh được ghi nhận vắng thi.",
                 f"Room {room.name!r} is closed; {absent} candidates marked absent.",
                 _back_after_room_action(room.exam_session_id))


@rooms_bp.post("/thi-sinh/<int:candidate_id>/cho-vao-muon")
@roles_required(Role.PROCTOR, Role.STAFF)
def allow_late(candidate_id: int):
    candidate = _found(Candidate, candidate_id, "Không có thí sinh số", "no candidate")
    placed = rooms.seat_of(db(), candidate.id)
    _invigilates_or_403(placed[0].id if placed else None)
    rooms.allow_late(db(), candidate.id, _actor().id, utcnow(), request.form.get("reason", ""),
                     _key())
    return _done(f"Đã cho thí sinh {candidate.candidate_number} vào thi muộn.",
                 f"Candidate {candidate.candidate_number} may start late.",
                 _back_after_room_action(candidate.exam_session_id))
