"""Server-side login sessions (issue 10, hole 6): a copied cookie dies with the login it
copied — at logout, and for every login of the account at a password change."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from exam_engine.kernel.accounts import Role
from tests.conftest import candidate_login, candidate_login_form, csrf_token_of, login

NEW = "mật-khẩu-mới-456"


def _copy_cookie(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _sees_staff_page(client) -> bool:
    return client.get("/can-bo/ca-thi").status_code == 200


def test_a_copied_staff_cookie_is_refused_after_logout(app, client, make_user):
    """Reproduces: after "Đăng xuất", a copy of the staff cookie still opened staff pages."""
    make_user("canbo", Role.STAFF)
    token = login(client, "canbo")
    thief = _copy_cookie(app, client)
    assert _sees_staff_page(thief)
    assert client.post("/dang-xuat", data={"csrf_token": token}).status_code == 302
    refused = thief.get("/can-bo/ca-thi")
    assert refused.status_code == 302 and "/dang-nhap" in refused.headers["Location"]


def test_a_copied_cookie_is_refused_after_a_password_change(app, client, make_user):
    """Reproduces: there was no way to end a stolen session; changing the password now ends
    every login of the account, while the browser that changed it stays in."""
    make_user("canbo", Role.STAFF)
    token = login(client, "canbo")
    elsewhere = app.test_client()
    login(elsewhere, "canbo")
    thief = _copy_cookie(app, client)
    changed = client.post("/doi-mat-khau", data={
        "current_password": "mật-khẩu-123", "new_password": NEW, "new_password_again": NEW,
        "csrf_token": token})
    assert changed.status_code == 302
    assert not _sees_staff_page(thief)
    assert not _sees_staff_page(elsewhere)
    assert _sees_staff_page(client)
    fresh = app.test_client()
    assert login(fresh, "canbo", NEW) and _sees_staff_page(fresh)


def test_a_password_change_needs_the_current_password(client, make_user):
    make_user("canbo", Role.STAFF)
    token = login(client, "canbo")
    assert "Mật khẩu hiện tại" in client.get("/doi-mat-khau").get_data(as_text=True)
    refused = client.post("/doi-mat-khau", data={
        "current_password": "đoán-bừa-1", "new_password": NEW, "new_password_again": NEW,
        "csrf_token": token})
    assert refused.status_code == 422
    assert "Mật khẩu hiện tại không đúng." in refused.get_data(as_text=True)
    assert _sees_staff_page(client)  # nothing ended


def test_a_copied_candidate_cookie_is_refused_after_logout(app, client, make_session):
    session = make_session(n_candidates=1)
    assert candidate_login_form(client, session.session_code).status_code == 302
    thief = _copy_cookie(app, client)
    assert thief.get("/thi/api/paper").status_code == 200
    token = csrf_token_of(client.get("/thi/").get_data(as_text=True))
    assert client.post("/dang-xuat", data={"csrf_token": token}).status_code == 302
    assert thief.get("/thi/api/paper").status_code == 401


def test_a_copied_candidate_cookie_cannot_save_an_answer_after_logout(app, client, db,
                                                                     make_session):
    """The answer save checks the login inside its own guarded upsert (no read of its own):
    a copy of a logged-out candidate's cookie is refused there too, and nothing is stored."""
    session = make_session(n_candidates=1)
    token = candidate_login(client, session.session_code, start=True)
    question = client.get("/thi/api/paper").get_json()["questions"][0]
    thief = _copy_cookie(app, client)

    def save(browser, seq):
        return browser.post("/thi/api/answers", headers={"X-CSRFToken": token}, json={
            "position": question["position"], "seq": seq,
            "response": [question["option_ids"][0]]})

    assert save(thief, 1).status_code == 200  # before the logout the copy is as good
    assert client.post("/dang-xuat", data={"csrf_token": token}).status_code == 302
    refused = save(thief, 2)
    assert refused.status_code == 401
    assert "đăng nhập" in refused.get_json()["message"]
    # the cookie was forgotten with the refusal: its CSRF token went with it
    assert save(thief, 3).status_code in (400, 401)
    db.rollback()
    stored = db.execute(text("SELECT seq FROM answers")).scalars().all()
    assert stored == [1]


def test_a_signed_cookie_without_a_server_side_session_is_anonymous(app, make_user):
    """A cookie signed with the right key but never issued by a login (or from before server
    sessions existed) does not log anyone in: fail closed."""
    user = make_user("canbo", Role.STAFF)
    forged = app.test_client()
    with forged.session_transaction() as cookie:
        cookie["user_id"] = user.id
    assert not _sees_staff_page(forged)


def test_a_login_never_logged_out_ends_after_its_maximum_age(app, client, make_user, db):
    """Reproduces: a cookie left on a shared computer, never logged out, worked forever."""
    from sqlalchemy import update

    from exam_engine.kernel.db import utcnow
    from exam_engine.kernel.login_sessions import MAX_AGE, LoginSession
    make_user("canbo", Role.STAFF)
    login(client, "canbo")
    assert _sees_staff_page(client)
    db.execute(update(LoginSession).values(created_at=utcnow() - MAX_AGE - timedelta(minutes=1)))
    db.commit()
    assert not _sees_staff_page(client)
