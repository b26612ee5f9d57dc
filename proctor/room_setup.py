"""Setting a session's rooms up (issue 11): staff create rooms with their seat maps, set the
invigilation settings, assign proctors and seat the candidates — automatically in roster
order or one by one. Nothing changes once the session is closed. Seat assignments and
proctor assignments are ``ProctorAction`` rows (``proctor.audit``); the exam day's side —
opening, closing, the gate, attendance — is ``proctor.rooms``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.exams.errors import NotFound
from exam_engine.exams.models import Candidate, ExamSession
from exam_engine.exams.sitting import lock_session
from exam_engine.exams.states import AttemptStatus, SessionStatus
from exam_engine.kernel.accounts import Role, User
from exam_engine.kernel.text import nfc
from proctor.audit import clean_reason, earlier_action, record_action
from proctor.models import ActionKind, ExamRoom, InvigilationSettings, RoomProctor, SeatAssignment
from proctor.rooms import (
    MAX_COLUMNS,
    MAX_MINUTES,
    MAX_PROCTORS,
    MAX_ROWS,
    AttendanceRow,
    Mark,
    RoomConflict,
    RoomInputError,
    attendance,
    attendance_counts,
    check_range,
    get_room,
    lock_room,
    parse_seats,
    room_candidates,
    rooms_of,
    seat_key,
    seat_labels,
    settings_for,
)


def save_settings(db: Session, session_id: int, *, proctors_per_room: int,
                  late_entry_minutes: int, on_time_minutes: int,
                  require_fullscreen: bool) -> InvigilationSettings:
    session = _editable_session(db, session_id)
    check_range("proctors_per_room", proctors_per_room, 1, MAX_PROCTORS)
    check_range("late_entry_minutes", late_entry_minutes, 0, MAX_MINUTES)
    check_range("on_time_minutes", on_time_minutes, 0, MAX_MINUTES)
    row = db.get(InvigilationSettings, session.id)  # the session lock keeps this single
    if row is None:
        row = InvigilationSettings(exam_session_id=session.id)
        db.add(row)
    row.proctors_per_room, row.late_entry_minutes = proctors_per_room, late_entry_minutes
    row.on_time_minutes, row.require_fullscreen = on_time_minutes, require_fullscreen
    db.flush()
    return row


# ---- rooms ----------------------------------------------------------------------------------------

def create_room(db: Session, session_id: int, *, name: str, rows: int, columns: int,
                spare_seats: str | Sequence[str] = "") -> ExamRoom:
    session = _editable_session(db, session_id)
    name, spares = _checked_room(name, rows, columns, spare_seats)
    room = ExamRoom(exam_session_id=session.id, name=name, rows=rows, columns=columns,
                    spare_seats=spares)
    _flush_unique_name(db, room)
    return room


def update_room(db: Session, room_id: int, *, name: str, rows: int, columns: int,
                spare_seats: str | Sequence[str] = "") -> ExamRoom:
    """Rename or reshape a room. A seat somebody sits in never leaves the map, and never
    becomes a spare (a candidate moved to a spare seat may stay there)."""
    room = get_room(db, room_id)
    _editable_session(db, room.exam_session_id)
    room = lock_room(db, room_id)
    name, spares = _checked_room(name, rows, columns, spare_seats)
    sitting = {seat: number for seat, number in db.execute(
        select(SeatAssignment.seat, Candidate.candidate_number)
        .join(Candidate, Candidate.id == SeatAssignment.candidate_id)
        .where(SeatAssignment.room_id == room.id))}
    on_map = set(seat_labels(rows, columns))
    lost = sorted((s for s in sitting if s not in on_map), key=seat_key)
    if lost:
        taken = ", ".join(f"{s} ({sitting[s]})" for s in lost[:10])
        raise RoomConflict(f"Sơ đồ mới bỏ mất chỗ đang có thí sinh ngồi: {taken}.",
                           f"the new map drops seats that candidates sit in: {taken}")
    new_spares = [s for s in spares if s in sitting and s not in room.spare_seats]
    if new_spares:
        taken = ", ".join(f"{s} ({sitting[s]})" for s in new_spares[:10])
        raise RoomConflict(f"Chỗ đang có thí sinh ngồi không thể là chỗ dự phòng: {taken}.",
                           f"a seat a candidate sits in cannot be a spare: {taken}")
    if db.scalar(select(ExamRoom.id).where(ExamRoom.exam_session_id == room.exam_session_id,
                                           ExamRoom.name == name, ExamRoom.id != room.id)):
        raise _name_taken(name)
    room.name, room.rows, room.columns, room.spare_seats = name, rows, columns, spares
    db.flush()  # two renames racing to one name: the unique constraint answers the loser (409)
    return room


def _checked_room(name: str, rows: int, columns: int,
                  spare_seats: str | Sequence[str]) -> tuple[str, list[str]]:
    name = nfc(name or "")
    if not name or len(name) > 100:
        raise RoomInputError("Trường 'name': hãy nhập tên phòng thi (tối đa 100 ký tự).",
                             "field name: give the room a name (at most 100 characters)")
    check_range("rows", rows, 1, MAX_ROWS)
    check_range("columns", columns, 1, MAX_COLUMNS)
    spares = sorted(parse_seats(spare_seats, rows, columns, "spare_seats"), key=seat_key)
    if len(spares) >= rows * columns:
        raise RoomInputError("Trường 'spare_seats': phải còn ít nhất một chỗ không dự phòng.",
                             "field spare_seats: at least one seat must not be a spare")
    return name, spares


def _flush_unique_name(db: Session, room: ExamRoom) -> None:
    try:
        with db.begin_nested():
            db.add(room)
    except IntegrityError:
        raise _name_taken(room.name) from None


def _name_taken(name: str) -> RoomConflict:
    return RoomConflict(f"Ca thi đã có phòng tên «{name}».",
                        f"the session already has a room named {name!r}")


def proctor_users(db: Session) -> list[User]:
    """Who may be assigned to rooms: active users with the proctor role."""
    return list(db.scalars(select(User).where(User.role == Role.PROCTOR, User.active.is_(True))
                           .order_by(User.full_name, User.username)))


def room_proctor_ids(db: Session, room_id: int) -> list[int]:
    return list(db.scalars(select(RoomProctor.user_id).where(RoomProctor.room_id == room_id)
                           .order_by(RoomProctor.user_id)))


def set_room_proctors(db: Session, room_id: int, user_ids: Iterable[int], *, actor_id: int,
                      now: datetime, idempotency_key: str | None = None) -> list[int]:
    """Make ``user_ids`` the room's proctors (users with the proctor role, none of them in
    another room of the session); one ASSIGN_PROCTOR action names who came and who went.
    Returns the room's proctors. Fewer than the setting asks is allowed (a page warns)."""
    room = get_room(db, room_id)
    _editable_session(db, room.exam_session_id)  # locks the session: assignments queue
    if earlier_action(db, idempotency_key) is not None:
        return room_proctor_ids(db, room_id)
    wanted = sorted(set(user_ids))
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(wanted)))}
    wrong = [str(i) for i in wanted if i not in users or users[i].role is not Role.PROCTOR
             or not users[i].active]
    if wrong:
        raise RoomInputError(
            f"Trường 'proctor_ids': {', '.join(wrong)} không phải giám thị đang hoạt động.",
            f"field proctor_ids: {', '.join(wrong)} are not active proctors")
    elsewhere = db.execute(
        select(User.full_name, ExamRoom.name).join(RoomProctor, RoomProctor.user_id == User.id)
        .join(ExamRoom, ExamRoom.id == RoomProctor.room_id)
        .where(ExamRoom.exam_session_id == room.exam_session_id, ExamRoom.id != room.id,
               User.id.in_(wanted))).all()
    if elsewhere:
        busy = ", ".join(f"{person} ({other})" for person, other in elsewhere)
        raise RoomConflict(f"Giám thị đã được phân công phòng khác của ca thi: {busy}.",
                           f"proctors already assigned to another room of the session: {busy}")
    current = set(room_proctor_ids(db, room_id))
    added, removed = sorted(set(wanted) - current), sorted(current - set(wanted))
    if not added and not removed:
        return wanted
    record_action(db, session_id=room.exam_session_id, kind=ActionKind.ASSIGN_PROCTOR,
                  actor_id=actor_id, at=now, room_id=room.id, idempotency_key=idempotency_key,
                  detail={"added": added, "removed": removed,
                          "proctors": [users[i].username for i in wanted]})
    if removed:
        db.execute(delete(RoomProctor).where(RoomProctor.room_id == room.id,
                                             RoomProctor.user_id.in_(removed)))
    db.add_all(RoomProctor(room_id=room.id, user_id=i, assigned_at=now) for i in added)
    db.flush()
    return wanted


# ---- seat assignment --------------------------------------------------------------------------

def assign_seats_automatically(db: Session, session_id: int, *, actor_id: int, now: datetime,
                               idempotency_key: str | None = None) -> int:
    """Seat every candidate who has none, in roster order (số báo danh), into the free seats
    that are not spares, room by room. All or nothing: when the seats run out nobody is
    seated and the refusal says how many are missing. Returns how many were seated."""
    session = _editable_session(db, session_id)
    if earlier_action(db, idempotency_key) is not None:
        return 0
    rooms = rooms_of(db, session.id)
    if not rooms:
        raise RoomConflict("Ca thi chưa có phòng thi: hãy tạo phòng trước khi xếp chỗ.",
                           "the session has no room yet: create rooms before seating")
    seated = set(db.scalars(select(SeatAssignment.candidate_id).join(
        Candidate, Candidate.id == SeatAssignment.candidate_id)
        .where(Candidate.exam_session_id == session.id)))
    waiting = [c for c in db.scalars(select(Candidate).where(
        Candidate.exam_session_id == session.id).order_by(Candidate.candidate_number))
        if c.id not in seated]
    taken = {(room_id, seat) for room_id, seat in db.execute(
        select(SeatAssignment.room_id, SeatAssignment.seat)
        .where(SeatAssignment.room_id.in_([r.id for r in rooms])))}
    free = [(room, seat) for room in rooms for seat in seat_labels(room.rows, room.columns)
            if seat not in room.spare_seats and (room.id, seat) not in taken]
    if len(waiting) > len(free):
        raise RoomConflict(
            f"Không đủ chỗ ngồi: {len(waiting)} thí sinh chưa có chỗ nhưng chỉ còn {len(free)} "
            f"chỗ trống (không tính chỗ dự phòng). Hãy thêm phòng hoặc mở rộng sơ đồ; "
            "chưa xếp chỗ cho ai.",
            f"not enough seats: {len(waiting)} candidates without a seat but only {len(free)} "
            "free seats (spares not counted); add rooms or enlarge a map. Nobody was seated.")
    for n, (candidate, (room, seat)) in enumerate(zip(waiting, free, strict=False)):
        record_action(db, session_id=session.id, kind=ActionKind.ASSIGN_SEAT,
                      actor_id=actor_id, at=now, room_id=room.id, candidate_id=candidate.id,
                      detail={"room": room.name, "seat": seat, "automatic": True},
                      idempotency_key=idempotency_key if n == 0 else None)
        db.add(SeatAssignment(candidate_id=candidate.id, room_id=room.id, seat=seat,
                              assigned_at=now))
    db.flush()
    return len(waiting)


def assign_seat(db: Session, candidate_id: int, room_id: int, seat: str, *, actor_id: int,
                now: datetime, reason: str = "",
                idempotency_key: str | None = None) -> SeatAssignment:
    """Seat one candidate by hand in a free seat (a spare too) of a room of his session,
    before he starts (afterwards a move is the live room's action)."""
    candidate = db.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"Không có thí sinh số {candidate_id}.", f"no candidate {candidate_id}")
    room = get_room(db, room_id)
    if room.exam_session_id != candidate.exam_session_id:
        raise RoomInputError(f"Trường 'room_id': phòng «{room.name}» không thuộc ca thi của "
                             f"thí sinh {candidate.candidate_number}.",
                             f"field room_id: room {room.name!r} is not in the candidate's "
                             "session")
    _editable_session(db, room.exam_session_id)
    label = parse_seats([seat], room.rows, room.columns, "seat")
    if not label:
        raise RoomInputError("Trường 'seat': hãy nhập chỗ ngồi (ví dụ A1).",
                             "field seat: give a seat (A1, say)")
    if candidate.attempt is not None and candidate.attempt.status is not AttemptStatus.ASSIGNED:
        raise RoomConflict(f"Thí sinh {candidate.candidate_number} đã bắt đầu làm bài: hãy dùng "
                           "thao tác chuyển chỗ trong phòng thi.",
                           f"candidate {candidate.candidate_number} has started: use the live "
                           "room's move instead")
    current = db.get(SeatAssignment, candidate.id)
    if current is not None and (current.room_id, current.seat) == (room.id, label[0]):
        return current
    if earlier_action(db, idempotency_key) is not None:
        return current or db.get(SeatAssignment, candidate.id)  # type: ignore[return-value]
    occupant = db.scalar(select(Candidate.candidate_number).join(
        SeatAssignment, SeatAssignment.candidate_id == Candidate.id)
        .where(SeatAssignment.room_id == room.id, SeatAssignment.seat == label[0]))
    if occupant is not None:
        raise _seat_taken(room, label[0], occupant)
    record_action(db, session_id=room.exam_session_id, kind=ActionKind.ASSIGN_SEAT,
                  actor_id=actor_id, at=now, room_id=room.id, candidate_id=candidate.id,
                  reason=clean_reason(reason, required=False), idempotency_key=idempotency_key,
                  detail={"room": room.name, "seat": label[0], "automatic": False})
    try:
        with db.begin_nested():
            if current is None:
                current = SeatAssignment(candidate_id=candidate.id, room_id=room.id,
                                         seat=label[0], assigned_at=now)
                db.add(current)
            else:
                current.room_id, current.seat, current.assigned_at = room.id, label[0], now
    except IntegrityError:  # another click took the seat first: the constraint decides
        raise _seat_taken(room, label[0], "?") from None
    return current


def _seat_taken(room: ExamRoom, seat: str, occupant: str) -> RoomConflict:
    return RoomConflict(f"Chỗ {seat} phòng «{room.name}» đã có thí sinh {occupant} ngồi.",
                        f"seat {seat} of room {room.name!r} is taken by {occupant}")


# ---- the setup page's picture of a session ------------------------------------------------------

@dataclass(frozen=True)
class RoomOverview:
    room: ExamRoom
    proctors: list[User]
    proctors_missing: int            # how many more the setting asks for (0: enough)
    seat_rows: list[list[tuple[str, bool, str | None]]]   # (seat, spare, số báo danh)
    attendance: list[AttendanceRow]
    counts: dict[Mark, int]


def room_overviews(db: Session, session_id: int, now: datetime) -> list[RoomOverview]:
    wanted = settings_for(db, session_id).proctors_per_room
    overviews = []
    for room in rooms_of(db, session_id):
        proctors = list(db.scalars(select(User).join(RoomProctor, RoomProctor.user_id == User.id)
                                   .where(RoomProctor.room_id == room.id)
                                   .order_by(User.full_name)))
        sitting = {seat: c.candidate_number for c, seat in room_candidates(db, room.id)}
        labels = seat_labels(room.rows, room.columns)
        seat_rows = [[(s, s in room.spare_seats, sitting.get(s))
                      for s in labels[r * room.columns:(r + 1) * room.columns]]
                     for r in range(room.rows)]
        marks = attendance(db, room.id, now)
        overviews.append(RoomOverview(room, proctors, max(0, wanted - len(proctors)), seat_rows,
                                      marks, attendance_counts(marks)))
    return overviews


def seats_by_candidate(db: Session, session_id: int) -> dict[int, tuple[ExamRoom, str]]:
    """Every seated candidate of the session: his room and seat (one query)."""
    rows = db.execute(select(SeatAssignment.candidate_id, ExamRoom, SeatAssignment.seat)
                      .join(ExamRoom, ExamRoom.id == SeatAssignment.room_id)
                      .where(ExamRoom.exam_session_id == session_id)).all()
    return {cid: (room, seat) for cid, room, seat in rows}


# ---- shared checks -----------------------------------------------------------------------------

def _editable_session(db: Session, session_id: int) -> ExamSession:
    """The session, locked, while its rooms may still change (not once it is closed)."""
    session = lock_session(db, session_id)
    if session is None:
        raise NotFound(f"Không có ca thi số {session_id}.", f"no exam session {session_id}")
    if session.status not in (SessionStatus.DRAFT, SessionStatus.SCHEDULED):
        raise RoomConflict("Ca thi đã kết thúc: phòng thi, giám thị và chỗ ngồi không thay đổi "
                           "được nữa.", "the session is closed: its rooms, proctors and seats "
                           "can no longer change")
    return session


