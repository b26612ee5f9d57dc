"""The benchmark's own database: created fresh, migrated, seeded with a bank and N candidates.

Never the test suite's database (`test`): PostgreSQL gets its own database (default
`exam_bench`), SQLite a file in the run's scratch directory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from exam_engine.exams.scheduling import (
    TT03_BASIC_MODULES,
    RosterRow,
    create_session,
    enrol_candidates,
    schedule_session,
)
from exam_engine.kernel.db import make_engine, make_session_factory, transaction
from exam_engine.migrate import upgrade
from proctor.login_codes import issue_login_code

from .bank import seed_bank

NAMES = ("Nguyễn Thị Ánh Tuyết", "Trần Văn Đức", "Lê Hoàng Yến", "Đặng Quốc Việt",
         "Hoàng Thị Thu Hằng", "Trương Ngọc Ưng Hoàng", "Phạm Minh Châu", "Vũ Đình Khôi")


@dataclass(frozen=True)
class Seat:
    """One simulated candidate: what they type at the login page."""

    candidate_number: str
    session_code: str
    login_code: str  # the personal code an exam card would print (issue 11)


def fresh_database(backend: str, pg_admin_url: str, pg_name: str, scratch: Path) -> str:
    """Drop and create the bench database, migrate it; returns its SQLAlchemy URL."""
    if backend == "sqlite":
        path = scratch / "exam_bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        if pg_name in ("test", "postgres", "template0", "template1"):
            raise SystemExit(f"refusing to drop the database {pg_name!r}: pick another --pg-db")
        admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
        admin.dispose()
        url = make_url(pg_admin_url).set(database=pg_name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def seed(url: str, n_candidates: int, *, room_size: int, items_per_module: int,
         bank_per_module: int, duration_minutes: int, kinds: str = "all") -> list[Seat]:
    """A bank (``bank.seed_bank``: every item kind, or choice only), then sessions of
    `room_size` candidates, each scheduled (forms assembled now)."""
    engine = make_engine(url)
    factory = make_session_factory(engine, writes=True)
    seats: list[Seat] = []
    started = time.perf_counter()
    with transaction(factory) as db:
        seed_bank(db, bank_per_module, kinds)
    number = 0
    for room in range(0, n_candidates, room_size):
        size = min(room_size, n_candidates - room)
        with transaction(factory) as db:
            session = create_session(
                db, title="Ca đo tải", exam_date=date.today(), room=f"Phòng {room // room_size + 1}",
                exam_council="Hội đồng thi đo tải", duration_minutes=duration_minutes,
                items_per_module={m: items_per_module for m in TT03_BASIC_MODULES})
            rows = []
            for _ in range(size):
                number += 1
                rows.append(RosterRow(f"TS{number:06d}", NAMES[number % len(NAMES)],
                                      date(2000, 1 + number % 12, 1 + number % 28), "Bắc Ninh",
                                      "Nữ" if number % 2 else "Nam", f"{number:012d}"))
            enrolled = enrol_candidates(db, session, rows)
            schedule_session(db, session, seed=room)
            now = datetime.now(UTC)
            seats.extend(Seat(c.candidate_number, session.session_code,
                              issue_login_code(db, c, now)) for c in enrolled)
    engine.dispose()
    print(f"seeded {n_candidates} candidates in {-(-n_candidates // room_size)} sessions of "
          f"≤{room_size}, {items_per_module * len(TT03_BASIC_MODULES)} questions each "
          f"({time.perf_counter() - started:.1f} s)", flush=True)
    return seats


def submitted_count(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(text("SELECT count(*) FROM attempts WHERE status = 'submitted'"))
    engine.dispose()
    return int(n or 0)
