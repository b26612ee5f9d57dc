"""Sanctions against an attempt (khiển trách, cảnh cáo, đình chỉ thi) and the re-grade they cause.

The national exam rules (DOMAIN.md, "Invigilation and marking") grade a breach of the rules:
khiển trách takes 25 % of the test's score, cảnh cáo 50 %, đình chỉ thi takes it all and
excludes the candidate. Each is decided on a biên bản (``proctor.incidents`` writes it and
links it); this module is the exam's side: the append-only ``AttemptSanction`` row and its
effect on the result, which grading applies (``grading.apply_sanction``, the most severe one).

- On a submitted attempt a sanction re-grades at once: a new ``Result`` superseding the
  current one (results are append-only, ``results.current_result``).
- On an attempt still sitting it applies when the attempt is graded; đình chỉ thi ends the
  sitting there and then (the candidate leaves the room): the attempt is submitted and graded.
- Once the session's results are approved it is refused: changing an approved result is an
  appeal (phúc khảo / khiếu nại), which is not built yet.

A double click decides once: (attempt, level) is unique in the database, and the attempt row is
locked for the decision, so a repeat finds the first decision and returns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.exams.clock import force_submit
from exam_engine.exams.delivery import get_attempt, grade_attempt
from exam_engine.exams.errors import ExamError
from exam_engine.exams.grading import most_severe_sanction
from exam_engine.exams.models import Attempt, AttemptSanction, Candidate, ExamSession, Result
from exam_engine.exams.results import current_result
from exam_engine.exams.sitting import lock_session
from exam_engine.exams.states import AttemptStatus, SanctionLevel, SessionStatus
from exam_engine.kernel.text import nfc

SANCTION_VI: dict[SanctionLevel, str] = {
    SanctionLevel.REPRIMAND: "Khiển trách", SanctionLevel.WARNING: "Cảnh cáo",
    SanctionLevel.EXPELLED: "Đình chỉ thi"}
SANCTION_EN: dict[SanctionLevel, str] = {
    SanctionLevel.REPRIMAND: "Reprimand", SanctionLevel.WARNING: "Warning",
    SanctionLevel.EXPELLED: "Expulsion from the test"}
#: what each level does to the score, as staff and the biên bản read it
SANCTION_EFFECT_VI: dict[SanctionLevel, str] = {
    SanctionLevel.REPRIMAND: "trừ 25 % điểm bài thi", SanctionLevel.WARNING: "trừ 50 % điểm bài thi",
    SanctionLevel.EXPELLED: "bài thi 0 điểm, không được công nhận kết quả"}
REASON_MAX = 2000


class InvalidSanction(ExamError):
    """The form's level or reason cannot be taken (the message names the field)."""

    http_status = 422


class SanctionRefused(ExamError):
    """A sanction the attempt's state does not allow (results approved, candidate absent)."""

    http_status = 409


def parse_level(raw: str | SanctionLevel | None) -> SanctionLevel:
    """The level from a form's ``level`` field (its value, e.g. ``khien_trach``)."""
    try:
        return SanctionLevel((raw or "").strip() if isinstance(raw, str) else raw)
    except ValueError:
        raise InvalidSanction(
            "Hình thức xử lý (level) phải là khiển trách, cảnh cáo hoặc đình chỉ thi.",
            "level: must be khien_trach, canh_cao or dinh_chi") from None


def sanctions_of(db: Session, attempt_id: int) -> list[AttemptSanction]:
    """The attempt's sanctions, in the order they were decided."""
    return list(db.scalars(select(AttemptSanction).where(AttemptSanction.attempt_id == attempt_id)
                           .order_by(AttemptSanction.id)))


def decide_sanction(db: Session, attempt_id: int, level: SanctionLevel | str, reason: str,
                    decided_by: int | None, now: datetime) -> AttemptSanction:
    """Decide ``level`` against the attempt and let it take effect on the score (see the module
    docstring). Deciding a level the attempt already has returns that first decision and
    changes nothing. Flushes; the caller's unit of work commits."""
    level = parse_level(level)
    reason = nfc(reason or "")[:REASON_MAX]
    if not reason:
        raise InvalidSanction("Hãy ghi lý do xử lý kỷ luật (reason).",
                              "reason: give the reason for the sanction")
    attempt = get_attempt(db, attempt_id, lock=True)  # serialises decisions, re-grades and the clock
    # Locked in the order the late-save re-grade takes (attempt, then session); the session
    # lock serialises this with approval, so no sanction slips in after results are approved.
    session = lock_session(db, attempt.candidate.exam_session_id)
    if session is None or session.status is SessionStatus.APPROVED:
        raise SanctionRefused(
            "Kết quả ca thi đã được duyệt: không thể quyết định kỷ luật nữa. Điều chỉnh kết "
            "quả đã duyệt là việc của thủ tục phúc khảo, khiếu nại (chưa có trong hệ thống).",
            "the session's results are approved: no sanction may be decided any more; changing "
            "an approved result is an appeal, which is not available yet")
    if attempt.status is AttemptStatus.ABSENT:
        raise SanctionRefused("Thí sinh vắng thi: không có bài thi để xử lý kỷ luật.",
                              "the candidate was absent: there is no attempt to sanction")
    earlier = sanctions_of(db, attempt.id)
    same = next((s for s in earlier if s.level is level), None)
    if same is not None:
        return same
    sanction = AttemptSanction(attempt_id=attempt.id, level=level, reason=reason,
                               decided_by=decided_by, decided_at=now)
    try:
        with db.begin_nested():
            db.add(sanction)
    except IntegrityError:
        # a decision that raced past the check above (SQLite without the row lock): the
        # database kept the first, which is the answer to both
        first = db.scalar(select(AttemptSanction).where(
            AttemptSanction.attempt_id == attempt.id, AttemptSanction.level == level))
        if first is None:
            raise
        return first
    _take_effect(db, attempt, before=most_severe_sanction(s.level for s in earlier),
                 level=level, decided_by=decided_by, now=now)
    db.flush()
    return sanction


def _take_effect(db: Session, attempt: Attempt, *, before: SanctionLevel | None,
                 level: SanctionLevel, decided_by: int | None, now: datetime) -> None:
    if before is not None and most_severe_sanction([before, level]) is before:
        return  # milder than a level decided already: recorded, the score stays as it is
    if level is SanctionLevel.EXPELLED and attempt.status in (AttemptStatus.IN_PROGRESS,
                                                               AttemptStatus.PAUSED):
        actor = f"user:{decided_by}" if decided_by is not None else "system"
        force_submit(db, attempt.id, now, actor)  # graded with the sanction applied
    elif attempt.status is AttemptStatus.SUBMITTED:
        grade_attempt(db, attempt)


@dataclass(frozen=True)
class SanctionedCandidate:
    """A candidate with sanctions, as staff see him before approving."""

    candidate: Candidate
    sanctions: list[AttemptSanction]  # oldest first
    result: Result | None             # the current result (None: not graded yet)

    @property
    def applied(self) -> SanctionLevel | None:
        """The level grading applies: the most severe."""
        return most_severe_sanction(s.level for s in self.sanctions)


def sanctioned_candidates(db: Session, session: ExamSession) -> list[SanctionedCandidate]:
    """The session's candidates with at least one sanction, by số báo danh."""
    rows = db.execute(select(Candidate, AttemptSanction)
                      .join(Attempt, Attempt.candidate_id == Candidate.id)
                      .join(AttemptSanction, AttemptSanction.attempt_id == Attempt.id)
                      .where(Candidate.exam_session_id == session.id)
                      .order_by(Candidate.candidate_number, AttemptSanction.id)).all()
    grouped: dict[int, tuple[Candidate, list[AttemptSanction]]] = {}
    for candidate, sanction in rows:
        grouped.setdefault(candidate.id, (candidate, []))[1].append(sanction)
    return [SanctionedCandidate(candidate, decided, current_result(db, decided[0].attempt_id))
            for candidate, decided in grouped.values()]
