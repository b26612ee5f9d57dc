"""Configuration: one set of defaults, overridden from the environment (prefix ``EXAM_``).

Unknown keys are rejected, so a typo in a deployment never silently falls back to a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # Embedded default: an SQLite file in ./instance; production sets PostgreSQL.
    "DATABASE_URL": "sqlite:///" + str(Path.cwd() / "instance" / "exam_engine.sqlite3"),
    # Empty = in-process twin (single-machine install); e.g. redis://127.0.0.1:6379/0.
    "REDIS_URL": "",
    "SECRET_KEY": "",
    # Read when SECRET_KEY is empty; `exam-engine init` writes it once.
    "SECRET_KEY_FILE": str(Path.cwd() / "instance" / "secret_key"),
    # Cookies only over HTTPS. The demo on http://127.0.0.1 and the tests turn it off
    # explicitly (EXAM_SESSION_COOKIE_SECURE=false); a forgotten setting fails safe.
    "SESSION_COOKIE_SECURE": True,
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are believed
    # (login throttling keys on the client's address). 0 = none: the peer is the client.
    "TRUSTED_PROXY_HOPS": 0,
    "DEFAULT_LOCALE": "vi",
    # Public base of verification links printed in certificate QR codes.
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "CERT_SIGNING_KEY_FILE": str(Path.cwd() / "instance" / "cert_signing_key.pem"),
    "ISSUER_NAME": "SỞ GIÁO DỤC VÀ ĐÀO TẠO BẮC NINH",
    "ISSUER_PLACE": "Bắc Ninh",
    "ISSUER_CODE": "BN",
    "SIGNER_NAME": "Nguyễn Văn Minh",
    "SIGNER_TITLE": "PHÓ GIÁM ĐỐC",
    "SIGNER_ON_BEHALF_OF": "KT. GIÁM ĐỐC",
    # Saves that reach the server this many seconds after the deadline are still accepted:
    # the click happened in time, the LAN was slow.
    "SAVE_GRACE_SECONDS": 3,
    # Uploads and background jobs (exam_engine/kernel/uploads.py, jobs.py). Largest upload (an
    # item-bank import, a package with its images), in megabytes; every other request body is
    # small unless its view says otherwise (a candidate's save: 64 KB).
    "MAX_UPLOAD_MB": 100,
    "MAX_REQUEST_KB": 2048,
    # Large uploads wait for their job here; a volume shared with the workers on several hosts.
    "UPLOAD_SPOOL_DIR": str(Path.cwd() / "instance" / "uploads"),
    # With REDIS_URL set, jobs go to this RQ queue and `exam-engine worker` runs them; empty =
    # in a thread of the web process (the embedded demo without Redis does that anyway).
    "JOB_QUEUE": "exam-engine",
    "TESTING": False,
}

_BOOLEAN = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


class ConfigError(ValueError):
    """A configuration key or value that cannot be used."""


def _coerce(key: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        try:
            return _BOOLEAN[raw.strip().lower()]
        except KeyError:
            raise ConfigError(f"EXAM_{key}: expected true/false, got {raw!r}") from None
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"EXAM_{key}: expected an integer, got {raw!r}") from None
    return raw


def load_config(overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then ``EXAM_*`` environment variables, then explicit overrides.

    ``DATABASE_URL`` and ``REDIS_URL`` are also read without the prefix, as hosts set them.
    """
    environ = os.environ if environ is None else environ
    config = dict(DEFAULTS)
    for bare in ("DATABASE_URL", "REDIS_URL"):
        if bare in environ:
            config[bare] = environ[bare]
    for name, raw in environ.items():
        if not name.startswith("EXAM_"):
            continue
        key = name.removeprefix("EXAM_")
        if key not in DEFAULTS:
            raise ConfigError(f"unknown setting {name}; known: {', '.join(sorted(DEFAULTS))}")
        config[key] = _coerce(key, raw, DEFAULTS[key])
    for key, value in (overrides or {}).items():
        if key not in DEFAULTS:
            raise ConfigError(f"unknown setting {key}; known: {', '.join(sorted(DEFAULTS))}")
        config[key] = value
    return config
