"""The proctors' actions on candidates and rooms (issue 11): pause and resume one candidate or
a whole room, extra time, force-submit, move to another seat or computer.

Every action
- needs a reason (``audit.clean_reason``) and writes one ``ProctorAction`` in the room's
  append-only log, after the targets are locked and before anything changes (``record_action``);
- acts once per idempotency key: a repeat of the key (a double click, a retried request, two
  tabs) returns the first action's row as ``repeated`` and changes nothing;
- is allowed by ``permissions.may_invigilate`` for the candidate's room (his
  ``SeatAssignment``; a session without rooms: None) — and, for a move, the room he goes to.
A refusal raises an ``ExamError`` (4xx): the caller's unit of work rolls back the audit row
with everything else. The clock itself is the exam's (``exam_engine.exams.clock``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.exams import clock
from exam_engine.exams.delivery import get_attempt
from exam_engine.exams.errors import ExamClosed, ExamError, NotFound
from exam_engine.exams.models import Attempt, Candidate
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.accounts import User
from exam_engine.kernel.login_sessions import (
    ENDED_MOVED,
    MAX_AGE,
    LoginSession,
    end_attempt_login_sessions,
)
from exam_engine.kernel.text import nfc
from proctor.audit import clean_reason, earlier_action, history, record_action
from proctor.models import ActionKind, ExamRoom, ProctorAction, SeatAssignment
from proctor.permissions import may_invigilate

MAX_EXTRA_MINUTES = clock.MAX_GRANT_SECONDS // 60


class NotInvigilator(ExamError):
    """The user may not act on this room (``permissions.may_invigilate``)."""

    http_status = 403


class KeyUsedElsewhere(ExamError):
    """An idempotency key sent again with another action or target: a client's bug."""

    http_status = 409


class InvalidSeat(ExamError):
    http_status = 422


class SeatTaken(ExamError):
    http_status = 409


@dataclass(frozen=True)
class ActionDone:
    """The audit row of the action, whether it was a repeat of an earlier request with the
    same key (nothing done again), and the attempts it acted on (for the caller's answer)."""

    action: ProctorAction
    repeated: bool = False
    attempts: tuple[Attempt, ...] = field(default=())


def actor_label(user: User) -> str:
    """How the exam's attempt history names a proctor (``AttemptEvent.actor``)."""
    return f"user:{user.id}"


def room_of(db: Session, candidate_id: int) -> int | None:
    """The room the candidate sits in now (None: not seated, or a session without rooms)."""
    return db.scalar(select(SeatAssignment.room_id)
                     .where(SeatAssignment.candidate_id == candidate_id))


def authorise(db: Session, user: User, room_id: int | None) -> None:
    if not may_invigilate(db, user, room_id):
        raise NotInvigilator("Bạn không coi thi phòng này nên không thực hiện được thao tác.",
                             "you do not invigilate this room")


def live_login_count(db: Session, attempt_id: int, now: datetime) -> int:
    """How many browsers hold a live login of this attempt (not ended, younger than MAX_AGE)."""
    return db.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.attempt_id == attempt_id, LoginSession.ended_at.is_(None),
        LoginSession.created_at > now - MAX_AGE)) or 0


def _repeat(earlier: ProctorAction, kind: ActionKind, *, candidate_id: int | None = None,
            room_id: int | None = None) -> ActionDone:
    """The earlier action of this key — if it was this same action on this same target."""
    same = earlier.kind is kind and (
        earlier.candidate_id == candidate_id if candidate_id is not None
        else earlier.room_id == room_id)
    if not same:
        raise KeyUsedElsewhere(
            "Mã chống gửi lặp (idempotency_key) này đã dùng cho một thao tác khác: hãy tải lại "
            "trang rồi thử lại.",
            "this idempotency_key was already used for another action; reload and try again")
    return ActionDone(earlier, repeated=True)


# ---- one candidate ---------------------------------------------------------------------------

def _on_attempt(db: Session, attempt_id: int, kind: ActionKind, *, actor: User, reason: str,
                now: datetime, idempotency_key: str | None,
                act: Callable[[Attempt], Any], detail: dict[str, Any] | None = None
                ) -> ActionDone:
    """The steps every one-candidate action shares: reason, lock, permission, key, audit, act."""
    attempt = get_attempt(db, attempt_id, lock=True)
    candidate = attempt.candidate
    room_id = room_of(db, candidate.id)
    authorise(db, actor, room_id)
    why = clean_reason(reason)
    earlier = earlier_action(db, idempotency_key)
    if earlier is not None:
        return _repeat(earlier, kind, candidate_id=candidate.id)
    before = attempt.status.value
    row, new = record_action(db, session_id=candidate.exam_session_id, kind=kind,
                             actor_id=actor.id, at=now, reason=why, room_id=room_id,
                             candidate_id=candidate.id, idempotency_key=idempotency_key,
                             detail={"attempt_id": attempt.id, "status_before": before,
                                     **(detail or {})})
    if not new:
        return _repeat(row, kind, candidate_id=candidate.id)
    act(attempt)
    return ActionDone(row, attempts=(attempt,))


def pause_candidate(db: Session, attempt_id: int, *, actor: User, reason: str, now: datetime,
                    idempotency_key: str | None = None) -> ActionDone:
    """Stop one candidate's clock; a paused one stays paused (the row says so)."""
    return _on_attempt(db, attempt_id, ActionKind.PAUSE, actor=actor, reason=reason, now=now,
                       idempotency_key=idempotency_key,
                       act=lambda a: clock.pause_attempt(db, a.id, now, actor_label(actor)))


def resume_candidate(db: Session, attempt_id: int, *, actor: User, reason: str,
                     now: datetime, idempotency_key: str | None = None) -> ActionDone:
    """Restart one candidate's clock with the time left he had when paused."""
    return _on_attempt(db, attempt_id, ActionKind.RESUME, actor=actor, reason=reason, now=now,
                       idempotency_key=idempotency_key,
                       act=lambda a: clock.resume_attempt(db, a.id, now, actor_label(actor)))


def give_extra_time(db: Session, attempt_id: int, minutes: int, *, actor: User, reason: str,
                    now: datetime, idempotency_key: str | None = None) -> ActionDone:
    """``minutes`` more for the candidate: time given back after an incident, or an
    accommodation that was not entered before the exam."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) \
            or not 1 <= minutes <= MAX_EXTRA_MINUTES:
        raise clock.InvalidExtraTime(
            f"Số phút thêm (minutes) phải là số nguyên từ 1 đến {MAX_EXTRA_MINUTES}.",
            f"minutes must be a whole number from 1 to {MAX_EXTRA_MINUTES}")
    return _on_attempt(db, attempt_id, ActionKind.EXTRA_TIME, actor=actor, reason=reason,
                       now=now, idempotency_key=idempotency_key, detail={"minutes": minutes},
                       act=lambda a: clock.grant_extra_time(db, a.id, minutes * 60, now,
                                                            actor_label(actor)))


def force_submit(db: Session, attempt_id: int, *, actor: User, reason: str, now: datetime,
                 idempotency_key: str | None = None) -> ActionDone:
    """Close and grade the candidate's attempt now (running or paused)."""
    return _on_attempt(db, attempt_id, ActionKind.FORCE_SUBMIT, actor=actor, reason=reason,
                       now=now, idempotency_key=idempotency_key,
                       act=lambda a: clock.force_submit(db, a.id, now, actor_label(actor)))


# ---- a whole room ----------------------------------------------------------------------------

def _room(db: Session, room_id: int) -> ExamRoom:
    room = db.get(ExamRoom, room_id)
    if room is None:
        raise NotFound(f"Không có phòng thi số {room_id}.", f"no exam room {room_id}")
    return room


def _room_attempts(db: Session, room_id: int) -> list[Attempt]:
    """The room's running and paused attempts, locked in id order (no deadlock between two
    room-wide actions) and re-read."""
    return list(db.scalars(
        select(Attempt).join(SeatAssignment, SeatAssignment.candidate_id == Attempt.candidate_id)
        .where(SeatAssignment.room_id == room_id,
               Attempt.status.in_((AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED)))
        .order_by(Attempt.id).with_for_update(of=Attempt)
        .execution_options(populate_existing=True)))


def _on_room(db: Session, room_id: int, kind: ActionKind, each: ActionKind,
             wanted: Callable[[Attempt], bool], act: Callable[[Attempt], Any], *,
             actor: User, reason: str, now: datetime, idempotency_key: str | None
             ) -> ActionDone:
    """One ``kind`` row for the room, then ``act`` and one ``each`` row per wanted attempt."""
    room = _room(db, room_id)
    authorise(db, actor, room.id)
    why = clean_reason(reason)
    earlier = earlier_action(db, idempotency_key)
    if earlier is not None:
        return _repeat(earlier, kind, room_id=room.id)
    targets = [a for a in _room_attempts(db, room.id) if wanted(a)]
    row, new = record_action(db, session_id=room.exam_session_id, kind=kind, actor_id=actor.id,
                             at=now, reason=why, room_id=room.id,
                             idempotency_key=idempotency_key,
                             detail={"attempt_ids": [a.id for a in targets]})
    if not new:
        return _repeat(row, kind, room_id=room.id)
    for attempt in targets:
        act(attempt)
        record_action(db, session_id=room.exam_session_id, kind=each, actor_id=actor.id, at=now,
                      reason=why, room_id=room.id, candidate_id=attempt.candidate_id,
                      detail={"attempt_id": attempt.id, "room_action_id": row.id})
    return ActionDone(row, attempts=tuple(targets))


def pause_room(db: Session, room_id: int, *, actor: User, reason: str, now: datetime,
               idempotency_key: str | None = None) -> ActionDone:
    """Stop the clock of every candidate sitting in the room (a power cut, a fire alarm);
    those already paused stay so, those whose time is up are left to close."""
    return _on_room(db, room_id, ActionKind.PAUSE_ROOM, ActionKind.PAUSE,
                    lambda a: a.status is AttemptStatus.IN_PROGRESS
                    and a.deadline is not None and now < a.deadline,
                    lambda a: clock.pause_attempt(db, a.id, now, actor_label(actor)),
                    actor=actor, reason=reason, now=now, idempotency_key=idempotency_key)


def resume_room(db: Session, room_id: int, *, actor: User, reason: str, now: datetime,
                idempotency_key: str | None = None) -> ActionDone:
    """Restart the clock of every paused candidate of the room."""
    return _on_room(db, room_id, ActionKind.RESUME_ROOM, ActionKind.RESUME,
                    lambda a: a.status is AttemptStatus.PAUSED,
                    lambda a: clock.resume_attempt(db, a.id, now, actor_label(actor)),
                    actor=actor, reason=reason, now=now, idempotency_key=idempotency_key)


# ---- moving a candidate ----------------------------------------------------------------------

_SEAT = re.compile(r"([A-Z]{1,2})0*([1-9][0-9]{0,2})")


def seat_in_room(room: ExamRoom, typed: str) -> str:
    """The seat as the room names it (``b04`` → ``B4``), if the room has it: inside its map
    of ``rows`` × ``columns`` (row letters A…Z, AA…) or one of its spare seats."""
    text = nfc(typed or "").strip().upper().replace(" ", "")
    match = _SEAT.fullmatch(text)
    if match is not None:
        letters, column = match.group(1), int(match.group(2))
        row = 0
        for letter in letters:
            row = row * 26 + ord(letter) - ord("A") + 1
        name = f"{letters}{column}"
        if (row <= room.rows and column <= room.columns) or name in (room.spare_seats or []):
            return name
    raise InvalidSeat(f"Chỗ ngồi (seat) «{text[:10]}» không có trong phòng {room.name}: "
                      f"ghi hàng bằng chữ và cột bằng số, ví dụ B4.",
                      f"seat {text[:10]!r} is not in room {room.name} (a row letter and a "
                      "column number, e.g. B4)")


def move_candidate(db: Session, candidate_id: int, seat: str, *, actor: User, reason: str,
                   now: datetime, room_id: int | None = None,
                   idempotency_key: str | None = None) -> ActionDone:
    """Move the candidate to a free seat of his room or of another room of the session (his
    computer failed): the seat assignment changes, and every login of his attempt ends as
    "moved", so the old computer stops saving and is told why; he logs in at the new seat.

    In a session without rooms ``seat`` names the spare computer, kept in the log only."""
    candidate = db.get(Candidate, candidate_id)
    if candidate is None or candidate.attempt is None:
        raise NotFound(f"Không có bài thi của thí sinh số {candidate_id}.",
                       f"no attempt of candidate {candidate_id}")
    attempt = get_attempt(db, candidate.attempt.id, lock=True)  # one move at a time per candidate
    current = db.scalar(select(SeatAssignment).where(SeatAssignment.candidate_id == candidate.id)
                        .execution_options(populate_existing=True))
    authorise(db, actor, current.room_id if current else None)
    why = clean_reason(reason)
    earlier = earlier_action(db, idempotency_key)
    if earlier is not None:
        return _repeat(earlier, ActionKind.MOVE, candidate_id=candidate.id)
    if attempt.status in (AttemptStatus.SUBMITTED, AttemptStatus.ABSENT):
        raise ExamClosed("Bài thi đã kết thúc: không cần chuyển chỗ.",
                         "the attempt is over; there is nothing to move")
    target_room = _target_room(db, candidate, room_id, current)
    if target_room is not None:
        authorise(db, actor, target_room.id)
        to_seat = seat_in_room(target_room, seat)
        _refuse_occupied(db, candidate, target_room, to_seat)
    else:
        to_seat = nfc(seat or "").strip()[:20]
        if not to_seat:
            raise InvalidSeat("Hãy ghi chỗ ngồi hoặc máy mới (seat).",
                              "give the new seat or computer (seat)")
    detail = {"attempt_id": attempt.id, "from_room_id": current.room_id if current else None,
              "from_seat": current.seat if current else None,
              "to_room_id": target_room.id if target_room else None, "to_seat": to_seat,
              "ended_logins": live_login_count(db, attempt.id, now)}
    row, new = record_action(db, session_id=candidate.exam_session_id, kind=ActionKind.MOVE,
                             actor_id=actor.id, at=now, reason=why,
                             room_id=target_room.id if target_room else None,
                             candidate_id=candidate.id, idempotency_key=idempotency_key,
                             detail=detail)
    if not new:
        return _repeat(row, ActionKind.MOVE, candidate_id=candidate.id)
    if target_room is not None:
        _seat(db, candidate, current, target_room, to_seat, now)
    end_attempt_login_sessions(db, attempt.id, now, reason=ENDED_MOVED)
    return ActionDone(row, attempts=(attempt,))


def _target_room(db: Session, candidate: Candidate, room_id: int | None,
                 current: SeatAssignment | None) -> ExamRoom | None:
    if room_id is None and current is not None:
        return _room(db, current.room_id)
    if room_id is None:
        has_rooms = db.scalar(select(ExamRoom.id).where(
            ExamRoom.exam_session_id == candidate.exam_session_id).limit(1))
        if has_rooms is not None:
            raise InvalidSeat("Thí sinh chưa được xếp phòng: hãy chọn phòng (room_id).",
                              "the candidate has no room yet; choose one (room_id)")
        return None
    room = db.get(ExamRoom, room_id)
    if room is None or room.exam_session_id != candidate.exam_session_id:
        raise InvalidSeat(f"Ca thi của thí sinh không có phòng số {room_id} (room_id).",
                          f"the candidate's session has no room {room_id} (room_id)")
    return room


def _refuse_occupied(db: Session, candidate: Candidate, room: ExamRoom, seat: str) -> None:
    occupant = db.scalar(select(SeatAssignment.candidate_id).where(
        SeatAssignment.room_id == room.id, SeatAssignment.seat == seat))
    if occupant == candidate.id:
        raise SeatTaken(f"Thí sinh đang ngồi ở chỗ {seat} phòng {room.name} rồi.",
                        f"the candidate already sits at {seat} in room {room.name}")
    if occupant is not None:
        raise SeatTaken(f"Chỗ {seat} phòng {room.name} đã có thí sinh khác ngồi.",
                        f"seat {seat} in room {room.name} is taken")


def _seat(db: Session, candidate: Candidate, current: SeatAssignment | None, room: ExamRoom,
          seat: str, now: datetime) -> None:
    """Write the new seat; the unique (room, seat) settles two moves racing to one seat."""
    try:
        with db.begin_nested():
            if current is None:
                db.add(SeatAssignment(candidate_id=candidate.id, room_id=room.id, seat=seat,
                                      assigned_at=now))
            else:
                current.room_id, current.seat, current.assigned_at = room.id, seat, now
    except IntegrityError:
        raise SeatTaken(f"Chỗ {seat} phòng {room.name} vừa có thí sinh khác ngồi.",
                        f"seat {seat} in room {room.name} was just taken") from None


# ---- what the proctor's candidate page shows ------------------------------------------------

@dataclass(frozen=True)
class CandidateDesk:
    """One candidate as the proctor acts on him: his attempt, seat, room, the session's other
    rooms (to move him to) and his log with the names of who acted."""

    candidate: Candidate
    attempt: Attempt | None
    room: ExamRoom | None
    seat: str | None
    other_rooms: list[ExamRoom]
    history: list[ProctorAction]
    actor_names: dict[int, str]


def candidate_desk(db: Session, candidate_id: int, user: User) -> CandidateDesk:
    """The candidate's desk, for a user who may invigilate his room (403 otherwise)."""
    candidate = db.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"Không có thí sinh số {candidate_id}.", f"no candidate {candidate_id}")
    seat = db.get(SeatAssignment, candidate.id)
    authorise(db, user, seat.room_id if seat else None)
    rooms = list(db.scalars(select(ExamRoom)
                            .where(ExamRoom.exam_session_id == candidate.exam_session_id)
                            .order_by(ExamRoom.name)))
    log = history(db, session_id=candidate.exam_session_id, candidate_id=candidate.id, limit=100)
    actors = {a.actor_id for a in log if a.actor_id is not None}
    names = dict(db.execute(select(User.id, User.full_name).where(User.id.in_(actors))).all()) \
        if actors else {}
    return CandidateDesk(candidate, candidate.attempt,
                         next((r for r in rooms if seat and r.id == seat.room_id), None),
                         seat.seat if seat else None,
                         [r for r in rooms if not seat or r.id != seat.room_id], log, names)
