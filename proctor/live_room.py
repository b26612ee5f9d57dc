"""The live room (issue 11): what a proctor sees of his room, and staff of a whole session.

``room_snapshot`` is polled every 2 s by both proctors of every room, so it costs a fixed
number of queries whatever the room's size (no query per candidate) and returns plain JSON-
ready data; the web layer adds the URLs. A candidate's state is one of ``STATES``:

- not_arrived: assigned, nothing else (no waiting login, not started);
- waiting: his latest login waits for a proctor (admission, or a second login to be moved);
- sitting / disconnected: in progress, last contact within ``CONTACT_TIMEOUT`` or not (with
  no contact at all, the clock of that timeout starts at his start);
- paused, submitted, absent: the attempt's status.

Last contact is the latest of the browser's presence row (written by the events endpoint) and
his latest acknowledged answer save: both prove the page is alive.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.orm import Session

from exam_engine.exams.delivery import seconds_left
from exam_engine.exams.errors import NotFound
from exam_engine.exams.models import Answer, Attempt, AttemptItem, Candidate, ExamSession
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.accounts import User
from proctor.audit import history
from proctor.events import FLAGGED_KINDS
from proctor.models import (
    Accommodation,
    Admission,
    AdmissionRequest,
    AttemptPresence,
    CandidatePhoto,
    ExamEvent,
    ExamRoom,
    RoomProctor,
    SeatAssignment,
)
from proctor.rooms import seat_labels

STATES = ("not_arrived", "waiting", "sitting", "disconnected", "paused", "submitted", "absent")
CONTACT_TIMEOUT = timedelta(seconds=30)
EVENTS_PER_CANDIDATE = 5
ROOM_FEED = 15          # the room's latest flagged events across its candidates
HISTORY_LIMIT = 50      # the room's latest actions in a snapshot (the full log has its own page)
DETAIL_MAX_CHARS = 300  # an event's detail is shown only when short (it comes from a browser)
# ``answers.selected`` of a question left blank, as the JSON column stores it
_BLANK_JSON = ("[]", "{}", '""', "null")


def candidate_state(status: AttemptStatus | None, *, started_at: datetime | None,
                    last_contact: datetime | None, waits: bool, now: datetime) -> str:
    """One candidate's state in the room (see the module's docstring)."""
    if status in (None, AttemptStatus.ASSIGNED):
        return "waiting" if waits else "not_arrived"
    if status is AttemptStatus.IN_PROGRESS:
        if waits:
            return "waiting"
        heard = max((t for t in (last_contact, started_at) if t is not None), default=None)
        return "sitting" if heard is not None and now - heard <= CONTACT_TIMEOUT else "disconnected"
    return status.value


def room_snapshot(db: Session, room_id: int, now: datetime) -> dict[str, Any]:
    """The room's seat map and every seated candidate's live state, counts per state, the
    room's proctors and its latest history (newest first). Raises ``NotFound``."""
    found = db.execute(select(ExamRoom, ExamSession)
                       .join(ExamSession, ExamSession.id == ExamRoom.exam_session_id)
                       .where(ExamRoom.id == room_id)).first()
    if found is None:
        raise NotFound(f"Không có phòng thi số {room_id}.", f"no exam room {room_id}")
    room, session = found
    rows = db.execute(
        select(SeatAssignment.seat, Candidate, Attempt, AttemptPresence, Accommodation,
               CandidatePhoto.sha256)
        .join(Candidate, Candidate.id == SeatAssignment.candidate_id)
        .outerjoin(Attempt, Attempt.candidate_id == Candidate.id)
        .outerjoin(AttemptPresence, AttemptPresence.attempt_id == Attempt.id)
        .outerjoin(Accommodation, Accommodation.candidate_id == Candidate.id)
        .outerjoin(CandidatePhoto, CandidatePhoto.candidate_id == Candidate.id)
        .where(SeatAssignment.room_id == room.id)).all()
    attempt_ids = (select(Attempt.id)
                   .join(SeatAssignment, SeatAssignment.candidate_id == Attempt.candidate_id)
                   .where(SeatAssignment.room_id == room.id))
    answered, saved_last = _answers(db, attempt_ids)
    facts = _Facts(
        answered=answered, saved_last=saved_last,
        totals=dict(db.execute(select(AttemptItem.attempt_id, func.count())
                               .where(AttemptItem.attempt_id.in_(attempt_ids))
                               .group_by(AttemptItem.attempt_id)).all()),
        requests=_latest_requests(db, attempt_ids), events=_flagged_events(db, attempt_ids))
    candidates = sorted((_candidate_entry(*row, facts=facts, now=now) for row in rows),
                        key=lambda c: c["number"])
    seats, off_grid = _seat_map(room, candidates)
    feed = sorted((dict(e, candidate_id=c["id"], number=c["number"], seat=c["seat"])
                   for c in candidates for e in c["events"]),
                  key=lambda e: e["at"], reverse=True)[:ROOM_FEED]
    actions = history(db, session_id=session.id, room_id=room.id, limit=HISTORY_LIMIT)
    names = _user_names(db, {a.actor_id for a in actions} | {room.opened_by, room.closed_by})
    numbers = _candidate_numbers(db, {a.candidate_id for a in actions}, candidates)
    return {
        "now": _iso(now),
        "room": {
            "id": room.id, "name": room.name, "rows": room.rows, "columns": room.columns,
            "state": _room_state(room), "opened_at": _iso(room.opened_at),
            "opened_by": names.get(room.opened_by), "closed_at": _iso(room.closed_at),
            "closed_by": names.get(room.closed_by),
        },
        "session": {"id": session.id, "title": session.title, "status": session.status.value,
                    "duration_minutes": session.duration_minutes},
        "seats": seats,
        "off_grid": off_grid,
        "candidates": candidates,
        "counts": _counts(c["state"] for c in candidates),
        "events": feed,
        "proctors": _proctors(db, [room.id]).get(room.id, []),
        "session_rooms": [{"id": i, "name": n} for i, n in db.execute(
            select(ExamRoom.id, ExamRoom.name).where(ExamRoom.exam_session_id == session.id)
            .order_by(ExamRoom.name)).all()],
        "history": [{
            "id": a.id, "at": _iso(a.at), "kind": a.kind.value, "reason": a.reason,
            "actor": names.get(a.actor_id), "candidate_id": a.candidate_id,
            "number": numbers.get(a.candidate_id), "detail": a.detail or {},
        } for a in actions],
    }


@dataclass(frozen=True)
class _Facts:
    """What the room's few queries found, by attempt id."""

    answered: dict[int, int]
    saved_last: dict[int, datetime]
    totals: dict[int, int]
    requests: dict[int, dict[str, Any]]
    events: tuple[dict[int, list[dict[str, Any]]], dict[int, int]]


def _candidate_entry(seat: str, candidate: Candidate, attempt: Attempt | None,
                     presence: AttemptPresence | None, accommodation: Accommodation | None,
                     photo_sha: str | None, *, facts: _Facts, now: datetime) -> dict[str, Any]:
    """One seated candidate as the live room shows him."""
    attempt_id = attempt.id if attempt is not None else None
    started_at = attempt.started_at if attempt is not None else None
    last_contact = _latest(presence.last_seen_at if presence else None,
                           facts.saved_last.get(attempt_id))
    request = facts.requests.get(attempt_id)
    waits = request is not None and request["admitted_at"] is None
    status = attempt.status if attempt is not None else None
    events, event_counts = facts.events
    return {
        "id": candidate.id, "attempt_id": attempt_id, "seat": seat,
        "number": candidate.candidate_number, "name": candidate.full_name,
        "state": candidate_state(status, started_at=started_at, last_contact=last_contact,
                                 waits=waits, now=now),
        "status": status.value if status else None,
        "answered": facts.answered.get(attempt_id, 0), "total": facts.totals.get(attempt_id, 0),
        "seconds_left": _time_left(attempt, now),
        "extra_seconds": attempt.extra_seconds if attempt is not None else 0,
        "started_at": _iso(started_at),
        "submitted_at": _iso(attempt.submitted_at if attempt is not None else None),
        "last_contact_at": _iso(last_contact),
        "seconds_since_contact": (None if last_contact is None
                                  else max(0, int((now - last_contact).total_seconds()))),
        "ip": presence.remote_addr if presence else None,
        "device": presence.user_agent if presence else None,
        "clock_skew_ms": presence.clock_skew_ms if presence else None,
        "accommodation": _accommodation(accommodation),
        "has_photo": photo_sha is not None, "photo_version": (photo_sha or "")[:12],
        "waiting": ({k: v for k, v in request.items() if k != "admitted_at"}
                    if request is not None and waits else None),
        "admitted_at": _iso(request["admitted_at"]) if request else None,
        "events": events.get(attempt_id, []),
        "flagged_count": event_counts.get(attempt_id, 0),
    }


def _seat_map(room: ExamRoom, candidates: list[dict[str, Any]]
              ) -> tuple[list[list[dict[str, Any]]], list[int]]:
    """The rows of seats (spares marked, who sits where) and the candidates seated at a seat
    the map does not have (the map was made smaller after seating): never left out."""
    spares = {s.strip().upper() for s in room.spare_seats or []}
    labels = seat_labels(room.rows, room.columns)
    by_seat = {c["seat"].strip().upper(): c["id"] for c in candidates}
    seats = [[{"seat": name, "spare": name in spares, "candidate_id": by_seat.get(name)}
              for name in labels[i:i + room.columns]]
             for i in range(0, len(labels), room.columns)]
    on_map = set(labels)
    return seats, [c["id"] for c in candidates if c["seat"].strip().upper() not in on_map]


def session_overview(db: Session, session_id: int, now: datetime) -> dict[str, Any]:
    """Every room of the session with its counts per state and its proctors, the session's
    totals, and the candidates with no seat (with their state). Raises ``NotFound``."""
    session = db.get(ExamSession, session_id)
    if session is None:
        raise NotFound(f"Không có ca thi số {session_id}.", f"no exam session {session_id}")
    rooms = list(db.scalars(select(ExamRoom).where(ExamRoom.exam_session_id == session.id)
                            .order_by(ExamRoom.name)))
    rows = db.execute(
        select(Candidate.id, Candidate.candidate_number, Candidate.full_name, Attempt.id,
               Attempt.status, Attempt.started_at, SeatAssignment.room_id, SeatAssignment.seat,
               AttemptPresence.last_seen_at)
        .outerjoin(Attempt, Attempt.candidate_id == Candidate.id)
        .outerjoin(SeatAssignment, SeatAssignment.candidate_id == Candidate.id)
        .outerjoin(AttemptPresence, AttemptPresence.attempt_id == Attempt.id)
        .where(Candidate.exam_session_id == session.id)
        .order_by(Candidate.candidate_number)).all()
    attempt_ids = (select(Attempt.id).join(Candidate, Candidate.id == Attempt.candidate_id)
                   .where(Candidate.exam_session_id == session.id))
    _, saved_last = _answers(db, attempt_ids)
    requests = _latest_requests(db, attempt_ids)
    proctors = _proctors(db, [r.id for r in rooms])
    room_ids = {r.id for r in rooms}
    states: dict[int, list[str]] = {r.id: [] for r in rooms}
    unseated = []
    for cid, number, name, attempt_id, status, started_at, room_id, seat, seen in rows:
        request = requests.get(attempt_id)
        state = candidate_state(status, started_at=started_at,
                                last_contact=_latest(seen, saved_last.get(attempt_id)),
                                waits=request is not None and request["admitted_at"] is None,
                                now=now)
        if room_id in room_ids:
            states[room_id].append(state)
        else:
            unseated.append({"id": cid, "number": number, "name": name, "state": state,
                             "seat": seat})
    return {
        "now": _iso(now),
        "session": {"id": session.id, "title": session.title, "status": session.status.value,
                    "exam_date": session.exam_date.isoformat()},
        "rooms": [{
            "id": r.id, "name": r.name, "state": _room_state(r), "seats": r.rows * r.columns,
            "spares": len(r.spare_seats or []), "candidates": len(states[r.id]),
            "opened_at": _iso(r.opened_at), "closed_at": _iso(r.closed_at),
            "counts": _counts(states[r.id]), "proctors": proctors.get(r.id, []),
        } for r in rooms],
        "counts": _counts([*(s for v in states.values() for s in v),
                           *(u["state"] for u in unseated)]),
        "unseated": unseated,
    }


# ---- the fixed set of queries ---------------------------------------------------------------

def _answers(db: Session, attempt_ids: Any) -> tuple[dict[int, int], dict[int, datetime]]:
    """Per attempt: questions answered (a non-blank ``selected``) and the latest save."""
    answered = case((Answer.selected.is_not(None)
                     & cast(Answer.selected, Text).not_in(_BLANK_JSON), 1), else_=0)
    rows = db.execute(select(Answer.attempt_id, func.sum(answered), func.max(Answer.saved_at))
                      .where(Answer.attempt_id.in_(attempt_ids))
                      .group_by(Answer.attempt_id)).all()
    return ({a: int(n or 0) for a, n, _ in rows},
            {a: _aware(at) for a, _, at in rows if at is not None})


def _latest_requests(db: Session, attempt_ids: Any) -> dict[int, dict[str, Any]]:
    """Each attempt's latest login request and its admission time (None: still waiting).
    Only the latest counts: an older unanswered request is a login the candidate left."""
    rows = db.execute(
        select(AdmissionRequest.attempt_id, AdmissionRequest.id, AdmissionRequest.reason,
               AdmissionRequest.requested_at, AdmissionRequest.remote_addr,
               Admission.admitted_at)
        .outerjoin(Admission, Admission.request_id == AdmissionRequest.id)
        .where(AdmissionRequest.attempt_id.in_(attempt_ids))
        .order_by(AdmissionRequest.attempt_id, AdmissionRequest.id)).all()
    return {attempt_id: {"request_id": request_id, "reason": reason,
                         "requested_at": _iso(requested_at), "ip": remote_addr,
                         "admitted_at": admitted_at}
            for attempt_id, request_id, reason, requested_at, remote_addr, admitted_at in rows}


def _flagged_events(db: Session, attempt_ids: Any
                    ) -> tuple[dict[int, list[dict[str, Any]]], dict[int, int]]:
    """Each attempt's latest flagged events (newest first) and how many it has in all."""
    ranked = select(
        ExamEvent.attempt_id, ExamEvent.kind, ExamEvent.server_at, ExamEvent.detail,
        func.row_number().over(partition_by=ExamEvent.attempt_id,
                               order_by=(ExamEvent.server_at.desc(), ExamEvent.id.desc())
                               ).label("rank"),
        func.count().over(partition_by=ExamEvent.attempt_id).label("total"),
    ).where(ExamEvent.attempt_id.in_(attempt_ids),
            ExamEvent.kind.in_(sorted(FLAGGED_KINDS))).subquery()
    rows = db.execute(select(ranked).where(ranked.c.rank <= EVENTS_PER_CANDIDATE)
                      .order_by(ranked.c.attempt_id, ranked.c.rank)).all()
    events: dict[int, list[dict[str, Any]]] = {}
    counts: dict[int, int] = {}
    for attempt_id, kind, at, detail, _, total in rows:
        events.setdefault(attempt_id, []).append(
            {"kind": kind, "at": _iso(_aware(at)), "detail": _short(detail)})
        counts[attempt_id] = int(total)
    return events, counts


def _proctors(db: Session, room_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    if not room_ids:
        return found
    for room_id, user_id, name in db.execute(
            select(RoomProctor.room_id, User.id, User.full_name)
            .join(User, User.id == RoomProctor.user_id)
            .where(RoomProctor.room_id.in_(room_ids)).order_by(User.full_name)).all():
        found.setdefault(room_id, []).append({"id": user_id, "name": name})
    return found


def _user_names(db: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = sorted(i for i in ids if i is not None)
    return dict(db.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


def _candidate_numbers(db: Session, ids: set[int | None],
                       seated: list[dict[str, Any]]) -> dict[int | None, str]:
    """Số báo danh of the candidates the history names; one query only when a named candidate
    has left the room (moved), none otherwise."""
    numbers: dict[int | None, str] = {c["id"]: c["number"] for c in seated}
    missing = sorted(i for i in ids if i is not None and i not in numbers)
    if missing:
        numbers.update(db.execute(select(Candidate.id, Candidate.candidate_number)
                                  .where(Candidate.id.in_(missing))).all())
    return numbers


# ---- small pure helpers -----------------------------------------------------------------------

def _time_left(attempt: Attempt | None, now: datetime) -> float | None:
    if attempt is None or attempt.status in (AttemptStatus.SUBMITTED, AttemptStatus.ABSENT):
        return None
    if attempt.status is AttemptStatus.PAUSED and attempt.paused_at is not None:
        now = attempt.paused_at  # the server's clock stopped there: resuming moves the deadline
    return round(seconds_left(attempt, now), 1)


def _accommodation(row: Accommodation | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"extra_minutes": row.extra_minutes, "time_multiplier": row.time_multiplier,
            "large_text": row.large_text, "note": row.note}


def _room_state(room: ExamRoom) -> str:
    if room.closed_at is not None:
        return "closed"
    return "open" if room.opened_at is not None else "not_open"


def _counts(states: Any) -> dict[str, int]:
    seen = Counter(states)
    return {state: seen.get(state, 0) for state in STATES}


def _latest(*moments: datetime | None) -> datetime | None:
    return max((m for m in moments if m is not None), default=None)


def _aware(moment: datetime) -> datetime:
    # an aggregate or a subquery's column may come back without the column type's conversion
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _short(detail: Any) -> Any:
    if detail is None:
        return None
    return detail if len(json.dumps(detail, ensure_ascii=False)) <= DETAIL_MAX_CHARS else None
