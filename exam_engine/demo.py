"""Demo data for a newcomer: accounts of every role, the TT03 basic bank, a scheduled session."""

from __future__ import annotations

import io
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
from proctor.photos import set_photo
from proctor.room_setup import assign_seats_automatically, create_room, set_room_proctors

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
        _seat_the_demo_room(db, session.id, staff_id=staff.id if staff else None,
                            candidates=candidates)
        counts["sessions"] = 1
    return counts


def _seat_the_demo_room(db: Session, session_id: int, *, staff_id: int | None,
                        candidates) -> None:
    """One room of 2 × 3 seats (B3 kept spare for a move), the five candidates seated,
    the proctor giamthi in charge, and a placeholder photo each. The room is not open: the
    proctor opens it (as on an exam day) before anyone can start."""
    proctor = db.scalar(select(User).where(User.username == "giamthi"))
    room = create_room(db, session_id, name="Phòng máy 1", rows=2, columns=3, spare_seats=["B3"])
    actor = staff_id or (proctor.id if proctor else None)
    now = utcnow()
    if proctor is not None and actor is not None:
        set_room_proctors(db, room.id, [proctor.id], actor_id=actor, now=now)
    if actor is not None:
        assign_seats_automatically(db, session_id, actor_id=actor, now=now)
    for candidate in candidates:
        set_photo(db, candidate.id, _placeholder_photo(candidate.full_name),
                  file=f"{candidate.candidate_number}.png", actor_id=actor, now=now)


def _placeholder_photo(full_name: str) -> bytes:
    """A plain portrait placeholder with the initials (the demo has no real photos)."""
    from PIL import Image, ImageDraw
    image = Image.new("RGB", (300, 400), (214, 226, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((95, 70, 205, 190), fill=(150, 168, 190))        # head
    draw.rounded_rectangle((50, 210, 250, 420), 90, fill=(150, 168, 190))  # shoulders
    initials = "".join(word[0] for word in full_name.split()[-2:])
    draw.text((150, 130), initials, fill=(255, 255, 255), anchor="mm", font_size=48)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
