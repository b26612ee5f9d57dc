"""Who sits (issue 11): a candidate gets in by his personal code, by a proctor's admission
after an ID check, or both — the session's ``login_mode``. The room-wide session code alone
only puts him on the waiting list of a session that admits by proctor.

One live seat per candidate, in every login mode: a login to an attempt that another browser
holds a live login of — or with a personal code already spent by the start — never gets in
beside it. It waits as a "second login" (``AdmissionReason.SECOND_LOGIN``, an ExamEvent
``second_login`` for the live room), and the proctor's admission of it IS the move: the
attempt's other logins end as "moved" (the old computer stops saving and is told why), a MOVE
ProctorAction is written, and the new browser enters. Answers are per-question upserts on the
attempt, so every answer acknowledged on the old computer is on the new one's paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.exams.delivery import candidates_numbered, find_candidate_for_login, get_attempt
from exam_engine.exams.errors import ExamError, NotFound
from exam_engine.exams.models import Attempt, Candidate, ExamSession
from exam_engine.exams.states import AttemptStatus, LoginMode, SessionStatus
from exam_engine.kernel.accounts import User
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.login_sessions import (
    ENDED_MOVED,
    MAX_AGE,
    LoginSession,
    end_attempt_login_sessions,
)
from proctor.actions import authorise, live_login_count, room_of
from proctor.audit import clean_reason, record_action
from proctor.login_codes import code_matches, spend_on_login
from proctor.models import ActionKind, Admission, AdmissionReason, AdmissionRequest, ExamEvent

# The reason a proctor's confirmation of a second login is logged with when he gives none.
MOVE_CONFIRMED = "Xác nhận đăng nhập lần hai: chuyển thí sinh sang máy mới."


class CodeSpent(ExamError):
    """The personal code already started the attempt: only a proctor can let him in again."""

    http_status = 409


@dataclass(frozen=True)
class SignIn:
    """The outcome of a login: in (``attempt_id``) or waiting (``request_id`` too)."""

    attempt_id: int
    request_id: int | None = None

    @property
    def waiting(self) -> bool:
        return self.request_id is not None


def sign_in(db: Session, candidate_number: str, code: str, now: datetime,
            remote_addr: str | None = None, *, user_agent: str | None = None,
            own_login: str | None = None) -> SignIn:
    """Check a candidate's login; raises ``NotFound`` or ``CodeSpent`` with the reason.

    ``own_login`` is the id hash of the login this browser already holds, if any: the same
    browser logging in again is no second device."""
    client = {"remote_addr": (remote_addr or "")[:45] or None,
              "user_agent": (user_agent or "")[:300] or None}
    for candidate in candidates_numbered(db, candidate_number):
        mode = candidate.session.login_mode
        if mode is LoginMode.ADMISSION or candidate.attempt is None:
            continue
        if code_matches(candidate, code):
            # Locked: two browsers logging in at once are decided one after the other.
            attempt = get_attempt(db, candidate.attempt.id, lock=True)
            if attempt.status is AttemptStatus.ABSENT:
                raise CodeSpent("Ca thi đã kết thúc: thí sinh đã được ghi nhận vắng thi.",
                                "the session is closed and this candidate was marked absent")
            if attempt.status is AttemptStatus.SUBMITTED:
                raise CodeSpent("Bài thi đã nộp. Hãy báo cán bộ coi thi nếu cần hỗ trợ.",
                                "the exam has been submitted; call the invigilator for help")
            if _holds_live_login(db, attempt.id, own_login, now):
                return SignIn(attempt.id)  # this very browser, logging in again
            fresh = spend_on_login(candidate, now)
            if not fresh or live_login_count(db, attempt.id, now):
                return _wait(db, attempt, now, client, AdmissionReason.SECOND_LOGIN)
            if mode is LoginMode.BOTH:
                return _wait(db, attempt, now, client)
            return SignIn(attempt.id)
    try:
        candidate = find_candidate_for_login(db, candidate_number, code)
    except NotFound:
        raise NotFound("Số báo danh hoặc mã đăng nhập không đúng.",
                       "unknown candidate number or login code") from None
    if candidate.session.login_mode is not LoginMode.ADMISSION:
        raise NotFound("Ca thi này đăng nhập bằng mã cá nhân in trên thẻ dự thi, không dùng mã "
                       "ca thi.", "this session needs the personal code printed on the exam "
                       "card, not the session code")
    assert candidate.attempt is not None  # find_candidate_for_login
    attempt = get_attempt(db, candidate.attempt.id, lock=True)
    if _holds_live_login(db, attempt.id, own_login, now):
        return SignIn(attempt.id)  # admitted already: this very browser, logging in again
    second = live_login_count(db, attempt.id, now) > 0
    return _wait(db, attempt, now, client,
                 AdmissionReason.SECOND_LOGIN if second else AdmissionReason.ADMISSION)


def _holds_live_login(db: Session, attempt_id: int, own_login: str | None,
                      now: datetime) -> bool:
    if own_login is None:
        return False
    row = db.get(LoginSession, own_login)
    return (row is not None and row.attempt_id == attempt_id and row.ended_at is None
            and row.created_at > now - MAX_AGE)


class BadLoginMode(ExamError):
    http_status = 422


def set_login_mode(db: Session, session: ExamSession, value: str) -> None:
    """Staff choose how the session lets candidates in; not once the sitting is over."""
    try:
        mode = LoginMode(value)
    except ValueError:
        raise BadLoginMode(f"Cách đăng nhập không hợp lệ: {value[:40]!r}.",
                           f"unknown login mode {value[:40]!r}") from None
    if session.status not in (SessionStatus.DRAFT, SessionStatus.SCHEDULED):
        raise ExamError("Ca thi đã kết thúc: không đổi cách đăng nhập được nữa.",
                        "the session is over; its login mode can no longer change")
    session.login_mode = mode
    db.flush()


def _wait(db: Session, attempt: Attempt, now: datetime, client: dict[str, str | None],
          reason: AdmissionReason = AdmissionReason.ADMISSION) -> SignIn:
    request = AdmissionRequest(attempt_id=attempt.id, requested_at=now,
                               remote_addr=client["remote_addr"], reason=reason.value)
    db.add(request)
    db.flush()
    if reason is AdmissionReason.SECOND_LOGIN:
        # the live room flags it; no client_seq: the server saw it, not the exam page
        db.add(ExamEvent(attempt_id=attempt.id, client_seq=None, kind="second_login",
                         server_at=now, detail={**client, "request_id": request.id}))
        db.flush()
    return SignIn(attempt.id, request.id)


def request_reason(db: Session, request_id: int) -> AdmissionReason | None:
    """Why this login waits (None: no such request)."""
    reason = db.scalar(select(AdmissionRequest.reason).where(AdmissionRequest.id == request_id))
    return None if reason is None else AdmissionReason(reason)


class AdmissionUsed(ExamError):
    http_status = 409


def enter_if_admitted(db: Session, request_id: int, now: datetime) -> int | None:
    """The attempt a waiting login enters once a proctor admitted it (None while not yet).
    One browser per admission: the conditional update lets exactly one caller through, even
    two copies of the waiting cookie polling at the same moment."""
    attempt_id = db.scalar(select(AdmissionRequest.attempt_id).join(
        Admission, Admission.request_id == AdmissionRequest.id)
        .where(AdmissionRequest.id == request_id))
    if attempt_id is None:
        return None
    entered = db.execute(update(Admission).where(Admission.request_id == request_id,
                                                 Admission.entered_at.is_(None))
                         .values(entered_at=now))
    if entered.rowcount != 1:
        raise AdmissionUsed("Lượt cho vào phòng này đã được dùng. Hãy báo cán bộ coi thi.",
                            "this admission has already been used; call the invigilator")
    return attempt_id


@dataclass(frozen=True)
class Waiting:
    """A row of the proctor's waiting list: what he checks against the ID card. A
    ``second_login`` row is a browser asking for an attempt another browser holds: admitting
    it moves the candidate to it."""

    request_id: int
    candidate_id: int
    candidate_number: str
    full_name: str
    date_of_birth: object
    citizen_id: str
    requested_at: datetime
    remote_addr: str | None
    second_login: bool = False


def waiting_list(db: Session, session_id: int, now: datetime | None = None) -> list[Waiting]:
    """Logins of this session not yet admitted, oldest first. A login is marked as a second
    login when it was one, or when its attempt has a live login now (the first browser got in
    while it waited)."""
    rows = db.execute(
        select(AdmissionRequest, Candidate)
        .join(Attempt, Attempt.id == AdmissionRequest.attempt_id)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .outerjoin(Admission, Admission.request_id == AdmissionRequest.id)
        .where(Candidate.exam_session_id == session_id, Admission.id.is_(None))
        .order_by(AdmissionRequest.requested_at, AdmissionRequest.id)).all()
    live = _attempts_with_live_logins(db, {r.attempt_id for r, _ in rows}, now or utcnow())
    return [Waiting(r.id, c.id, c.candidate_number, c.full_name, c.date_of_birth, c.citizen_id,
                    r.requested_at, r.remote_addr,
                    r.reason == AdmissionReason.SECOND_LOGIN or r.attempt_id in live)
            for r, c in rows]


def _attempts_with_live_logins(db: Session, attempt_ids: set[int], now: datetime) -> set[int]:
    if not attempt_ids:
        return set()
    return set(db.scalars(select(LoginSession.attempt_id).distinct().where(
        LoginSession.attempt_id.in_(attempt_ids), LoginSession.ended_at.is_(None),
        LoginSession.created_at > now - MAX_AGE)))


def admit(db: Session, request_id: int, proctor: User, now: datetime, *, reason: str = "",
          idempotency_key: str | None = None) -> Admission:
    """Let the candidate of ``request_id`` in, as a proctor of his room (403 otherwise).
    Idempotent: admitting again returns the first admission (the unique request_id keeps it
    single under concurrency too). Written to the room's log as ADMIT — or, when another
    browser holds a live login of the attempt (a second login), as the MOVE it is: that
    browser's login ends as "moved" and this one enters in its place."""
    request = db.get(AdmissionRequest, request_id)
    if request is None:
        raise NotFound("Không tìm thấy yêu cầu vào phòng thi.", "admission request not found")
    attempt = get_attempt(db, request.attempt_id, lock=True)  # one admission or login at a time
    candidate = attempt.candidate
    room_id = room_of(db, candidate.id)
    authorise(db, proctor, room_id)
    done = db.scalar(select(Admission).where(Admission.request_id == request_id))
    if done is not None:
        return done
    admission = Admission(request_id=request_id, admitted_by=proctor.id, admitted_at=now)
    try:
        with db.begin_nested():
            db.add(admission)
    except IntegrityError:  # another proctor's click won the race: his row stands
        admission = db.scalar(select(Admission).where(Admission.request_id == request_id))
        assert admission is not None
        return admission
    others = live_login_count(db, attempt.id, now)
    moving = request.reason == AdmissionReason.SECOND_LOGIN or others > 0
    why = clean_reason(reason, required=False)
    record_action(db, session_id=candidate.exam_session_id,
                  kind=ActionKind.MOVE if moving else ActionKind.ADMIT, actor_id=proctor.id,
                  at=now, reason=why or (MOVE_CONFIRMED if moving else ""), room_id=room_id,
                  candidate_id=candidate.id, idempotency_key=idempotency_key,
                  detail={"attempt_id": attempt.id, "request_id": request.id,
                          "remote_addr": request.remote_addr, "ended_logins": others})
    if moving:
        end_attempt_login_sessions(db, attempt.id, now, reason=ENDED_MOVED)
    return admission


def session_of_request(db: Session, request_id: int) -> ExamSession | None:
    return db.scalar(select(ExamSession).join(Candidate).join(Attempt)
                     .join(AdmissionRequest, AdmissionRequest.attempt_id == Attempt.id)
                     .where(AdmissionRequest.id == request_id))
