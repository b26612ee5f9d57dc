"""Per-request plumbing shared by the blueprints: the database session, cache, current user."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for
from sqlalchemy.orm import Session

from exam_engine.kernel.accounts import Role, User
from exam_engine.kernel.cache import Cache
from exam_engine.kernel.login_sessions import login_session_is_live, token_hash


def db(*, writes: bool | None = None) -> Session:
    """This request's unit of work, committed once at the request boundary (never by a view):
    see ``install_unit_of_work``.

    GET requests read unless the view says it may write (``writes=True``), which on SQLite
    takes the write lock up front instead of failing half-way.
    """
    if "db" not in g:
        if writes is None:
            writes = request.method not in ("GET", "HEAD")
        g.db = current_app.extensions["db_sessions" if writes else "db_read_sessions"]()
    return g.db


def cache() -> Cache:
    return current_app.extensions["cache"]


def current_user() -> User | None:
    user_id = session.get("user_id")
    if user_id is None:
        return None
    if "user" not in g:
        g.user = db().get(User, user_id)
    return g.user


def roles_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only these roles (admin always) may call the view; anonymous users go to login."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None or not user.active:
                return redirect(url_for("auth.login", next=request.path))
            if user.role not in roles and user.role is not Role.ADMIN:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def candidate_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Candidate pages: the session holds the attempt id set at candidate login."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if session.get("attempt_id") is None:
            if request.path.startswith("/thi/api/"):
                abort(401)
            return redirect(url_for("auth.candidate_login"))
        return view(*args, **kwargs)

    return wrapped


def install_unit_of_work(app: Flask) -> None:
    """One unit of work per request: views and services only flush; the boundary commits a
    successful answer (2xx/3xx) before it is sent, rolls back any other, and closes.

    A save is therefore acknowledged only once durable. A failing commit (a uniqueness the
    database enforces, say) reaches the error handlers like any other exception.
    """

    @app.after_request
    def _commit(response: Response) -> Response:
        unit = g.get("db")
        if unit is not None:
            kept_refusal = g.get("keep_writes_of_refusal") and response.status_code < 500
            if response.status_code < 400 or kept_refusal:
                unit.commit()
            else:
                unit.rollback()
        return response

    @app.teardown_appcontext
    def _close(error: BaseException | None) -> None:
        unit = g.pop("db", None)
        if unit is not None:
            if error is not None:
                unit.rollback()
            unit.close()


def keep_writes_of_refusal() -> None:
    """Commit this request's writes even though it answers 4xx: the writes are the record of
    the refusal itself (a counted failed login), which a rollback would erase."""
    g.keep_writes_of_refusal = True


SESSION_ID = "sid"  # the key of the server-side login session id in the signed cookie


def forget_login() -> None:
    """Make this browser anonymous again (no fixation across logins), keeping its language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.pop("user", None)


def install_login_session_checks(app: Flask) -> None:
    """Every request that carries a login must carry a live server-side session id
    (``exam_engine.kernel.login_sessions``); otherwise it is anonymous from here on.

    A cookie from before this check (no id) is treated like an ended one: fail closed.
    """

    @app.before_request
    def _check_login_session() -> None:
        user_id, attempt_id = session.get("user_id"), session.get("attempt_id")
        if user_id is None and attempt_id is None:
            return
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "checks_own_login_session", False):
            return  # the view's own guarded write checks it (see checks_own_login_session)
        token = session.get(SESSION_ID)
        if not isinstance(token, str) or not _is_live(token, user_id, attempt_id):
            forget_login()


def _is_live(token: str, user_id: Any, attempt_id: Any) -> bool:
    ids = {"user_id": user_id, "attempt_id": attempt_id}
    if request.method not in ("GET", "HEAD"):
        # The request writes anyway: check inside its own unit of work (one connection, and
        # on the answer-save path one query more, not one connection more).
        return login_session_is_live(db(), token, **ids)
    # A reading request: a short session of its own, so the view may still take the writing
    # one (``db(writes=True)``) after this check.
    with current_app.extensions["db_read_sessions"]() as unit:
        return login_session_is_live(unit, token, **ids)


def checks_own_login_session(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a hot write path (the answer save) that checks the login session inside its own
    guarded statement instead of a read of its own: one round trip per save, not two. The view
    must pass ``login_session_hash()`` to a service that refuses when the session has ended."""
    view.checks_own_login_session = True  # type: ignore[attr-defined]
    return view


def login_session_hash() -> str | None:
    """The stored form of this browser's login session id (None: the cookie carries none)."""
    token = session.get(SESSION_ID)
    return token_hash(token) if isinstance(token, str) else None
