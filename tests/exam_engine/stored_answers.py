"""Reading what the server stored, as tests need it. Not a test module: imported, not collected.

The server stores every answer in part ids; browser and API tests speak in the positions the
candidate saw, so ``answers_as_shown`` maps choice answers back to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.models import Answer, AttemptItem
from item_bank.models import ItemVersion


def answers_as_shown(db: Session, attempt_id: int) -> dict[int, tuple[list[int], int, bool]]:
    """position -> (shown positions ticked, seq, flagged) of a choice-only form, from a fresh
    snapshot (the live server writes from another thread)."""
    db.rollback()
    rows = db.execute(select(Answer.position, Answer.selected, Answer.seq, Answer.flagged,
                             AttemptItem.option_order, ItemVersion.content)
                      .join(AttemptItem, (AttemptItem.attempt_id == Answer.attempt_id)
                            & (AttemptItem.position == Answer.position))
                      .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
                      .where(Answer.attempt_id == attempt_id)).all()
    answers = {}
    for row in rows:
        shown = [row.content["choices"][i]["id"] for i in row.option_order]
        answers[row.position] = (sorted(shown.index(p) for p in row.selected), row.seq,
                                 row.flagged)
    return answers


def json_keys(value: Any) -> Iterator[str]:
    """Every key of every object in a JSON document."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from json_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from json_keys(inner)
