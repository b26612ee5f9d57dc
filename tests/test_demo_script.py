"""``scripts/demo`` (issue 10, hole 14): it could not start afresh, the install's warnings buried
the address, and outside testing session cookies become Secure-only while the demo serves plain
http. Run here in a scratch copy whose install and server are stand-ins, so the test checks the
script's own behaviour in seconds: what it deletes, what it prints last, what it exports.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOISE = "WARNING: a noisy pip line"
# Stands in for `exam-engine demo`: notes what it found, then answers http on --port.
FAKE_SERVER = f"""#!{sys.executable}
import http.server, json, os, pathlib, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
pathlib.Path("server-saw.json").write_text(json.dumps({{
    "database_existed": pathlib.Path("instance/exam_engine.sqlite3").exists(),
    "cookie_secure": os.environ.get("EXAM_SESSION_COOKIE_SECURE")}}))
print("[INFO] Starting gunicorn (server log line)", flush=True)
class Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Quiet).serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """scripts/demo in a scratch checkout with a noisy stand-in install and server."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "demo", tmp_path / "scripts" / "demo")
    install = tmp_path / "scripts" / "install"
    install.write_text(f"#!/usr/bin/env bash\necho '{NOISE}'\necho '{NOISE}' >&2\n")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    # a wrapper, not a symlink: a linked venv python outside its venv loses its packages
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "exam-engine").write_text(FAKE_SERVER)
    for script in (install, bin_dir / "python", bin_dir / "exam-engine"):
        script.chmod(0o755)
    instance = tmp_path / "instance"
    instance.mkdir()
    for name in ("exam_engine.sqlite3", "exam_engine.sqlite3-wal", "secret_key",
                 "cert_signing_key.pem", "notes.txt"):
        (instance / name).write_text("from the last run")
    return tmp_path


def _run_until_ready(checkout: Path, *args: str, **env: str) -> tuple[list[str], dict]:
    """Start scripts/demo, read its output until the banner's last line, stop it."""
    environ = {**os.environ, "PORT": str(_free_port()), "PYTHONPATH": str(ROOT), **env}
    environ.pop("DATABASE_URL", None)
    process = subprocess.Popen(["bash", "scripts/demo", *args], cwd=checkout, env=environ,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout] + [
        lines.put(None)], daemon=True)
    reader.start()
    seen: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break  # no banner within the minute: the assertions say what is missing
            if line is None:
                break
            seen.append(line.rstrip("\n"))
            if "Ctrl+C" in line:
                # the banner is out; nothing else may follow it while the server idles
                time.sleep(0.5)
                while not lines.empty() and (extra := lines.get()) is not None:
                    seen.append(extra.rstrip("\n"))
                break
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # the script stops its server
        process.wait(timeout=30)
        try:  # and should anything be left of its process group, end that too
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reader.join(timeout=10)
        process.stdout.close()
    saw = checkout / "server-saw.json"
    return seen, json.loads(saw.read_text()) if saw.exists() else {}


def test_reset_starts_afresh_and_keeps_files_the_demo_did_not_make(checkout: Path) -> None:
    output, server = _run_until_ready(checkout, "--reset")
    assert server["database_existed"] is False
    instance = sorted(p.name for p in (checkout / "instance").iterdir())
    assert instance == ["install.log", "notes.txt"]
    assert any("starting afresh" in line for line in output)


def test_without_reset_the_last_run_is_kept(checkout: Path) -> None:
    _, server = _run_until_ready(checkout)
    assert server["database_existed"] is True


def test_the_address_and_accounts_come_last_and_the_install_noise_goes_to_its_log(
        checkout: Path) -> None:
    output, _ = _run_until_ready(checkout)
    assert NOISE not in "\n".join(output)
    assert NOISE in (checkout / "instance" / "install.log").read_text()
    banner = output[output.index(next(line for line in output if "demo is running" in line)):]
    assert any("http://127.0.0.1:" in line for line in banner[:1])
    assert any(line.split()[:1] == ["canbo"] for line in banner)
    # issue 11: candidates log in with their personal codes, printed beside their numbers
    assert any("BN0001 K7MQ2XRA" in line for line in banner)
    assert all("gunicorn" not in line for line in banner)  # server lines came before it


def test_the_demo_serves_plain_http_so_its_cookies_are_not_secure_only(checkout: Path) -> None:
    _, server = _run_until_ready(checkout)
    assert server["cookie_secure"] == "0"


def test_stopping_the_demo_stops_its_server(checkout: Path) -> None:
    output, _ = _run_until_ready(checkout)
    port = int(next(line for line in output if "demo is running" in line)
               .rsplit(":", 1)[1].strip("/ "))
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # nothing answers any more


def test_reset_refuses_a_database_the_demo_did_not_create(checkout: Path) -> None:
    run = subprocess.run(["bash", "scripts/demo", "--reset"], cwd=checkout, text=True,
                         capture_output=True, timeout=30, check=False,
                         env={**os.environ, "DATABASE_URL": "postgresql://x/y"})
    assert run.returncode == 2 and "DATABASE_URL is set" in run.stderr
    assert (checkout / "instance" / "exam_engine.sqlite3").exists()


def test_an_unknown_option_is_refused_by_name(checkout: Path) -> None:
    run = subprocess.run(["bash", "scripts/demo", "--rest"], cwd=checkout, text=True,
                         capture_output=True, timeout=30, check=False)
    assert run.returncode == 2 and "--rest" in run.stderr
