"""Accommodations (issue 11): what a candidate is granted before the exam — extra minutes
and/or a multiple of the duration, larger text — entered by staff or a proctor of his room.

The time is applied to the attempt as planned extra time (``clock.plan_extra_time``) before it
starts, and recomputed whenever the accommodation changes before the start. After the start the
time can no longer change here (the proctor gives "extra time" instead); larger text and the
note still may. Every change is a ProctorAction ACCOMMODATION with its reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams import clock
from exam_engine.exams.delivery import get_attempt
from exam_engine.exams.errors import ExamError, NotFound
from exam_engine.exams.models import Candidate
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.accounts import User
from exam_engine.kernel.text import nfc
from proctor.actions import KeyUsedElsewhere, actor_label, authorise, room_of
from proctor.audit import clean_reason, earlier_action, record_action
from proctor.models import Accommodation, ActionKind

MAX_EXTRA_MINUTES = 240
MAX_MULTIPLIER = 3.0
NOTE_MAX = 1000


class InvalidAccommodation(ExamError):
    http_status = 422


class NotScheduled(ExamError):
    http_status = 409


@dataclass(frozen=True)
class AccommodationInput:
    """What the form sends, already typed (``parse_accommodation`` reads the form's text)."""

    extra_minutes: int = 0
    time_multiplier: float = 1.0
    large_text: bool = False
    note: str = ""


def parse_accommodation(extra_minutes: str | None, time_multiplier: str | None,
                        large_text: bool, note: str | None) -> AccommodationInput:
    """The form's values, checked; a bad one raises naming its field. The multiplier may be
    written with a decimal comma, as Vietnamese does (``1,5``)."""
    try:
        minutes = int((extra_minutes or "0").strip() or "0")
    except ValueError:
        raise InvalidAccommodation("Số phút thêm (extra_minutes) phải là số nguyên.",
                                   "extra_minutes must be a whole number") from None
    try:
        multiplier = float((time_multiplier or "1").strip().replace(",", ".") or "1")
    except ValueError:
        raise InvalidAccommodation("Hệ số thời gian (time_multiplier) phải là một số, ví dụ "
                                   "1,5.", "time_multiplier must be a number, e.g. 1.5") from None
    return _checked(AccommodationInput(minutes, multiplier, bool(large_text),
                                       nfc(note or "").strip()))


def _checked(value: AccommodationInput) -> AccommodationInput:
    if not 0 <= value.extra_minutes <= MAX_EXTRA_MINUTES:
        raise InvalidAccommodation(
            f"Số phút thêm (extra_minutes) phải từ 0 đến {MAX_EXTRA_MINUTES}.",
            f"extra_minutes must be from 0 to {MAX_EXTRA_MINUTES}")
    if not (math.isfinite(value.time_multiplier) and 1 <= value.time_multiplier <= MAX_MULTIPLIER):
        raise InvalidAccommodation(
            f"Hệ số thời gian (time_multiplier) phải từ 1 đến {MAX_MULTIPLIER:g}.",
            f"time_multiplier must be from 1 to {MAX_MULTIPLIER:g}")
    if len(value.note) > NOTE_MAX:
        raise InvalidAccommodation(f"Ghi chú (note) dài quá {NOTE_MAX} ký tự.",
                                   f"note is longer than {NOTE_MAX} characters")
    return value


def planned_seconds(extra_minutes: int, time_multiplier: float, duration_minutes: int) -> int:
    """The extra time an accommodation gives on an exam of ``duration_minutes``: its minutes
    plus (multiplier − 1) × the duration, to the second."""
    return extra_minutes * 60 + round((time_multiplier - 1) * duration_minutes * 60)


def accommodation_of(db: Session, candidate_id: int) -> Accommodation | None:
    return db.get(Accommodation, candidate_id)


def large_text_for(db: Session, candidate_id: int) -> bool:
    """Does the candidate's exam page show larger text?"""
    return bool(db.scalar(select(Accommodation.large_text)
                          .where(Accommodation.candidate_id == candidate_id)))


def set_accommodation(db: Session, candidate_id: int, value: AccommodationInput, *,
                      actor: User, reason: str, now: datetime,
                      idempotency_key: str | None = None) -> Accommodation:
    """Enter or change the candidate's accommodation. Before the start its time becomes the
    attempt's planned extra time; after it a change of time is refused (``AlreadyStarted``:
    give extra time instead). Before the session is scheduled there is no attempt to carry it
    yet: refused (``NotScheduled``). A repeat of the key changes nothing."""
    candidate = db.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"Không có thí sinh số {candidate_id}.", f"no candidate {candidate_id}")
    room_id = room_of(db, candidate.id)
    authorise(db, actor, room_id)
    why = clean_reason(reason)
    value = _checked(value)
    if candidate.attempt is None:
        raise NotScheduled("Ca thi chưa xếp đề: hãy nhập hỗ trợ sau khi xếp đề, trước giờ thi.",
                           "the session is not scheduled yet; enter accommodations after "
                           "scheduling, before the exam")
    # The attempt's lock serialises two changes of this candidate's accommodation.
    attempt = get_attempt(db, candidate.attempt.id, lock=True)
    current = db.scalar(select(Accommodation).where(Accommodation.candidate_id == candidate.id)
                        .execution_options(populate_existing=True))
    earlier = earlier_action(db, idempotency_key)
    if earlier is not None:
        if earlier.kind is not ActionKind.ACCOMMODATION or earlier.candidate_id != candidate.id:
            raise KeyUsedElsewhere("Mã chống gửi lặp (idempotency_key) này đã dùng cho một thao "
                                   "tác khác: hãy tải lại trang rồi thử lại.",
                                   "this idempotency_key was already used for another action")
        assert current is not None  # the earlier action wrote it
        return current
    duration = candidate.session.duration_minutes
    before = (planned_seconds(current.extra_minutes, current.time_multiplier, duration)
              if current is not None else 0)
    after = planned_seconds(value.extra_minutes, value.time_multiplier, duration)
    if after != before and attempt.status is not AttemptStatus.ASSIGNED:
        raise clock.AlreadyStarted(
            "Thí sinh đã bắt đầu làm bài: không đổi thời gian hỗ trợ được nữa, hãy dùng "
            "«Thêm giờ».",
            "the candidate has started; the accommodation's time can no longer change — use "
            "extra time")
    _, new = record_action(db, session_id=candidate.exam_session_id,
                           kind=ActionKind.ACCOMMODATION, actor_id=actor.id, at=now, reason=why,
                           room_id=room_id, candidate_id=candidate.id,
                           idempotency_key=idempotency_key,
                           detail={"extra_minutes": value.extra_minutes,
                                   "time_multiplier": value.time_multiplier,
                                   "large_text": value.large_text,
                                   "planned_seconds": after, "planned_seconds_before": before})
    if not new:
        assert current is not None
        return current
    if after != before:
        clock.plan_extra_time(db, attempt.id, after - before, now, actor_label(actor))
    if current is None:
        current = Accommodation(candidate_id=candidate.id)
        db.add(current)
    current.extra_minutes = value.extra_minutes
    current.time_multiplier = value.time_multiplier
    current.large_text = value.large_text
    current.note = value.note or None
    current.entered_by = actor.id
    current.entered_at = now
    db.flush()
    return current
