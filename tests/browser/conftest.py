"""Browser fixtures: the real app served on a free port, and Debian's chromium through Playwright.

Every browser test runs on both database backends (the session-scoped ``database_url`` param):
the server is a threaded werkzeug server in this process, so it shares the test's database and
its factories, and one chromium serves the whole run (a fresh context per actor).

Nothing is downloaded: Playwright drives the chromium Debian installed. When it is missing the
tests are skipped with the reason, and under CI=true they fail (``require_service``).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from tests.conftest import personal_code_in, require_service

CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic"]
STAFF_PASSWORD = "mật-khẩu-123"  # the make_user default
TIMEOUT_MS = 10_000  # a step that takes longer than this is a failure, not a slow machine


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask


def _not_yet_wired(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


@pytest.fixture
def live_server(app_config: dict[str, Any], db: Session) -> Iterator[LiveServer]:
    """The real app (``create_app``) on 127.0.0.1 and a free port, one thread per request.

    The socket is bound first (port 0) so the app can be told its own public URL: the
    certificate's verification link must point at this server for the browser to open it.
    """
    from exam_engine import create_app
    server = make_server("127.0.0.1", 0, _not_yet_wired, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app = create_app({**app_config, "PUBLIC_BASE_URL": url})
    server.app = app
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url, app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["db_engine"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_service(Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK),
                    f"chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service(False, "the Python package playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """A fresh browser profile (own cookies and localStorage) on the live server, per actor."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(base_url=live_server.url, locale="vi-VN",
                                      viewport={"width": 1280, "height": 860}, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def staff_login() -> Callable[[Any, str], None]:
    def login(page: Any, username: str = "canbo") -> None:
        page.goto("/dang-nhap")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_url(re.compile(r"/can-bo/ca-thi$"))

    return login


@pytest.fixture
def candidate_login(db: Session) -> Callable[..., None]:
    """Log in by số báo danh + a fresh personal code (the one an exam card would print: issue
    11, the session code alone lets nobody in) and land on the instructions (or the exam)."""

    def login(page: Any, candidate_number: str, session_code: str, *, query: str = "") -> None:
        code = personal_code_in(db, session_code, candidate_number)
        db.commit()
        page.goto("/thi/dang-nhap" + query)
        page.fill("input[name=candidate_number]", candidate_number)
        page.fill("input[name=login_code]", code.lower())  # typed as read, case aside
        page.click("form.stack button[type=submit]")
        page.wait_for_url(re.compile(r"/thi/$"))

    return login


@pytest.fixture
def start_exam(candidate_login: Callable[..., None]) -> Callable[..., Any]:
    """A candidate page with the exam started and its paper loaded (the outbox drained)."""

    def start(context: Any, candidate_number: str, session_code: str, *, query: str = "") -> Any:
        page = context.new_page()
        candidate_login(page, candidate_number, session_code, query=query)
        page.click("#start")
        _wait_for_paper(page)
        return page

    return start


def _wait_for_paper(page: Any) -> None:
    """exam.js has built the navigator and its first flush found nothing left to send."""
    page.wait_for_selector("#navigator button")
    page.wait_for_function("document.getElementById('save-status').className.includes('ok')")


def _poll(check: Callable[[], Any], timeout: float = 8.0, interval: float = 0.1) -> Any:
    """``check()`` once it is truthy (the server is another thread), else its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


@pytest.fixture
def wait_for_paper() -> Callable[[Any], None]:
    return _wait_for_paper


@pytest.fixture
def poll() -> Callable[..., Any]:
    return _poll


@pytest.fixture
def deadline_in(db: Session, wait_for_paper: Callable[[Any], None]) -> Callable[..., None]:
    """Move an attempt's deadline to ``seconds`` from now and reload its page."""

    def move(page: Any, attempt_id: int, seconds: float) -> None:
        from datetime import timedelta

        from exam_engine.exams.models import Attempt
        from exam_engine.kernel.db import utcnow
        db.rollback()  # SQLite: a write from a stale read snapshot is refused ("locked")
        db.get(Attempt, attempt_id).deadline = utcnow() + timedelta(seconds=seconds)
        db.commit()
        page.reload()
        wait_for_paper(page)

    return move


@pytest.fixture
def sitting(db: Session, make_session: Any, new_context: Any, start_exam: Any) -> Any:
    """One candidate of a six-question session, exam started, paper loaded."""
    exam = make_session(n_candidates=1, per_module=1)
    attempt_id = exam.candidates[0].attempt.id
    context = new_context()
    page = start_exam(context, "BN0001", exam.session_code)
    return context, page, attempt_id
