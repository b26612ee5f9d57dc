"""The bank's steps under concurrency (issue 10, hole 2): the same approval twice at the same
moment happens once, and authors creating items at the same moment all get distinct keys.

Real threads, each with its own session (or its own HTTP client and so its own request's
session). The barrier tests need PostgreSQL, where two transactions really overlap; SQLite
serialises writers (BEGIN IMMEDIATE), so there only the HTTP tests run."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import make_session_factory, transaction
from item_bank import workflow
from item_bank.content import ItemRecord, choice_item
from item_bank.importing import next_item_key
from item_bank.models import Item, ItemEvent, ItemStatus, ItemVersion
from tests.conftest import login

API = "/api/ngan-hang"
RECORD = ItemRecord(choice_item("single", "Hàm nào tính tổng?", ["SUM", "COUNT"], [0]),
                    module="IU04", code="IU04.5.2")


def _in_parallel(n: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` in n threads at once; each result, or the exception it raised."""
    def run(i: int) -> Any:
        try:
            return work(i)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread met
            return error

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def _postgres_only(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: two transactions never overlap (HTTP test "
                    "below runs there)")


def _in_review(db, author_id: int) -> ItemVersion:
    version = workflow.create_item(db, RECORD, key="IU04-SUM", author_id=author_id)
    workflow.submit_for_review(db, version, actor_id=author_id)
    db.commit()
    return version


def _events(db, version_id: int, action: str) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(ItemEvent).where(
        ItemEvent.version_id == version_id, ItemEvent.action == action))


def test_two_reviewers_approving_the_same_version_at_once_record_one_approval(
        db, engine, make_user, tt03):
    """Reproduces: both transactions read "in review", both set "approved" (the second after
    the first's row lock), and two approvals were recorded."""
    _postgres_only(engine)
    author = make_user("giaovien", Role.TEACHER)
    reviewers = [make_user(f"phanbien{i}", Role.REVIEWER) for i in range(2)]
    version_id = _in_review(db, author.id).id
    factory = make_session_factory(engine, writes=True)
    both_read = threading.Barrier(2, timeout=20)

    def approve(i: int) -> str:
        with transaction(factory) as session:
            version = session.get(ItemVersion, version_id)
            assert version.status is ItemStatus.IN_REVIEW
            both_read.wait()  # both have seen "in review" before either writes
            workflow.approve(session, version, reviewer_id=reviewers[i].id)
        return "approved"

    outcomes = _in_parallel(2, approve)
    refused = [o for o in outcomes if isinstance(o, workflow.WorkflowError)]
    assert outcomes.count("approved") == 1 and len(refused) == 1, outcomes
    assert "vừa được người khác xử lý" in refused[0].message_vi
    assert _events(db, version_id, "approved") == 1
    assert db.get(ItemVersion, version_id).status is ItemStatus.APPROVED


def test_two_authors_taking_the_same_next_key_both_create_their_item(db, engine, make_user,
                                                                    tt03):
    """Reproduces: both computed "IU04-I0001" and the second insert hit the unique key (a 500
    from the editor and the API)."""
    _postgres_only(engine)
    authors = [make_user(f"giaovien{i}", Role.TEACHER) for i in range(2)]
    factory = make_session_factory(engine, writes=True)
    both_chose = threading.Barrier(2, timeout=20)

    def create(i: int) -> str:
        with transaction(factory) as session:
            first = [True]

            def new_key(taken: Sequence[str]) -> str:
                key = next_item_key(session, RECORD, taken)
                if first[0]:
                    first[0] = False
                    both_chose.wait()  # both hold the same key before either inserts
                return key

            version = workflow.create_item_with_new_key(session, RECORD, new_key,
                                                        author_id=authors[i].id)
            return version.item.key

    keys = _in_parallel(2, create)
    assert sorted(keys) == ["IU04-I0001", "IU04-I0002"], keys
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Item)) == 2


# -- the same through HTTP, on both backends ---------------------------------------------------

def _clients(app, usernames: Sequence[str]) -> list[tuple[Any, str]]:
    clients = []
    for name in usernames:
        client = app.test_client()
        clients.append((client, login(client, name)))
    return clients


def test_simultaneous_approve_requests_give_one_approval_and_calm_409s(app, db, make_user,
                                                                      tt03):
    author = make_user("giaovien", Role.TEACHER)
    for i in range(2):
        make_user(f"phanbien{i}", Role.REVIEWER)
    version_id = _in_review(db, author.id).id
    clients = _clients(app, ["phanbien0", "phanbien1"] * 3)

    def approve(i: int) -> int:
        client, token = clients[i]
        return client.post(f"{API}/versions/{version_id}/approve",
                           headers={"X-CSRFToken": token}, json={}).status_code

    statuses = _in_parallel(len(clients), approve)
    assert sorted(statuses) == [200] + [409] * (len(clients) - 1), statuses
    assert _events(db, version_id, "approved") == 1


def test_simultaneous_create_requests_all_succeed_with_distinct_keys(app, db, make_user, tt03):
    names = [f"giaovien{i}" for i in range(6)]
    for name in names:
        make_user(name, Role.TEACHER)
    clients = _clients(app, names)
    body = {"module": "IU04", "code": "IU04.5.2", "content": {
        "kind": "single", "stem": "Hàm nào đếm ô có số?", "key": {"correct": "A"},
        "choices": [{"id": "A", "text": "COUNT"}, {"id": "B", "text": "SUM"}]}}

    def create(i: int) -> tuple[int, str | None]:
        client, token = clients[i]
        response = client.post(f"{API}/items", headers={"X-CSRFToken": token}, json=body)
        return response.status_code, (response.json or {}).get("version", {}).get("key")

    results = _in_parallel(len(clients), create)
    assert [status for status, _ in results] == [201] * len(clients), results
    assert sorted(key for _, key in results) == [f"IU04-I{n:04d}"
                                                 for n in range(1, len(clients) + 1)]


def test_simultaneous_new_versions_of_one_approved_item_get_consecutive_numbers(
        app, db, make_user, tt03):
    """Reproduces: two edits of an approved version at once both numbered their new version
    "latest + 1" and the second hit the unique (item, version) key (a 500)."""
    author = make_user("giaovien", Role.TEACHER)
    names = ["giaovien", "canbo0", "canbo1", "quantri"]
    for name, role in zip(names[1:], (Role.STAFF, Role.STAFF, Role.ADMIN), strict=True):
        make_user(name, role)
    version = workflow.create_item(db, RECORD, key="IU04-SUM", author_id=author.id)
    version.status = ItemStatus.APPROVED
    db.commit()
    version_id, content = version.id, version.content
    clients = _clients(app, names)

    def propose(i: int) -> int:
        client, token = clients[i]
        return client.put(f"{API}/versions/{version_id}", headers={"X-CSRFToken": token},
                          json={"content": {**content, "stem": f"Hàm nào cộng, đề xuất {i}?"}}
                          ).status_code

    assert _in_parallel(len(clients), propose) == [200] * len(clients)
    db.rollback()
    numbers = db.scalars(select(ItemVersion.version).where(
        ItemVersion.item_id == version.item_id).order_by(ItemVersion.version)).all()
    assert numbers == list(range(1, len(clients) + 2))
