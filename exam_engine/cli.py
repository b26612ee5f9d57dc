"""The `exam-engine` command: Flask's commands plus init, demo data, deadlines and IRT."""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from exam_engine.kernel.db import transaction, utcnow
from exam_engine.kernel.legal_time import vn_today


def _create_app() -> Flask:
    from exam_engine import create_app
    return create_app()


def _ensure_instance_files(config) -> None:
    secret = Path(config["SECRET_KEY_FILE"])
    if not config["SECRET_KEY"] and not secret.exists():
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        secret.chmod(0o600)
        click.echo(f"created {secret}")
    key = Path(config["CERT_SIGNING_KEY_FILE"])
    if not key.exists():
        from certs.signing import generate_signing_key
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_bytes(generate_signing_key())
        key.chmod(0o600)
        click.echo(f"created {key}")
    url = config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@click.command("init")
def init_command() -> None:
    """Create the instance files (secret key, certificate signing key) and migrate the database."""
    from exam_engine.kernel.config import load_config
    from exam_engine.migrate import upgrade
    config = load_config()
    _ensure_instance_files(config)
    upgrade(config["DATABASE_URL"])
    click.echo("database is at the latest revision")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the TT03 requirement tree, the demo bank, demo accounts and a scheduled session."""
    from exam_engine.demo import seed_demo
    with transaction(current_app.extensions["db_sessions"]) as db:
        counts = seed_demo(db, vn_today())
    click.echo("demo data: " + ", ".join(f"{k} +{v}" for k, v in counts.items()))


@click.command("close-expired")
@click.option("--every", type=float, default=0.0, help="repeat every N seconds (0 = once)")
@with_appcontext
def close_expired_command(every: float) -> None:
    """Submit every attempt whose deadline and save grace have passed (the server's own clock):
    the same rule as the page and the sweeper, so a save in the grace is never lost."""
    from exam_engine.exams.delivery import finalize_expired_attempts
    while True:
        with transaction(current_app.extensions["db_sessions"]) as db:
            closed = finalize_expired_attempts(db, utcnow(),
                                               current_app.config["SAVE_GRACE_SECONDS"])
        if closed:
            click.echo(f"closed {closed} attempt(s) at their deadline")
        if every <= 0:
            return
        time.sleep(every)


@click.command("worker")
@click.option("--queue", "queues", multiple=True,
              help="queue(s) to take jobs from (default: the JOB_QUEUE setting)")
@click.option("--burst", is_flag=True, help="stop once the queues are empty")
def worker_command(queues: tuple[str, ...], burst: bool) -> None:
    """Run background jobs (imports, and later batch issuance, calibration…) from Redis.

    Start one or more next to the web server whenever REDIS_URL is set: jobs wait in Redis and
    outlive the web worker that queued them."""
    from exam_engine.kernel.jobs import run_worker
    from exam_engine.kernel.uploads import spool_dir, sweep_expired
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["REDIS_URL"]:
        raise click.UsageError("set REDIS_URL: without Redis, jobs run inside the web process")
    sweep_expired(spool_dir(app), 24 * 3600)  # uploads a crash left behind long ago
    run_worker(app, queues or (app.config["JOB_QUEUE"],), burst=burst)


@click.command("demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=None, type=int,
              help="worker processes (default: 2 with Redis, else 1 with threads)")
def demo_command(host: str, port: int, workers: int | None) -> None:
    """init + seed-demo, then serve with gunicorn on the embedded SQLite database.

    Without Redis the cache, pending imports and job progress live in process memory, so the
    demo serves from one process with threads: every request sees the same memory."""
    from exam_engine.kernel.config import load_config
    from exam_engine.migrate import upgrade
    config = load_config()
    _ensure_instance_files(config)
    upgrade(config["DATABASE_URL"])
    from exam_engine import create_app
    from exam_engine.demo import seed_demo
    with transaction(create_app().extensions["db_sessions"]) as db:
        seed_demo(db, vn_today())
    click.echo(f"\n  exam-engine: http://{host}:{port}/   (demo password: see README)\n")
    processes = ["--workers", str(workers or 2)] if config["REDIS_URL"] or workers else [
        "--workers", "1", "--threads", "8"]
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "-c",
                               "python:exam_engine.gunicorn_conf", *processes,
                               "--bind", f"{host}:{port}", "wsgi:app"])


def register_commands(app: Flask) -> None:
    for command in (seed_demo_command, close_expired_command, worker_command):
        app.cli.add_command(command)
    from exam_engine.analysis.cli import bank
    app.cli.add_command(bank)
    try:
        from item_bank.irt_cli import irt
    except ImportError:  # the IRT command group is optional at import time
        return
    app.cli.add_command(irt)


main = FlaskGroup(create_app=_create_app, help="exam-engine: thi trắc nghiệm trên máy tính")
# These run before the app can exist (they create its secret key and database).
main.add_command(init_command)
main.add_command(demo_command)
