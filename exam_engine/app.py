"""The application factory: wires things up, writes nothing, calls no network."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from exam_engine.kernel.cache import make_cache
from exam_engine.kernel.config import ConfigError, load_config
from exam_engine.kernel.db import make_engine, make_session_factory
from exam_engine.kernel.i18n import install_i18n
from exam_engine.kernel.input_guard import install_input_guard
from exam_engine.kernel.proxies import install_trusted_proxies
from exam_engine.kernel.security_headers import install_security_headers
from exam_engine.kernel.uploads import install_body_limits
from exam_engine.kernel.web_context import install_login_session_checks, install_unit_of_work

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

    install_unit_of_work(app)
    install_body_limits(app)  # per-route request size limits (kernel/uploads.py)
    install_login_session_checks(app)  # a copied cookie dies with its logout
    install_security_headers(app)
    install_trusted_proxies(app, settings["TRUSTED_PROXY_HOPS"])
    install_input_guard(app)  # before the blueprints: their <int:…> rules use its converter

    from exam_engine.analysis.bank_exam_data import LiveExamData
    from exam_engine.web import register_blueprints
    from item_bank.exam_data import EXTENSION as BANK_EXAM_DATA
    register_blueprints(app)
    app.extensions[BANK_EXAM_DATA] = LiveExamData()  # the bank's port to live exam data

    from exam_engine.cli import register_commands
    register_commands(app)
    return app
