"""Long jobs outside the request, with progress: a background thread of the worker with its own
database session, its state in the app cache (Redis when configured, else the in-process twin).

A 10,000-item import takes seconds, longer than a request should and long enough that the
teacher wants to see it move. :func:`start_job` runs ``work(db, progress)`` in a thread and
returns at once with the job's id; the page polls :func:`job_status`. The job is one unit of
work: it commits once when ``work`` returns, or rolls back, so a failed job leaves nothing
half-written; its outcome (the result, or the errors) is written to the cache only after that.

The id is an unguessable token, and the state is bound to the user who started the job:
another user's poll gets nothing, as if the job did not exist. The state lives
``JOB_TTL_SECONDS`` after its last change; any host behind the load balancer can answer a poll
when the cache is Redis (with the in-process twin, a single process is assumed, as for every
other cached value).

Not a queue: the thread lives in the web worker that started it. A worker that dies takes its
jobs with it; their state then stops changing and :func:`job_status` reports them failed after
``STALE_AFTER_SECONDS`` — nothing was committed, since a job commits only at its end.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session, sessionmaker

from exam_engine.kernel.cache import Cache

__all__ = ["JOB_TTL_SECONDS", "STALE_AFTER_SECONDS", "JobFailed", "JobView", "Progress", "Work",
           "job_status", "start_app_job", "start_job", "wait_for_job"]

Progress = Callable[[str, int, int], None]  # (phase in Vietnamese, done, total)
Work = Callable[[Session, Progress], Any]  # returns a JSON value: the job's result

JOB_TTL_SECONDS = 3600
STALE_AFTER_SECONDS = 600
REPORT_EVERY_SECONDS = 0.25  # progress reaches the cache at most this often (Redis round trips)
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_threads: dict[str, threading.Thread] = {}
_threads_lock = threading.Lock()
log = logging.getLogger(__name__)


class JobFailed(Exception):
    """A failure the user can act on, recorded as the job's outcome: a message and the errors
    (JSON values, e.g. every problem of an imported file). The job's transaction is rolled back.
    """

    def __init__(self, message_vi: str, message_en: str, errors: list[Any] | None = None) -> None:
        super().__init__(message_vi)
        self.message_vi, self.message_en = message_vi, message_en
        self.errors = list(errors or [])


@dataclass(frozen=True)
class JobView:
    """What the job's owner sees of it."""

    id: str
    kind: str
    status: str  # "running", "done" or "failed"
    phase: str = ""  # Vietnamese; the web layer translates it
    done: int = 0
    total: int = 0
    result: Any = None
    errors: list[Any] = field(default_factory=list)
    message_vi: str = ""
    message_en: str = ""

    @property
    def percent(self) -> int:
        return 100 if self.status != "running" else (100 * self.done // self.total
                                                     if self.total else 0)


def _key(job_id: str) -> str:
    return f"job:{job_id}"


class _Reporter:
    """The job's ``progress`` callback: keeps the state and writes it to the cache when the
    phase changes, a phase ends, or ``REPORT_EVERY_SECONDS`` passed."""

    def __init__(self, cache: Cache, state: dict[str, Any]) -> None:
        self.cache, self.state = cache, state
        self.written_at = 0.0

    def save(self) -> None:
        self.state["updated"] = time.time()
        self.cache.set_json(_key(self.state["id"]), self.state, JOB_TTL_SECONDS)
        self.written_at = time.monotonic()

    def __call__(self, phase: str, done: int, total: int) -> None:
        new_phase = phase != self.state["phase"]
        self.state.update(phase=phase, done=done, total=total)
        if (new_phase or done >= total
                or time.monotonic() - self.written_at >= REPORT_EVERY_SECONDS):
            self.save()

    def finish(self, status: str, **outcome: Any) -> None:
        self.state.update(status=status, **outcome)
        self.save()


def _run(work: Work, sessions: sessionmaker[Session], reporter: _Reporter) -> None:
    db = sessions()
    try:
        result = work(db, reporter)
        db.commit()
    except JobFailed as failed:
        db.rollback()
        reporter.finish("failed", errors=failed.errors, message_vi=failed.message_vi,
                        message_en=failed.message_en)
    except Exception:  # noqa: BLE001 - any error ends the job; it is logged and shown
        db.rollback()
        log.exception("job %s (%s) failed", reporter.state["id"], reporter.state["kind"])
        reporter.finish("failed", message_vi="Lỗi hệ thống: công việc dừng lại, không có gì "
                        "được ghi. Hãy thử lại hoặc báo quản trị viên.",
                        message_en="A system error stopped the job; nothing was written. Try "
                        "again or tell the administrator.")
    else:
        reporter.finish("done", result=result)  # after the commit: the outcome is true
    finally:
        db.close()
        with _threads_lock:
            _threads.pop(reporter.state["id"], None)


def start_job(work: Work, *, user_id: int, kind: str, cache: Cache,
              sessions: sessionmaker[Session]) -> str:
    """Run ``work(db, progress)`` in a background thread with a session of its own; the job's
    id (unguessable) for :func:`job_status`. ``work`` returns a JSON value or raises
    :class:`JobFailed`; it flushes, and the job commits once at its end."""
    job_id = secrets.token_urlsafe(24)
    reporter = _Reporter(cache, {"id": job_id, "user_id": user_id, "kind": kind,
                                 "status": "running", "phase": "", "done": 0, "total": 0,
                                 "result": None, "errors": [], "message_vi": "",
                                 "message_en": ""})
    reporter.save()
    thread = threading.Thread(target=_run, args=(work, sessions, reporter),
                              name=f"job-{kind}", daemon=True)
    with _threads_lock:
        _threads[job_id] = thread
    thread.start()
    return job_id


def start_app_job(work: Work, *, user_id: int, kind: str, writes: bool = True) -> str:
    """:func:`start_job` with the current app's cache and session factory (``writes=False``:
    a read-only job, which on SQLite does not hold the write lock while it runs)."""
    sessions = current_app.extensions["db_sessions" if writes else "db_read_sessions"]
    return start_job(work, user_id=user_id, kind=kind, cache=current_app.extensions["cache"],
                     sessions=sessions)


def job_status(cache: Cache, job_id: str, user_id: int) -> JobView | None:
    """The job as its owner sees it; None for an unknown id, an expired job or another user's."""
    if not _JOB_ID.match(job_id):
        return None
    state = cache.get_json(_key(job_id))
    if not isinstance(state, dict) or state.get("user_id") != user_id:
        return None
    if (state["status"] == "running"
            and time.time() - state.get("updated", 0) > STALE_AFTER_SECONDS):
        state.update(status="failed", message_vi="Công việc bị gián đoạn (máy chủ khởi động "
                     "lại?): không có gì được ghi. Hãy làm lại.",
                     message_en="The job was interrupted (server restart?); nothing was "
                     "written. Start it again.")
    return JobView(**{name: state[name] for name in JobView.__dataclass_fields__})


def wait_for_job(job_id: str, timeout: float | None = None) -> bool:
    """Wait for a job started by this process to end; False on timeout. For tests and the CLI."""
    with _threads_lock:
        thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True
