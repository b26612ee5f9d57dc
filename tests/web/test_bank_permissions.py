"""Who may do what in the item bank is one decision (item_bank.permissions), the same on the item
page, in the list's bulk actions, in the editor and in the JSON API: a table of role × own/other's
item × action, checked on every surface; then the three findings of issue 10, hole 3."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from exam_engine.kernel.accounts import Role
from item_bank import workflow
from item_bank.content import ItemRecord, choice_item, content_from_json
from item_bank.formats.excel_template import build_template
from item_bank.models import Item, ItemEvent, ItemStatus, ItemVersion
from item_bank.web.editor_form import form_from_content
from item_bank.web.imports import IMPORT_ROLES
from tests.conftest import login

API = "/api/ngan-hang"
PAGE = "/ngan-hang"

# -- the rule, written out once, independently of item_bank.permissions ------------------------
# "propose" = edit another's (or one's own) item whose latest version is approved: a new draft.
EVERYONE = {"comment"}
AUTHORING = {"create", "import"}
ALLOWED: dict[tuple[Role, bool], set[str]] = {
    (Role.TEACHER, True): EVERYONE | AUTHORING | {"edit", "propose", "refile", "submit"},
    (Role.TEACHER, False): EVERYONE | AUTHORING | {"propose"},
    (Role.REVIEWER, True): EVERYONE | {"refile", "submit", "retire"},
    (Role.REVIEWER, False): EVERYONE | {"refile", "approve", "return", "retire"},
    (Role.STAFF, True): EVERYONE | AUTHORING | {"edit", "propose", "refile", "submit", "retire"},
    (Role.STAFF, False): EVERYONE | AUTHORING | {"edit", "propose", "refile", "submit",
                                                 "retire"},
    (Role.ADMIN, True): EVERYONE | AUTHORING | {"edit", "propose", "refile", "submit", "retire"},
    (Role.ADMIN, False): EVERYONE | AUTHORING | {"edit", "propose", "refile", "submit",
                                                 "retire", "approve", "return"},
}
# The state an item is in when the action is tried (so that only the permission decides).
STATE = {"edit": ItemStatus.DRAFT, "propose": ItemStatus.APPROVED, "refile": ItemStatus.DRAFT,
         "submit": ItemStatus.DRAFT, "approve": ItemStatus.IN_REVIEW,
         "return": ItemStatus.IN_REVIEW, "retire": ItemStatus.APPROVED,
         "comment": ItemStatus.DRAFT}
# The item page's controls for an action (shown only when allowed).
CONTROL = {"edit": 'id="edit-item"', "propose": 'id="edit-item"',
           "submit": 'id="submit-review"', "approve": 'id="approve"', "return": 'id="return"',
           "retire": 'id="retire"'}
USERNAME = {Role.TEACHER: "giaovien", Role.REVIEWER: "phanbien", Role.STAFF: "canbo",
            Role.ADMIN: "quantri"}


def _item(db, author_id: int, status: ItemStatus, n: int) -> ItemVersion:
    record = ItemRecord(choice_item("single", f"Hàm nào tính tổng, câu {n}?",
                                    ["SUM", "COUNT", "MAX"], [0]), module="IU04",
                        code="IU04.5.2")
    version = workflow.create_item(db, record, key=f"QM-{n:03d}", author_id=author_id)
    version.status = status
    db.commit()
    return version


def _edit_form(version: ItemVersion, token: str) -> dict[str, list[str]]:
    form = form_from_content(content_from_json(version.content), version.item)
    return {**form, "csrf_token": [token], "stem": ["Hàm nào cộng các ô lại?"]}


def _edited_content(version: ItemVersion) -> dict:
    return {**version.content, "stem": "Hàm nào cộng các ô lại?"}


def _allowed(status: int, ok: tuple[int, ...]) -> bool:
    assert status in (*ok, 403), status  # anything else is neither a yes nor a no
    return status != 403


def _try(client, token, action: str, version: ItemVersion, surface: str) -> bool | None:
    """The decision ``surface`` gives on ``action``: True done, False refused (403), None when
    the surface does not offer the action."""
    item_url, vid = f"{PAGE}/cau-hoi/{version.item_id}", version.id
    headers = {"X-CSRFToken": token}

    def page_post(slug: str, **data: str) -> bool:
        return _allowed(client.post(f"{item_url}/{slug}", data={
            "csrf_token": token, "version": str(version.version), **data}).status_code, (302,))

    def bulk(name: str, **data: str) -> bool:
        return _allowed(client.post(f"{PAGE}/hang-loat", data={
            "csrf_token": token, "action": name, "version_id": str(vid), **data}).status_code,
            (302,))

    def api(method: str, path: str, body: dict) -> bool:
        return _allowed(client.open(API + path, method=method, json=body,
                                    headers=headers).status_code, (200, 201))

    routes = {
        ("button", a): lambda a=a: CONTROL[a] in client.get(item_url).get_data(as_text=True)
        for a in CONTROL}
    routes.update({
        ("editor", "edit"): lambda: _allowed(client.post(f"{item_url}/sua", data=_edit_form(
            version, token)).status_code, (302,)),
        ("api", "edit"): lambda: api("PUT", f"/versions/{vid}",
                                     {"content": _edited_content(version)}),
        ("bulk", "refile"): lambda: bulk("tag", tag="hàm"),
        ("api", "refile"): lambda: api("PUT", f"/items/{version.item_id}/classification",
                                       {"module": "IU04", "code": "IU04.5.2", "tags": ["tổng"]}),
        ("page", "submit"): lambda: page_post("gui-phan-bien"),
        ("bulk", "submit"): lambda: bulk("submit"),
        ("api", "submit"): lambda: api("POST", f"/versions/{vid}/submit", {}),
        ("page", "approve"): lambda: page_post("duyet"),
        ("bulk", "approve"): lambda: bulk("approve"),
        ("api", "approve"): lambda: api("POST", f"/versions/{vid}/approve", {}),
        ("page", "return"): lambda: page_post("tra-lai", comment="Chưa rõ."),
        ("api", "return"): lambda: api("POST", f"/versions/{vid}/return",
                                       {"comment": "Chưa rõ."}),
        ("page", "retire"): lambda: page_post("ngung-dung", comment="Đã có câu thay thế."),
        ("bulk", "retire"): lambda: bulk("retire", comment="Đã có câu thay thế."),
        ("api", "retire"): lambda: api("POST", f"/versions/{vid}/retire", {"reason": "Đã thay."}),
        ("page", "comment"): lambda: page_post("nhan-xet", comment="Rõ ràng."),
        ("api", "comment"): lambda: api("POST", f"/versions/{vid}/comments",
                                        {"text": "Rõ ràng."}),
    })
    routes[("editor", "propose")] = routes[("editor", "edit")]
    routes[("api", "propose")] = routes[("api", "edit")]
    route = routes.get((surface, action))
    return None if route is None else route()


def _reset(db, version: ItemVersion, status: ItemStatus) -> None:
    """Put the item back in ``status`` with its one version and its author as the only
    contributor, between two surfaces."""
    db.rollback()
    db.expire_all()
    first = db.get(ItemVersion, version.id)
    for row in first.contributor_rows:
        if row.user_id != first.author_id:
            db.delete(row)
    for later in db.scalars(select(ItemVersion).where(ItemVersion.item_id == version.item_id,
                                                      ItemVersion.id != version.id)):
        db.execute(ItemEvent.__table__.delete().where(ItemEvent.version_id == later.id))
        db.delete(later)
    first.status = status
    db.commit()


@pytest.mark.parametrize("role", [Role.TEACHER, Role.REVIEWER, Role.STAFF, Role.ADMIN])
def test_every_surface_gives_the_same_decision_per_role_ownership_and_action(
        client, db, make_user, tt03, role):
    other = make_user("tacgia", Role.TEACHER)
    actor = make_user(USERNAME[role], role)
    token = login(client, USERNAME[role])
    n = 0
    for own in (True, False):
        for action, status in STATE.items():
            n += 1
            version = _item(db, actor.id if own else other.id, status, n)
            decisions = {}
            for surface in ("button", "page", "editor", "bulk", "api"):
                _reset(db, version, status)
                decision = _try(client, token, action, version, surface)
                if decision is not None:
                    decisions[surface] = decision
            expected = action in ALLOWED[(role, own)]
            assert decisions and set(decisions.values()) == {expected}, (
                role, "own" if own else "other's", action, decisions)

    for surface, response in (
            ("editor", client.get(f"{PAGE}/soan")),
            ("api", client.post(f"{API}/items", headers={"X-CSRFToken": token}, json={
                "module": "IU04", "code": "IU04.5.2", "content": {
                    "kind": "single", "stem": "Hàm nào đếm?", "key": {"correct": "A"},
                    "choices": [{"id": "A", "text": "COUNT"}, {"id": "B", "text": "SUM"}]}}))):
        assert _allowed(response.status_code, (200, 201)) is (
            "create" in ALLOWED[(role, True)]), (role, "create", surface)
    upload = {"file": (io.BytesIO(build_template()), "mau.xlsx")}
    for surface, response in (
            ("page", client.get(f"{PAGE}/nhap")),
            ("api", client.post(f"{API}/import/preview", headers={"X-CSRFToken": token},
                                data=upload, content_type="multipart/form-data"))):
        assert _allowed(response.status_code, (200,)) is (
            "import" in ALLOWED[(role, True)]), (role, "import", surface)


def test_the_import_pages_let_the_same_roles_import_as_the_rule():
    from item_bank.permissions import AUTHOR_ROLES
    assert {*IMPORT_ROLES, Role.ADMIN} == set(AUTHOR_ROLES)


# -- the findings of issue 10, hole 3 ----------------------------------------------------------

@pytest.fixture
def people(make_user, tt03):
    return {name: make_user(name, role) for name, role in (
        ("tacgia", Role.TEACHER), ("dongnghiep", Role.TEACHER), ("phanbien", Role.REVIEWER),
        ("canbo", Role.STAFF), ("quantri", Role.ADMIN))}


def test_staff_cannot_approve_through_the_api_what_the_pages_refuse(app, db, people):
    """Reproduces: staff approved a teacher's item through the JSON API (REVIEWERS held staff)
    while the item page refused them."""
    version = _item(db, people["tacgia"].id, ItemStatus.IN_REVIEW, 1)
    client = app.test_client()
    token = login(client, "canbo")
    refused = client.post(f"{API}/versions/{version.id}/approve",
                          headers={"X-CSRFToken": token}, json={})
    assert refused.status_code == 403 and refused.json["ok"] is False
    assert "Câu hỏi QM-001" in refused.json["message"]
    page = client.post(f"{PAGE}/cau-hoi/{version.item_id}/duyet",
                       data={"csrf_token": token, "version": "1"})
    assert page.status_code == 403
    db.rollback()  # end this session's read snapshot: see what the app committed
    db.expire_all()
    assert db.get(ItemVersion, version.id).status is ItemStatus.IN_REVIEW


def test_whoever_edited_a_version_cannot_approve_it_though_the_author_stays(app, db, people):
    """Reproduces: an edit kept only the original author, so an admin (or anyone who may both
    edit and approve) edited a teacher's draft and approved his own words."""
    version = _item(db, people["tacgia"].id, ItemStatus.DRAFT, 1)
    admin, author = app.test_client(), app.test_client()
    admin_token = login(admin, "quantri")
    edited = admin.put(f"{API}/versions/{version.id}", headers={"X-CSRFToken": admin_token},
                       json={"content": _edited_content(version)})
    assert edited.status_code == 200 and edited.json["version"]["author_id"] == people[
        "tacgia"].id  # the version's author stays; the editor is recorded beside him
    author_token = login(author, "tacgia")
    assert author.post(f"{API}/versions/{version.id}/submit",
                       headers={"X-CSRFToken": author_token}, json={}).status_code == 200
    refused = admin.post(f"{API}/versions/{version.id}/approve",
                         headers={"X-CSRFToken": admin_token}, json={})
    assert refused.status_code == 403 and "chính mình soạn hoặc đã sửa" in refused.json[
        "message"]
    page = admin.get(f"{PAGE}/cau-hoi/{version.item_id}").get_data(as_text=True)
    assert 'id="approve"' not in page
    reviewer = app.test_client()
    reviewer_token = login(reviewer, "phanbien")
    assert reviewer.post(f"{API}/versions/{version.id}/approve",
                         headers={"X-CSRFToken": reviewer_token}, json={}).status_code == 200


def test_a_teacher_cannot_overwrite_refile_or_submit_a_colleagues_item_through_the_api(
        app, db, people):
    """Reproduces: any teacher overwrote, refiled and submitted another teacher's draft through
    the API (only the pages checked the author)."""
    version = _item(db, people["tacgia"].id, ItemStatus.DRAFT, 1)
    client = app.test_client()
    token = login(client, "dongnghiep")
    headers = {"X-CSRFToken": token}
    overwrite = client.put(f"{API}/versions/{version.id}", headers=headers,
                           json={"content": _edited_content(version)})
    refile = client.put(f"{API}/items/{version.item_id}/classification", headers=headers,
                        json={"module": "IU03", "code": "IU03.4.1"})
    submit = client.post(f"{API}/versions/{version.id}/submit", headers=headers, json={})
    assert [r.status_code for r in (overwrite, refile, submit)] == [403, 403, 403]
    assert "chỉ tác giả" in overwrite.json["message"]
    db.rollback()
    db.expire_all()
    kept = db.get(ItemVersion, version.id)
    assert kept.status is ItemStatus.DRAFT and kept.content["stem"].startswith("Hàm nào tính")
    assert kept.item.module == "IU04"


def test_a_teacher_proposes_a_new_version_of_a_colleagues_approved_item_without_refiling_it(
        app, db, people):
    """The rule for others' items: a new draft version of an approved item is hers (she may
    submit it, never approve it); the approved version and the filing stay."""
    version = _item(db, people["tacgia"].id, ItemStatus.APPROVED, 1)
    client = app.test_client()
    token = login(client, "dongnghiep")
    form = _edit_form(version, token)
    refiled = client.post(f"{PAGE}/cau-hoi/{version.item_id}/sua",
                          data={**form, "tags": ["đề xuất"]})
    assert refiled.status_code == 403  # proposing is not refiling
    proposed = client.post(f"{PAGE}/cau-hoi/{version.item_id}/sua", data=form)
    assert proposed.status_code == 302
    db.rollback()
    db.expire_all()
    item = db.get(Item, version.item_id)
    assert [(v.version, v.status) for v in item.versions] == [
        (1, ItemStatus.APPROVED), (2, ItemStatus.DRAFT)]
    draft = item.versions[-1]
    assert draft.contributor_ids == {people["dongnghiep"].id}
    assert client.post(f"{API}/versions/{draft.id}/submit", headers={"X-CSRFToken": token},
                       json={}).status_code == 200
    assert db.scalar(select(func.count()).select_from(ItemVersion)) == 2
