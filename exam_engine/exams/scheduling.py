"""Staff use cases before the exam: create a session, enrol the roster, schedule (assemble)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.assembly import assemble_form, check_pools
from exam_engine.exams.eligibility import holds_basic_certificate
from exam_engine.exams.errors import ExamError, InvalidRoster, RosterProblem
from exam_engine.exams.grading import CHOICE_KINDS
from exam_engine.exams.levels import (
    TT03_ADVANCED_MODULES,
    TT03_BASIC_MODULES,
    check_session_modules,
)
from exam_engine.exams.models import Attempt, AttemptItem, Candidate, ExamSession
from exam_engine.exams.sitting import lock_session
from exam_engine.exams.states import SessionStatus
from exam_engine.exams.transitions import transition_session
from exam_engine.kernel.text import identifier_key, nfc
from item_bank.content import ItemContent, ItemKind, content_from_json
from item_bank.models import Item, ItemStatus, ItemVersion

# The module lists live in ``levels``; re-exported here for the callers that read them here.
__all__ = ["TT03_ADVANCED_MODULES", "TT03_BASIC_MODULES", "RosterRow", "create_session",
           "enrol_candidates", "schedule_session", "approved_pools"]
# The item kinds the candidate's exam page renders: every kind of the bank.
EXAM_PAGE_KINDS = tuple(kind.value for kind in ItemKind)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out loud in a room


@dataclass(frozen=True)
class RosterRow:
    candidate_number: str
    full_name: str
    date_of_birth: date | None  # None: unreadable, already named in ``problems``
    place_of_birth: str
    gender: str
    citizen_id: str
    ethnicity: str = "Kinh"
    line: int | None = None  # where the row came from, for error messages
    problems: tuple[RosterProblem, ...] = ()  # found while reading it (a date that is no date)


def new_session_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def create_session(db: Session, *, title: str, exam_date: date, room: str, exam_council: str,
                   duration_minutes: int, items_per_module: Mapping[str, int],
                   pass_percent: float = 50.0, certificate_type: str = "basic",
                   created_by: int | None = None, sitting_opens_at: datetime | None = None,
                   sitting_closes_at: datetime | None = None) -> ExamSession:
    """A draft session. Its modules must fit its level (``levels.check_session_modules``); the
    sitting window, when given, bounds when attempts may start (``sitting``)."""
    if duration_minutes <= 0:
        raise ExamError("Thời gian làm bài phải lớn hơn 0 phút.", "duration must be positive")
    if not 0 < pass_percent <= 100:
        raise ExamError("Ngưỡng đạt phải trong khoảng (0, 100] %.",
                        "pass percent must be in (0, 100]")
    counts = {nfc(m).upper(): int(n) for m, n in items_per_module.items() if int(n) > 0}
    if not counts:
        raise ExamError("Đề thi phải có ít nhất một câu hỏi.", "the form needs items")
    check_session_modules(certificate_type, counts, complete=False)
    if sitting_opens_at and sitting_closes_at and sitting_closes_at <= sitting_opens_at:
        raise ExamError("Giờ đóng ca thi phải sau giờ mở.", "the window must close after it opens")
    session = ExamSession(title=nfc(title), exam_date=exam_date, room=nfc(room),
                          exam_council=nfc(exam_council), duration_minutes=duration_minutes,
                          items_per_module=counts, pass_percent=pass_percent,
                          certificate_type=certificate_type, session_code=new_session_code(),
                          created_by=created_by, sitting_opens_at=sitting_opens_at,
                          sitting_closes_at=sitting_closes_at)
    db.add(session)
    db.flush()
    return session


_CCCD = re.compile(r"\d{12}")


def _validate_row(index: int, row: RosterRow) -> tuple[RosterRow, list[RosterProblem]]:
    """The row cleaned (NFC, trimmed), and every problem of it — not only the first."""
    line = row.line or index + 1
    problems = list(row.problems)
    number = nfc(row.candidate_number).strip()
    if not number:
        problems.append(RosterProblem(line, "số báo danh", "không được để trống", "empty"))
    name = " ".join(nfc(row.full_name).split())
    if not name:
        problems.append(RosterProblem(line, "họ và tên", "không được để trống", "empty"))
    gender = nfc(row.gender).strip().capitalize()
    if gender not in ("Nam", "Nữ"):
        problems.append(RosterProblem(line, "giới tính", "phải là 'Nam' hoặc 'Nữ'",
                                      "must be Nam or Nữ"))
    if not _CCCD.fullmatch(row.citizen_id.strip()):
        problems.append(RosterProblem(line, "CCCD", "phải gồm đúng 12 chữ số",
                                      "12 digits required"))
    clean = RosterRow(number, name, row.date_of_birth, nfc(row.place_of_birth), gender,
                      row.citizen_id.strip(), nfc(row.ethnicity) or "Kinh", line)
    return clean, problems


def enrol_candidates(db: Session, session: ExamSession, rows: Sequence[RosterRow]) -> list[Candidate]:
    """Add the roster; every row is checked before anything is written (all-or-nothing), and a
    refusal names every problem by line and field (issue 10, hole 14), not just the first.
    For an advanced session every candidate must hold the basic certificate."""
    if session.status is not SessionStatus.DRAFT:
        raise ExamError("Chỉ thêm thí sinh khi ca thi chưa được xếp đề.",
                        "candidates can only be added before scheduling")
    problems: list[RosterProblem] = []
    clean: list[RosterRow] = []
    for i, row in enumerate(rows):
        cleaned, found = _validate_row(i, row)
        clean.append(cleaned)
        problems.extend(found)
    # Compared as logins compare them (identifier_key): "bn0001" and "BN0001" are one number.
    existing = {identifier_key(number) for number in db.scalars(
        select(Candidate.candidate_number).where(Candidate.exam_session_id == session.id))}
    for row in clean:
        if not row.candidate_number:
            continue
        key = identifier_key(row.candidate_number)
        if key in existing:
            problems.append(RosterProblem(row.line or 0, "số báo danh",
                                          f"{row.candidate_number} bị trùng",
                                          f"{row.candidate_number} is a duplicate"))
        existing.add(key)
    if session.certificate_type == "advanced":
        problems.extend(
            RosterProblem(row.line or 0, "CCCD",
                          f"{row.citizen_id} chưa có chứng chỉ ƯDCNTT cơ bản (bắt buộc để thi "
                          "nâng cao)", f"{row.citizen_id} holds no basic certificate")
            for row in clean if _CCCD.fullmatch(row.citizen_id)
            and not holds_basic_certificate(db, row.citizen_id))
    if problems:
        raise InvalidRoster.of(sorted(problems, key=lambda p: p.line))
    candidates = [Candidate(exam_session_id=session.id, candidate_number=row.candidate_number,
                            full_name=row.full_name, date_of_birth=row.date_of_birth,
                            place_of_birth=row.place_of_birth, gender=row.gender,
                            citizen_id=row.citizen_id, ethnicity=row.ethnicity)
                  for row in clean]
    db.add_all(candidates)
    db.flush()
    return candidates


def approved_pools(db: Session, modules: Sequence[str]
                   ) -> tuple[dict[str, list[int]], dict[int, int | ItemContent]]:
    """Approved item versions per module, and each version's shape for ``assemble_form``: the
    number of options of a choice item, the content of any other kind."""
    rows = db.execute(select(ItemVersion.id, Item.module, ItemVersion.content)
                      .join(Item, Item.id == ItemVersion.item_id)
                      .where(ItemVersion.status == ItemStatus.APPROVED, Item.module.in_(modules),
                             ItemVersion.kind.in_(EXAM_PAGE_KINDS))
                      .order_by(ItemVersion.id)).all()
    pools: dict[str, list[int]] = {m: [] for m in modules}
    shapes: dict[int, int | ItemContent] = {}
    for version_id, module, content in rows:
        pools[module].append(version_id)
        shapes[version_id] = (len(content["choices"]) if content["kind"] in CHOICE_KINDS
                              else content_from_json(content))
    return pools, shapes


def schedule_session(db: Session, session: ExamSession, seed: int | None = None, *,
                     actor: str = "system", now: datetime | None = None) -> int:
    """Assemble every candidate's own random form now, before the room opens.

    Each attempt keeps its seed (derived from the session seed), so any form can be replayed.
    Returns the number of forms assembled: 0 when the session was already scheduled — a second
    "Xếp đề" (a double click, two staff at once) is a calm no-op. The session row is locked
    first, so of two simultaneous requests the second waits and then finds it scheduled.
    """
    session = lock_session(db, session.id) or session
    if session.status is not SessionStatus.DRAFT:
        return 0
    check_session_modules(session.certificate_type, session.items_per_module, complete=False)
    if not session.candidates:
        raise ExamError("Ca thi chưa có thí sinh.", "the roster is empty")
    pools, shapes = approved_pools(db, list(session.items_per_module))
    check_pools(pools, session.items_per_module)
    session.form_seed = int(seed if seed is not None else secrets.randbits(31))
    seeds = np.random.SeedSequence(session.form_seed).spawn(len(session.candidates))
    for candidate, child in zip(session.candidates, seeds, strict=True):
        attempt_seed = int(child.generate_state(1)[0] >> 1)
        attempt = Attempt(candidate_id=candidate.id, form_seed=attempt_seed)
        db.add(attempt)
        db.flush()
        form = assemble_form(pools, session.items_per_module, shapes,
                             np.random.default_rng(attempt_seed))
        db.add_all(AttemptItem(attempt_id=attempt.id, position=slot.position,
                               item_version_id=slot.item_version_id, module=slot.module,
                               option_order=(dict(slot.option_order)
                                             if isinstance(slot.option_order, dict)
                                             else list(slot.option_order)))
                   for slot in form)
    transition_session(db, session, SessionStatus.SCHEDULED, actor=actor,
                       at=now or datetime.now(UTC))
    db.flush()
    return len(session.candidates)
