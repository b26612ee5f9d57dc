"""Safe Exam Browser per session through the real app, on SQLite and PostgreSQL: the staff
settings page and its .seb file, and the check of SEB's request hashes on every candidate
request (hashes computed here the documented way: SHA-256 of the absolute URL + key)."""

from __future__ import annotations

import hashlib
import plistlib
import re

from flask.testing import FlaskClient
from sqlalchemy import func, select

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import transaction, utcnow
from proctor.models import ProctorAction, SebConfig
from proctor.seb import config_key, settings_from_json
from proctor.seb_service import SEB_ACTION, SebForm, save_seb_config
from tests.conftest import csrf_token_of, login, personal_code_for

BEK = "5e" * 32          # the Browser Exam Key of the centre's SEB build
OTHER_BEK = "a1" * 32    # another build's


class SebBrowser(FlaskClient):
    """A test browser that behaves like SEB with "send Browser Exam Key and Config Key" on:
    every request carries X-SafeExamBrowser-ConfigKeyHash = SHA-256(URL + Config Key) and
    X-SafeExamBrowser-RequestHash = SHA-256(URL + Browser Exam Key), URL being the absolute
    URL it asks for (``base`` + path)."""

    def __init__(self, app, config_key: str, browser_exam_key: str = BEK,
                 base: str = "http://localhost", extra_headers: dict[str, str] | None = None):
        super().__init__(app, app.response_class, use_cookies=True)
        self.config_key, self.browser_exam_key, self.base = config_key, browser_exam_key, base
        self.extra_headers = extra_headers or {}

    def open(self, *args, **kwargs):
        url = self.base + args[0]
        headers = {**self.extra_headers, **dict(kwargs.pop("headers", None) or {}),
                   "X-SafeExamBrowser-ConfigKeyHash":
                       hashlib.sha256((url + self.config_key).encode()).hexdigest(),
                   "X-SafeExamBrowser-RequestHash":
                       hashlib.sha256((url + self.browser_exam_key).encode()).hexdigest()}
        return super().open(*args, headers=headers, **kwargs)


def _require_seb(app, session, *, required: bool = True, keys: str = BEK) -> str:
    """The session's SEB settings saved as staff would; returns the Config Key."""
    from exam_engine.exams.models import ExamSession
    from exam_engine.kernel.accounts import create_user
    with transaction(app.extensions["db_sessions"]) as unit:
        actor = create_user(unit, f"seb-{session.id}", "mật-khẩu-123", "Cán bộ SEB", Role.STAFF)
        saved = save_seb_config(unit, unit.get(ExamSession, session.id), SebForm(
            required=required, start_url="http://localhost/thi/dang-nhap",
            browser_exam_keys=keys), actor_id=actor.id, now=utcnow())
        return saved.config.config_key


def _log_in(browser, session, number: str = "BN0001") -> str:
    page = browser.get("/thi/dang-nhap").get_data(as_text=True)
    code = personal_code_for(browser.application, session.session_code, number)
    signed_in = browser.post("/thi/dang-nhap", data={"candidate_number": number,
                                                     "login_code": code,
                                                     "csrf_token": csrf_token_of(page)})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    # a new session after login: its CSRF token is on any page, the refusal page too
    return csrf_token_of(browser.get("/thi/").get_data(as_text=True))


def _settings_form(session_id: int, client, **fields) -> dict[str, str]:
    page = client.get(f"/giam-thi/ca-thi/{session_id}/seb").get_data(as_text=True)
    token = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_token_of(page), "idempotency_key": token,
            "start_url": "http://10.0.0.5/thi/dang-nhap", **fields}


# ---- the staff page ---------------------------------------------------------------------------

def test_staff_save_the_settings_and_the_downloaded_file_carries_the_config_key_shown(
        client, db, make_session, make_user):
    session = make_session(n_candidates=1)
    make_user("canbo", Role.STAFF)
    login(client, "canbo")
    first = client.get(f"/giam-thi/ca-thi/{session.id}/seb").get_data(as_text=True)
    assert 'value="http://localhost/thi/dang-nhap"' in first  # this server's login page
    saved = client.post(f"/giam-thi/ca-thi/{session.id}/seb", data=_settings_form(
        session.id, client, required="1", quit_password="coithi2026",
        browser_exam_keys=f"{BEK.upper()}\n\n{OTHER_BEK}\n{BEK}\n"))
    assert saved.status_code == 302
    page = client.get(f"/giam-thi/ca-thi/{session.id}/seb").get_data(as_text=True)
    shown = re.search(r'id="config-key">([0-9a-f]{64})<', page).group(1)
    download = client.get(f"/giam-thi/ca-thi/{session.id}/seb/{session.session_code}.seb")
    assert download.status_code == 200 and download.mimetype == "application/seb"
    assert (download.headers["Content-Disposition"]
            == f'attachment; filename="{session.session_code}.seb"')
    assert download.headers["Cache-Control"] == "no-store"
    settings = plistlib.loads(download.data)
    assert config_key(settings) == shown
    assert settings["startURL"] == "http://10.0.0.5/thi/dang-nhap"
    assert settings["sendBrowserExamKey"] is True
    assert settings["hashedQuitPassword"] == hashlib.sha256(b"coithi2026").hexdigest()
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    row = db.get(SebConfig, session.id)
    assert row.required and row.config_key == shown
    assert row.browser_exam_keys == [BEK, OTHER_BEK]  # lower case, each once
    # the JSON column gives back exactly the settings that were hashed, on either backend
    assert config_key(settings_from_json(row.settings)) == row.config_key


def test_bad_browser_exam_keys_and_start_url_are_named_and_nothing_is_saved(
        client, db, make_session, make_user):
    session = make_session(n_candidates=1)
    make_user("canbo", Role.STAFF)
    login(client, "canbo")
    refused = client.post(f"/giam-thi/ca-thi/{session.id}/seb", data=_settings_form(
        session.id, client, start_url="thi/dang-nhap",
        browser_exam_keys=f"{BEK}\nxyz\n\n{BEK[:-1]}\n{BEK}g"))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    problems = re.findall(r'<li data-field="([a-z_]+)"(?: data-line="(\d+)")?>', page)
    assert problems == [("start_url", ""), ("browser_exam_keys", "2"),
                        ("browser_exam_keys", "4"), ("browser_exam_keys", "5")]
    assert "Browser Exam Key dòng 2" in page and "có 63 ký tự" in page
    assert "Địa chỉ bắt đầu phải là" in page
    assert db.scalar(select(func.count()).select_from(SebConfig)) == 0
    assert db.scalar(select(func.count()).select_from(ProctorAction)) == 0


def test_each_change_is_an_audit_row_and_a_repeated_form_acts_once(
        client, db, make_session, make_user):
    session = make_session(n_candidates=1)
    staff = make_user("canbo", Role.STAFF)
    login(client, "canbo")
    form = _settings_form(session.id, client, required="1", note="Ca sáng dùng SEB")
    assert client.post(f"/giam-thi/ca-thi/{session.id}/seb", data=form).status_code == 302
    assert client.post(f"/giam-thi/ca-thi/{session.id}/seb", data=form).status_code == 302
    first_key = db.scalar(select(SebConfig.config_key))
    changed = _settings_form(session.id, client, required="1", quit_password="coithi")
    assert client.post(f"/giam-thi/ca-thi/{session.id}/seb", data=changed).status_code == 302
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    rows = db.scalars(select(ProctorAction).order_by(ProctorAction.id)).all()
    assert [row.kind for row in rows] == [SEB_ACTION, SEB_ACTION]
    assert all(row.actor_id == staff.id and row.exam_session_id == session.id for row in rows)
    assert rows[0].reason == "Ca sáng dùng SEB"
    assert rows[0].detail["seb"]["config_key"] == first_key
    assert rows[1].detail["seb"]["previous_config_key"] == first_key
    assert rows[1].detail["seb"]["quit_password"] == "set"
    assert db.get(SebConfig, session.id).config_key == rows[1].detail["seb"]["config_key"] != \
        first_key
    history = client.get(f"/giam-thi/ca-thi/{session.id}/seb").get_data(as_text=True)
    assert history.count("<code>" + first_key[:16]) == 1


def test_a_new_config_key_drops_the_browser_exam_keys_of_the_old_file(
        client, db, make_session, make_user):
    session = make_session(n_candidates=1)
    make_user("canbo", Role.STAFF)
    login(client, "canbo")
    client.post(f"/giam-thi/ca-thi/{session.id}/seb",
                data=_settings_form(session.id, client, required="1", browser_exam_keys=BEK))
    kept = _settings_form(session.id, client, required="", browser_exam_keys=BEK)
    client.post(f"/giam-thi/ca-thi/{session.id}/seb", data=kept)  # same file: keys stay
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    assert db.get(SebConfig, session.id).browser_exam_keys == [BEK]
    moved = _settings_form(session.id, client, required="1", browser_exam_keys=BEK,
                           start_url="http://10.0.0.6/thi/dang-nhap")
    answer = client.post(f"/giam-thi/ca-thi/{session.id}/seb", data=moved,
                         follow_redirects=True)
    assert "Browser Exam Key cũ không còn đúng" in answer.get_data(as_text=True)
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    assert db.get(SebConfig, session.id).browser_exam_keys == []


def test_once_a_candidate_started_the_file_is_fixed_but_seb_can_still_be_switched_off(
        app, client, db, make_session, make_user):
    session = make_session(n_candidates=1)
    key = _require_seb(app, session)
    candidate = SebBrowser(app, key)
    token = _log_in(candidate, session)
    assert candidate.post("/thi/bat-dau", data={"csrf_token": token}).status_code == 302
    make_user("canbo", Role.STAFF)
    login(client, "canbo")
    new_file = _settings_form(session.id, client, required="1", quit_password="moi",
                              start_url="http://localhost/thi/dang-nhap", browser_exam_keys=BEK)
    refused = client.post(f"/giam-thi/ca-thi/{session.id}/seb", data=new_file)
    assert refused.status_code == 409
    assert "Đã có thí sinh bắt đầu làm bài" in refused.get_data(as_text=True)
    switched_off = _settings_form(session.id, client, required="",
                                  start_url="http://localhost/thi/dang-nhap")
    assert client.post(f"/giam-thi/ca-thi/{session.id}/seb",
                       data=switched_off).status_code == 302
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    row = db.get(SebConfig, session.id)
    assert not row.required and row.config_key == key and row.browser_exam_keys == []
    assert app.test_client().get("/thi/").status_code == 302  # (no login, no check)


def test_an_empty_quit_password_keeps_the_current_one_and_removing_it_is_explicit(
        client, db, make_session, make_user):
    session = make_session(n_candidates=1)
    make_user("canbo", Role.STAFF)
    login(client, "canbo")
    url = f"/giam-thi/ca-thi/{session.id}/seb"
    client.post(url, data=_settings_form(session.id, client, quit_password="coithi"))
    client.post(url, data=_settings_form(session.id, client, required="1"))
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    kept = settings_from_json(db.get(SebConfig, session.id).settings)
    assert kept["hashedQuitPassword"] == hashlib.sha256(b"coithi").hexdigest()
    client.post(url, data=_settings_form(session.id, client, clear_quit_password="1"))
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    assert settings_from_json(db.get(SebConfig, session.id).settings)["hashedQuitPassword"] == ""
    changes = [row.detail["seb"]["quit_password"] for row in
               db.scalars(select(ProctorAction).order_by(ProctorAction.id))]
    assert changes == ["set", "kept", "removed"]


def test_a_closed_session_keeps_its_seb_settings(client, db, make_session, make_user):
    from exam_engine.exams.states import SessionStatus
    session = make_session(n_candidates=1)
    session.status = SessionStatus.CLOSED
    db.commit()
    make_user("canbo", Role.STAFF)
    login(client, "canbo")
    refused = client.post(f"/giam-thi/ca-thi/{session.id}/seb",
                          data=_settings_form(session.id, client, required="1"))
    assert refused.status_code == 409
    assert "Ca thi đã kết thúc" in refused.get_data(as_text=True)


def test_only_staff_open_the_settings_and_the_file(client, make_session, make_user):
    session = make_session(n_candidates=1)
    anonymous = client.get(f"/giam-thi/ca-thi/{session.id}/seb")
    assert anonymous.status_code == 302 and "/dang-nhap" in anonymous.headers["Location"]
    make_user("giamthi", Role.PROCTOR)
    login(client, "giamthi")
    assert client.get(f"/giam-thi/ca-thi/{session.id}/seb").status_code == 403
    assert client.get(
        f"/giam-thi/ca-thi/{session.id}/seb/{session.session_code}.seb").status_code == 403
    make_user("canbo", Role.STAFF)
    login(client, "canbo")
    no_file_yet = client.get(f"/giam-thi/ca-thi/{session.id}/seb/{session.session_code}.seb")
    assert no_file_yet.status_code == 404
    client.post(f"/giam-thi/ca-thi/{session.id}/seb", data=_settings_form(session.id, client))
    assert client.get(f"/giam-thi/ca-thi/{session.id}/seb/KHAC123.seb").status_code == 404
    assert client.get(f"/giam-thi/ca-thi/{session.id + 99}/seb").status_code == 404


# ---- the check on every candidate request -------------------------------------------------------

def test_a_candidate_of_a_seb_session_without_the_headers_is_refused(app, client, make_session):
    session = make_session(n_candidates=1)
    _require_seb(app, session)
    _log_in(client, session)  # before login nothing is known, so the login itself goes in
    page = client.get("/thi/")
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert "yêu cầu làm bài bằng Safe Exam Browser của phòng thi" in text
    assert "Đăng xuất" in text  # this browser can still log out
    api = client.get("/thi/api/paper")
    assert api.status_code == 403 and api.get_json()["error"] == "SebRequired"
    assert client.get("/thi/dang-nhap").status_code == 403  # logged in: checked there too


def test_with_the_documented_hashes_the_exam_page_and_a_save_go_through(app, make_session):
    session = make_session(n_candidates=1)
    browser = SebBrowser(app, _require_seb(app, session, keys=f"{OTHER_BEK}\n{BEK}"))
    token = _log_in(browser, session)
    assert browser.post("/thi/bat-dau", data={"csrf_token": token}).status_code == 302
    assert browser.get("/thi/").status_code == 200
    assert browser.get("/thi/api/paper").get_json()["status"] == "in_progress"
    ack = browser.post("/thi/api/answers", json={"position": 0, "selected": [1], "seq": 1},
                       headers={"X-CSRFToken": token})
    assert ack.status_code == 200 and ack.get_json()["seq"] == 1


def test_a_wrong_browser_exam_key_or_config_key_is_refused(app, make_session):
    session = make_session(n_candidates=2)
    key = _require_seb(app, session)
    unknown_build = SebBrowser(app, key, browser_exam_key="c3" * 32)
    _log_in(unknown_build, session, "BN0001")
    refused = unknown_build.get("/thi/")
    assert refused.status_code == 403
    assert "không có trong danh sách được phép" in refused.get_data(as_text=True)
    other_file = SebBrowser(app, "0" * 64)
    token = _log_in(other_file, session, "BN0002")
    refused = other_file.post("/thi/bat-dau", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "không chạy đúng tệp cấu hình" in refused.get_data(as_text=True)


def test_a_session_without_seb_or_not_requiring_it_is_unaffected(app, client, make_session):
    plain = make_session(n_candidates=1)
    token = _log_in(client, plain)
    assert client.post("/thi/bat-dau", data={"csrf_token": token}).status_code == 302
    assert client.get("/thi/").status_code == 200
    optional = make_session(n_candidates=1)
    _require_seb(app, optional, required=False)
    other = app.test_client()
    _log_in(other, optional)
    assert other.get("/thi/").status_code == 200


def test_behind_the_trusted_proxy_the_hash_covers_the_url_the_browser_asked_for(
        app_config, make_session):
    from exam_engine import create_app
    proxied = create_app({**app_config, "TRUSTED_PROXY_HOPS": 1})
    try:
        session = make_session(n_candidates=2)
        key = _require_seb(proxied, session)
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "thi.sogd.vn",
                     "X-Forwarded-For": "10.0.0.21",
                     "Referer": "https://thi.sogd.vn/thi/dang-nhap"}  # CSRF over https
        seen_by_seb = SebBrowser(proxied, key, base="https://thi.sogd.vn",
                                 extra_headers=forwarded)
        _log_in(seen_by_seb, session, "BN0001")
        assert seen_by_seb.get("/thi/").status_code == 200
        # hashes of the URL behind the proxy are not what SEB sends: refused
        inner_url = SebBrowser(proxied, key, extra_headers=forwarded)
        _log_in(inner_url, session, "BN0002")
        assert inner_url.get("/thi/").status_code == 403
    finally:
        proxied.extensions["db_engine"].dispose()
