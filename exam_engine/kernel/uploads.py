"""Uploads: a size limit per route, and large files spooled to disk rather than kept in memory.

Every request body has a ceiling (``MAX_REQUEST_KB``, small); a view that needs another says so
with :func:`body_limit` — a candidate's answer save is a few kilobytes (64 KB allowed), an item
bank import may be large (``MAX_UPLOAD_MB``). The limit is set before anything reads the body
(CSRF included), so an oversized request is refused with 413 and a message that names the limit,
before a byte of it is parsed.

A large upload that waits for later work (an import between its preview and its confirm, or a
job in a worker process) is written to the spool directory (``UPLOAD_SPOOL_DIR``, under the
instance folder) in chunks, with a small JSON sidecar of what the work needs to know. Nothing of
it stays in the cache or in a worker's memory. Spooled files are removed when their work ends
(:func:`discard`), and any left behind (a crashed worker, a preview never confirmed) by
:func:`sweep_expired`. On a multi-host install the spool directory is a shared volume that the
web hosts and the job workers mount at the same path.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import Flask, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from exam_engine.kernel.i18n import localized
from exam_engine.kernel.problems import problem

__all__ = ["ANSWER_BODY_LIMIT", "SpooledUpload", "body_limit", "claim", "discard", "discard_file", "install_body_limits", "open_spooled",
           "spool", "spool_dir", "sweep_expired"]

ANSWER_BODY_LIMIT = 64 * 1024  # a candidate's save is a few hundred bytes; a long essay fits
_LIMIT_ATTRIBUTE = "exam_engine_body_limit"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_DATA, _META, _PART = ".upload", ".json", ".part"
_CHUNK = 1024 * 1024


def body_limit(limit: int | str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The largest request body the view accepts: bytes, or the name of a setting in megabytes
    (``"MAX_UPLOAD_MB"``). Put it outermost (above the route's other decorators is not needed:
    the limit is read from the endpoint's view function, wrapped or not)."""
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, _LIMIT_ATTRIBUTE, limit)
        return view
    return decorator


def _limit_of(app: Flask, endpoint: str | None) -> int:
    view = app.view_functions.get(endpoint or "")
    limit = None
    while view is not None and limit is None:  # functools.wraps keeps __wrapped__
        limit = getattr(view, _LIMIT_ATTRIBUTE, None)
        view = getattr(view, "__wrapped__", None)
    if isinstance(limit, str):
        return int(app.config[limit]) * 1024 * 1024
    return int(limit) if limit is not None else int(app.config["MAX_REQUEST_KB"]) * 1024


def _size(n_bytes: int) -> str:
    if n_bytes >= 1024 * 1024 and n_bytes % (1024 * 1024) == 0:
        return f"{n_bytes // (1024 * 1024)} MB"
    return f"{n_bytes // 1024} KB"


def install_body_limits(app: Flask) -> None:
    """Per-route body limits, checked first of all before-request hooks, and one clear 413."""

    def set_limit() -> None:
        limit = _limit_of(app, request.endpoint)
        request.max_content_length = limit  # also stops a body sent without Content-Length
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge()

    # First: CSRF protection reads the form, and the form must not be read past the limit.
    app.before_request_funcs.setdefault(None, []).insert(0, set_limit)

    @app.errorhandler(413)
    def too_large(_error: Exception):
        limit = _size(_limit_of(app, request.endpoint))
        message = localized(
            f"Dữ liệu gửi lên quá lớn: “{request.path}” nhận tối đa {limit}.",
            f"The request is too large: “{request.path}” accepts at most {limit}.")
        if request.is_json or "/api/" in request.path or request.accept_mimetypes.best == (
                "application/json"):
            return problem(413, "RequestEntityTooLarge", message, limit=limit)
        return render_template("error.html", message=message), 413


def spool_dir(app: Flask) -> Path:
    return Path(app.config["UPLOAD_SPOOL_DIR"])


@dataclass(frozen=True)
class SpooledUpload:
    token: str  # unguessable; names the files
    path: Path  # the uploaded bytes
    meta: dict[str, Any]  # what the work needs: file name, owner, choices made on the form

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


def spool(directory: Path, stream: IO[bytes], meta: dict[str, Any]) -> SpooledUpload:
    """Copy ``stream`` into the spool in chunks (never whole in memory) with its ``meta``."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(24)
    part = directory / (token + _PART)
    with open(part, "xb") as out:
        shutil.copyfileobj(stream, out, _CHUNK)
    (directory / (token + _META)).write_text(json.dumps(meta, ensure_ascii=False),
                                             encoding="utf-8")
    os.replace(part, directory / (token + _DATA))  # whole or absent: a half copy is never read
    return SpooledUpload(token, directory / (token + _DATA), meta)


def open_spooled(directory: Path, token: str, max_age_seconds: float) -> SpooledUpload | None:
    """The spooled upload of ``token``; None when the token is malformed, unknown or expired."""
    if not _TOKEN.match(token or ""):
        return None
    path, meta_path = directory / (token + _DATA), directory / (token + _META)
    try:
        if time.time() - path.stat().st_mtime > max_age_seconds:
            discard(directory, token)
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return SpooledUpload(token, path, meta)


def claim(directory: Path, token: str, max_age_seconds: float) -> SpooledUpload | None:
    """Take the spooled upload of ``token`` for one piece of work, under a new token: of two
    simultaneous claims (a double click) exactly one wins — a rename is atomic — and the other
    gets None, as for an unknown or expired token."""
    upload = open_spooled(directory, token, max_age_seconds)
    if upload is None:
        return None
    new = secrets.token_urlsafe(24)
    try:
        os.rename(upload.path, directory / (new + _DATA))
    except FileNotFoundError:
        return None
    os.replace(directory / (token + _META), directory / (new + _META))
    return SpooledUpload(new, directory / (new + _DATA), upload.meta)


def discard(directory: Path, token: str) -> None:
    """Remove a spooled upload (its bytes, its sidecar, a half-written copy); absent is fine."""
    if not _TOKEN.match(token or ""):
        return
    for suffix in (_DATA, _META, _PART):
        (directory / (token + suffix)).unlink(missing_ok=True)


def discard_file(path: str | Path) -> None:
    """:func:`discard` by the path of the spooled bytes (what a job is given)."""
    path = Path(path)
    discard(path.parent, path.name.removesuffix(_DATA))


def sweep_expired(directory: Path, max_age_seconds: float) -> int:
    """Remove every spooled upload (all its files) that has a file older than
    ``max_age_seconds``; how many uploads went."""
    if not directory.is_dir():
        return 0
    cutoff, expired = time.time() - max_age_seconds, set()
    for entry in directory.iterdir():
        try:
            if entry.suffix in (_DATA, _META, _PART) and entry.stat().st_mtime < cutoff:
                expired.add(entry.name.rsplit(".", 1)[0])
        except OSError:
            continue  # removed meanwhile by its own job
    for token in expired:
        discard(directory, token)
    return len(expired)
