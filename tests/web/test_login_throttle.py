"""Login throttling (issue 10, hole 5): one counter per account whatever its spelling, kept in
the database so a cache outage neither unlocks an account nor turns a refusal into a 500."""

from __future__ import annotations

import pytest

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.throttle import MAX_TRIES
from tests.conftest import csrf_token_of, login, personal_code_for

RIGHT = "mật-khẩu-123"
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there: Redis is "down"


def _try(client, username: str, password: str, **kwargs):
    token = csrf_token_of(client.get("/dang-nhap").get_data(as_text=True))
    return client.post("/dang-nhap", data={"username": username, "password": password,
                                           "csrf_token": token}, **kwargs)


def _locked(response) -> bool:
    return response.status_code == 401 and "Quá nhiều lần" in response.get_data(as_text=True)


def test_spelling_variants_of_a_username_share_one_counter(client, make_user):
    """Reproduces: " canbo", "CANBO", "canbo\\u200b"… each opened a fresh counter, so a guesser
    got 10 tries per spelling."""
    make_user("canbo", Role.STAFF)
    variants = [" canbo", "CANBO", "canbo ", "\tCanBo", "canbo\u200b", "\u00a0canbo",
                "CANBO ", " Canbo", "cAnbo", "canbO"]
    assert len(variants) == MAX_TRIES
    for variant in variants:
        assert _try(client, variant, "sai-mat-khau").status_code == 401
    assert _locked(_try(client, "canbo", RIGHT))


def test_a_username_typed_with_blanks_and_capitals_still_logs_in(client, make_user):
    make_user("canbo", Role.STAFF)
    assert _try(client, "  CanBo\u200b ", RIGHT).status_code == 302


def test_a_successful_login_starts_the_count_afresh(client, make_user):
    make_user("canbo", Role.STAFF)
    for _ in range(MAX_TRIES - 1):
        assert _try(client, "canbo", "sai-mat-khau").status_code == 401
    assert _try(client, "canbo", RIGHT).status_code == 302
    client.post("/dang-xuat", data={"csrf_token": csrf_token_of(
        client.get("/dang-nhap").get_data(as_text=True))})
    for _ in range(MAX_TRIES - 1):
        assert _try(client, "canbo", "sai-mat-khau").status_code == 401
    assert _try(client, "canbo", RIGHT).status_code == 302


def _candidate_try(client, number: str, code: str):
    token = csrf_token_of(client.get("/thi/dang-nhap").get_data(as_text=True))
    return client.post("/thi/dang-nhap", data={"candidate_number": number, "login_code": code,
                                               "csrf_token": token})


def test_a_candidate_number_is_found_whatever_its_case(client, make_session):
    """Reproduces: 'bn0001' did not find BN0001, so an honest candidate was refused."""
    session = make_session(n_candidates=1)
    code = personal_code_for(client.application, session.session_code, "BN0001")
    assert _candidate_try(client, " bn0001 ", code).status_code == 302


def test_case_variants_of_a_candidate_number_share_one_counter(client, make_session):
    """Reproduces: 'bn0001 ' and 'BN0001' were separate counters for guessing the code."""
    session = make_session(n_candidates=1)
    variants = ["BN0001", "bn0001", " BN0001", "Bn0001 ", "bN0001"] * 2
    for variant in variants:
        assert _candidate_try(client, variant, "SAIMA1").status_code == 401
    refused = _candidate_try(client, "bn0001",
                             personal_code_for(client.application, session.session_code))
    assert refused.status_code == 401 and "Quá nhiều lần" in refused.get_data(as_text=True)


@pytest.fixture
def app_without_redis(app_config):
    from exam_engine import create_app
    app = create_app({**app_config, "REDIS_URL": CLOSED_PORT_REDIS})
    yield app
    app.extensions["db_engine"].dispose()


def test_with_redis_down_a_wrong_password_is_the_normal_refusal(app_without_redis, make_user):
    """Reproduces: with Redis unreachable, counting the failure raised and the answer was 500."""
    make_user("canbo", Role.STAFF)
    client = app_without_redis.test_client()
    response = _try(client, "canbo", "sai-mat-khau")
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.get_data(as_text=True)


def test_with_redis_down_a_locked_account_stays_locked(app, app_without_redis, make_user):
    """Reproduces: the lock lived in Redis and a failed read counted as 0, so the account
    locked while Redis was up logged in once Redis was down."""
    make_user("canbo", Role.STAFF)
    up = app.test_client()
    for _ in range(MAX_TRIES):
        assert _try(up, "canbo", "sai-mat-khau").status_code == 401
    down = app_without_redis.test_client()
    assert _locked(_try(down, "canbo", RIGHT))
    for _ in range(3):
        assert _locked(_try(down, "canbo", "sai-mat-khau"))


def test_behind_no_trusted_proxy_a_forged_forwarded_address_gets_no_fresh_counter(
        client, make_user):
    """Reproduces nothing old (the header was ignored); guards TRUSTED_PROXY_HOPS = 0."""
    make_user("canbo", Role.STAFF)
    for i in range(MAX_TRIES):
        forged = {"X-Forwarded-For": f"10.0.0.{i}"}
        assert _try(client, "canbo", "sai-mat-khau", headers=forged).status_code == 401
    assert _locked(_try(client, "canbo", RIGHT, headers={"X-Forwarded-For": "10.9.9.9"}))


def test_behind_a_trusted_proxy_each_client_address_has_its_own_counter(app_config, make_user):
    """Reproduces: behind a reverse proxy every client had the proxy's address, so one
    candidate's typos locked the whole centre out."""
    from exam_engine import create_app
    app = create_app({**app_config, "TRUSTED_PROXY_HOPS": 1})
    make_user("canbo", Role.STAFF)
    client = app.test_client()
    room_a = {"X-Forwarded-For": "10.0.0.11"}
    for _ in range(MAX_TRIES):
        assert _try(client, "canbo", "sai-mat-khau", headers=room_a).status_code == 401
    assert _locked(_try(client, "canbo", RIGHT, headers=room_a))
    assert _try(client, "canbo", RIGHT, headers={"X-Forwarded-For": "10.0.0.12"}).status_code == 302
    app.extensions["db_engine"].dispose()


def test_a_colleague_behind_the_same_address_is_not_locked(client, make_user):
    make_user("canbo", Role.STAFF)
    make_user("canbo2", Role.STAFF)
    for _ in range(MAX_TRIES):
        _try(client, "canbo", "sai-mat-khau")
    assert login(client, "canbo2")
