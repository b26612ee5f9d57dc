"""Incidents (biên bản, issue 11): what happened in a room, when, who saw it — and the sanction
decided on it.

A biên bản is append-only: it is never edited nor deleted; a correction is a new biên bản whose
description refers to the earlier one. Its one later write is the link to the sanction decided
on it (``Incident.sanction_id``, set once). Recording is idempotent by the form's one-time key
(the unique ``Incident.idempotency_key``) and writes the audit row INCIDENT; a sanction writes
SANCTION (``proctor.audit``). The sanction itself and its effect on the score are the exam's:
``exam_engine.exams.sanctions.decide_sanction``.

Who may: a proctor of the room (``proctor.permissions.may_invigilate``) — the candidate's room
by his seat, else the room the form was opened from — and staff. An incident of a session that
has rooms but of no room in particular (the whole centre lost power) is staff's to record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.exams.errors import ExamError, NotFound
from exam_engine.exams.models import AttemptSanction, Candidate, ExamSession
from exam_engine.exams.sanctions import SANCTION_VI, SanctionRefused, decide_sanction, parse_level
from exam_engine.exams.states import SanctionLevel
from exam_engine.kernel.accounts import User
from exam_engine.kernel.legal_time import VIETNAM, to_vn
from exam_engine.kernel.text import nfc
from proctor.audit import clean_reason, earlier_action, record_action
from proctor.models import ActionKind, ExamRoom, Incident, SeatAssignment
from proctor.permissions import may_invigilate, may_oversee

#: the categories of a biên bản: (Vietnamese, English); the key is stored
CATEGORIES: dict[str, tuple[str, str]] = {
    "tai_lieu": ("Mang tài liệu trái phép", "Unauthorised materials"),
    "trao_doi": ("Trao đổi, nhìn bài", "Communicating with or copying from others"),
    "thiet_bi": ("Sử dụng thiết bị trái phép", "Using an unauthorised device"),
    "thi_ho": ("Thi hộ, nhờ người thi hộ", "Sitting for someone else"),
    "may_hong": ("Máy tính hỏng", "Computer failure"),
    "mat_dien_mang": ("Mất điện, mất mạng", "Power or network outage"),
    "khac": ("Khác", "Other"),
}
DESCRIPTION_MAX = 5000
WITNESSES_MAX, WITNESS_NAME_MAX = 10, 200
CLOCK_SLACK = timedelta(minutes=5)  # a proctor's watch may run a little ahead of the server


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message_vi: str
    message_en: str


class InvalidIncident(ExamError):
    """The form cannot be taken: ``problems`` names each bad field (the error handler lists
    them in problem details; the form shows each beside its field)."""

    http_status = 422

    def __init__(self, problems: dict[str, tuple[str, str]]) -> None:
        super().__init__("; ".join(vi for vi, _ in problems.values()),
                         "; ".join(en for _, en in problems.values()))
        self.problems = [FieldProblem(name, vi, en) for name, (vi, en) in problems.items()]


class NotPermitted(ExamError):
    http_status = 403


class FormAlreadyUsed(ExamError):
    """The form's one-time key already served another action (a page reused out of turn)."""

    http_status = 409


@dataclass(frozen=True)
class IncidentDraft:
    """The form as typed: strings, checked by ``record_incident`` (the candidate is the
    scope's: ``resolve_scope``)."""

    category: str = ""
    description: str = ""
    occurred_at: str = ""       # Vietnam time: "2026-11-24T08:15" (datetime-local) or
    #                             "24/11/2026 08:15"
    witnesses: str = ""         # one name a line
    refused_to_sign: bool = False
    sanction_level: str = ""    # "" = no sanction decided with the biên bản


@dataclass(frozen=True)
class IncidentScope:
    """Where an incident is recorded: the session, the room (None: none) and the candidate."""

    session: ExamSession
    room: ExamRoom | None
    candidate: Candidate | None = None


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    candidate: Candidate | None
    room: ExamRoom | None
    sanction: AttemptSanction | None
    recorded_by: User | None


def category_label(key: str) -> tuple[str, str]:
    return CATEGORIES.get(key, (key, key))


def _has_rooms(db: Session, session_id: int) -> bool:
    return bool(db.scalar(select(exists().where(ExamRoom.exam_session_id == session_id))))


def may_act_on(db: Session, user: User | None, session_id: int, room_id: int | None) -> bool:
    """May ``user`` record and read the incidents of this room (None: of no room)?"""
    if room_id is None and _has_rooms(db, session_id):
        return may_oversee(user)
    return may_invigilate(db, user, room_id)


def resolve_scope(db: Session, user: User | None, *, session_id: int | None = None,
                  room_id: int | None = None, candidate_id: int | None = None) -> IncidentScope:
    """The session, room and candidate an incident form is about, checked: each exists and
    belongs together, and ``user`` may act there. A seated candidate's room is his seat's."""
    room = None
    if room_id is not None:
        room = db.get(ExamRoom, room_id)
        if room is None:
            raise NotFound(f"Không có phòng thi số {room_id}.", f"no exam room {room_id}")
        session_id = room.exam_session_id
    session = db.get(ExamSession, session_id) if session_id is not None else None
    if session is None:
        raise NotFound(f"Không có ca thi số {session_id}.", f"no exam session {session_id}")
    candidate = None
    if candidate_id is not None:
        candidate = db.get(Candidate, candidate_id)
        if candidate is None or candidate.exam_session_id != session.id:
            raise InvalidIncident({"candidate_id": (
                "Thí sinh (candidate_id) không thuộc ca thi này.",
                "candidate_id: not a candidate of this session")})
        seat = db.get(SeatAssignment, candidate.id)
        if seat is not None and room is not None and seat.room_id != room.id:
            raise InvalidIncident({"candidate_id": (
                "Thí sinh (candidate_id) không ngồi phòng thi này.",
                "candidate_id: the candidate does not sit in this room")})
        if seat is not None:
            room = db.get(ExamRoom, seat.room_id)
    if not may_act_on(db, user, session.id, room.id if room else None):
        if room is None:
            raise NotPermitted(
                "Ca thi có phòng thi: giám thị lập biên bản từ phòng thi mình coi (hoặc về một "
                "thí sinh của phòng); biên bản chung cho cả ca thi do cán bộ Sở lập.",
                "this session has rooms: record the report from your room (or about one of "
                "its candidates); a report for the whole session is staff's")
        raise NotPermitted("Bạn không phải giám thị của phòng thi này.",
                           "you are not an invigilator of this room")
    return IncidentScope(session, room, candidate)


def candidates_for_form(db: Session, scope: IncidentScope) -> list[Candidate]:
    """Whom the form offers: the room's seated candidates and the session's unseated ones
    (the whole roster for a session without rooms)."""
    query = (select(Candidate).outerjoin(SeatAssignment, SeatAssignment.candidate_id
                                         == Candidate.id)
             .where(Candidate.exam_session_id == scope.session.id))
    if scope.room is not None:
        query = query.where((SeatAssignment.room_id == scope.room.id)
                            | SeatAssignment.room_id.is_(None))
    return list(db.scalars(query.order_by(Candidate.candidate_number)))


TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M")


def _parse_time(raw: str, exam_date: date,
                now: datetime) -> tuple[datetime | None, tuple[str, str] | None]:
    """The form's Vietnam time as a UTC instant, or the problem with it."""
    text = nfc(raw or "")
    local = None
    for pattern in TIME_FORMATS:  # a datetime-local field, or typed by hand
        try:
            local = datetime.strptime(text, pattern)
            break
        except ValueError:
            continue
    if local is None:
        return None, ("Thời điểm xảy ra (occurred_at) phải có dạng ngày/tháng/năm giờ:phút.",
                      "occurred_at: give a date and time (dd/mm/yyyy HH:MM)")
    # the exam day, or the night after it (an evening sitting that ends after midnight);
    # checked first, on the naive Vietnam date, so no year 1 or 9999 reaches the arithmetic
    if not timedelta(0) <= local.date() - exam_date <= timedelta(days=1):
        return None, (f"Thời điểm xảy ra (occurred_at) phải trong ngày thi "
                      f"{exam_date.strftime('%d/%m/%Y')}.",
                      f"occurred_at: must be on the exam date, {exam_date.isoformat()}")
    moment = local.replace(tzinfo=VIETNAM).astimezone(UTC)
    if moment > now + CLOCK_SLACK:
        return None, ("Thời điểm xảy ra (occurred_at) không được ở tương lai.",
                      "occurred_at: must not be in the future")
    return moment, None


def _checked(draft: IncidentDraft, session: ExamSession, now: datetime, *,
             has_candidate: bool) -> dict:
    problems: dict[str, tuple[str, str]] = {}
    category = (draft.category or "").strip()
    if category not in CATEGORIES:
        problems["category"] = ("Hãy chọn loại sự việc (category) trong danh sách.",
                                "category: choose one from the list")
    description = nfc(draft.description or "")
    if not description:
        problems["description"] = ("Hãy ghi diễn biến sự việc (description).",
                                   "description: describe what happened")
    elif len(description) > DESCRIPTION_MAX:
        problems["description"] = (f"Diễn biến sự việc (description) dài quá {DESCRIPTION_MAX} "
                                   "ký tự.", f"description: at most {DESCRIPTION_MAX} characters")
    occurred_at, problem = _parse_time(draft.occurred_at, session.exam_date, now)
    if problem:
        problems["occurred_at"] = problem
    witnesses = [name for name in (nfc(line) for line in (draft.witnesses or "").splitlines())
                 if name]
    if len(witnesses) > WITNESSES_MAX or any(len(n) > WITNESS_NAME_MAX for n in witnesses):
        problems["witnesses"] = (f"Người chứng kiến (witnesses): tối đa {WITNESSES_MAX} người, "
                                 "mỗi dòng một họ tên.",
                                 f"witnesses: at most {WITNESSES_MAX} names, one a line")
    level = None
    if (draft.sanction_level or "").strip():
        try:
            level = parse_level(draft.sanction_level)
        except ExamError as error:
            problems["sanction_level"] = (error.message_vi, error.message_en)
        if level is not None and not has_candidate:
            problems["sanction_level"] = (
                "Hình thức xử lý (sanction_level) cần có thí sinh vi phạm (candidate_id).",
                "sanction_level: choose the candidate the sanction is for")
    if problems:
        raise InvalidIncident(problems)
    return {"category": category, "description": description, "occurred_at": occurred_at,
            "witnesses": witnesses, "level": level}


def parse_candidate_id(raw: str | None) -> int | None:
    """The form's ``candidate_id`` ("" = none); anything else but an id is refused."""
    text = (raw or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > 2**31 - 1:
        raise InvalidIncident({"candidate_id": ("Thí sinh (candidate_id) không hợp lệ.",
                                                "candidate_id: not a candidate id")})
    return int(text)


def record_incident(db: Session, draft: IncidentDraft, scope: IncidentScope, *, user: User,
                    now: datetime, idempotency_key: str | None = None) -> Incident:
    """Record the biên bản (and the sanction chosen with it, if any) and its audit rows.
    ``scope`` comes from ``resolve_scope`` with the form's candidate. A repeat of the same
    form (its key) returns the biên bản the first recorded. Flushes."""
    key = (idempotency_key or "")[:64] or None
    earlier = _incident_with_key(db, key)
    if earlier is not None:
        return earlier
    values = _checked(draft, scope.session, now, has_candidate=scope.candidate is not None)
    candidate = scope.candidate
    incident = Incident(
        exam_session_id=scope.session.id, room_id=scope.room.id if scope.room else None,
        candidate_id=candidate.id if candidate else None, category=values["category"],
        description=values["description"], occurred_at=values["occurred_at"],
        witnesses=values["witnesses"],
        candidate_refused_to_sign=bool(draft.refused_to_sign and candidate is not None),
        recorded_by=user.id, recorded_at=now, idempotency_key=key)
    try:
        with db.begin_nested():
            db.add(incident)
    except IntegrityError:
        # the same form raced past the check above: the first request recorded it
        earlier = _incident_with_key(db, key)
        if earlier is None:
            raise
        return earlier
    _, fresh = record_action(
        db, session_id=incident.exam_session_id, kind=ActionKind.INCIDENT, actor_id=user.id,
        at=now, reason=incident.description[:2000], room_id=incident.room_id,
        candidate_id=incident.candidate_id, idempotency_key=key,
        detail={"incident_id": incident.id, "category": incident.category,
                "occurred_at": incident.occurred_at.isoformat()})
    if not fresh:  # the key of another action: refuse, the request's rollback undoes the above
        raise _form_sent_already()
    if values["level"] is not None:
        _sanction(db, incident, values["level"], "", user=user, now=now, idempotency_key=None)
    db.flush()
    return incident


def _incident_with_key(db: Session, key: str | None) -> Incident | None:
    if key is None:
        return None
    return db.scalar(select(Incident).where(Incident.idempotency_key == key))


def get_incident(db: Session, user: User | None, incident_id: int, *,
                 lock: bool = False) -> Incident:
    """The biên bản, if ``user`` may read it (the proctors of its room, staff)."""
    query = select(Incident).where(Incident.id == incident_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    incident = db.scalar(query)
    if incident is None:
        raise NotFound(f"Không có biên bản số {incident_id}.", f"no incident report {incident_id}")
    if not may_act_on(db, user, incident.exam_session_id, incident.room_id):
        raise NotPermitted("Bạn không phải giám thị của phòng thi này.",
                           "you are not an invigilator of this room")
    return incident


def sanction_incident(db: Session, incident_id: int, level: SanctionLevel | str, reason: str,
                      *, user: User, now: datetime,
                      idempotency_key: str | None = None) -> AttemptSanction:
    """Decide a sanction on a biên bản about a candidate (one sanction per biên bản: another
    breach is another biên bản). Repeating the decision returns the first. Flushes."""
    earlier = earlier_action(db, idempotency_key)
    if earlier is not None:
        sanction = db.get(AttemptSanction, earlier.detail.get("sanction_id") or 0)
        if earlier.kind is not ActionKind.SANCTION or sanction is None:
            raise _form_sent_already()
        return sanction
    level = parse_level(level)
    incident = get_incident(db, user, incident_id, lock=True)  # serialises two deciders
    return _sanction(db, incident, level, clean_reason(reason, required=False), user=user,
                     now=now, idempotency_key=idempotency_key)


def _sanction(db: Session, incident: Incident, level: SanctionLevel, reason: str, *,
              user: User, now: datetime, idempotency_key: str | None) -> AttemptSanction:
    if incident.sanction_id is not None:
        decided = db.get(AttemptSanction, incident.sanction_id)
        if decided is not None and decided.level is level:
            return decided  # the same decision again (a second click, a colleague)
        raise SanctionRefused(
            "Biên bản này đã có hình thức xử lý. Vi phạm khác cần một biên bản mới.",
            "this incident report already has a sanction; another breach needs a new report")
    candidate = db.get(Candidate, incident.candidate_id) if incident.candidate_id else None
    if candidate is None:
        raise InvalidIncident({"sanction_level": (
            "Biên bản không ghi thí sinh vi phạm: không thể xử lý kỷ luật.",
            "sanction_level: the incident report names no candidate")})
    if candidate.attempt is None:
        raise SanctionRefused("Ca thi chưa xếp đề: thí sinh chưa có bài thi.",
                              "the session is not scheduled: the candidate has no attempt")
    label = category_label(incident.category)[0]
    stated = f"Biên bản số {incident.id} ({label})" + (f": {reason}" if reason else "")
    sanction = decide_sanction(db, candidate.attempt.id, level, stated, user.id, now)
    other = db.scalar(select(Incident.id).where(Incident.sanction_id == sanction.id,
                                                Incident.id != incident.id))
    if other is not None:
        raise SanctionRefused(
            f"Thí sinh đã bị {SANCTION_VI[level].lower()} theo biên bản số {other}: vi phạm "
            "tiếp theo xử lý ở mức cao hơn.",
            f"the candidate already has this sanction (incident report {other}); a further "
            "breach takes a higher level")
    incident.sanction_id = sanction.id
    _, fresh = record_action(
        db, session_id=incident.exam_session_id, kind=ActionKind.SANCTION, actor_id=user.id,
        at=now, reason=stated, room_id=incident.room_id, candidate_id=candidate.id,
        detail={"incident_id": incident.id, "sanction_id": sanction.id, "level": level.value,
                "attempt_id": sanction.attempt_id}, idempotency_key=idempotency_key)
    if not fresh:  # the key of another action: refuse, the request's rollback undoes the above
        raise _form_sent_already()
    db.flush()
    return sanction


def _form_sent_already() -> FormAlreadyUsed:
    return FormAlreadyUsed("Mẫu này đã được gửi cho một thao tác khác: hãy tải lại trang.",
                           "this form was already sent for another action: reload the page")


def incidents_of_session(db: Session, user: User | None,
                         session_id: int) -> tuple[ExamSession, list[IncidentRow]]:
    """The session and its biên bản that ``user`` may read, newest first."""
    session = db.get(ExamSession, session_id)
    if session is None:
        raise NotFound(f"Không có ca thi số {session_id}.", f"no exam session {session_id}")
    if not may_list(db, user, session_id):
        raise NotPermitted("Bạn không phải giám thị của ca thi này.",
                           "you are not an invigilator of this session")
    rows = db.execute(
        select(Incident, Candidate, ExamRoom, AttemptSanction, User)
        .outerjoin(Candidate, Candidate.id == Incident.candidate_id)
        .outerjoin(ExamRoom, ExamRoom.id == Incident.room_id)
        .outerjoin(AttemptSanction, AttemptSanction.id == Incident.sanction_id)
        .outerjoin(User, User.id == Incident.recorded_by)
        .where(Incident.exam_session_id == session_id)
        .order_by(Incident.occurred_at.desc(), Incident.id.desc())).all()
    allowed: dict[int | None, bool] = {}
    visible = []
    for incident, candidate, room, sanction, recorder in rows:
        if incident.room_id not in allowed:
            allowed[incident.room_id] = may_act_on(db, user, session_id, incident.room_id)
        if allowed[incident.room_id]:
            visible.append(IncidentRow(incident, candidate, room, sanction, recorder))
    return session, visible


def may_list(db: Session, user: User | None, session_id: int) -> bool:
    """May ``user`` open the session's list of biên bản (it shows him those he may read)?"""
    if may_oversee(user) or not _has_rooms(db, session_id):
        return may_invigilate(db, user, None)
    rooms = db.scalars(select(ExamRoom.id).where(ExamRoom.exam_session_id == session_id))
    return any(may_invigilate(db, user, room_id) for room_id in rooms)



def reports_of_sanctions(db: Session, sanction_ids: list[int]) -> dict[int, int]:
    """The biên bản each sanction was decided on: sanction id → incident id."""
    if not sanction_ids:
        return {}
    return dict(db.execute(select(Incident.sanction_id, Incident.id)
                           .where(Incident.sanction_id.in_(sanction_ids))).all())


def correction_of(db: Session, user: User | None, scope: IncidentScope,
                  raw_id: str) -> dict[str, str]:
    """A new form's values for correcting biên bản ``raw_id`` (append-only: the correction is a
    new biên bản whose description names the earlier one)."""
    earlier = None
    if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10:
        earlier = get_incident(db, user, int(raw_id))
    if earlier is None or earlier.exam_session_id != scope.session.id:
        raise InvalidIncident({"dinh-chinh": (
            "Biên bản cần đính chính (dinh-chinh) không thuộc ca thi này.",
            "dinh-chinh: not an incident report of this session")})
    return {"category": earlier.category, "witnesses": "\n".join(earlier.witnesses),
            "occurred_at": to_vn(earlier.occurred_at).strftime("%Y-%m-%dT%H:%M"),
            "candidate_id": str(earlier.candidate_id or ""),
            "refused_to_sign": "yes" if earlier.candidate_refused_to_sign else "",
            "description": f"Đính chính biên bản số {earlier.id}: "}
