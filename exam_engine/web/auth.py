"""Logging in and out: staff and teachers by password, candidates by số báo danh + session code."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from exam_engine.exams.delivery import find_candidate_for_login
from exam_engine.exams.errors import NotFound
from exam_engine.kernel.accounts import Role, authenticate
from exam_engine.kernel.i18n import gettext, localized
from exam_engine.kernel.web_context import cache, current_user, db

auth_bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {Role.STAFF: "staff.sessions", Role.ADMIN: "staff.sessions",
                Role.PROCTOR: "proctor.rooms", Role.TEACHER: "bank.index",
                Role.REVIEWER: "bank.index"}
MAX_FAILURES = 10  # per account name and client address, for 15 minutes


def _failure_key(identity: str) -> str:
    # Keyed by who is tried as well as where from: a whole room behind one NAT address must
    # not be locked out by one candidate's typos.
    return f"login-fail:{request.remote_addr}:{identity.strip().lower()[:80]}"


def _too_many_failures(identity: str) -> bool:
    return (cache().get_json(_failure_key(identity)) or 0) >= MAX_FAILURES


def _count_failure(identity: str) -> None:
    cache().incr(_failure_key(identity), ttl_seconds=900)


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
        if _too_many_failures("user:" + username):
            error = localized("Quá nhiều lần đăng nhập sai, hãy thử lại sau 15 phút.",
                              "Too many failed logins; try again in 15 minutes.")
        else:
            user = authenticate(db(), username, request.form.get("password", ""))
            if user is None:
                _count_failure("user:" + username)
                error = gettext("Sai tên đăng nhập hoặc mật khẩu.")
            else:
                _new_session()
                session["user_id"] = user.id
                next_url = request.args.get("next", "")
                if next_url.startswith("/") and not next_url.startswith("//"):
                    return redirect(next_url)
                return redirect(url_for(HOME_BY_ROLE.get(user.role, "auth.index")))
    return render_template("login.html", error=error), (401 if error else 200)


@auth_bp.route("/thi/dang-nhap", methods=["GET", "POST"])
def candidate_login():
    error = None
    if request.method == "POST":
        number = request.form.get("candidate_number", "")
        if _too_many_failures("candidate:" + number):
            error = localized("Quá nhiều lần đăng nhập sai, hãy báo cán bộ coi thi.",
                              "Too many failed logins; call the invigilator.")
        else:
            try:
                candidate = find_candidate_for_login(db(), number,
                                                     request.form.get("session_code", ""))
            except NotFound as missing:
                _count_failure("candidate:" + number)
                error = localized(missing.message_vi, missing.message_en)
            else:
                _new_session()
                session["attempt_id"] = candidate.attempt.id
                session["role"] = Role.CANDIDATE.value
                return redirect(url_for("candidate.exam"))
    return render_template("candidate_login.html", error=error), (401 if error else 200)


def _new_session() -> None:
    """Start a fresh session (no fixation across login/logout), keeping only the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@auth_bp.post("/dang-xuat")
def logout():
    _new_session()
    flash(gettext("Đăng xuất"))
    return redirect(url_for("auth.index"))


