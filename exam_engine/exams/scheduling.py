"""Staff use cases before the exam: create a session, enrol the roster, schedule (assemble)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.assembly import assemble_form, check_pools
from exam_engine.exams.errors import ExamError, InvalidRoster
from exam_engine.exams.grading import CHOICE_KINDS
from exam_engine.exams.models import Attempt, AttemptItem, Candidate, ExamSession
from exam_engine.exams.states import SessionStatus
from exam_engine.kernel.text import nfc
from item_bank.content import ItemContent, ItemKind, content_from_json
from item_bank.models import Item, ItemStatus, ItemVersion

TT03_BASIC_MODULES = ("IU01", "IU02", "IU03", "IU04", "IU05", "IU06")
# The item kinds the candidate's exam page renders: every kind of the bank.
EXAM_PAGE_KINDS = tuple(kind.value for kind in ItemKind)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out loud in a room


@dataclass(frozen=True)
class RosterRow:
    candidate_number: str
    full_name: str
    date_of_birth: date
    place_of_birth: str
    gender: str
    citizen_id: str
    ethnicity: str = "Kinh"
    line: int | None = None  # where the row came from, for error messages


def new_session_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def create_session(db: Session, *, title: str, exam_date: date, room: str, exam_council: str,
                   duration_minutes: int, items_per_module: Mapping[str, int],
                   pass_percent: float = 50.0, certificate_type: str = "basic",
                   created_by: int | None = None) -> ExamSession:
    if duration_minutes <= 0:
        raise ExamError("Thời gian làm bài phải lớn hơn 0 phút.", "duration must be positive")
    if not 0 < pass_percent <= 100:
        raise ExamError("Ngưỡng đạt phải trong khoảng (0, 100] %.",
                        "pass percent must be in (0, 100]")
    counts = {nfc(m).upper(): int(n) for m, n in items_per_module.items() if int(n) > 0}
    if not counts:
        raise ExamError("Đề thi phải có ít nhất một câu hỏi.", "the form needs items")
    session = ExamSession(title=nfc(title), exam_date=exam_date, room=nfc(room),
                          exam_council=nfc(exam_council), duration_minutes=duration_minutes,
                          items_per_module=counts, pass_percent=pass_percent,
                          certificate_type=certificate_type, session_code=new_session_code(),
                          created_by=created_by)
    db.add(session)
    db.flush()
    return session


_CCCD = re.compile(r"\d{12}")


def _validate_row(index: int, row: RosterRow) -> RosterRow:
    where = f"dòng {row.line or index + 1}"
    number = nfc(row.candidate_number)
    if not number:
        raise InvalidRoster(f"{where}, số báo danh: không được để trống",
                            f"line {row.line or index + 1}, candidate_number: empty")
    name = " ".join(nfc(row.full_name).split())
    if not name:
        raise InvalidRoster(f"{where}, họ và tên: không được để trống",
                            f"line {row.line or index + 1}, full_name: empty")
    gender = nfc(row.gender).capitalize()
    if gender not in ("Nam", "Nữ"):
        raise InvalidRoster(f"{where}, giới tính: phải là 'Nam' hoặc 'Nữ'",
                            f"line {row.line or index + 1}, gender: must be Nam or Nữ")
    if not _CCCD.fullmatch(row.citizen_id.strip()):
        raise InvalidRoster(f"{where}, CCCD: phải gồm đúng 12 chữ số",
                            f"line {row.line or index + 1}, citizen_id: 12 digits required")
    return RosterRow(number, name, row.date_of_birth, nfc(row.place_of_birth), gender,
                     row.citizen_id.strip(), nfc(row.ethnicity) or "Kinh", row.line)


def enrol_candidates(db: Session, session: ExamSession, rows: Sequence[RosterRow]) -> list[Candidate]:
    """Add the roster; every row is checked before anything is written (all-or-nothing)."""
    if session.status is not SessionStatus.DRAFT:
        raise ExamError("Chỉ thêm thí sinh khi ca thi chưa được xếp đề.",
                        "candidates can only be added before scheduling")
    clean = [_validate_row(i, row) for i, row in enumerate(rows)]
    existing = set(db.scalars(select(Candidate.candidate_number)
                              .where(Candidate.exam_session_id == session.id)))
    for i, row in enumerate(clean):
        if row.candidate_number in existing:
            raise InvalidRoster(f"dòng {row.line or i + 1}, số báo danh: "
                                f"{row.candidate_number} bị trùng",
                                f"line {row.line or i + 1}, candidate_number: duplicate")
        existing.add(row.candidate_number)
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


def schedule_session(db: Session, session: ExamSession, seed: int | None = None) -> int:
    """Assemble every candidate's own random form now, before the room opens.

    Each attempt keeps its seed (derived from the session seed), so any form can be replayed.
    Returns the number of forms assembled.
    """
    if session.status is not SessionStatus.DRAFT:
        raise ExamError("Ca thi đã được xếp đề.", "the session is already scheduled")
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
    session.status = SessionStatus.SCHEDULED
    db.flush()
    return len(session.candidates)
