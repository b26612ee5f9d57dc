"""Long jobs outside the request, with progress: on an RQ queue in Redis, run by worker processes
(``exam-engine worker``); without Redis, in a thread of the web process (the embedded demo).

A 10,000-item import takes seconds, longer than a request should and long enough that the
teacher wants to see it move. :func:`start_app_job` queues ``target(db, progress, **arguments)``
— a work function named by its dotted path (``"item_bank.import_jobs:preview_upload"``), so the
kernel never imports the domain and a worker on another host can find it — and returns at once
with the job's id; the page polls :func:`job_status`. The job is one unit of work: it commits
once when the work returns, or rolls back, so a failed job leaves nothing half-written; its
outcome (the result, or the errors) is written to the cache only after that.

On the queue a job outlives the web worker that queued it, and never slows an exam: the work
runs in a worker process (one forked per job), not beside the requests. A job whose worker
died, or that failed unexpectedly, is run again (``RETRIES`` times): work functions must be
safe to re-run (they roll back on failure; a bank import re-run after its commit would find
every item an exact duplicate and write nothing). A job that already ended is never re-run.
:class:`JobFailed` (a refusal the user can act on) is final.

The id is an unguessable token, and the state is bound to the user who started the job:
another user's poll gets nothing, as if the job did not exist. The state lives
``JOB_TTL_SECONDS`` after its last change. A job whose state stops changing for
``STALE_AFTER_SECONDS`` (its thread's process died; no worker takes it from the queue) is
reported failed — nothing was committed, since a job commits only at its end.
"""

from __future__ import annotations

import importlib
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from exam_engine.kernel.cache import Cache
from exam_engine.kernel.db import WRITE_OPTION

__all__ = ["JOB_TTL_SECONDS", "PHASE_QUEUED", "RETRIES", "STALE_AFTER_SECONDS", "JobFailed",
           "JobView", "Progress", "QueueUnavailable", "Work", "begin_writing", "enqueue_job",
           "job_status",
           "resolve", "run_queued_job", "run_worker", "start_app_job", "start_job",
           "wait_for_job"]

Progress = Callable[[str, int, int], None]  # (phase in Vietnamese, done, total)
Work = Callable[..., Any]  # work(db, progress, **arguments) -> a JSON value: the job's result

JOB_TTL_SECONDS = 3600
STALE_AFTER_SECONDS = 600
RETRIES = 2  # after an unexpected error or a worker's death; a JobFailed is final
JOB_TIMEOUT_SECONDS = 3600  # a 100 MB import takes minutes, never an hour
REPORT_EVERY_SECONDS = 0.25  # progress reaches the cache at most this often (Redis round trips)
PHASE_QUEUED = "Đang chờ tiến trình nền"
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
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


class QueueUnavailable(Exception):
    """Redis did not take the job: nothing was queued (the web layer answers 503)."""

    message_vi = ("Hàng đợi công việc nền đang không sẵn sàng: chưa có gì được bắt đầu. "
                  "Hãy thử lại sau ít phút.")
    message_en = "The background job queue is unavailable; nothing was started. Try again soon."


@dataclass(frozen=True)
class JobView:
    """What the job's owner sees of it."""

    id: str
    kind: str
    status: str  # "running" (queued included), "done" or "failed"
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


def resolve(target: str) -> Work:
    """The work function named ``"package.module:function"``."""
    if not _TARGET.match(target):
        raise ValueError(f"a job target is 'package.module:function', not {target!r}")
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


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


def _new_state(job_id: str, user_id: int, kind: str, *, queued: bool) -> dict[str, Any]:
    return {"id": job_id, "user_id": user_id, "kind": kind, "status": "running",
            "queued": queued, "phase": PHASE_QUEUED if queued else "", "done": 0, "total": 0,
            "result": None, "errors": [], "message_vi": "", "message_en": ""}


class _Retry(Exception):
    """An unexpected error of a queued job that has tries left: RQ runs it again."""


def _run(work: Work, sessions: sessionmaker[Session], reporter: _Reporter,
         arguments: dict[str, Any], *, may_retry: bool = False) -> None:
    db = sessions()
    try:
        result = work(db, reporter, **arguments)
        db.commit()
    except JobFailed as failed:
        db.rollback()
        reporter.finish("failed", errors=failed.errors, message_vi=failed.message_vi,
                        message_en=failed.message_en)
    except Exception as error:  # noqa: BLE001 - any error ends this try; it is logged and shown
        db.rollback()
        log.exception("job %s (%s) failed", reporter.state["id"], reporter.state["kind"])
        if may_retry:
            raise _Retry(str(error)) from error
        reporter.finish("failed", message_vi="Lỗi hệ thống: công việc dừng lại, không có gì "
                        "được ghi. Hãy thử lại hoặc báo quản trị viên.",
                        message_en="A system error stopped the job; nothing was written. Try "
                        "again or tell the administrator.")
    else:
        reporter.finish("done", result=result)  # after the commit: the outcome is true
    finally:
        db.close()


def _run_in_thread(work: Work, sessions: sessionmaker[Session], reporter: _Reporter,
                   arguments: dict[str, Any]) -> None:
    try:
        _run(work, sessions, reporter, arguments)
    finally:
        with _threads_lock:
            _threads.pop(reporter.state["id"], None)


def begin_writing(db: Session) -> None:
    """End a job's reading and begin its writing: a job started with ``writes=False`` reads
    (parses, checks) as long as it needs without the write lock, then writes briefly. On SQLite
    the write lock is taken here (BEGIN IMMEDIATE) — a WAL read transaction cannot take it at
    its first INSERT once a candidate's save has committed meanwhile. Whatever was read before
    may have changed since: check what matters again after this call."""
    db.rollback()
    db.connection(execution_options={WRITE_OPTION: True})


def start_job(work: Work | str, *, user_id: int, kind: str, cache: Cache,
              sessions: sessionmaker[Session], arguments: dict[str, Any] | None = None) -> str:
    """Run ``work(db, progress, **arguments)`` in a background thread of this process with a
    session of its own; the job's id (unguessable) for :func:`job_status`. ``work`` (a function
    or its dotted path) returns a JSON value or raises :class:`JobFailed`; it flushes, and the
    job commits once at its end. The embedded demo's runner, and the tests'."""
    job_id = secrets.token_urlsafe(24)
    reporter = _Reporter(cache, _new_state(job_id, user_id, kind, queued=False))
    reporter.save()
    function = resolve(work) if isinstance(work, str) else work
    thread = threading.Thread(target=_run_in_thread,
                              args=(function, sessions, reporter, dict(arguments or {})),
                              name=f"job-{kind}", daemon=True)
    with _threads_lock:
        _threads[job_id] = thread
    thread.start()
    return job_id


_connections: dict[str, Any] = {}


def _redis(url: str) -> Any:
    from redis import Redis
    if url not in _connections:
        _connections[url] = Redis.from_url(url, socket_connect_timeout=2)
    return _connections[url]


def enqueue_job(target: str, *, arguments: dict[str, Any], user_id: int, kind: str,
                cache: Cache, redis_url: str, queue: str, writes: bool = True) -> str:
    """Put ``target(db, progress, **arguments)`` (JSON arguments) on the RQ ``queue``; its id.
    The job's state is in the cache before the queue holds it, so a fast worker finds it."""
    from redis import RedisError
    from rq import Queue, Retry
    resolve(target)  # a typo fails here, in the request, not later in a worker
    job_id = secrets.token_urlsafe(24)
    _Reporter(cache, _new_state(job_id, user_id, kind, queued=True)).save()
    try:
        Queue(queue, connection=_redis(redis_url)).enqueue(
            run_queued_job, job_id, target, arguments, writes, user_id, kind, job_id=job_id,
            retry=Retry(max=RETRIES), job_timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=JOB_TTL_SECONDS, failure_ttl=24 * JOB_TTL_SECONDS,
            description=f"{kind} for user {user_id}")
    except (RedisError, OSError) as error:
        cache.delete(_key(job_id))
        raise QueueUnavailable() from error
    return job_id


def start_app_job(target: str, *, arguments: dict[str, Any], user_id: int, kind: str,
                  writes: bool = True) -> str:
    """Start ``target`` for the current app: on its RQ queue when Redis and ``JOB_QUEUE`` are
    configured, else in a thread (``writes=False``: a read-only job, which on SQLite never
    holds the write lock while it runs)."""
    app = current_app
    cache = app.extensions["cache"]
    if app.config["REDIS_URL"] and app.config["JOB_QUEUE"]:
        return enqueue_job(target, arguments=arguments, user_id=user_id, kind=kind, cache=cache,
                           redis_url=app.config["REDIS_URL"], queue=app.config["JOB_QUEUE"],
                           writes=writes)
    sessions = app.extensions["db_sessions" if writes else "db_read_sessions"]
    return start_job(target, user_id=user_id, kind=kind, cache=cache, sessions=sessions,
                     arguments=arguments)


def run_queued_job(job_id: str, target: str, arguments: dict[str, Any], writes: bool,
                   user_id: int, kind: str) -> str:
    """The queued job, in a worker (inside the app context ``run_worker`` pushed)."""
    from rq import get_current_job
    app = current_app
    # A forked work horse must never use connections its parent opened.
    app.extensions["db_engine"].dispose(close=False)
    cache = app.extensions["cache"]
    state = cache.get_json(_key(job_id))
    if isinstance(state, dict) and state.get("status") in ("done", "failed"):
        return str(state["status"])  # ended already (a duplicate delivery): never run twice
    if not isinstance(state, dict):  # the cache forgot it: the job still runs for its owner
        state = _new_state(job_id, user_id, kind, queued=False)
    state.update(queued=False, phase="" if state.get("phase") == PHASE_QUEUED else state["phase"])
    reporter = _Reporter(cache, state)
    reporter.save()
    current = get_current_job()
    may_retry = bool(current is not None and current.retries_left)
    sessions = app.extensions["db_sessions" if writes else "db_read_sessions"]
    _run(resolve(target), sessions, reporter, arguments, may_retry=may_retry)
    return str(reporter.state["status"])


def run_worker(app: Flask, queues: Iterable[str], *, burst: bool = False) -> None:
    """An RQ worker for ``queues`` with ``app``'s context, forking a work horse per job (so a
    large import's memory is returned when it ends). ``burst``: stop when the queues are empty.
    """
    from rq import Queue, Worker
    connection = _redis(app.config["REDIS_URL"])
    with app.app_context():
        worker = Worker([Queue(name, connection=connection) for name in queues],
                        connection=connection)
        worker.work(burst=burst, logging_level="INFO")


def job_status(cache: Cache, job_id: str, user_id: int) -> JobView | None:
    """The job as its owner sees it; None for an unknown id, an expired job or another user's."""
    if not _JOB_ID.match(job_id):
        return None
    state = cache.get_json(_key(job_id))
    if not isinstance(state, dict) or state.get("user_id") != user_id:
        return None
    if (state["status"] == "running"
            and time.time() - state.get("updated", 0) > STALE_AFTER_SECONDS):
        if state.get("queued"):
            state.update(status="failed", message_vi="Không có tiến trình nền nào nhận công "
                         "việc (chưa chạy `exam-engine worker`?): không có gì được ghi. Hãy "
                         "báo quản trị viên rồi làm lại.",
                         message_en="No background worker took the job (is `exam-engine "
                         "worker` running?); nothing was written. Tell the administrator, "
                         "then start it again.")
        else:
            state.update(status="failed", message_vi="Công việc bị gián đoạn (máy chủ khởi "
                         "động lại?): không có gì được ghi. Hãy làm lại.",
                         message_en="The job was interrupted (server restart?); nothing was "
                         "written. Start it again.")
    return JobView(**{name: state[name] for name in JobView.__dataclass_fields__})


def wait_for_job(job_id: str, timeout: float | None = None) -> bool:
    """Wait for a job started in a thread of this process to end; False on timeout. For tests
    and the CLI (a queued job is watched through :func:`job_status`)."""
    with _threads_lock:
        thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True
