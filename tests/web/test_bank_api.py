"""The item-bank JSON API: who may call it, the authoring and review flow, import, export and
the OpenAPI document."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from exam_engine.kernel.accounts import Role
from item_bank.content import content_to_json
from item_bank.formats.excel_template import build_template, example_records
from item_bank.models import Item
from tests.conftest import login

API = "/api/ngan-hang"
NEW_ITEM = {"module": "IU04", "code": "IU04.5.2", "content": {
    "kind": "single", "stem": "Muốn định dạng ô trong Excel, dùng hộp thoại nào?",
    "choices": [{"id": "A", "text": "Format Cells"}, {"id": "B", "text": "Page Setup"}],
    "key": {"correct": "A"}}}






@pytest.fixture
def users(make_user):
    return {role: make_user(name, role) for name, role in (
        ("giaovien", Role.TEACHER), ("phanbien", Role.REVIEWER), ("canbo", Role.STAFF),
        ("giamthi", Role.PROCTOR))}


def post(client, token, path, body=None):
    return client.post(API + path, json=body or {}, headers={"X-CSRFToken": token})


def test_anonymous_and_candidate_sessions_cannot_reach_the_bank(client, app, tt03):
    assert client.get(API + "/items").status_code == 401
    assert client.get(API + "/export?format=aiken").status_code == 401
    with client.session_transaction() as session:
        session["attempt_id"] = 1  # what a candidate login leaves in the session
    assert client.get(API + "/items").status_code == 401
    assert client.get(API + "/items/1").status_code == 401


def test_other_roles_are_forbidden_and_reviewers_cannot_author(app, tt03, users):
    proctor, other = app.test_client(), app.test_client()
    login(proctor, "giamthi")
    assert proctor.get(API + "/items").status_code == 403
    token = login(other, "phanbien")
    assert other.get(API + "/items").status_code == 200
    response = post(other, token, "/items", NEW_ITEM)
    assert response.status_code == 403 and response.json["ok"] is False


def test_writes_without_csrf_token_are_refused(client, tt03, users):
    login(client, "giaovien")
    assert client.post(API + "/items", json=NEW_ITEM).status_code == 400


def test_create_submit_approve_by_another_user(app, tt03, users, db):
    author, reviewer = app.test_client(), app.test_client()
    token = login(author, "giaovien")
    created = post(author, token, "/items", NEW_ITEM)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert "định dạng" in created.get_data(as_text=True)  # UTF-8, not \\u escapes
    version = created.json["version"]
    assert version["status"] == "draft" and version["key"] == "IU04-I0001"
    assert version["content"]["key"] == {"correct": "A"}

    edited = author.put(f"{API}/versions/{version['id']}", headers={"X-CSRFToken": token},
                        json={"content": {**NEW_ITEM["content"], "stem": "Định dạng ô: hộp "
                                          "thoại nào?"}})
    assert edited.status_code == 200 and edited.json["version"]["version"] == 1
    assert post(author, token, f"/versions/{version['id']}/submit").json["version"][
        "status"] == "in_review"
    # the author is a teacher: he may not approve at all
    assert post(author, token, f"/versions/{version['id']}/approve").status_code == 403

    rtoken = login(reviewer, "phanbien")
    assert post(reviewer, rtoken, f"/versions/{version['id']}/comments",
                {"text": "Rõ ràng."}).status_code == 201
    approved = post(reviewer, rtoken, f"/versions/{version['id']}/approve", {"comment": "Tốt"})
    assert approved.status_code == 200 and approved.json["version"]["status"] == "approved"
    again = post(reviewer, rtoken, f"/versions/{version['id']}/approve")
    assert again.status_code == 409 and again.json["error"] == "WorkflowError"

    detail = reviewer.get(f"{API}/items/{version['item_id']}").json
    assert [e["action"] for e in detail["history"]] == [
        "created", "edited", "submitted", "commented", "approved"]
    found = reviewer.get(API + "/items", query_string={"q": "dinh dang o", "status": "approved"})
    assert found.json["total"] == 1
    coverage = {r["code"]: r for r in reviewer.get(API + "/coverage").json["rows"]}
    assert coverage["IU04"]["approved"] == 1 and coverage["IU03"]["approved"] == 0


def test_staff_cannot_approve_their_own_item(client, tt03, users):
    """Staff never approve bank content (item_bank.permissions; it was a 409 "own item" here
    while the pages refused staff outright): a 403 naming the rule, as on the pages."""
    token = login(client, "canbo")
    version = post(client, token, "/items", NEW_ITEM).json["version"]
    post(client, token, f"/versions/{version['id']}/submit")
    refused = post(client, token, f"/versions/{version['id']}/approve")
    assert refused.status_code == 403
    assert "chỉ người phản biện mới được duyệt" in refused.json["message"]


def test_invalid_content_is_422_with_problems(client, tt03, users):
    token = login(client, "giaovien")
    bad = {**NEW_ITEM, "content": {**NEW_ITEM["content"], "key": {"correct": "Z"}}}
    response = post(client, token, "/items", bad)
    assert response.status_code == 422 and response.json["problems"]
    unknown = post(client, token, "/items", {**NEW_ITEM, "code": "IU99.9"})
    assert unknown.status_code == 422 and unknown.json["problems"][0]["field"] == "code"
    assert post(client, token, "/items", {"module": "IU04"}).status_code == 400


def test_import_preview_then_import_and_refusal(client, tt03, users, db):
    token = login(client, "giaovien")
    headers = {"X-CSRFToken": token}

    def upload(path, data, name="mau.xlsx", **form):
        return client.post(API + path, headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), name), **form})

    preview = upload("/import/preview", build_template())
    assert preview.status_code == 200 and preview.json["ok"] and len(preview.json["rows"]) == 3
    assert db.scalar(select(func.count(Item.id))) == 0
    db.rollback()
    done = upload("/import", build_template(), submit="true")
    assert done.status_code == 201
    assert {v["status"] for v in done.json["created"]} == {"in_review"}
    refused = upload("/import", build_template())  # the same items again: exact duplicates
    assert refused.status_code == 422 and refused.json["error"] == "ImportRefused"
    assert refused.json["errors"][0]["location"].startswith("sheet Câu hỏi, hàng")
    db.rollback()  # end the test session's read snapshot
    assert db.scalar(select(func.count(Item.id))) == 3
    assert client.post(API + "/import", headers=headers, data={}).status_code == 400


def test_export_reports_what_the_format_cannot_carry(client, tt03, users):
    token = login(client, "canbo")
    upload = client.post(API + "/import", headers={"X-CSRFToken": token},
                         content_type="multipart/form-data",
                         data={"file": (io.BytesIO(build_template()), "mau.xlsx")})
    assert upload.status_code == 201
    response = client.get(API + "/export", query_string={"format": "aiken", "status": "draft"})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert int(response.headers["X-Export-Items"]) == 3
    assert int(response.headers["X-Not-Carried-Count"]) >= 2  # true/false and short answer
    assert json.loads(response.headers["X-Not-Carried"])
    assert "SUM" in response.get_data(as_text=True)
    assert client.get(API + "/export?format=pdf").status_code == 400
    assert content_to_json(example_records()[0].content)["key"] == {"correct": "B"}


def test_openapi_describes_every_route_of_the_blueprint(client, app):
    document = client.get(API + "/openapi.json").json
    assert document["openapi"].startswith("3.1") and document["info"]["title"]
    described = {(path, method.upper()) for path, ops in document["paths"].items()
                 for method in ops}  # full paths: the document covers every JSON route
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("bank_api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes and routes <= described
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert op["responses"] and all(str(code).isdigit() for code in op["responses"]), (
                path, method)
            for param in re.findall(r"{(\w+)}", path):
                assert any(p["name"] == param and p["in"] == "path"
                           for p in op.get("parameters", [])), (path, method, param)
    refs = re.findall(r'"#/components/schemas/(\w+)"', json.dumps(document))
    assert set(refs) <= set(document["components"]["schemas"])
