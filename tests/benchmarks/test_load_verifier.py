"""The load benchmark's checks (benchmarks/load/verify.py), on both backends.

Reproduces issue 10 hole 15: the check looked only at each question's final row, so a save that
was acknowledged and then lost went unseen once a later save of the same question landed (a
worker dropping one save in five was reported as 9 losses); it took a save as acknowledged when
the bytes ``"ok":true`` appeared in the body; and the bank held only choice items. Issue 11:
every acknowledged save is checked against the app's own response log (no trigger of the
benchmark's any more), and every acknowledged event against ``exam_events``.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from benchmarks.load import bench_db, verify
from benchmarks.load.simulator import (
    EVENTS_PATH,
    Ack,
    Candidate,
    EventAck,
    Question,
    _acked_events,
    _acknowledged,
    _body,
)
from tests.conftest import POSTGRES_URL, _postgres_available, require_service

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bench(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A fresh benchmark database with its bank of every kind (each form holds the whole bank,
    so every kind is on it), eight candidates (one per test) and the app on it (PostgreSQL: a database of its
    own, dropped afterwards)."""
    from certs.signing import generate_signing_key
    from exam_engine import create_app
    from exam_engine.exams.saving import clear_form_shapes

    name = f"exam_bench_verify_{os.getpid()}"
    if request.param == "postgresql":
        ok, reason = _postgres_available()
        require_service(ok, reason)
    scratch = tmp_path_factory.mktemp("bench")
    url = bench_db.fresh_database(request.param, POSTGRES_URL, name, scratch)
    clear_form_shapes()  # attempt ids restart in a fresh database
    seats = bench_db.seed(url, 8, room_size=30, items_per_module=12, bank_per_module=12,
                          duration_minutes=60)
    key = scratch / "signing.pem"
    key.write_bytes(generate_signing_key())
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "t",
                      "CERT_SIGNING_KEY_FILE": str(key), "SESSION_COOKIE_SECURE": False})
    yield app, iter(seats)
    app.extensions["db_engine"].dispose()
    clear_form_shapes()
    if request.param == "postgresql":
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sitting(bench) -> tuple[Any, Candidate, list[Question]]:
    """A candidate of its own per test, started, with the paper's questions."""
    app, seats = bench
    seat = next(seats)
    client = app.test_client()
    page = client.get("/thi/dang-nhap").get_data(as_text=True)
    client.post("/thi/dang-nhap", data={"candidate_number": seat.candidate_number,
                                        "login_code": seat.login_code,
                                        "csrf_token": CSRF.search(page).group(1)})
    token = CSRF.search(client.get("/thi/").get_data(as_text=True)).group(1)
    assert client.post("/thi/bat-dau", data={"csrf_token": token}).status_code == 302
    paper = client.get("/thi/api/paper").get_json()["questions"]
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client, Candidate(seat, token=token), [Question.from_paper(q) for q in paper]


def _answer(client: Any, candidate: Candidate, questions: list[Question], position: int,
            seq: int, response: Any, ms_on_item: int | None = 1_000) -> None:
    """Save as the simulator does; record the acknowledgement."""
    body = _body(position, response, seq, ms_on_item)
    reply = client.post("/thi/api/answers", json=body)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert _acknowledged(reply.get_data(), position, seq)
    candidate.acks.append(Ack(position, seq, response, ms_on_item=ms_on_item))


def _response(question: Question, n: int) -> Any:
    """A fixed response of the question's kind, ``n`` making text answers unique."""
    first, *rest = question.choices or ("",)
    return {"single": [first], "multiple": [first, *rest[:1]],
            "true_false4": {part: i % 2 == 0 for i, part in enumerate(question.choices)},
            "matching": dict(zip(question.choices, reversed(question.targets), strict=False)),
            "ordering": list(reversed(question.choices)), "short_answer": f"u{n}",
            "numeric": f"{n},5",
            "cloze": {gap: options[-1] if options else f"u{n}"
                      for gap, options in question.gaps}}[question.kind]


def test_a_superseded_save_that_was_never_stored_is_reported_lost(sitting) -> None:
    client, candidate, questions = sitting
    _answer(client, candidate, questions, 0, 1, _response(questions[0], 1))
    # seq 2 acknowledged but never stored (the fault), then seq 3 stored over it
    candidate.acks.append(Ack(0, 2, _response(questions[0], 2)))
    _answer(client, candidate, questions, 0, 3, _response(questions[0], 3))
    verdict = verify.verify_saves(bench_db_url(client), [candidate])
    assert verdict.lost == [(candidate.seat.candidate_number, 0, 2)]
    assert verdict.altered == [] and verdict.stale == [] and verdict.checked == 3


def test_every_kind_saved_is_verified_without_a_false_alarm(sitting) -> None:
    client, candidate, questions = sitting
    kinds = {q.kind for q in questions}
    assert kinds == {"single", "multiple", "true_false4", "matching", "ordering",
                     "short_answer", "numeric", "cloze"}
    for position, question in enumerate(questions):
        _answer(client, candidate, questions, position, 1, _response(question, position))
        _answer(client, candidate, questions, position, 2, _response(question, 100 + position))
    verdict = verify.verify_saves(bench_db_url(client), [candidate])
    assert (verdict.lost, verdict.altered, verdict.stale) == ([], [], [])
    assert verdict.checked == 2 * len(questions)


def test_a_save_stored_with_other_content_than_acknowledged_is_reported(sitting) -> None:
    client, candidate, questions = sitting
    position = next(i for i, q in enumerate(questions) if q.kind == "short_answer")
    _answer(client, candidate, questions, position, 1, "u1")
    candidate.acks[-1] = Ack(position, 1, "u2", ms_on_item=1_000)  # what the client believes
    _answer(client, candidate, questions, position, 2, "u3", ms_on_item=2_000)
    candidate.acks[-1] = Ack(position, 2, "u3", ms_on_item=2_500)  # … and its time, altered
    verdict = verify.verify_saves(bench_db_url(client), [candidate])
    number = candidate.seat.candidate_number
    assert verdict.altered == [(number, position, 1), (number, position, 2)]


def test_the_final_only_check_sees_a_stale_question_but_cannot_see_a_lost_save(sitting) -> None:
    """``--check final`` is for a checkout from before the response log: weaker, and says so."""
    client, candidate, questions = sitting
    _answer(client, candidate, questions, 0, 1, _response(questions[0], 1))
    candidate.acks.append(Ack(0, 2, _response(questions[0], 2)))  # acknowledged, never stored
    verdict = verify.verify_saves(bench_db_url(client), [candidate], final_only=True)
    assert verdict.final_only and verdict.lost == [] and verdict.checked == 2
    assert verdict.stale == [(candidate.seat.candidate_number, 0)]


def test_an_acknowledged_event_that_was_never_stored_is_reported_lost(sitting) -> None:
    client, candidate, _ = sitting
    now = 1_796_000_000_000  # 2026-11, epoch ms, as the page's Date.now()
    sent = [{"seq": 1, "kind": "heartbeat", "at": now, "detail": {}},
            {"seq": 2, "kind": "tab_hidden", "at": now + 5, "detail": {"bench": True}}]
    reply = client.post(EVENTS_PATH, json={"events": sent, "client_now": now + 10})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert _acked_events(reply.get_data()) == {1, 2}
    candidate.event_acks += [EventAck(e["seq"], e["kind"], e["at"]) for e in sent]
    candidate.event_acks.append(EventAck(3, "tab_visible", now + 20))  # acked, never stored
    verdict = verify.verify_events(bench_db_url(client), [candidate])
    assert verdict.lost == [(candidate.seat.candidate_number, 3)]
    assert verdict.altered == [] and verdict.checked == 3


def test_an_event_stored_with_another_kind_or_time_is_reported(sitting) -> None:
    client, candidate, _ = sitting
    now = 1_796_000_000_000
    sent = [{"seq": 1, "kind": "blur", "at": now, "detail": {}},
            {"seq": 2, "kind": "focus", "at": now + 7, "detail": {}}]
    assert client.post(EVENTS_PATH, json={"events": sent, "client_now": now}).status_code == 200
    candidate.event_acks += [EventAck(1, "copy", now), EventAck(2, "focus", now + 8)]
    verdict = verify.verify_events(bench_db_url(client), [candidate])
    number = candidate.seat.candidate_number
    assert (verdict.lost, verdict.altered) == ([], [(number, 1), (number, 2)])


def test_an_acknowledgement_is_read_from_the_json_for_this_very_save() -> None:
    assert _acknowledged(b'{"ok": true, "position": 3, "seq": 2}', 3, 2)
    assert not _acknowledged(b'{"ok":true,"position":3,"seq":1}', 3, 2)  # an older save's
    assert not _acknowledged(b'{"ok":false,"note":"\\"ok\\":true"}', 3, 2)
    assert not _acknowledged(json.dumps({"ok": "true", "position": 3, "seq": 2}).encode(), 3, 2)
    assert not _acknowledged(b'<html>"ok":true</html>', 3, 2)


def test_an_events_acknowledgement_is_the_acked_list_of_an_ok_answer() -> None:
    assert _acked_events(b'{"ok": true, "acked": [1, 2], "state": {}}') == {1, 2}
    assert _acked_events(b'{"ok": true, "acked": [1, true, "2"]}') == {1}
    assert _acked_events(b'{"ok": false, "acked": [1]}') is None
    assert _acked_events(b'{"ok": true}') is None
    assert _acked_events(b'<html>"acked": [1]</html>') is None


def bench_db_url(client: Any) -> str:
    return client.application.config["DATABASE_URL"]
