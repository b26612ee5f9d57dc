"""Demo data for a newcomer: accounts of every role, the TT03 basic bank, a scheduled session."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.models import ExamSession
from exam_engine.exams.scheduling import (
    RosterRow,
    create_session,
    enrol_candidates,
    schedule_session,
)
from exam_engine.kernel.accounts import Role, User, create_user
from exam_engine.kernel.db import utcnow
from item_bank.seed import load_basic_bank, load_requirements
from item_bank.seeding import seed_items, seed_requirements
from proctor.login_codes import issue_login_code

DEMO_PASSWORD = "demo-2026"
DEMO_USERS = (
    ("quantri", "Quản trị hệ thống", Role.ADMIN),
    ("canbo", "Trần Thị Minh Thư (Sở GD&ĐT)", Role.STAFF),
    ("giaovien", "Lê Văn Hưng", Role.TEACHER),
    ("phanbien", "Phạm Thị Ngọc Ánh", Role.REVIEWER),
    ("giamthi", "Đỗ Quang Vinh", Role.PROCTOR),
    ("hocsinh", "Vũ Khánh Linh", Role.STUDENT),
)
DEMO_SESSION_CODE = "DEMO26"
DEMO_ROSTER = (
    RosterRow("BN0001", "Nguyễn Thị Ánh Tuyết", date(1990, 5, 17), "Bắc Ninh", "Nữ", "027190001234"),
    RosterRow("BN0002", "Trần Văn Đức", date(1985, 11, 2), "Hà Nội", "Nam", "001085004321"),
    RosterRow("BN0003", "Lê Hoàng Yến", date(1998, 1, 30), "Thừa Thiên Huế", "Nữ", "046198007777"),
    RosterRow("BN0004", "Đặng Quốc Việt", date(2001, 8, 9), "Hải Dương", "Nam", "030201003456"),
    RosterRow("BN0005", "Hoàng Thị Thu Hằng", date(1979, 3, 21), "Lạng Sơn", "Nữ", "020179009876",
              ethnicity="Tày"),
)
# The demo candidates' personal one-time login codes (issue 11), fixed so the README and the
# demo banner can print them. Each is spent once its candidate starts; the proctor (giamthi)
# prints a new card from his page. Login mode of the demo session: personal code.
DEMO_LOGIN_CODES = {"BN0001": "K7MQ2XRA", "BN0002": "P3WZ8HTC", "BN0003": "D9FN4JVE",
                    "BN0004": "R6YB5SKU", "BN0005": "H2CX7WGM"}


def seed_demo(db: Session, today: date) -> dict[str, int]:
    """Idempotent: a second run adds nothing."""
    counts = {"requirements": seed_requirements(db, load_requirements()),
              "items": seed_items(db, load_basic_bank()), "users": 0, "sessions": 0}
    for username, name, role in DEMO_USERS:
        if db.scalar(select(User.id).where(User.username == username)) is None:
            create_user(db, username, DEMO_PASSWORD, name, role)
            counts["users"] += 1
    if db.scalar(select(ExamSession.id).where(ExamSession.session_code == DEMO_SESSION_CODE)) is None:
        staff = db.scalar(select(User).where(User.username == "canbo"))
        session = create_session(
            db, title="Kỳ thi Ứng dụng CNTT cơ bản — ca mẫu", exam_date=today,
            room="Phòng máy 1", exam_council="Hội đồng thi Sở GD&ĐT Bắc Ninh",
            duration_minutes=40, items_per_module={m: 5 for m in
                                                   ("IU01", "IU02", "IU03", "IU04", "IU05", "IU06")},
            pass_percent=50.0, created_by=staff.id if staff else None)
        session.session_code = DEMO_SESSION_CODE
        candidates = enrol_candidates(db, session, DEMO_ROSTER)
        schedule_session(db, session, seed=2026)
        for candidate in candidates:
            issue_login_code(db, candidate, utcnow(),
                             code=DEMO_LOGIN_CODES[candidate.candidate_number])
        counts["sessions"] = 1
    return counts
