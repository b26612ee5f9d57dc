"""Gunicorn settings: sync workers, and in each worker a thread that closes attempts whose
deadline has passed (the server, not the browser, ends the exam). Closing is idempotent and
row-locked, so several workers doing it at once is safe."""

from __future__ import annotations

import threading
import time

worker_class = "sync"
timeout = 60
graceful_timeout = 20
accesslog = None

SWEEP_EVERY_SECONDS = 5.0


def post_worker_init(worker) -> None:
    app = worker.wsgi if callable(worker.wsgi) else worker.app.wsgi()

    def sweep() -> None:
        from exam_engine.exams.delivery import finalize_expired_attempts
        from exam_engine.kernel.db import transaction, utcnow
        while True:
            time.sleep(SWEEP_EVERY_SECONDS)
            try:
                with transaction(app.extensions["db_sessions"]) as db:
                    finalize_expired_attempts(db, utcnow(), app.config["SAVE_GRACE_SECONDS"])
            except Exception:  # noqa: BLE001 - keep sweeping; the error is logged
                app.logger.exception("closing expired attempts failed")

    threading.Thread(target=sweep, name="deadline-sweeper", daemon=True).start()
