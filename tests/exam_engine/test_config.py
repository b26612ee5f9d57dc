from __future__ import annotations

import pytest

from exam_engine.kernel.config import ConfigError, load_config


def test_environment_overrides_defaults_with_types():
    config = load_config(environ={"EXAM_SAVE_GRACE_SECONDS": "7", "EXAM_SESSION_COOKIE_SECURE": "true",
                                  "DATABASE_URL": "postgresql+psycopg://x@h/db"})
    assert config["SAVE_GRACE_SECONDS"] == 7 and config["SESSION_COOKIE_SECURE"] is True
    assert config["DATABASE_URL"] == "postgresql+psycopg://x@h/db"


def test_unknown_settings_are_refused_by_name():
    with pytest.raises(ConfigError, match="unknown setting EXAM_SAVE_GRACE"):
        load_config(environ={"EXAM_SAVE_GRACE": "7"})
    with pytest.raises(ConfigError, match="unknown setting REDIS"):
        load_config({"REDIS": "x"}, environ={})


def test_bad_values_name_the_variable():
    with pytest.raises(ConfigError, match="EXAM_SAVE_GRACE_SECONDS: expected an integer"):
        load_config(environ={"EXAM_SAVE_GRACE_SECONDS": "soon"})


def test_the_app_refuses_to_start_without_a_secret(tmp_path):
    from exam_engine import create_app
    with pytest.raises(ConfigError, match="no secret key"):
        create_app({"SECRET_KEY_FILE": str(tmp_path / "missing"),
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
