"""The application factory: wires things up, writes nothing, calls no network."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, g
from flask_wtf.csrf import CSRFProtect

from .cache import make_cache
from .config import ConfigError, load_config
from .db import make_engine, make_session_factory
from .i18n import install_i18n

csrf = CSRFProtect()


def _secret_key(config: Mapping[str, Any]) -> str:
    if config["SECRET_KEY"]:
        return str(config["SECRET_KEY"])
    path = Path(config["SECRET_KEY_FILE"])
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    if config["TESTING"]:
        return "testing-only-secret"
    raise ConfigError("no secret key: set EXAM_SECRET_KEY, or run `exam-engine init` once "
                      f"to create {path}")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    settings = load_config(config)
    app = Flask(__name__)
    app.config.update(settings)
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["SESSION_COOKIE_SECURE"],
        WTF_CSRF_TIME_LIMIT=None,  # a CSRF token must outlive a 120-minute exam
        MAX_CONTENT_LENGTH=settings["MAX_UPLOAD_MB"] * 1024 * 1024,
    )
    app.json.ensure_ascii = False  # Vietnamese stays readable (and smaller) in JSON
    engine = make_engine(settings["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessions"] = make_session_factory(engine, writes=True)
    app.extensions["db_read_sessions"] = make_session_factory(engine)
    app.extensions["cache"] = make_cache(settings["REDIS_URL"])
    csrf.init_app(app)
    install_i18n(app)

    @app.teardown_appcontext
    def _close_db(error: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            if error is not None:
                db.rollback()
            db.close()

    from .web import register_blueprints
    register_blueprints(app)

    from .cli import register_commands
    register_commands(app)
    return app
