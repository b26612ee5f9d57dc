"""Forensics end to end from the database: a simulated session of N candidates written as real
rows (items, forms with shuffled options, answers in part ids, the response log with times and
answer changes, rooms of 30 with their seats), then ``proctor.forensics_job`` reads it, runs
the core and stores the report, timed phase by phase.

    .venv/bin/python benchmarks/forensics_job.py                       # SQLite, 2,000 candidates
    .venv/bin/python benchmarks/forensics_job.py --candidates 10000 --backend postgresql

The tests seed their sessions with :func:`seed_simulated_session` too (tests/proctor).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exam_engine.exams.models import (  # noqa: E402
    Answer,
    Attempt,
    AttemptItem,
    Candidate,
    ExamSession,
    ResponseLogEntry,
)
from exam_engine.exams.states import AttemptStatus, SessionStatus  # noqa: E402
from exam_engine.kernel.db import utcnow  # noqa: E402
from item_bank.content import choice_item, content_to_json  # noqa: E402
from item_bank.models import Item, ItemStatus, ItemVersion  # noqa: E402
from proctor.forensics import SimulatedSession, simulate_session  # noqa: E402
from proctor.models import ExamRoom, ForensicsRun, SeatAssignment  # noqa: E402

NAMES = ("Nguyễn Thị Ánh Tuyết", "Trần Văn Đức", "Lê Hoàng Yến", "Đặng Quốc Việt",
         "Hoàng Thị Thu Hằng", "Trương Ngọc Ưng Hoàng", "Phạm Minh Châu", "Vũ Đình Khôi")
TARGET_SECONDS = 30.0  # the target for the core alone on 10,000 candidates


def seat_label(row: float, column: float) -> str:
    """"A1" for row 0, column 0 (the rooms' seat names)."""
    return f"{chr(ord('A') + int(row))}{int(column) + 1}"


def seed_simulated_session(db: Session, sim: SimulatedSession, *,
                           first_choices: np.ndarray | None = None, rooms: bool = True,
                           log: bool = True, calibrated: bool = True,
                           status: SessionStatus = SessionStatus.CLOSED,
                           seed: int = 0) -> ExamSession:
    """Write ``sim`` as a session: candidate i is BN{i+1:04d}, item j the single-choice
    ``FX…-{j:03d}`` with the simulation's 2PL (calibrated, or flagged as demo guesses), every
    candidate SUBMITTED with all items in a shuffled option order. ``first_choices`` (n, m):
    the first answer given where it differs from the final one (NaN = answered once); the log
    then holds both saves. ``rooms``: the simulation's rooms and seats, else none. Committed."""
    rng = np.random.default_rng(seed)
    n, m = sim.choices.shape
    n_options = int(max(sim.choices.max(), sim.keys.max())) + 1
    prefix = f"FX{secrets.token_hex(3).upper()}"
    b = sim.params.b
    versions = []
    for j in range(m):
        item = Item(key=f"{prefix}-{j:03d}", module="IU01")
        db.add(item)
        db.flush()
        content = choice_item("single", f"Câu hỏi phân tích số {j + 1}: chọn đáp án đúng?",
                              [f"Phương án {k + 1}" for k in range(n_options)],
                              [int(sim.keys[j])])
        version = ItemVersion(item_id=item.id, version=1, kind="single",
                              content=content_to_json(content), status=ItemStatus.APPROVED,
                              irt_a=float(sim.params.a[j]), irt_b=float(b[j]), irt_c=0.0,
                              irt_is_demo=not calibrated)
        db.add(version)
        versions.append(version)
    db.flush()
    now = utcnow()
    session = ExamSession(title="Ca thi phân tích thử", exam_date=date(2026, 11, 24),
                          room="Phòng 1", exam_council="Hội đồng thi Sở GD&ĐT Bắc Ninh",
                          duration_minutes=60, items_per_module={"IU01": m},
                          session_code=secrets.token_hex(5).upper(), status=status,
                          closed_at=now if status is not SessionStatus.SCHEDULED else None)
    db.add(session)
    db.flush()
    candidate_ids = list(db.scalars(insert(Candidate).returning(
        Candidate.id, sort_by_parameter_order=True), [
        {"exam_session_id": session.id, "candidate_number": f"BN{i + 1:04d}",
         "full_name": NAMES[i % len(NAMES)], "date_of_birth": date(1990, 1, 1 + i % 28),
         "place_of_birth": "Bắc Ninh", "gender": "Nữ" if i % 2 == 0 else "Nam",
         "citizen_id": f"027190{i:06d}"} for i in range(n)]))
    started = now - timedelta(hours=2)
    attempt_ids = list(db.scalars(insert(Attempt).returning(
        Attempt.id, sort_by_parameter_order=True), [
        {"candidate_id": cid, "status": AttemptStatus.SUBMITTED, "form_seed": i,
         "started_at": started, "deadline": started + timedelta(hours=1),
         "submitted_at": started + timedelta(minutes=55), "part_secret": secrets.token_hex(16)}
        for i, cid in enumerate(candidate_ids)]))
    ids = [chr(ord("A") + k) for k in range(n_options)]
    for start in range(0, n, 500):  # in chunks: 10,000 candidates are over a million rows
        _write_papers(db, sim, versions, attempt_ids, range(start, min(n, start + 500)), ids,
                      first_choices, log, rng, now)
    if rooms:
        _seat(db, session.id, sim, candidate_ids)
    db.commit()
    return session


def _write_papers(db: Session, sim: SimulatedSession, versions: list[ItemVersion],
                  attempt_ids: list[int], people: range, ids: list[str],
                  first_choices: np.ndarray | None, log: bool, rng: np.random.Generator,
                  now: datetime) -> None:
    """Forms, final answers and the response log of candidates ``people``."""
    n_options = len(ids)
    slots, answers, entries = [], [], []
    for i in people:
        attempt_id = attempt_ids[i]
        for j, version in enumerate(versions):
            slots.append({"attempt_id": attempt_id, "position": j,
                          "item_version_id": version.id, "module": "IU01",
                          "option_order": [int(k) for k in rng.permutation(n_options)]})
            final = [ids[int(sim.choices[i, j])]]
            first = None if first_choices is None else first_choices[i, j]
            saves = [final] if first is None or np.isnan(first) else [[ids[int(first)]], final]
            answers.append({"attempt_id": attempt_id, "position": j, "selected": final,
                            "seq": len(saves), "saved_at": now})
            ms = int(round(sim.times[i, j] * 1000))
            for seq, selected in enumerate(saves, start=1):
                entries.append({"attempt_id": attempt_id, "position": j, "seq": seq,
                                "selected": selected, "saved_at": now,
                                "client_ms_on_item": ms * seq // len(saves)})
    db.execute(insert(AttemptItem), slots)
    db.execute(insert(Answer), answers)
    if log:
        db.execute(insert(ResponseLogEntry), entries)


def _seat(db: Session, session_id: int, sim: SimulatedSession, candidate_ids: list[int]) -> None:
    room_ids = {}
    for r in np.unique(sim.rooms):
        members = sim.rooms == r
        room = ExamRoom(exam_session_id=session_id, name=f"Phòng {int(r) + 1:02d}",
                        rows=int(sim.seats[members, 0].max()) + 1,
                        columns=int(sim.seats[members, 1].max()) + 1)
        db.add(room)
        db.flush()
        room_ids[int(r)] = room.id
    db.execute(insert(SeatAssignment), [
        {"candidate_id": cid, "room_id": room_ids[int(sim.rooms[i])],
         "seat": seat_label(*sim.seats[i])} for i, cid in enumerate(candidate_ids)])


def main() -> None:
    from exam_engine.kernel.db import make_engine, make_session_factory
    from exam_engine.migrate import upgrade
    from proctor.forensics_job import analyse, gather_session_data, run_forensics

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/"
                        "exam_bench_forensics")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.backend == "sqlite":
            url = f"sqlite:///{Path(scratch) / 'forensics.sqlite3'}"
        else:
            url = args.pg_url
            _fresh_postgres(url)
        upgrade(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        sim = simulate_session(np.random.default_rng(args.seed), args.candidates,
                               copier_share=0.02, preknowledge_share=0.01)
        rng = np.random.default_rng(args.seed + 1)  # 5 % of answers changed once
        first = np.where(rng.random(sim.choices.shape) < 0.05,
                         (sim.choices + rng.integers(1, 4, sim.choices.shape)) % 4, np.nan)
        start = time.perf_counter()
        with sessions() as db:
            session = seed_simulated_session(db, sim, first_choices=first, seed=args.seed)
            session_id = session.id
        print(f"seeded {args.candidates:,} candidates × 40 items in "
              f"{time.perf_counter() - start:.1f} s ({args.backend})")
        with sessions() as db:
            start = time.perf_counter()
            data = gather_session_data(db, session_id)
            read = time.perf_counter() - start
            start = time.perf_counter()
            analyse(data)
            computed = time.perf_counter() - start
        with sessions() as db:
            run = ForensicsRun(exam_session_id=session_id)
            db.add(run)
            db.commit()
            start = time.perf_counter()
            summary = run_forensics(db, lambda *_: None, session_id=session_id, run_id=run.id)
            db.commit()
            whole = time.perf_counter() - start
        print("| candidates | read from the database | indices and report | whole job "
              "(read, compute, store) | flagged pairs / candidates |\n|---|---|---|---|---|")
        print(f"| {args.candidates:,} | {read:.1f} s | {computed:.1f} s | {whole:.1f} s | "
              f"{summary['pairs']} / {summary['candidates']} |")
        engine.dispose()


def _fresh_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    target = make_url(url)
    if target.database in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to drop the database {target.database!r}")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


if __name__ == "__main__":
    main()
