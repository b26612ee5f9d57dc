"""schemathesis over the whole OpenAPI document (every JSON route: the bank API, the candidate
API, the pages' JSON), on both backends: 0 server errors, and every error answers in the one
JSON shape, problem details (RFC 9457) — issue 10, hole 7.

The bank and page operations are called as an admin (every staff and bank role), the
candidate API as a candidate who has started; the CSRF header carries the session's real
token, so writes get past it and into the views. Both positive (valid by the schema) and
negative (invalid) cases are generated.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from exam_engine.kernel.accounts import Role
from tests.conftest import candidate_login, login

EXAMPLES_PER_OPERATION = 20


@pytest.fixture
def callers(app, make_session, make_user):
    """Headers (session cookie, CSRF token) of an admin and of a candidate who has started."""
    exam = make_session(n_candidates=1)
    make_user("quantri", Role.ADMIN)
    candidate = app.test_client()
    candidate_token = candidate_login(candidate, exam.session_code, start=True)
    admin = app.test_client()
    admin_token = login(admin, "quantri")
    # A JSON client says so (the pages' scripts too): errors then come as problem details.
    return {who: {"X-CSRFToken": token, "Accept": "application/json",
                  "Cookie": f"session={client.get_cookie('session').value}"}
            for who, client, token in (("admin", admin, admin_token),
                                       ("candidate", candidate, candidate_token))}


def _header(response, name: str) -> str:
    value = response.headers.get(name) or response.headers.get(name.lower()) or ""
    return value[0] if isinstance(value, list) else value


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str], seen: set):
    """A hypothesis test of one operation in one generation mode."""

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              derandomize=True, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case) -> None:
        case.headers = {**(case.headers or {}),
                        **{k: v for k, v in headers.items() if k != "Cookie"}}
        response = case.call(cookies={"session": headers["Cookie"].removeprefix("session=")})
        seen.add((case.method, operation.path, response.status_code))
        where = f"{case.method} {case.formatted_path} ({mode.value})"
        assert response.status_code < 500, f"{where}: {response.status_code}"
        if response.status_code >= 400:
            mimetype = _header(response, "Content-Type").split(";")[0]
            assert mimetype == "application/problem+json", f"{where}: {mimetype}"
            body = response.json()
            assert body["status"] == response.status_code and body["detail"], where

    return call


def test_no_operation_of_the_openapi_document_gives_a_server_error(app, callers):
    # The callers really are logged in (else every case would stop at a 401).
    fresh = app.test_client(use_cookies=False)  # the Cookie header as given, like schemathesis
    assert fresh.get("/api/ngan-hang/items", headers=callers["admin"]).status_code == 200
    assert fresh.get("/thi/api/paper", headers=callers["candidate"]).status_code == 200
    schema = schemathesis.openapi.from_wsgi("/api/ngan-hang/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(op.path.startswith("/thi/api/") for op in operations)
    failures: list[str] = []
    seen: set[tuple[str, str, int]] = set()
    for operation in operations:
        headers = callers["candidate" if operation.path.startswith("/thi/") else "admin"]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, mode, headers, seen)()
            except Exception as error:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{operation.method.upper()} {operation.path} {mode.value}: "
                                f"{error!r}"[:600])
    assert not failures, "\n".join(failures)
    # The generated cases reached the views logged in, writes included (past the CSRF check
    # and the role check: created, or refused by the view's own validation).
    assert {("GET", "/api/ngan-hang/items", 200), ("GET", "/thi/api/paper", 200)} <= seen
    for write, reached in ((("POST", "/api/ngan-hang/items"), {201, 409, 422}),
                           (("POST", "/thi/api/answers"), {200, 409, 422}),
                           (("POST", "/thi/api/su-kien"), {200, 409, 422})):
        assert {status for method, path, status in seen if (method, path) == write} & reached


def test_the_document_describes_every_api_route_and_only_routes_that_exist(app, client):
    document = client.get("/api/ngan-hang/openapi.json").get_json()
    described = {(method.upper(), re.sub(r"{(\w+)}", r"<\1>", path))
                 for path, ops in document["paths"].items() for method in ops}
    routes = {(method, re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"<\1>", rule.rule))
              for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    api_routes = {(m, path) for m, path in routes if path.startswith(("/api/", "/thi/api/"))}
    assert api_routes <= described, sorted(api_routes - described)
    assert described <= routes, sorted(described - routes)
