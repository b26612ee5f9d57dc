"""Rooms of a session (phòng thi, issue 11) on the exam day: who sits where, the room's
opening and closing, the late-arrival window, the start gate and attendance (điểm danh).
Setting rooms up (maps, proctors, seats) is ``proctor.room_setup``.

A session with no room keeps the behaviour from before rooms existed: nothing here gates its
starts. Once a session has a room, a candidate starts only from his seat's room, between its
opening and ``late_entry_minutes`` after it (later only with a proctor's ALLOW_LATE), and never
once it is closed; closing marks those of the room who never started absent (vắng thi).

Services flush, never commit; every change is a ``ProctorAction`` (``proctor.audit``), and a
repeat of a form (its one-time key) or a double click acts once.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from exam_engine.exams.errors import ExamError, NotFound
from exam_engine.exams.models import Attempt, Candidate, ExamSession
from exam_engine.exams.states import AttemptStatus, SessionStatus
from exam_engine.exams.transitions import transition
from exam_engine.kernel.accounts import User
from exam_engine.kernel.legal_time import VIETNAM
from exam_engine.kernel.text import nfc
from proctor.audit import clean_reason, earlier_action, record_action
from proctor.models import (
    ActionKind,
    ExamRoom,
    InvigilationSettings,
    ProctorAction,
    SeatAssignment,
)
from proctor.permissions import may_invigilate

MAX_ROWS = 26       # row letters A…Z
MAX_COLUMNS = 40
MAX_MINUTES = 240   # the late window and the on-time margin: at most a sitting's length
MAX_PROCTORS = 10
_SEAT = re.compile(r"^([A-Z])([1-9][0-9]?)$")


# ---- refusals (each names the field or the thing, in Vietnamese and English) --------------------

class RoomInputError(ExamError):
    http_status = 422


class RoomConflict(ExamError):
    """The room, seat or proctor is taken, or the session's state does not allow the change."""

    http_status = 409


class NotYourRoom(ExamError):
    http_status = 403


class StartRefused(ExamError):
    """The start gate: the candidate may not start now (``ensure_may_start``)."""

    http_status = 409


class NoSeat(StartRefused):
    pass


class RoomNotOpen(StartRefused):
    pass


class RoomClosed(StartRefused):
    pass


class TooLate(StartRefused):
    pass


# ---- seats ----------------------------------------------------------------------------------------

def seat_labels(rows: int, columns: int) -> list[str]:
    """Every seat of a map, row by row: A1, A2 … then B1 … (row letter, column number)."""
    return [f"{chr(ord('A') + r)}{c}" for r in range(rows) for c in range(1, columns + 1)]


def seat_key(label: str) -> tuple[int, int]:
    """Sort key of a seat label: by row, then by column as a number (A2 before A10)."""
    match = _SEAT.match(label)
    return (ord(match.group(1)), int(match.group(2))) if match else (999, 999)


def parse_seats(text: str | Iterable[str], rows: int, columns: int, field: str) -> list[str]:
    """Seat labels typed by a person ("a5, B5 c6"), upper-cased, each on the map, no repeats."""
    words = re.split(r"[\s,;]+", text) if isinstance(text, str) else list(text)
    seats = list(dict.fromkeys(nfc(w).upper() for w in words if w and w.strip()))
    on_map = set(seat_labels(rows, columns))
    wrong = [s for s in seats if s not in on_map]
    if wrong:
        last = f"{chr(ord('A') + rows - 1)}{columns}"
        raise RoomInputError(
            f"Trường '{field}': chỗ {', '.join(wrong[:10])} không có trong sơ đồ (A1 … {last}).",
            f"field {field}: seat {', '.join(wrong[:10])} is not on the map (A1 … {last})")
    return seats


def seat_of(db: Session, candidate_id: int) -> tuple[ExamRoom, str] | None:
    """The candidate's room and seat, or None when he has no seat."""
    found = db.execute(select(ExamRoom, SeatAssignment.seat)
                       .join(SeatAssignment, SeatAssignment.room_id == ExamRoom.id)
                       .where(SeatAssignment.candidate_id == candidate_id)).first()
    return (found[0], found[1]) if found else None


def room_candidates(db: Session, room_id: int) -> list[tuple[Candidate, str]]:
    """Who sits in the room, in seat order (A1, A2 … B1 …)."""
    rows = db.execute(select(Candidate, SeatAssignment.seat)
                      .join(SeatAssignment, SeatAssignment.candidate_id == Candidate.id)
                      .where(SeatAssignment.room_id == room_id)
                      .options(selectinload(Candidate.attempt))).all()
    return sorted(((c, s) for c, s in rows), key=lambda pair: seat_key(pair[1]))


def free_seats(db: Session, room_id: int) -> list[str]:
    """Seats of the map nobody sits in, spares included (``room.spare_seats`` tells them)."""
    room = get_room(db, room_id)
    taken = set(db.scalars(select(SeatAssignment.seat).where(SeatAssignment.room_id == room_id)))
    return [s for s in seat_labels(room.rows, room.columns) if s not in taken]


def session_has_rooms(db: Session, session_id: int) -> bool:
    return db.scalar(select(ExamRoom.id).where(ExamRoom.exam_session_id == session_id)
                     .limit(1)) is not None


def rooms_of(db: Session, session_id: int) -> list[ExamRoom]:
    return list(db.scalars(select(ExamRoom).where(ExamRoom.exam_session_id == session_id)
                           .order_by(ExamRoom.id)))


# ---- settings -------------------------------------------------------------------------------------

def settings_for(db: Session, session_id: int) -> InvigilationSettings:
    """The session's settings: its row, or (not added) the defaults when none was saved."""
    row = db.get(InvigilationSettings, session_id)
    return row or InvigilationSettings(exam_session_id=session_id, proctors_per_room=2,
                                       late_entry_minutes=15, on_time_minutes=5,
                                       require_fullscreen=False)


# ---- the day: opening, closing, the late window ---------------------------------------------

def open_room(db: Session, room_id: int, actor_id: int, now: datetime, reason: str = "",
              idempotency_key: str | None = None) -> ExamRoom:
    """Open the room: its candidates may start from now on. Opening an open room (a double
    click, two proctors at once) changes nothing and writes nothing."""
    room = get_room(db, room_id)
    _require_invigilator(db, actor_id, room.id)
    reason = clean_reason(reason, required=False)
    if earlier_action(db, idempotency_key) is not None:
        return room
    room = lock_room(db, room_id)
    if room.closed_at is not None:
        raise RoomConflict(f"Phòng thi «{room.name}» đã đóng: không mở lại được.",
                           f"room {room.name!r} is closed and cannot reopen")
    if room.opened_at is not None:
        return room
    session = db.get(ExamSession, room.exam_session_id)
    if session is None or session.status is not SessionStatus.SCHEDULED:
        raise RoomConflict("Chỉ mở phòng khi ca thi đã xếp đề và chưa kết thúc.",
                           "a room opens only while its session is scheduled (not closed)")
    record_action(db, session_id=room.exam_session_id, kind=ActionKind.OPEN_ROOM,
                  actor_id=actor_id, at=now, room_id=room.id, reason=reason,
                  idempotency_key=idempotency_key)
    room.opened_at, room.opened_by = now, actor_id
    db.flush()
    return room


def close_room(db: Session, room_id: int, actor_id: int, now: datetime, reason: str = "",
               idempotency_key: str | None = None) -> int:
    """Close the room: nobody of it may start any more, and those of it who never started
    are marked absent (their attempts locked, as ``sitting.close_sitting`` does for the whole
    session: a start that won the race is in progress and kept). Returns how many were marked
    absent; closing a closed room changes nothing."""
    room = get_room(db, room_id)
    _require_invigilator(db, actor_id, room.id)
    reason = clean_reason(reason, required=False)
    if earlier_action(db, idempotency_key) is not None:
        return 0
    room = lock_room(db, room_id)
    if room.closed_at is not None:
        return 0
    if room.opened_at is None:
        raise RoomConflict(f"Phòng thi «{room.name}» chưa mở: mở phòng trước khi đóng.",
                           f"room {room.name!r} has not been opened; open it before closing")
    never_started = db.scalars(
        select(Attempt).join(SeatAssignment, SeatAssignment.candidate_id == Attempt.candidate_id)
        .where(SeatAssignment.room_id == room.id, Attempt.status == AttemptStatus.ASSIGNED)
        .order_by(Attempt.id)
        .with_for_update(of=Attempt).execution_options(populate_existing=True)).all()
    record_action(db, session_id=room.exam_session_id, kind=ActionKind.CLOSE_ROOM,
                  actor_id=actor_id, at=now, room_id=room.id, reason=reason,
                  idempotency_key=idempotency_key,
                  detail={"absent": [a.candidate_id for a in never_started]})
    room.closed_at, room.closed_by = now, actor_id
    for attempt in never_started:
        transition(db, attempt, AttemptStatus.ABSENT, actor=f"user:{actor_id}", at=now,
                   detail=f"never started before room {room.name} closed")
    db.flush()
    return len(never_started)


def allow_late(db: Session, candidate_id: int, actor_id: int, now: datetime, reason: str,
               idempotency_key: str | None = None) -> ProctorAction:
    """A proctor's leave for one candidate to start after the late window (a reason is
    required). Returns the leave; a candidate already allowed keeps his first one."""
    candidate = db.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"Không có thí sinh số {candidate_id}.", f"no candidate {candidate_id}")
    placed = seat_of(db, candidate.id)
    _require_invigilator(db, actor_id, placed[0].id if placed else None)
    reason = clean_reason(reason)
    earlier = earlier_action(db, idempotency_key)
    if earlier is not None:
        return earlier
    number = candidate.candidate_number
    if placed is None:
        raise RoomConflict(f"Thí sinh {number} chưa có chỗ ngồi trong phòng thi nào: không có "
                           "giờ vào muộn để cho phép.",
                           f"candidate {number} has no seat in a room: there is no late window "
                           "to lift")
    room = placed[0]
    if room.closed_at is not None:
        raise RoomConflict(f"Phòng thi «{room.name}» đã đóng.", f"room {room.name!r} is closed")
    if candidate.attempt is None or candidate.attempt.status is not AttemptStatus.ASSIGNED:
        raise RoomConflict(f"Thí sinh {number} không còn chờ bắt đầu làm bài (đã bắt đầu, "
                           "đã nộp hoặc vắng thi).", f"candidate {number} is not waiting to "
                           "start (started, submitted or absent)")
    given = _late_leave(db, candidate.id)
    if given is not None:
        return given
    row, _ = record_action(db, session_id=room.exam_session_id, kind=ActionKind.ALLOW_LATE,
                           actor_id=actor_id, at=now, reason=reason, room_id=room.id,
                           candidate_id=candidate.id, idempotency_key=idempotency_key)
    db.flush()
    return row


def _late_leave(db: Session, candidate_id: int) -> ProctorAction | None:
    return db.scalar(select(ProctorAction).where(ProctorAction.candidate_id == candidate_id,
                                                 ProctorAction.kind == ActionKind.ALLOW_LATE)
                     .order_by(ProctorAction.id).limit(1))


def ensure_may_start(db: Session, attempt: Attempt, now: datetime) -> None:
    """The room's gate on a first start; raises a ``StartRefused`` saying why. Passes when the
    attempt has started already (resuming is never gated) and when the session has no room."""
    if attempt.status is not AttemptStatus.ASSIGNED:
        return
    candidate = attempt.candidate
    if not session_has_rooms(db, candidate.exam_session_id):
        return
    number = candidate.candidate_number
    placed = seat_of(db, candidate.id)
    if placed is None:
        raise NoSeat(f"Thí sinh {number} chưa được xếp chỗ trong phòng thi nào. Hãy báo cán bộ "
                     "coi thi.", f"candidate {number} has no seat in any room of this session; "
                     "call the invigilator")
    room, _seat = placed
    if room.closed_at is not None:
        raise RoomClosed(f"Phòng thi «{room.name}» đã đóng: không thể bắt đầu làm bài.",
                         f"room {room.name!r} is closed: no attempt may start")
    if room.opened_at is None:
        raise RoomNotOpen(f"Phòng thi «{room.name}» chưa mở. Hãy chờ cán bộ coi thi mở phòng "
                          "rồi bắt đầu làm bài.", f"room {room.name!r} is not open yet; wait "
                          "until the invigilator opens it")
    minutes = settings_for(db, candidate.exam_session_id).late_entry_minutes
    if now > room.opened_at + timedelta(minutes=minutes) and _late_leave(db, candidate.id) is None:
        opened = room.opened_at.astimezone(VIETNAM).strftime("%H:%M")
        raise TooLate(f"Đã quá {minutes} phút kể từ khi phòng thi «{room.name}» mở lúc {opened}: "
                      "chỉ được vào thi khi cán bộ coi thi cho phép.",
                      f"more than {minutes} minutes have passed since room {room.name!r} opened "
                      f"at {opened} (Vietnam time); only an invigilator can let you start")


# ---- attendance (điểm danh) ---------------------------------------------------------------------

class Mark(enum.StrEnum):
    PRESENT = "present"   # started within on_time_minutes of the opening
    LATE = "late"         # started later
    ABSENT = "absent"     # never started before his room (or the session) closed
    NOT_YET = "not_yet"   # not started yet


MARK_VI = {Mark.PRESENT: "Có mặt", Mark.LATE: "Muộn", Mark.ABSENT: "Vắng",
           Mark.NOT_YET: "Chưa vào"}


@dataclass(frozen=True)
class AttendanceRow:
    candidate_id: int
    candidate_number: str
    full_name: str
    date_of_birth: date
    seat: str
    mark: Mark
    started_at: datetime | None
    allowed_late: bool
    window_over: bool     # not started, and the late window has passed without a leave


def attendance(db: Session, room_id: int, now: datetime) -> list[AttendanceRow]:
    """Each candidate of the room, in seat order, with his attendance mark."""
    room = get_room(db, room_id)
    settings = settings_for(db, room.exam_session_id)
    on_time = timedelta(minutes=settings.on_time_minutes)
    window_end = (room.opened_at + timedelta(minutes=settings.late_entry_minutes)
                  if room.opened_at else None)
    leaves = set(db.scalars(select(ProctorAction.candidate_id).where(
        ProctorAction.room_id == room.id, ProctorAction.kind == ActionKind.ALLOW_LATE)))
    rows = []
    for candidate, seat in room_candidates(db, room.id):
        attempt = candidate.attempt
        started = attempt.started_at if attempt is not None else None
        if attempt is not None and attempt.status is AttemptStatus.ABSENT:
            mark = Mark.ABSENT
        elif started is None:
            mark = Mark.NOT_YET
        elif room.opened_at is None or started <= room.opened_at + on_time:
            mark = Mark.PRESENT
        else:
            mark = Mark.LATE
        over = (mark is Mark.NOT_YET and window_end is not None and now > window_end
                and candidate.id not in leaves)
        rows.append(AttendanceRow(candidate.id, candidate.candidate_number, candidate.full_name,
                                  candidate.date_of_birth, seat, mark, started,
                                  candidate.id in leaves, over))
    return rows


def attendance_counts(rows: Iterable[AttendanceRow]) -> dict[Mark, int]:
    counts = dict.fromkeys(Mark, 0)
    for row in rows:
        counts[row.mark] += 1
    return counts


# ---- shared checks -----------------------------------------------------------------------------

def get_room(db: Session, room_id: int) -> ExamRoom:
    room = db.get(ExamRoom, room_id)
    if room is None:
        raise NotFound(f"Không có phòng thi số {room_id}.", f"no exam room {room_id}")
    return room


def lock_room(db: Session, room_id: int) -> ExamRoom:
    """The room row locked for this unit of work and re-read (a change committed meanwhile is
    seen): two proctors' clicks queue here (PostgreSQL; SQLite writers queue anyway)."""
    room = db.scalar(select(ExamRoom).where(ExamRoom.id == room_id).with_for_update()
                     .execution_options(populate_existing=True))
    if room is None:
        raise NotFound(f"Không có phòng thi số {room_id}.", f"no exam room {room_id}")
    return room


def _require_invigilator(db: Session, actor_id: int, room_id: int | None) -> None:
    user = db.get(User, actor_id)
    if user is None or not user.active or not may_invigilate(db, user, room_id):
        raise NotYourRoom("Bạn không coi thi phòng này.", "you do not invigilate this room")


def check_range(field: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RoomInputError(f"Trường '{field}': phải là số nguyên từ {low} đến {high}.",
                             f"field {field}: a whole number from {low} to {high}")
