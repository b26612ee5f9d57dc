"""Starting and stopping gunicorn for a benchmark phase (loopback only, always stopped)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workers_cpu_seconds(master_pid: int) -> float:
    """User + system CPU seconds used so far by the master's live children (the workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _wait_ready(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: ready (a 405 on a POST-only route is an answer)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


@contextmanager
def gunicorn(app: str, *, workers: int, worker_class: str, env: Mapping[str, str],
             config: str | None, cwd: Path | None, probe_path: str,
             log: Path) -> Iterator[tuple[str, int]]:
    """Run `gunicorn app` on a free loopback port; yields (base URL, master pid), then stops it."""
    port = free_port()
    command = [GUNICORN]
    if config:
        command += ["-c", config]
    # The same settings for the app and the floor: what exam_engine.gunicorn_conf sets.
    command += ["-w", str(workers), "-k", worker_class, "-b", f"127.0.0.1:{port}",
                "--timeout", "60", "--graceful-timeout", "20", "--backlog", "2048",
                # gunicorn 27 opens one control socket per user (~/.gunicorn): not ours to take
                "--no-control-socket", app]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=cwd or ROOT, env={**os.environ, **env},
                                   stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base + probe_path, process, timeout=60)
        time.sleep(0.5 * workers)  # every worker booted, not only the first
        yield base, process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
