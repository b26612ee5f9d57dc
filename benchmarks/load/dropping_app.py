"""The exam app with a planted fault, for ``run.py --self-check``: a save or an event batch
whose JSON carries ``"bench_drop": true`` is acknowledged exactly as the real app acknowledges
it and never reaches the app, like a worker that answers before its write is durable. The
verifier must report exactly those saves and events as lost, and nothing else.

    gunicorn -c python:exam_engine.gunicorn_conf benchmarks.load.dropping_app:app
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from wsgi import app as exam_app

SAVE_PATH = "/thi/api/answers"
EVENTS_PATH = "/thi/api/su-kien"


def _save_ack(save: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "position": save.get("position"), "seq": save.get("seq"),
            "saved_at": datetime.now(UTC).isoformat()}


def _events_ack(batch: dict[str, Any]) -> dict[str, Any]:
    events = batch.get("events") if isinstance(batch.get("events"), list) else []
    return {"ok": True, "acked": sorted(e["seq"] for e in events
                                        if isinstance(e, dict) and isinstance(e.get("seq"), int)),
            "state": {"status": "in_progress", "seconds_left": 3600.0, "moved": False}}


_PLANTED = {SAVE_PATH: _save_ack, EVENTS_PATH: _events_ack}


class DroppingApp:
    """WSGI wrapper; attributes (config, extensions, …) are the exam app's, so gunicorn_conf's
    deadline sweeper finds what it needs."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        acknowledge = _PLANTED.get(environ.get("PATH_INFO", ""))
        if environ.get("REQUEST_METHOD") == "POST" and acknowledge is not None:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            try:
                request = json.loads(body)
            except ValueError:
                request = None
            if isinstance(request, dict) and request.get("bench_drop") is True:
                ack = json.dumps(acknowledge(request)).encode()
                start_response("200 OK", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(ack)))])
                return [ack]
        return self.wrapped(environ, start_response)


app = DroppingApp(exam_app)
