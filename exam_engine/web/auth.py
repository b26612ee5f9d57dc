"""Logging in and out: staff and teachers by password; candidates by số báo danh + their
personal code and/or a proctor's admission, as the session's ``login_mode`` says (issue 11)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from exam_engine.exams.errors import ExamError, MovedAway
from exam_engine.kernel.accounts import (
    AccountError,
    Role,
    WrongPassword,
    authenticate,
    change_password,
)
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import gettext, localized
from exam_engine.kernel.login_sessions import (
    ENDED_MOVED,
    begin_login_session,
    end_login_session,
    ended_reason,
)
from exam_engine.kernel.redirects import safe_next_path
from exam_engine.kernel.throttle import count_try, forget_tries, login_key
from exam_engine.kernel.web_context import (
    SESSION_ID,
    current_user,
    db,
    forget_login,
    keep_writes_of_refusal,
    login_session_hash,
    roles_required,
)
from proctor.admission import enter_if_admitted, request_reason, sign_in
from proctor.models import AdmissionReason

auth_bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {Role.STAFF: "staff.sessions", Role.ADMIN: "staff.sessions",
                Role.PROCTOR: "proctor.rooms", Role.TEACHER: "bank.index",
                Role.REVIEWER: "bank.index"}


def _admit_try(kind: str, identifier: str) -> str | None:
    """Count this login try (see ``exam_engine.kernel.throttle``); the throttle key while
    within the limit, None when locked. The count outlives the refusal either way."""
    key = login_key(kind, identifier, request.remote_addr)
    keep_writes_of_refusal()
    return key if count_try(db(), key, utcnow()) else None


@auth_bp.get("/")
def index():
    user = current_user()
    if user is not None and user.role in HOME_BY_ROLE:
        return redirect(url_for(HOME_BY_ROLE[user.role]))
    return render_template("index.html", user=user)


@auth_bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        key = _admit_try("user", username)
        if key is None:
            error = localized("Quá nhiều lần đăng nhập sai, hãy thử lại sau 15 phút.",
                              "Too many failed logins; try again in 15 minutes.")
        else:
            user = authenticate(db(), username, request.form.get("password", ""))
            if user is None:
                error = gettext("Sai tên đăng nhập hoặc mật khẩu.")
            else:
                forget_tries(db(), key)
                _log_in(user_id=user.id)
                next_path = safe_next_path(request.args.get("next"))
                return redirect(next_path or url_for(HOME_BY_ROLE.get(user.role, "auth.index")))
    return render_template("login.html", error=error), (401 if error else 200)


@auth_bp.route("/thi/dang-nhap", methods=["GET", "POST"])
def candidate_login():
    error = None
    if request.method == "POST":
        number = request.form.get("candidate_number", "")
        key = _admit_try("candidate", number)
        if key is None:
            error = localized("Quá nhiều lần đăng nhập sai, hãy báo cán bộ coi thi.",
                              "Too many failed logins; call the invigilator.")
        else:
            try:
                outcome = sign_in(db(), number, request.form.get("login_code", ""), utcnow(),
                                  request.remote_addr, user_agent=request.user_agent.string,
                                  own_login=login_session_hash())
            except ExamError as refused:
                error = localized(refused.message_vi, refused.message_en)
            else:
                forget_tries(db(), key)
                if outcome.waiting:
                    forget_login()
                    session["admission_request_id"] = outcome.request_id
                    return redirect(url_for("auth.waiting"))
                log_in_candidate(outcome.attempt_id)
                return redirect(url_for("candidate.exam"))
    return render_template("candidate_login.html", error=error), (401 if error else 200)


@auth_bp.get("/thi/cho-giam-thi")
def waiting():
    """A login waiting for the proctor's admission: the page reloads itself (polling, no
    script needed) and enters the exam once a proctor admitted this very request."""
    request_id = session.get("admission_request_id")
    if not isinstance(request_id, int):
        return redirect(url_for("auth.candidate_login"))
    attempt_id = enter_if_admitted(db(), request_id, utcnow())  # AdmissionUsed: a 409
    if attempt_id is not None:
        log_in_candidate(attempt_id)
        return redirect(url_for("candidate.exam"))
    # The Refresh header polls without a script (the page's CSP needs none for it).
    second = request_reason(db(), request_id) is AdmissionReason.SECOND_LOGIN
    return render_template("candidate_waiting.html", second_login=second), 200, {"Refresh": "3"}


# The candidate's pages a moved browser is told about (the answer save says it itself, in
# its guarded write; the others answer 409 "moved" instead of a bare login redirect).
_TOLD_WHEN_MOVED = frozenset({"candidate.exam", "candidate.start", "candidate.paper",
                              "candidate.submit", "candidate.result"})


@auth_bp.app_url_value_preprocessor
def _tell_a_moved_browser(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """A browser whose candidate the proctor moved to another computer is told so (409,
    ``MovedAway``: the error page, or problem details to the exam page's script), not sent to
    the login page as if it had logged out.

    A url value preprocessor because it runs before every ``before_request`` function, and so
    before the login check (``web_context.install_login_session_checks``) makes the browser
    anonymous and forgets which login it held. One primary-key read, on these pages only."""
    if endpoint not in _TOLD_WHEN_MOVED or session.get("attempt_id") is None:
        return
    login = login_session_hash()
    if login is None:
        return
    with current_app.extensions["db_read_sessions"]() as unit:
        moved = ended_reason(unit, login) == ENDED_MOVED
    if moved:
        forget_login()
        raise MovedAway()


def log_in_candidate(attempt_id: int) -> None:
    _log_in(attempt_id=attempt_id)
    session["role"] = Role.CANDIDATE.value


def _log_in(*, user_id: int | None = None, attempt_id: int | None = None) -> None:
    """A fresh cookie (no fixation) carrying a new server-side session id; the login this
    browser held before ends (no copy of the old cookie lives on beside the new one)."""
    previous = session.get(SESSION_ID)
    if isinstance(previous, str):
        end_login_session(db(), previous)
    forget_login()
    session[SESSION_ID] = begin_login_session(db(), user_id=user_id, attempt_id=attempt_id)
    if user_id is not None:
        session["user_id"] = user_id
    else:
        session["attempt_id"] = attempt_id


@auth_bp.post("/dang-xuat")
def logout():
    token = session.get(SESSION_ID)
    if isinstance(token, str):
        end_login_session(db(), token)  # every copy of this cookie ends here too
    forget_login()
    flash(gettext("Đăng xuất"))
    return redirect(url_for("auth.index"))




@auth_bp.route("/doi-mat-khau", methods=["GET", "POST"])
@roles_required(*Role)
def password():
    """Change one's own password; every other login of this account ends with it."""
    user = current_user()
    assert user is not None  # roles_required
    error = None
    if request.method == "POST":
        new = request.form.get("new_password", "")
        key = _admit_try("user", user.username)  # the current password is guessable here too
        if key is None:
            error = localized("Quá nhiều lần nhập sai, hãy thử lại sau 15 phút.",
                              "Too many wrong tries; try again in 15 minutes.")
        elif new != request.form.get("new_password_again", ""):
            error = localized("Hai lần nhập mật khẩu mới không giống nhau.",
                              "The two new passwords differ.")
        else:
            try:
                change_password(db(), user, request.form.get("current_password", ""), new)
            except WrongPassword:
                error = localized("Mật khẩu hiện tại không đúng.", "The current password is wrong.")
            except AccountError:
                error = localized("Mật khẩu mới cần ít nhất 8 ký tự.",
                                  "The new password needs at least 8 characters.")
            else:
                forget_tries(db(), key)
                _log_in(user_id=user.id)  # this browser stays in, with a new session id
                flash(localized("Đã đổi mật khẩu. Mọi phiên đăng nhập khác đã kết thúc.",
                                "Password changed. Every other login has been ended."))
                return redirect(url_for("auth.index"))
    return render_template("change_password.html", error=error), (422 if error else 200)
