"""Who sits (issue 11): a candidate gets in by his personal code, by a proctor's admission
after an ID check, or both — the session's ``login_mode``. The room-wide session code alone
only puts him on the waiting list of a session that admits by proctor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.exams.delivery import candidates_numbered, find_candidate_for_login
from exam_engine.exams.errors import ExamError, NotFound
from exam_engine.exams.models import Attempt, Candidate, ExamSession
from exam_engine.exams.states import AttemptStatus, LoginMode, SessionStatus
from proctor.login_codes import code_matches, spend_on_login
from proctor.models import Admission, AdmissionRequest


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
            remote_addr: str | None = None) -> SignIn:
    """Check a candidate's login; raises ``NotFound`` or ``CodeSpent`` with the reason."""
    for candidate in candidates_numbered(db, candidate_number):
        mode = candidate.session.login_mode
        if mode is LoginMode.ADMISSION or candidate.attempt is None:
            continue
        if code_matches(candidate, code):
            status = candidate.attempt.status
            if status is AttemptStatus.ABSENT:
                raise CodeSpent("Ca thi đã kết thúc: thí sinh đã được ghi nhận vắng thi.",
                                "the session is closed and this candidate was marked absent")
            if status is AttemptStatus.SUBMITTED:
                raise CodeSpent("Bài thi đã nộp. Hãy báo cán bộ coi thi nếu cần hỗ trợ.",
                                "the exam has been submitted; call the invigilator for help")
            if not spend_on_login(candidate, now):
                raise CodeSpent(
                    "Mã đăng nhập này đã được dùng để bắt đầu bài thi. Hãy báo cán bộ coi thi.",
                    "this login code already started the exam; call the invigilator")
            if mode is LoginMode.BOTH:
                return _wait(db, candidate.attempt, now, remote_addr)
            return SignIn(candidate.attempt.id)
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
    return _wait(db, candidate.attempt, now, remote_addr)


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


def _wait(db: Session, attempt: Attempt, now: datetime, remote_addr: str | None) -> SignIn:
    request = AdmissionRequest(attempt_id=attempt.id, requested_at=now,
                               remote_addr=(remote_addr or "")[:45] or None)
    db.add(request)
    db.flush()
    return SignIn(attempt.id, request.id)


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
    """A row of the proctor's waiting list: what he checks against the ID card."""

    request_id: int
    candidate_number: str
    full_name: str
    date_of_birth: object
    citizen_id: str
    requested_at: datetime
    remote_addr: str | None


def waiting_list(db: Session, session_id: int) -> list[Waiting]:
    """Logins of this session not yet admitted, oldest first."""
    rows = db.execute(
        select(AdmissionRequest, Candidate)
        .join(Attempt, Attempt.id == AdmissionRequest.attempt_id)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .outerjoin(Admission, Admission.request_id == AdmissionRequest.id)
        .where(Candidate.exam_session_id == session_id, Admission.id.is_(None))
        .order_by(AdmissionRequest.requested_at, AdmissionRequest.id)).all()
    return [Waiting(r.id, c.candidate_number, c.full_name, c.date_of_birth, c.citizen_id,
                    r.requested_at, r.remote_addr) for r, c in rows]


def admit(db: Session, request_id: int, proctor_id: int, now: datetime) -> Admission:
    """Let the candidate of ``request_id`` in. Idempotent: admitting again returns the first
    admission (the unique request_id keeps it single under concurrency too)."""
    request = db.get(AdmissionRequest, request_id)
    if request is None:
        raise NotFound("Không tìm thấy yêu cầu vào phòng thi.", "admission request not found")
    done = db.scalar(select(Admission).where(Admission.request_id == request_id))
    if done is not None:
        return done
    admission = Admission(request_id=request_id, admitted_by=proctor_id, admitted_at=now)
    try:
        with db.begin_nested():
            db.add(admission)
    except IntegrityError:  # another proctor's click won the race: his row stands
        admission = db.scalar(select(Admission).where(Admission.request_id == request_id))
        assert admission is not None
    return admission


def session_of_request(db: Session, request_id: int) -> ExamSession | None:
    return db.scalar(select(ExamSession).join(Candidate).join(Attempt)
                     .join(AdmissionRequest, AdmissionRequest.attempt_id == Attempt.id)
                     .where(AdmissionRequest.id == request_id))
