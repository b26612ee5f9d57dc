"""The demo a newcomer gets: the real TT03 bank, accounts of each role, a scheduled session."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from exam_engine.demo import DEMO_PASSWORD, DEMO_SESSION_CODE, seed_demo
from exam_engine.exams.models import AttemptItem, ExamSession
from exam_engine.kernel.accounts import User, authenticate
from item_bank.models import ItemVersion


def test_demo_seed_is_complete_and_idempotent(db):
    counts = seed_demo(db, date(2026, 11, 24))
    db.commit()
    assert counts["items"] >= 180 and counts["users"] == 6 and counts["sessions"] == 1
    again = seed_demo(db, date(2026, 11, 24))
    assert again == {"requirements": 0, "items": 0, "users": 0, "sessions": 0}
    assert authenticate(db, "canbo", DEMO_PASSWORD).role.value == "staff"
    assert db.scalar(select(func.count(User.id))) == 6
    session = db.scalar(select(ExamSession).where(ExamSession.session_code == DEMO_SESSION_CODE))
    assert session.status.value == "scheduled" and len(session.candidates) == 5
    form = db.scalars(select(AttemptItem).where(
        AttemptItem.attempt_id == session.candidates[0].attempt.id)).all()
    assert len(form) == 30
    assert all(db.get(ItemVersion, s.item_version_id).irt_is_demo for s in form)
