"""Pages of Safe Exam Browser settings and the request-hash check (thin: parse, call
``proctor.seb_service``, render)."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.urls import iri_to_uri

from exam_engine.exams.models import ExamSession
from exam_engine.kernel.accounts import User
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.web_context import current_user, db
from proctor import seb
from proctor.seb_service import (
    InvalidSebSettings,
    SebForm,
    refusal,
    required_seb_configs,
    save_seb_config,
    seb_changes,
    seb_config,
    seb_file,
    session_of_attempt,
    settings_of,
)
from proctor.web_common import overseers_only, session_or_404

seb_bp = Blueprint("proctor_seb", __name__, url_prefix="/giam-thi", template_folder="templates")

# The candidate's pages and APIs; the login and waiting pages are checked once the browser
# holds a login (before it the session is not known, so there is nothing to check).
CANDIDATE_BLUEPRINTS = frozenset({"candidate", "proctor_events"})
CANDIDATE_AUTH_ENDPOINTS = frozenset({"auth.candidate_login", "auth.waiting"})


@seb_bp.before_app_request
def _require_safe_exam_browser() -> None:
    """Refuse (403) a logged-in candidate's request when his session requires SEB and the
    request does not carry this session's SEB hashes."""
    if (request.blueprint not in CANDIDATE_BLUEPRINTS
            and request.endpoint not in CANDIDATE_AUTH_ENDPOINTS):
        return
    attempt_id = session.get("attempt_id")
    if not isinstance(attempt_id, int):
        return
    # SEB hashes the absolute URL it requested. Behind the trusted reverse proxies
    # (kernel/proxies.py: ProxyFix with x_proto, x_host, x_port, x_prefix) request.url is
    # rebuilt from X-Forwarded-Proto/-Host/-Port/-Prefix, i.e. the URL the browser asked for;
    # iri_to_uri gives back the percent-encoded form the browser sent. (A proxy must forward
    # the port: nginx's $host drops it, $http_host keeps it.)
    refused = refusal(_session_seb_config(attempt_id), iri_to_uri(request.url), request.headers)
    if refused is not None:
        raise refused  # the app's ExamError handler: the error page, or problem JSON for APIs


# Checked on every candidate request, the save included: a database read each time cost the
# hot path a round trip. Each process keeps the sessions that REQUIRE SEB (a handful, usually
# none), read afresh every few seconds, and each attempt's session (fixed for its life); so a
# save reads nothing when no session requires SEB, and at most one primary-key read per attempt
# per process otherwise. Per app: a change made through this process's page is seen at once,
# other processes' within the TTL — SEB is set before the sitting, and a new Config Key is
# refused once anyone has started.
GATE_TTL_SECONDS = 5.0
ATTEMPT_SESSIONS_MAX = 200_000


def _session_seb_config(attempt_id: int):
    """The SebConfig (detached, loaded) of the attempt's session when it requires SEB, else
    None."""
    gates = current_app.extensions.setdefault("seb_gates", {"read_at": None, "required": {},
                                                            "sessions": {}})
    now = time.monotonic()
    if gates["read_at"] is None or now - gates["read_at"] >= GATE_TTL_SECONDS:
        with current_app.extensions["db_read_sessions"]() as unit:
            required = required_seb_configs(unit)
            unit.expunge_all()
        gates.update(read_at=now, required=required)
    if not gates["required"]:
        return None
    sessions = gates["sessions"]
    session_id = sessions.get(attempt_id)
    if session_id is None:
        with current_app.extensions["db_read_sessions"]() as unit:
            session_id = session_of_attempt(unit, attempt_id)
        if len(sessions) >= ATTEMPT_SESSIONS_MAX:
            sessions.clear()
        sessions[attempt_id] = session_id
    return gates["required"].get(session_id)


def forget_seb_gates() -> None:
    """After a change of settings: this process reads them afresh."""
    current_app.extensions.pop("seb_gates", None)


@seb_bp.route("/ca-thi/<int:session_id>/seb", methods=["GET", "POST"])
@overseers_only
def settings(session_id: int):
    """The session's SEB settings: require SEB or not, the quit password, the allowed Browser
    Exam Keys; the Config Key and the .seb file follow from them."""
    user = current_user()
    assert user is not None  # overseers_only
    exam = session_or_404(session_id)
    if request.method == "POST":
        form = _form()
        try:
            saved = save_seb_config(db(), exam, form, actor_id=user.id, now=utcnow(),
                                    idempotency_key=request.form.get("idempotency_key"))
        except InvalidSebSettings as invalid:
            return _page(exam, form=form, problems=invalid.problems), 422
        forget_seb_gates()
        flash(localized("Đã lưu cấu hình Safe Exam Browser của ca thi.",
                        "The session's Safe Exam Browser settings are saved."))
        if saved.config_changed:
            flash(localized(
                "Config Key đã đổi: hãy tải tệp .seb mới và cài lại trên mọi máy thi.",
                "The Config Key changed: download the new .seb file and install it on every "
                "exam computer."))
        if saved.keys_cleared:
            flash(localized(
                "Browser Exam Key cũ không còn đúng với cấu hình mới nên đã được xoá; hãy mở tệp "
                ".seb mới bằng SEB trên máy thi, đọc Browser Exam Key và nhập lại.",
                "The old Browser Exam Keys do not fit the new settings and were removed; open "
                "the new .seb file in SEB on an exam computer, read its Browser Exam Key and "
                "enter it again."))
        return redirect(url_for("proctor_seb.settings", session_id=exam.id))
    return _page(exam)


def _form() -> SebForm:
    data = request.form
    return SebForm(required=data.get("required") == "1", start_url=data.get("start_url", ""),
                   browser_exam_keys=data.get("browser_exam_keys", ""),
                   allowed_urls=data.get("allowed_urls", ""),
                   quit_password=data.get("quit_password", ""),
                   clear_quit_password=data.get("clear_quit_password") == "1",
                   note=data.get("note", ""))


def _page(exam: ExamSession, *, form: SebForm | None = None, problems=()) -> str:
    config = seb_config(db(), exam.id)
    current = settings_of(config) if config is not None else {}
    if form is None:  # the stored settings, or this server's defaults for a first save
        form = SebForm(
            required=config.required if config else False,
            start_url=current.get("startURL") or url_for("auth.candidate_login", _external=True),
            browser_exam_keys="\n".join(config.browser_exam_keys) if config else "",
            allowed_urls="\n".join(rule["expression"] for rule in
                                   current.get("URLFilterRules", [])[1:]))
    editor = db().get(User, config.updated_by) if config and config.updated_by else None
    return render_template("proctor/seb.html", exam=exam, config=config, form=form,
                           problems=list(problems), editor=editor,
                           has_quit_password=bool(current.get("hashedQuitPassword")),
                           changes=seb_changes(db(), exam.id))


@seb_bp.get("/ca-thi/<int:session_id>/seb/<code>.seb")
@overseers_only
def download(session_id: int, code: str):
    """The session's .seb file, named after its session code. It carries the quit password's
    hash, so only staff download it (and nothing caches it)."""
    exam = session_or_404(session_id)
    config = seb_config(db(), exam.id)
    if code != exam.session_code or config is None:
        abort(404, localized("Ca thi này chưa có tệp cấu hình SEB: hãy lưu cấu hình trước.",
                             "this session has no SEB configuration file yet: save the "
                             "settings first"))
    return Response(seb_file(config), mimetype=seb.SEB_MIME_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{exam.session_code}.seb"',
        "Cache-Control": "no-store"})
