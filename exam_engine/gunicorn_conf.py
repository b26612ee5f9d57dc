"""Gunicorn settings: sync workers, and in each worker a thread that closes attempts whose
deadline and save grace have passed (the server, not the browser, ends the exam). Closing is
idempotent and row-locked, so several workers doing it at once is safe."""

from __future__ import annotations

import threading

from flask import Flask

worker_class = "sync"
timeout = 60
graceful_timeout = 20
accesslog = None

SWEEP_EVERY_SECONDS = 5.0


def sweep_once(app: Flask) -> int:
    """Close every attempt whose deadline + SAVE_GRACE_SECONDS has passed; how many were."""
    from exam_engine.exams.delivery import finalize_expired_attempts
    from exam_engine.kernel.db import transaction, utcnow
    with transaction(app.extensions["db_sessions"]) as db:
        return finalize_expired_attempts(db, utcnow(), app.config["SAVE_GRACE_SECONDS"])


def start_deadline_sweeper(app: Flask, every: float = SWEEP_EVERY_SECONDS,
                           stop: threading.Event | None = None) -> threading.Thread:
    """A daemon thread sweeping every ``every`` seconds until ``stop`` is set."""
    stop = stop or threading.Event()

    def sweep() -> None:
        while not stop.wait(every):
            try:
                sweep_once(app)
            except Exception:  # noqa: BLE001 - keep sweeping; the error is logged
                app.logger.exception("closing expired attempts failed")

    thread = threading.Thread(target=sweep, name="deadline-sweeper", daemon=True)
    thread.start()
    return thread


def post_worker_init(worker) -> None:
    start_deadline_sweeper(worker.wsgi if callable(worker.wsgi) else worker.app.wsgi())
