"""Shared fixtures: a real database per backend (SQLite file and PostgreSQL), the app, factories.

PostgreSQL (127.0.0.1:5432, database `test`) and Redis (127.0.0.1:6379) are used when present.
Off CI a missing service skips its tests with the reason; under CI=true it fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from exam_engine.kernel.db import make_engine, make_session_factory
from exam_engine.migrations.models_registry import metadata

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ON_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, reason: str) -> None:
    """Skip loudly off CI; fail on CI, where every service must be there."""
    if available:
        return
    if ON_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def require_tool(name: str, package: str | None = None) -> str:
    """Path of an external tool; skip when absent, fail when CI=true."""
    path = shutil.which(name)
    hint = f" (apt-get install {package})" if package else ""
    require_service(path is not None, f"the tool {name!r} is not installed{hint}")
    return path  # type: ignore[return-value]


def _postgres_available() -> tuple[bool, str]:
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True, ""
    except Exception as error:  # noqa: BLE001 - any failure means "not here"
        return False, f"PostgreSQL is not reachable at {POSTGRES_URL}: {error.__class__.__name__}"


def _fresh_postgres_schema() -> tuple[str, str]:
    """A schema of its own for this test run, so parallel runs never share tables."""
    schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in POSTGRES_URL else "?"
    return schema, f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


def _drop_postgres_schema(schema: str) -> None:
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of each backend, once per test run."""
    from exam_engine.migrate import upgrade
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        upgrade(url)
        yield url
        return
    ok, reason = _postgres_available()
    require_service(ok, reason)
    schema, url = _fresh_postgres_schema()
    try:
        upgrade(url)
        yield url
    finally:
        _drop_postgres_schema(schema)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    from exam_engine.exams.saving import clear_form_shapes
    clear_form_shapes()  # ids restart with the tables: cached shapes would be of other forms
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # TRUNCATE of every table cost ~90 ms a test; most tests fill a few. Empty only
            # those with rows, then restart every sequence (ids start at 1 whatever a rolled-
            # back insert took): two cheap round trips.
            used = conn.execute(text(" UNION ALL ".join(
                f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables)))
            used = [row[0] for row in used]
            if used:
                conn.execute(text(f"TRUNCATE {', '.join(used)} CASCADE"))
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind"
                              " = 'S' AND c.relnamespace = current_schema()::regnamespace"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session on an empty database; the test commits as the app would."""
    _truncate(engine)
    session = make_session_factory(engine)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from certs.signing import generate_signing_key
    path = tmp_path_factory.mktemp("keys") / "cert_signing_key.pem"
    path.write_bytes(generate_signing_key())
    return path


@pytest.fixture
def app_config(database_url: str, signing_key: Path) -> dict[str, Any]:
    return {"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
            "CERT_SIGNING_KEY_FILE": str(signing_key), "PUBLIC_BASE_URL": "http://localhost",
            "SESSION_COOKIE_SECURE": False}  # the test client and browser talk plain HTTP


@pytest.fixture
def app(app_config: dict[str, Any], db: Session):
    from exam_engine import create_app
    app = create_app(app_config)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# ---- factories -------------------------------------------------------------------------------

@pytest.fixture
def make_bank(db: Session) -> Callable[..., dict[str, list[int]]]:
    """Approved single- and multiple-choice items for the given modules (n per module)."""
    from item_bank.content import choice_item, content_to_json
    from item_bank.models import Item, ItemStatus, ItemVersion, RequirementCode

    def make(modules: tuple[str, ...] = ("IU01", "IU02", "IU03", "IU04", "IU05", "IU06"),
             per_module: int = 6) -> dict[str, list[int]]:
        ids: dict[str, list[int]] = {}
        for module in modules:
            if db.get(RequirementCode, module) is None:
                db.add(RequirementCode(code=module, module=module, name=f"Mô-đun {module}"))
                db.flush()
            for i in range(per_module):
                multiple = i % 3 == 2
                item = Item(key=f"{module}-T{i:03d}", module=module, code=module)
                db.add(item)
                db.flush()
                content = choice_item(
                    "multiple" if multiple else "single",
                    f"Câu hỏi thử {module} số {i}: chọn đáp án đúng?",
                    ["Đáp án A", "Đáp án B", "Đáp án C", "Đáp án D"],
                    [0, 2] if multiple else [1])
                version = ItemVersion(
                    item_id=item.id, version=1, kind=content.kind.value,
                    content=content_to_json(content), status=ItemStatus.APPROVED,
                    irt_a=1.0 + 0.1 * i, irt_b=-1.0 + 0.4 * i, irt_c=0.0 if multiple else 0.2)
                db.add(version)
                db.flush()
                ids.setdefault(module, []).append(version.id)
        db.commit()
        return ids

    return make


@pytest.fixture
def make_session(db: Session, make_bank) -> Callable[..., Any]:
    """A scheduled exam session with a roster of n Vietnamese candidates."""
    from exam_engine.exams.scheduling import (
        RosterRow,
        create_session,
        enrol_candidates,
        schedule_session,
    )

    names = ["Nguyễn Thị Ánh Tuyết", "Trần Văn Đức", "Lê Hoàng Yến", "Đặng Quốc Việt",
             "Hoàng Thị Thu Hằng", "Trương Ngọc Ưng Hoàng"]

    def make(n_candidates: int = 3, per_module: int = 2, duration_minutes: int = 30,
             pass_percent: float = 50.0, schedule: bool = True):
        from item_bank.models import Item
        if db.scalar(select(Item.id).limit(1)) is None:
            make_bank()
        session = create_session(
            db, title="Ca thi thử", exam_date=date(2026, 11, 24), room="Phòng 1",
            exam_council="Hội đồng thi Sở GD&ĐT Bắc Ninh", duration_minutes=duration_minutes,
            items_per_module={m: per_module for m in ("IU01", "IU02", "IU03", "IU04", "IU05", "IU06")},
            pass_percent=pass_percent)
        rows = [RosterRow(f"BN{i + 1:04d}", names[i % len(names)], date(1990, 1, 1 + i),
                          "Bắc Ninh", "Nữ" if i % 2 == 0 else "Nam", f"0271900{i:05d}")
                for i in range(n_candidates)]
        enrol_candidates(db, session, rows)
        if schedule:
            schedule_session(db, session, seed=7)
        db.commit()
        return session

    return make


@pytest.fixture
def make_user(db: Session) -> Callable[..., Any]:
    from exam_engine.kernel.accounts import Role, create_user

    def make(username: str = "canbo", role: Role = Role.STAFF, password: str = "mật-khẩu-123"):
        user = create_user(db, username, password, "Trần Thị Minh Thư", role)
        db.commit()
        return user

    return make


@pytest.fixture
def tt03(db: Session) -> None:
    """A few TT03 requirement codes (modules, areas, sub-areas) for item-bank tests."""
    from item_bank.models import RequirementCode
    for module in ("IU03", "IU04", "IU06"):
        db.add(RequirementCode(code=module, module=module, name=f"Mô-đun {module}"))
    db.flush()
    for code, parent in (("IU03.4", "IU03"), ("IU03.4.1", "IU03.4"), ("IU04.5", "IU04"),
                         ("IU04.5.2", "IU04.5"), ("IU06.4", "IU06"), ("IU06.4.1", "IU06.4")):
        db.add(RequirementCode(code=code, parent_code=parent, module=parent[:4],
                               name=f"Yêu cầu {code}"))
    db.commit()


def csrf_token_of(html: str) -> str:
    import re
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def login(client, username: str, password: str = "mật-khẩu-123") -> str:
    """Log a user in through the form; returns the new session's CSRF token."""
    token = csrf_token_of(client.get("/dang-nhap").get_data(as_text=True))
    response = client.post("/dang-nhap", data={"username": username, "password": password,
                                               "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    # A new session after login (no fixation): take a fresh token from any page.
    return csrf_token_of(client.get("/dang-nhap").get_data(as_text=True))


def personal_code_in(db: Session, session_code: str, number: str = "BN0001") -> str:
    """A fresh personal login code for candidate ``number`` of the session with
    ``session_code``, as the proctor's exam cards would print it (issue 11: the session code
    alone lets nobody in). Flushed, not committed. Tests' sessions use the default login mode,
    the personal code."""
    from exam_engine.exams.models import Candidate, ExamSession
    from exam_engine.kernel.db import utcnow
    from proctor.login_codes import issue_login_code
    candidate = db.scalar(select(Candidate).join(ExamSession).where(
        ExamSession.session_code == session_code.upper(),
        Candidate.candidate_number == number.strip().upper()))
    assert candidate is not None, f"no candidate {number} in session {session_code}"
    return issue_login_code(db, candidate, utcnow())


def personal_code_for(app, session_code: str, number: str = "BN0001") -> str:
    """``personal_code_in``, committed through the app's own database sessions."""
    from exam_engine.kernel.db import transaction
    with transaction(app.extensions["db_sessions"]) as unit:
        return personal_code_in(unit, session_code, number)


def candidate_login_form(client, session_code: str, number: str = "BN0001"):
    """Post the candidate login form with a fresh personal code; returns the response."""
    page = client.get("/thi/dang-nhap").get_data(as_text=True)
    code = personal_code_for(client.application, session_code, number)
    return client.post("/thi/dang-nhap", data={"candidate_number": number, "login_code": code,
                                               "csrf_token": csrf_token_of(page)})


def candidate_login(client, session_code: str, number: str = "BN0001", *,
                    start: bool = False) -> str:
    """Log a candidate in through the form (and press Start); returns the page's CSRF token."""
    candidate_login_form(client, session_code, number)
    token = csrf_token_of(client.get("/thi/").get_data(as_text=True))
    if start:
        client.post("/thi/bat-dau", data={"csrf_token": token})
    return token


def bank_draft(db: Session, author_id: int, key: str, *, in_review: bool = False):
    """A single-choice IU01 draft by ``author_id`` (sent for review when ``in_review``)."""
    from item_bank import workflow
    from item_bank.content import ItemRecord, choice_item
    content = choice_item("single", f"Câu hỏi {key}: thiết bị nào là thiết bị nhập?",
                          ["Bàn phím", "Màn hình"], [0])
    version = workflow.create_item(db, ItemRecord(content=content, module="IU01", code="IU01"),
                                   key=key, author_id=author_id)
    if in_review:
        workflow.submit_for_review(db, version, actor_id=author_id)
    return version


def race(clients: list, request: Callable[[Any, int], Any]) -> list:
    """Fire ``request(clients[i], i)`` from one thread per client at the same moment (real
    threads, one connection and unit of work each); every response, or the error raised."""
    import threading
    barrier = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)

    def run(i: int) -> None:
        barrier.wait(timeout=60)
        try:
            answers[i] = request(clients[i], i)
        except BaseException as error:  # noqa: BLE001 - reported by the callers' assertions
            answers[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers
