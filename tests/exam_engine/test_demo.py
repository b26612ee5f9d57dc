"""The demo a newcomer gets: the real TT03 bank, accounts of each role, a scheduled session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from exam_engine.demo import DEMO_LOGIN_CODES, DEMO_PASSWORD, DEMO_SESSION_CODE, seed_demo
from exam_engine.exams.models import AttemptItem, ExamSession
from exam_engine.kernel.accounts import User, authenticate
from item_bank.models import ItemVersion
from tests.conftest import csrf_token_of


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


def test_the_demo_candidates_log_in_with_the_codes_the_readme_prints(app, client, db):
    """Issue 11: the session code alone lets nobody in, so the demo must hand out codes."""
    seed_demo(db, date(2026, 11, 24))
    db.commit()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    for number, code in DEMO_LOGIN_CODES.items():
        assert f"`{number}` `{code}`" in readme
    page = client.get("/thi/dang-nhap").get_data(as_text=True)
    response = client.post("/thi/dang-nhap", data={"candidate_number": "BN0003",
                                                   "login_code": DEMO_LOGIN_CODES["BN0003"],
                                                   "csrf_token": csrf_token_of(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/thi/")
