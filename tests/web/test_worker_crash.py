"""A gunicorn worker killed with SIGKILL in the middle of an exam loses nothing acknowledged.

A real gunicorn (2 sync workers, the production config) on a free loopback port, a real
database of each backend; the candidate talks plain HTTP and keeps the session cookie. Every
worker is killed while a save may be in flight; the master respawns them, and the exam goes on:
every acknowledged answer is stored with its seq and comes back in the paper, the server's
deadline is the same (the clock is not reset), the candidate keeps saving and submits.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from tests.conftest import personal_code_in

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> set[int]:
    """Live (not zombie) child processes of `pid`, from /proc."""
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.add(int(stat.parent.name))
    return kids


class Browser:
    """A candidate's browser: one cookie (the Flask session), the CSRF token, plain HTTP."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie: str | None = None
        self.token = ""

    def request(self, method: str, path: str, *, form: dict[str, str] | None = None,
                body: Any = None, timeout: float = 10) -> tuple[int, bytes]:
        headers = {}
        payload = None
        if form is not None:
            payload = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        if self.token and method == "POST":
            headers["X-CSRFToken"] = self.token
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                if "session" in cookie:
                    self.cookie = cookie["session"].value or None
            return response.status, data
        finally:
            conn.close()

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        status, data = self.request(method, path, body=body)
        return status, json.loads(data)

    def log_in(self, candidate_number: str, login_code: str) -> None:
        status, page = self.request("GET", "/thi/dang-nhap")
        assert status == 200
        status, _ = self.request("POST", "/thi/dang-nhap", form={
            "candidate_number": candidate_number, "login_code": login_code,
            "csrf_token": _csrf(page)})
        assert status == 302
        status, page = self.request("GET", "/thi/")
        assert status == 200
        self.token = _csrf(page)


def _csrf(page: bytes) -> str:
    return re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()


def _wait_until_answering(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn exited with {process.returncode}"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/thi/dang-nhap")
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer within {timeout:.0f} s")


@pytest.fixture
def gunicorn_server(database_url: str, signing_key: Path, db, tmp_path: Path
                    ) -> Iterator[tuple[int, subprocess.Popen]]:
    """gunicorn -c python:exam_engine.gunicorn_conf wsgi:app, 2 sync workers; always stopped."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EXAM_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATABASE_URL=database_url, EXAM_SECRET_KEY="worker-crash-test-secret",
               EXAM_CERT_SIGNING_KEY_FILE=str(signing_key))
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:exam_engine.gunicorn_conf",
         "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--no-control-socket", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_answering(port, process)
        yield port, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _stored(db, attempt_id: int) -> dict[int, tuple[int, list[int]]]:
    """position -> (seq, shown positions ticked); the server stores the ticked part ids."""
    from tests.exam_engine.stored_answers import answers_as_shown
    return {position: (seq, shown)
            for position, (shown, seq, _) in answers_as_shown(db, attempt_id).items()}


def _valid_choice(question: dict[str, Any], k: int) -> list[int]:
    n = len(question["options"])
    return [k % n] if question["type"] == "single" else sorted({k % n, (k + 1) % n})


def test_killing_every_worker_mid_exam_loses_no_acknowledged_answer(gunicorn_server, make_session,
                                                                    db):
    from exam_engine.exams.models import Attempt
    from exam_engine.exams.states import AttemptStatus

    port, master = gunicorn_server
    session = make_session(n_candidates=2, per_module=2, duration_minutes=30)
    attempt_id = session.candidates[0].attempt.id
    browser = Browser(port)
    login_code = personal_code_in(db, session.session_code)
    db.commit()
    browser.log_in("BN0001", login_code)
    status, _ = browser.request("POST", "/thi/bat-dau", form={"csrf_token": browser.token})
    assert status == 302
    status, before = browser.json("GET", "/thi/api/paper")
    assert status == 200 and before["status"] == "in_progress"
    questions = before["questions"]
    assert len(questions) == 12

    acked: dict[int, tuple[int, list[int]]] = {}

    def save(position: int, seq: int, selected: list[int]) -> tuple[int, dict[str, Any]]:
        status, answer = browser.json("POST", "/thi/api/answers", {
            "position": position, "selected": selected, "flagged": False, "seq": seq})
        if status == 200:
            assert answer["ok"] and answer["seq"] == seq
            acked[position] = (seq, selected)
        return status, answer

    for position in range(6):
        assert save(position, 1, _valid_choice(questions[position], position))[0] == 200
    assert save(0, 2, _valid_choice(questions[0], 3))[0] == 200

    # One save in flight while every worker dies: it is either acknowledged (then stored) or
    # fails on the wire (then the browser's outbox retries it with the same seq).
    in_flight: dict[str, Any] = {}
    in_flight_choice = _valid_choice(questions[6], 2)

    def save_in_flight() -> None:
        try:
            in_flight["status"] = save(6, 1, in_flight_choice)[0]
        except (OSError, http.client.HTTPException, json.JSONDecodeError) as error:
            in_flight["error"] = error

    workers = _children(master.pid)
    assert len(workers) == WORKERS, workers
    sender = threading.Thread(target=save_in_flight)
    sender.start()
    time.sleep(0.005)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    sender.join(timeout=20)
    assert not sender.is_alive()

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        respawned = _children(master.pid)
        if len(respawned) == WORKERS and not respawned & workers:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the master did not respawn its workers: {respawned}")
    _wait_until_answering(port, master)
    assert master.poll() is None

    print(f"the save in flight during the kill: {in_flight}")  # shown if the test fails
    if 6 not in acked:  # lost on the wire, never acknowledged: the retry is idempotent
        assert save(6, 1, in_flight_choice)[0] == 200

    assert _stored(db, attempt_id) == acked
    status, after = browser.json("GET", "/thi/api/paper")
    assert status == 200 and after["status"] == "in_progress"
    for position, (seq, selected) in acked.items():
        question = after["questions"][position]
        assert (question["seq"], question["selected"]) == (seq, selected)
    # The clock was not reset: the same server deadline, and time kept running.
    deadline_at = datetime.fromisoformat(after["deadline"])
    assert after["deadline"] == before["deadline"]
    assert deadline_at == db.scalar(select(Attempt.deadline).where(Attempt.id == attempt_id))
    assert abs(after["seconds_left"] - (deadline_at - datetime.now(UTC)).total_seconds()) <= 2
    assert after["seconds_left"] <= before["seconds_left"] < 30 * 60 + 1

    assert save(0, 3, _valid_choice(questions[0], 1))[0] == 200
    assert save(7, 1, _valid_choice(questions[7], 0))[0] == 200
    status, done = browser.json("POST", "/thi/api/submit", {})
    assert status == 200 and done["receipt"].startswith("KQ-")
    assert save(8, 1, _valid_choice(questions[8], 0))[0] == 409
    assert _stored(db, attempt_id) == acked
    assert db.scalar(select(Attempt.status).where(Attempt.id == attempt_id)) \
        is AttemptStatus.SUBMITTED
