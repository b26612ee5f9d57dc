"""Helpers for the certificate tests: sit an exam through the real services, approve it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from exam_engine.exams import delivery, saving
from exam_engine.exams.models import AttemptItem
from exam_engine.exams.results import approve_results
from exam_engine.kernel.cache import MemoryCache
from exam_engine.kernel.legal_time import VIETNAM
from item_bank.models import ItemVersion

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def vn_morning(year: int, month: int, day: int) -> datetime:
    """09:00 in Hà Nội on that day (02:00 UTC)."""
    return datetime(year, month, day, 9, 0, tzinfo=VIETNAM)


def sit(db, attempt, right: bool | Iterable[str]) -> None:
    """Answer every question right (``True``), wrong (``False``), or right exactly in the given
    modules, and submit."""
    right_in: Callable[[str], bool] = ((lambda _module: right) if isinstance(right, bool)
                                       else (lambda module, modules=set(right): module in modules))
    delivery.start_attempt(db, attempt.id, T0)
    for slot in db.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)):
        key = db.get(ItemVersion, slot.item_version_id).correct
        shown = sorted(slot.option_order.index(k) for k in key)
        choice = shown if right_in(slot.module) else [p for p in range(4) if p not in shown][:1]
        saving.save_answer(db, MemoryCache(), attempt.id, position=slot.position,
                           selected=choice, flagged=False, seq=1,
                           now=T0 + timedelta(minutes=1))
    delivery.submit_attempt(db, attempt.id, actor="candidate", now=T0 + timedelta(minutes=2))
    db.commit()


def approve(db, session) -> Any:
    approve_results(db, session, approved_by=None, now=T0 + timedelta(hours=2))
    db.commit()
    return session


def approved_session(db, make_session, n=3, passing=(True, False, True)):
    session = make_session(n_candidates=n)
    for candidate, right in zip(session.candidates, passing, strict=False):
        sit(db, candidate.attempt, right)
    return approve(db, session)
