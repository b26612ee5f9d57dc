"""A scheduled session whose form holds one approved item of every kind (the samples of
``tests/item_bank/fixtures/samples.py``), and the answers to them worked by hand.

Shared by the delivery tests and the browser test. Not a test module: imported, not collected.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from exam_engine.exams.models import Attempt, AttemptItem, ExamSession
from exam_engine.exams.part_tokens import QuestionTokens, content_fields, response_in_tokens
from exam_engine.exams.scheduling import (
    RosterRow,
    create_session,
    enrol_candidates,
    schedule_session,
)
from item_bank.content import ItemKind, content_to_json
from item_bank.models import Item, ItemStatus, ItemVersion, RequirementCode
from tests.item_bank.fixtures.samples import sample

MODULE = "IU04"

# What the candidate answers, per kind, in the shape the page sends, and the credit it earns:
# single right, multiple wrong (all-or-nothing), true/false-4 two statements right (0.25 by the
# Ministry's table), matching one pair of three, ordering right, short answer right (case and
# spaces folded), numeric within the tolerance (decimal comma), cloze one gap of two.
ANSWERS: dict[ItemKind, tuple[Any, float]] = {
    ItemKind.TRUE_FALSE4: ({"A": True, "B": False, "C": False}, 0.25),
    ItemKind.MATCHING: ({"A": "2", "B": "3", "C": "1"}, 1 / 3),
    ItemKind.ORDERING: (["B", "A", "C"], 1.0),
    ItemKind.SHORT_ANSWER: ("  ctrl   z ", 1.0),
    ItemKind.NUMERIC: ("3,49", 1.0),
    ItemKind.CLOZE: ({"1": "sum", "2": "A1"}, 0.5),
}
# single: "B" (SUM) is right; multiple: only "A" of A, C ticked.
CHOICE_ANSWERS: dict[ItemKind, tuple[list[str], float]] = {
    ItemKind.SINGLE: (["B"], 1.0),
    ItemKind.MULTIPLE: (["A"], 0.0),
}
EXPECTED_CREDIT = 1.0 + 0.0 + 0.25 + 1 / 3 + 1.0 + 1.0 + 1.0 + 0.5
EXPECTED_FULL = 4  # single, ordering, short answer, numeric


def make_kind_bank(db: Session) -> dict[ItemKind, int]:
    """One approved version of each kind in module IU04; version id by kind."""
    if db.get(RequirementCode, MODULE) is None:
        db.add(RequirementCode(code=MODULE, module=MODULE, name="Mô-đun IU04"))
        db.flush()
    ids: dict[ItemKind, int] = {}
    for i, kind in enumerate(ItemKind):
        content = replace(sample(kind).content, shuffle=True)  # shuffled where the type allows
        item = Item(key=f"{MODULE}-K{i:02d}", module=MODULE, code=MODULE)
        db.add(item)
        db.flush()
        version = ItemVersion(item_id=item.id, version=1, kind=kind.value,
                              content=content_to_json(content), status=ItemStatus.APPROVED,
                              irt_a=1.0, irt_b=0.0, irt_c=0.0)
        db.add(version)
        db.flush()
        ids[kind] = version.id
    db.commit()
    return ids


def make_kind_session(db: Session, n_candidates: int = 1, seed: int = 7,
                      duration_minutes: int = 30) -> ExamSession:
    """A scheduled session of n candidates, each form holding the eight kinds once."""
    make_kind_bank(db)
    session = create_session(db, title="Ca thi mọi dạng câu hỏi", exam_date=date(2026, 11, 24),
                             room="Phòng 2", exam_council="Hội đồng thi Sở GD&ĐT Bắc Ninh",
                             duration_minutes=duration_minutes,
                             items_per_module={MODULE: len(ItemKind)})
    enrol_candidates(db, session, [
        RosterRow(f"BK{i + 1:04d}", "Nguyễn Văn Thành", date(1995, 3, 1) + timedelta(days=i), "Bắc Ninh", "Nam",
                  f"0272950{i:05d}") for i in range(n_candidates)])
    schedule_session(db, session, seed=seed)
    db.commit()
    return session


def slots_by_kind(db: Session, attempt_id: int) -> dict[ItemKind, AttemptItem]:
    slots = db.query(AttemptItem).filter(AttemptItem.attempt_id == attempt_id).all()
    return {ItemKind(db.get(ItemVersion, slot.item_version_id).kind): slot for slot in slots}


def as_page_sends(db: Session, attempt_id: int, position: int, response: Any) -> Any:
    """``response``, written in part ids, as the page sends it: every part named by its
    opaque per-attempt id (``exam_engine.exams.part_tokens``)."""
    slot = db.get(AttemptItem, (attempt_id, position))
    version = db.get(ItemVersion, slot.item_version_id)
    fields = content_fields(version.content_model)
    tokens = QuestionTokens(db.get(Attempt, attempt_id).part_secret, position, fields)
    return response_in_tokens(version.kind, response, tokens)


def shown_positions(slot: AttemptItem, version: ItemVersion, ids: list[str]) -> list[int]:
    """The shown positions of the choice ids ``ids`` on this candidate's form."""
    originals = [i for i, part in enumerate(version.content["choices"]) if part["id"] in ids]
    return sorted(slot.option_order.index(o) for o in originals)


def start_kind_attempt(db: Session, now: datetime) -> Attempt:
    """The started attempt of a one-candidate session whose form has every kind once."""
    from exam_engine.exams import delivery
    attempt = make_kind_session(db).candidates[0].attempt
    delivery.start_attempt(db, attempt.id, now)
    db.commit()
    return attempt
