"""Hostile input is refused at the edge with a clear 4xx, never a 500 (issue 10, hole 7).

Each test names what used to crash on the code before the input guard: NUL bytes, integers
out of the database's range, deeply nested JSON, a multipart part without a name, a lone UTF-16
surrogate (which broke a candidate's paper for the rest of the exam). Errors answer in the one
JSON shape, problem details (RFC 9457).
"""

from __future__ import annotations

import pytest

from exam_engine.kernel.accounts import Role
from tests.conftest import candidate_login, login

API = "/api/ngan-hang"
NEW_ITEM = {"module": "IU01", "code": "IU01", "content": {
    "kind": "single", "stem": "Thiết bị nào là thiết bị nhập?",
    "choices": [{"id": "A", "text": "Bàn phím"}, {"id": "B", "text": "Màn hình"}],
    "key": {"correct": "A"}}}


@pytest.fixture
def admin(app, make_user, make_bank):
    make_bank(("IU01",), per_module=1)
    make_user("quantri", Role.ADMIN)
    client = app.test_client()
    return client, login(client, "quantri")


def _is_problem(response, status: int) -> bool:
    body = response.get_json()
    return (response.status_code == status and response.mimetype == "application/problem+json"
            and body["status"] == status and body["ok"] is False and body["detail"]
            and body["message"] == body["detail"] and body["type"] and body["title"])


def test_a_nul_byte_in_the_query_string_is_a_400_naming_the_parameter(admin):
    """Reproduces: ?q=a%00b reached PostgreSQL, which cannot hold NUL in text (500)."""
    client, _ = admin
    response = client.get("/ngan-hang/?q=a%00b")
    assert response.status_code == 400
    assert "“q”" in response.get_data(as_text=True) and "NUL" in response.get_data(as_text=True)
    assert _is_problem(client.get(API + "/items?q=a%00b"), 400)


def test_a_nul_byte_in_the_path_is_a_400(client):
    """Reproduces: /xac-minh/<code> with %00 gave a 500 on PostgreSQL."""
    assert client.get("/xac-minh/ab%00cd").status_code == 400


def test_a_nul_byte_in_a_form_field_is_a_400_naming_the_field(admin):
    """Reproduces: a staff form's title with NUL gave a 500 on PostgreSQL."""
    client, token = admin
    response = client.post("/can-bo/ca-thi", data={"csrf_token": token, "title": "Ca\x00 1",
                                                   "exam_date": "2026-12-01"})
    assert response.status_code == 400 and "“title”" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_json_string_is_a_422_pointing_at_the_value(admin):
    """Reproduces: an item title with NUL through the API gave a 500 on PostgreSQL."""
    client, token = admin
    response = client.post(API + "/items", json={**NEW_ITEM, "title": "a\x00b"},
                           headers={"X-CSRFToken": token})
    assert _is_problem(response, 422) and "/title" in response.json["message"]


@pytest.mark.parametrize("path", ["/ngan-hang/cau-hoi/99999999999999999999",
                                  "/ngan-hang/cau-hoi/2147483648",
                                  API + "/items/1099511627776",
                                  "/can-bo/ca-thi/99999999999999999999"])
def test_an_id_beyond_the_database_integer_range_is_a_404(admin, path):
    """Reproduces: ids past 64 bits overflowed SQLite's driver, past 32 bits PostgreSQL's
    integer (500 on both)."""
    client, _ = admin
    assert client.get(path).status_code == 404


def test_an_integer_field_beyond_the_database_range_is_never_a_500(admin):
    """Reproduces: ?author=2**40 (PostgreSQL) and a bulk version id of 2**70 (SQLite) gave a 500;
    the last line maps whatever still reaches the database to a 4xx."""
    client, token = admin
    assert client.get(f"/ngan-hang/?author={2**40}").status_code < 500
    assert client.get(f"/ngan-hang/?author={2**70}").status_code < 500
    response = client.post("/ngan-hang/hang-loat", data={"csrf_token": token,
                                                         "version_id": str(2**70)})
    assert 400 <= response.status_code < 500


def test_an_integer_beyond_the_database_range_is_refused_naming_the_field(admin):
    """Reproduces: duration_minutes=2**40 in the new-session form and ?author_id=2**40 in the
    API reached PostgreSQL's integer columns (500)."""
    client, token = admin
    response = client.post("/can-bo/ca-thi", data={
        "csrf_token": token, "title": "Ca thi", "exam_date": "2026-12-01",
        "duration_minutes": str(2**40)})
    assert response.status_code == 400
    assert "duration_minutes" in response.get_data(as_text=True)
    response = client.get(f"{API}/items?author_id={2**40}")
    assert _is_problem(response, 400) and "author_id" in response.json["message"]


def test_deeply_nested_json_is_a_400(admin):
    """Reproduces: 100,000 nested arrays exhausted the JSON parser's recursion (500)."""
    client, token = admin
    response = client.post(API + "/items", data="[" * 100_000 + "]" * 100_000,
                           content_type="application/json", headers={"X-CSRFToken": token})
    assert _is_problem(response, 400) and "32" in response.json["message"]


def test_nan_and_infinite_numbers_in_json_are_a_422(admin):
    client, token = admin
    for number in ("NaN", "Infinity", "1e999"):
        body = '{"module": "IU01", "code": "IU01", "grade": ' + number + ', "content": {}}'
        response = client.post(API + "/items", data=body, content_type="application/json",
                               headers={"X-CSRFToken": token})
        assert _is_problem(response, 422), number


def test_a_lone_surrogate_in_json_is_a_422(admin):
    """Reproduces: a stem holding "\\ud800" could not be encoded for the database (500)."""
    client, token = admin
    body = ('{"module": "IU01", "code": "IU01", "content": {"kind": "single", '
            '"stem": "x\\ud800", "choices": [{"id": "A", "text": "a"}, {"id": "B", "text": "b"}],'
            ' "key": {"correct": "A"}}}')
    response = client.post(API + "/items", data=body, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert _is_problem(response, 422) and "/content/stem" in response.json["message"]


def test_json_that_is_not_utf8_is_a_400(admin):
    client, token = admin
    response = client.post(API + "/items", data=b'{"title": "\xff\xfe"}',
                           content_type="application/json", headers={"X-CSRFToken": token})
    assert _is_problem(response, 400)


def test_a_lone_surrogate_in_an_answer_is_refused_and_the_paper_still_loads(app, make_session):
    """Reproduces: an answer holding "\\ud800" was accepted, then every load of the paper
    failed with a 500 for the rest of the exam."""
    session = make_session(n_candidates=1)
    client = app.test_client()
    token = candidate_login(client, session.session_code, start=True)
    response = client.post("/thi/api/answers", headers={"X-CSRFToken": token},
                           data='{"position": 1, "seq": 1, "response": "\\ud800"}',
                           content_type="application/json")
    # 422, not 400: the exam page drops a save refused with 422 (and says why) instead of
    # retrying it for ever
    assert _is_problem(response, 422) and "/response" in response.json["message"]
    assert client.get("/thi/api/paper").status_code == 200


MULTIPART_WITHOUT_NAME = (b"--XX\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--XX--\r\n")


@pytest.mark.parametrize("path", ["/dang-xuat", "/dang-nhap", "/can-bo/ca-thi",
                                  "/ngan-hang/hang-loat"])
def test_a_multipart_part_without_a_name_is_a_400_on_any_post(admin, path):
    """Reproduces: the CSRF check read the unnamed part's key (None) and crashed (500)."""
    client, _ = admin
    response = client.post(path, data=MULTIPART_WITHOUT_NAME,
                           content_type="multipart/form-data; boundary=XX")
    assert response.status_code == 400
    assert "không có tên" in response.get_data(as_text=True)


def test_a_file_name_with_a_nul_byte_is_a_400(admin):
    client, token = admin
    body = (b"--XX\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            + token.encode() + b"\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"a\x00.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\nabc\r\n"
            b"--XX--\r\n")
    response = client.post("/ngan-hang/nhap", data=body,
                           content_type="multipart/form-data; boundary=XX")
    assert response.status_code == 400


def test_english_callers_read_the_refusal_in_english(admin):
    client, _ = admin
    response = client.get(API + "/items?lang=en&q=%00")
    assert _is_problem(response, 400) and "NUL character" in response.json["message"]


def _duplicate_users_view():
    from exam_engine.kernel.accounts import User
    from exam_engine.kernel.web_context import db
    for _ in range(2):  # the same username twice: the database's unique key refuses it
        db().add(User(username="trung", full_name="Trùng Tên", role=Role.TEACHER,
                      password_hash="x"))
    return "ok"


@pytest.mark.parametrize("flush_in_view", [True, False])
def test_a_uniqueness_the_database_enforces_is_a_409_even_at_the_commit(app, flush_in_view):
    """The last line: an IntegrityError from a view's flush, or from the unit of work's commit
    after the view returned, is a 409 problem, never a 500."""
    def view():
        answer = _duplicate_users_view()
        if flush_in_view:
            from exam_engine.kernel.web_context import db
            db().flush()
        return answer

    app.add_url_rule("/thu-trung", "duplicate_users", view, methods=["POST"])
    app.config.update(PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=False)
    response = app.test_client().post("/thu-trung", headers={"Accept": "application/json"})
    assert _is_problem(response, 409) and response.json["error"] == "Conflict"


def test_every_json_error_is_problem_details_and_pages_keep_their_error_page(client):
    """One JSON error shape (RFC 9457) for the bank API, the candidate API and JSON callers of
    the pages, with the fields the scripts read (ok, error, message); browsers get the page."""
    for response in (client.get(API + "/items"), client.get("/thi/api/paper"),
                     client.get("/khong-co-trang-nay", headers={"Accept": "application/json"})):
        body = response.get_json()
        assert response.mimetype == "application/problem+json"
        assert body["type"].startswith("urn:exam-engine:problem:") and body["error"]
        assert body["status"] == response.status_code in (401, 404)
    page = client.get("/khong-co-trang-nay", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Không tìm thấy trang." in page.get_data(as_text=True)
