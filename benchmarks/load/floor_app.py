"""The floor: a bare Flask app whose one endpoint commits one row per request.

Plain SQLAlchemy Core on psycopg (or sqlite3, WAL, fsync on each commit), no ORM, no session
cookie, no CSRF: the least a "save an answer" request can cost on this stack. The exam's save
path is reported as a fraction of this, measured in the same run under the same gunicorn
settings (LOAD.md: figures move ±30–50 % between runs, so never compare across runs).

    FLOOR_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/exam_bench \
        gunicorn -w 4 -k sync -b 127.0.0.1:8001 benchmarks.load.floor_app:app
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
)
from sqlalchemy.pool import NullPool

metadata = MetaData()
floor_rows = Table(
    "floor_rows", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("candidate", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("selected", JSON, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)


def _engine(url: str):
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=10, max_overflow=20)
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def create_floor_app(url: str) -> Flask:
    app = Flask(__name__)
    engine = _engine(url)
    insert = floor_rows.insert()

    @app.post("/floor")
    def commit_one_row():
        body = request.get_json(silent=True) or {}
        with engine.begin() as conn:  # one transaction, one commit, like an answer save
            conn.execute(insert, {"candidate": int(body.get("candidate", 0)),
                                  "position": int(body.get("position", 0)),
                                  "selected": body.get("selected", []),
                                  "seq": int(body.get("seq", 0)),
                                  "saved_at": datetime.now(UTC)})
        return jsonify(ok=True, seq=int(body.get("seq", 0)))

    return app


def create_floor_table(url: str) -> None:
    engine = _engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    engine.dispose()


app = create_floor_app(os.environ.get("FLOOR_DATABASE_URL", "sqlite:///floor.sqlite3"))
