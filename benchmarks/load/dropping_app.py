"""The exam app with a planted fault, for ``run.py --self-check``: a save whose JSON carries
``"bench_drop": true`` is acknowledged exactly as the real app acknowledges it and never reaches
the app, like a worker that answers before its write is durable. The verifier must report
exactly those saves as lost, and nothing else.

    gunicorn -c python:exam_engine.gunicorn_conf benchmarks.load.dropping_app:app
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from wsgi import app as exam_app

SAVE_PATH = "/thi/api/answers"


class DroppingApp:
    """WSGI wrapper; attributes (config, extensions, …) are the exam app's, so gunicorn_conf's
    deadline sweeper finds what it needs."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == SAVE_PATH:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            try:
                save = json.loads(body)
            except ValueError:
                save = None
            if isinstance(save, dict) and save.get("bench_drop") is True:
                ack = json.dumps({"ok": True, "position": save.get("position"),
                                  "seq": save.get("seq"),
                                  "saved_at": datetime.now(UTC).isoformat()}).encode()
                start_response("200 OK", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(ack)))])
                return [ack]
        return self.wrapped(environ, start_response)


app = DroppingApp(exam_app)
