"""Redirects after login stay on this site; answers carry the protective headers; the session
cookie is Secure unless a deployment says otherwise (issue 10, hole 8)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from exam_engine.kernel.accounts import Role
from tests.conftest import candidate_login_form, csrf_token_of, login

PASSWORD = "mật-khẩu-123"


def _login_with_next(client, raw_query_value: str):
    token = csrf_token_of(client.get("/dang-nhap").get_data(as_text=True))
    return client.post(f"/dang-nhap?next={raw_query_value}",
                       data={"username": "canbo", "password": PASSWORD, "csrf_token": token})


@pytest.mark.parametrize("raw_next", [
    "/%09/evil.example",            # the reported one: the tab is dropped by browsers
    "%2F%2Fevil.example", "//evil.example", "/%5Cevil.example", "%5C%5Cevil.example",
    "https%3A%2F%2Fevil.example%2F", "http://evil.example", "/%0D%0A/evil.example",
    "javascript:alert(1)",
])
def test_login_never_redirects_off_the_site(client, make_user, raw_next):
    """Reproduces: next=/%09/evil.example sent a freshly logged-in user to another site."""
    make_user("canbo", Role.STAFF)
    response = _login_with_next(client, raw_next)
    assert response.status_code == 302
    assert response.headers["Location"] == "/can-bo/ca-thi"


def test_login_follows_a_path_on_this_site(client, make_user):
    make_user("canbo", Role.TEACHER)
    response = _login_with_next(client, quote("/ngan-hang/?trang=2", safe=""))
    assert response.headers["Location"] == "/ngan-hang/?trang=2"


def _assert_protective_headers(response):
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_public_pages_carry_the_protective_headers(client):
    """Reproduces: no answer forbade framing or sniffing."""
    _assert_protective_headers(client.get("/dang-nhap"))


def test_every_answer_to_a_logged_in_staff_member_is_not_stored(client, make_user):
    """Reproduces: staff pages with names and results could be kept by the browser's cache
    on a shared computer."""
    make_user("canbo", Role.STAFF)
    login(client, "canbo")
    for path in ("/can-bo/ca-thi", "/", "/dang-nhap"):
        response = client.get(path)
        _assert_protective_headers(response)
        assert response.headers["Cache-Control"] == "no-store", path


def test_bank_pages_and_the_api_are_not_stored(client, make_user):
    make_user("giaovien", Role.TEACHER)
    login(client, "giaovien")
    for path in ("/ngan-hang/", "/api/ngan-hang/items"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_every_candidate_answer_is_not_stored(client, make_session):
    session = make_session(n_candidates=1)
    candidate_login_form(client, session.session_code)
    for path in ("/thi/", "/thi/api/paper"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_the_session_cookie_is_secure_unless_turned_off(app_config, db):
    """Reproduces: the cookie went over plain HTTP by default."""
    from exam_engine import create_app
    from exam_engine.kernel.config import DEFAULTS
    assert DEFAULTS["SESSION_COOKIE_SECURE"] is True
    secure_config = {k: v for k, v in app_config.items() if k != "SESSION_COOKIE_SECURE"}
    app = create_app(secure_config)
    response = app.test_client().get("/dang-nhap")
    assert "Secure" in response.headers["Set-Cookie"]
    app.extensions["db_engine"].dispose()
    plain = create_app(app_config)  # the tests and the demo turn it off explicitly
    assert "Secure" not in plain.test_client().get("/dang-nhap").headers["Set-Cookie"]
    plain.extensions["db_engine"].dispose()


def test_a_negative_proxy_hop_count_is_refused(app_config, db):
    from exam_engine import create_app
    from exam_engine.kernel.config import ConfigError
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
        create_app({**app_config, "TRUSTED_PROXY_HOPS": -1})


def test_an_item_image_keeps_its_own_caching_and_sandbox_for_a_logged_in_author(client,
                                                                                 make_user):
    """Item images are served by an unguessable hash that never changes: the view's own
    choice (cache a year, sandboxed) stands, even for a logged-in browser."""
    import io

    from tests.web.test_bank_filing_and_media import PNG, PNG_HASH
    make_user("giaovien", Role.TEACHER)
    token = login(client, "giaovien")
    client.post("/ngan-hang/hinh-anh", headers={"X-CSRFToken": token},
                data={"file": (io.BytesIO(PNG), "sơ đồ.png")})
    served = client.get(f"/media/{PNG_HASH}.png")
    assert "immutable" in served.headers["Cache-Control"]
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Frame-Options"] == "DENY"
