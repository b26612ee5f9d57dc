"""The exam page's events (issue 11), off the answer path: stored once whatever is resent,
refused with the field named, the browser's presence and what the server notices from it, and
the attempt's state the page follows — through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exam_engine.exams.models import Answer, Attempt
from exam_engine.exams.states import AttemptStatus
from exam_engine.exams.transitions import transition
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.login_sessions import ENDED_MOVED, end_attempt_login_sessions
from proctor.events import (
    FLAGGED_KINDS,
    KIND_NAMES,
    SERVER_KINDS,
    ClientEvent,
    latest_flagged_events,
    record_events,
)
from proctor.models import AttemptPresence, ExamEvent
from tests.conftest import candidate_login, csrf_token_of

URL = "/thi/api/su-kien"
T0 = 1_790_000_000_000  # a client clock reading, ms since 1970 (2026)


def _now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


def _event(seq: int, kind: str = "blur", at: int | None = None, **detail) -> dict:
    return {"seq": seq, "kind": kind, "at": T0 + seq if at is None else at, "detail": detail}


def _sitting(client, make_session):
    exam = make_session(n_candidates=1)
    token = candidate_login(client, exam.session_code, start=True)
    return exam.candidates[0].attempt.id, token


def _post(client, token, events, client_now=None, **environ):
    body = {"events": events, "client_now": _now_ms() if client_now is None else client_now}
    return client.post(URL, json=body, headers={"X-CSRFToken": token},
                       environ_overrides=environ or None)


def _stored(db, attempt_id):
    db.rollback()  # the app committed in its own sessions
    return db.execute(select(ExamEvent.client_seq, ExamEvent.kind, ExamEvent.detail)
                      .where(ExamEvent.attempt_id == attempt_id)
                      .order_by(ExamEvent.id)).all()


def test_a_batch_is_stored_and_acknowledged_and_a_resent_batch_changes_nothing(
        client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    batch = [_event(1, "tab_hidden"), _event(2, "copy", chars=12), _event(3, "tab_visible")]
    first = _post(client, token, batch)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["acked"] == [1, 2, 3]
    again = _post(client, token, batch)
    assert again.status_code == 200 and again.get_json()["acked"] == [1, 2, 3]
    assert "next_seq" not in again.get_json()
    assert _stored(db, attempt_id) == [(1, "tab_hidden", None), (2, "copy", {"chars": 12}),
                                       (3, "tab_visible", None)]
    client_at = db.scalar(select(ExamEvent.client_at).where(ExamEvent.client_seq == 2))
    assert int(client_at.timestamp() * 1000) == T0 + 2
    # its own write path: the answers are not touched
    assert db.scalar(select(func.count()).select_from(Answer)) == 0


def test_a_later_batch_overlapping_an_acknowledged_one_stores_only_the_new_events(
        client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    assert _post(client, token, [_event(1), _event(2)]).get_json()["acked"] == [1, 2]
    overlapping = _post(client, token, [_event(2), _event(3, "paste", chars=40)])
    assert overlapping.get_json()["acked"] == [2, 3]
    assert [row.client_seq for row in _stored(db, attempt_id)] == [1, 2, 3]


def test_a_seq_held_by_another_event_is_not_acknowledged_and_the_page_learns_where_to_renumber(
        client, db, make_session):
    """A second computer after a move counts from 1 again: its events must not be taken for
    resends of the first computer's (acknowledged, yet never stored)."""
    attempt_id, token = _sitting(client, make_session)
    assert _post(client, token, [_event(1), _event(2), _event(3)]).status_code == 200
    other = _post(client, token, [_event(1, "reload", at=T0 + 90_000), _event(4)])
    assert other.status_code == 200
    assert other.get_json()["acked"] == [4]
    assert other.get_json()["next_seq"] == 5
    renumbered = _post(client, token, [_event(5, "reload", at=T0 + 90_000)])
    assert renumbered.get_json()["acked"] == [5]
    assert [(r.client_seq, r.kind) for r in _stored(db, attempt_id)] == [
        (1, "blur"), (2, "blur"), (3, "blur"), (4, "blur"), (5, "reload")]


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"events": [_event(1), _event(2, "teleport")]}, "events[1].kind", "teleport"),
    ({"events": [_event(0)]}, "events[0].seq", "số nguyên dương"),
    ({"events": [_event(2), _event(2)]}, "events[1].seq", "tăng dần"),
    ({"events": [{"seq": 1, "kind": "blur", "at": "hôm qua"}]}, "events[0].at", "thời điểm"),
    ({"events": [{"seq": True, "kind": "blur", "at": T0}]}, "events[0].seq", "số nguyên"),
    ({"events": [_event(1, note="x" * 1100)]}, "events[0].detail", "1024 byte"),
    ({"events": [{**_event(1), "detail": [1, 2]}]}, "events[0].detail", "đối tượng"),
    ({"events": [_event(i) for i in range(1, 102)]}, "events", "tối đa 100"),
    ({"events": "blur"}, "events", "danh sách"),
    ({"events": [], "client_now": None}, "client_now", "thời điểm"),
    ({"events": ["blur"]}, "events[0]", "đối tượng"),
    ([1, 2], "body", "đối tượng JSON"),
])
def test_a_bad_batch_is_a_422_naming_the_field_and_nothing_of_it_is_stored(
        client, db, make_session, body, field, words):
    attempt_id, token = _sitting(client, make_session)
    if isinstance(body, dict):
        body = {"client_now": _now_ms(), **body}
    refused = client.post(URL, json=body, headers={"X-CSRFToken": token})
    assert refused.status_code == 422, refused.get_data(as_text=True)
    problem = refused.get_json()
    assert problem["error"] == "InvalidEvents"
    assert field in [p["field"] for p in problem["problems"]]
    assert words in problem["message"] and field in problem["message"]
    assert _stored(db, attempt_id) == []


def test_a_batch_past_32_kb_is_refused_before_it_is_read(client, make_session):
    _, token = _sitting(client, make_session)
    huge = client.post(URL, data="{" + " " * 40_000 + "}", content_type="application/json",
                       headers={"X-CSRFToken": token})
    assert huge.status_code == 413 and "32 KB" in huge.get_json()["message"]


def test_only_the_candidates_own_live_login_with_the_csrf_header_may_send(client, make_session):
    _, token = _sitting(client, make_session)
    assert client.post(URL, json={"events": [], "client_now": _now_ms()}).status_code == 400
    anonymous = client.application.test_client()
    anonymous_token = csrf_token_of(anonymous.get("/thi/dang-nhap").get_data(as_text=True))
    assert anonymous.post(URL, json={"events": [], "client_now": _now_ms()},
                          headers={"X-CSRFToken": anonymous_token}).status_code == 401


def test_a_heartbeat_updates_the_presence_and_stores_no_event(client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    before = utcnow()
    beat = client.post(URL, json={"events": [], "client_now": _now_ms()},
                       headers={"X-CSRFToken": token, "User-Agent": "Chromium " + "x" * 400},
                       environ_overrides={"REMOTE_ADDR": "10.0.3.17"})
    assert beat.status_code == 200 and beat.get_json()["acked"] == []
    assert _stored(db, attempt_id) == []
    presence = db.get(AttemptPresence, attempt_id)
    assert presence.last_seen_at >= before
    assert presence.remote_addr == "10.0.3.17"
    assert presence.user_agent.startswith("Chromium x") and len(presence.user_agent) == 300
    assert abs(presence.clock_skew_ms) < 5_000


def test_a_new_ip_address_is_noted_as_a_server_event_with_both_addresses(
        client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    for addr in ("10.0.3.17", "10.0.3.17", "10.0.9.99", "10.0.9.99"):
        assert _post(client, token, [], REMOTE_ADDR=addr).status_code == 200
    assert _stored(db, attempt_id) == [
        (None, "ip_change", {"from": "10.0.3.17", "to": "10.0.9.99"})]
    assert db.get(AttemptPresence, attempt_id).remote_addr == "10.0.9.99"


def test_a_device_clock_off_by_more_than_two_minutes_is_noted_once(client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    assert _post(client, token, [], client_now=_now_ms() + 90_000).status_code == 200
    assert _stored(db, attempt_id) == []  # within ±2 min: only the presence keeps it
    for off_by in (-10 * 60_000, -11 * 60_000):
        assert _post(client, token, [], client_now=_now_ms() + off_by).status_code == 200
    rows = _stored(db, attempt_id)
    assert [(r.client_seq, r.kind) for r in rows] == [(None, "clock_skew")]
    assert -10 * 60_000 - 5_000 < rows[0].detail["skew_ms"] < -10 * 60_000 + 5_000
    assert db.get(AttemptPresence, attempt_id).clock_skew_ms < -10 * 60_000


def test_a_device_clock_reset_to_1970_is_data_not_a_refusal(client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    stale = _post(client, token, [_event(1, at=5_000)], client_now=6_000)
    assert stale.status_code == 200 and stale.get_json()["acked"] == [1]
    assert sorted(r.kind for r in _stored(db, attempt_id)) == ["blur", "clock_skew"]


def test_the_answer_carries_the_state_with_the_server_clock(client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    state = _post(client, token, []).get_json()["state"]
    assert state["status"] == "in_progress" and state["moved"] is False
    assert 30 * 60 - 10 < state["seconds_left"] <= 30 * 60
    db.rollback()
    db.get(Attempt, attempt_id).deadline += timedelta(minutes=10)  # extra time
    db.commit()
    state = _post(client, token, []).get_json()["state"]
    assert 40 * 60 - 10 < state["seconds_left"] <= 40 * 60


def test_a_paused_attempt_is_told_paused_with_the_time_left_when_it_was_paused(
        client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    db.rollback()
    attempt = db.get(Attempt, attempt_id)
    now = utcnow()
    transition(db, attempt, AttemptStatus.PAUSED, actor="proctor:test", at=now)
    attempt.paused_at = now - timedelta(minutes=3)
    attempt.deadline = now + timedelta(minutes=20)
    db.commit()
    first = _post(client, token, [_event(1, "tab_hidden")]).get_json()
    assert first["acked"] == [1]  # a paused attempt's events still count
    assert first["state"]["status"] == "paused"
    assert first["state"]["seconds_left"] == pytest.approx(23 * 60, abs=0.01)
    later = _post(client, token, []).get_json()["state"]
    assert later["seconds_left"] == first["state"]["seconds_left"]  # the clock stands still


def test_events_after_submission_are_still_accepted(client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    assert client.post("/thi/api/submit", headers={"X-CSRFToken": token}).status_code == 200
    after = _post(client, token, [_event(1, "tab_hidden")])
    assert after.status_code == 200
    assert after.get_json()["acked"] == [1]
    assert after.get_json()["state"]["status"] == "submitted"
    assert [r.kind for r in _stored(db, attempt_id)] == ["tab_hidden"]


def test_a_moved_browser_is_told_moved_away_and_nothing_it_sends_is_stored(
        client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    db.rollback()
    end_attempt_login_sessions(db, attempt_id, utcnow(), reason=ENDED_MOVED)
    db.commit()
    moved = _post(client, token, [_event(1, "tab_hidden")])
    assert moved.status_code == 409
    assert moved.get_json()["error"] == "MovedAway"
    assert "chuyển sang máy khác" in moved.get_json()["message"]
    assert _stored(db, attempt_id) == []
    assert db.get(AttemptPresence, attempt_id) is None
    # the cookie is dead from here on, as after the save's MovedAway
    assert client.get("/thi/").status_code == 302


def test_a_login_ended_by_logout_is_a_401_not_a_move(client, db, make_session):
    attempt_id, token = _sitting(client, make_session)
    db.rollback()
    end_attempt_login_sessions(db, attempt_id, utcnow(), reason="logout")
    db.commit()
    ended = _post(client, token, [_event(1)])
    assert ended.status_code == 401 and ended.get_json()["error"] == "LoginEnded"


def test_two_copies_of_a_batch_at_once_store_each_event_once_and_both_are_acknowledged(
        app, db, make_session):
    exam = make_session(n_candidates=1)
    attempt_id = exam.candidates[0].attempt.id
    events = [ClientEvent(seq, "blur", utcnow(), None) for seq in range(1, 21)]
    acks: list[list[int]] = []
    start = threading.Barrier(2)

    def send(addr: str) -> None:
        unit = app.extensions["db_sessions"]()
        try:
            start.wait()
            acks.append(record_events(unit, attempt_id, events, now=utcnow(), remote_addr=addr,
                                      user_agent="ua", client_now=_now_ms()))
            unit.commit()
        finally:
            unit.close()

    threads = [threading.Thread(target=send, args=(addr,)) for addr in ("10.0.0.1", "10.0.0.2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert acks == [list(range(1, 21))] * 2
    db.rollback()
    kinds = [r.kind for r in _stored(db, attempt_id)]
    assert kinds.count("blur") == 20
    assert kinds.count("ip_change") == 1  # the second to arrive saw the first one's address
    assert db.scalar(select(func.count()).select_from(AttemptPresence)) == 1


def test_the_live_room_reads_the_latest_flagged_events_of_each_attempt_newest_first(
        db, make_session):
    exam = make_session(n_candidates=3)
    first, second, third = (c.attempt.id for c in exam.candidates)
    now = utcnow()
    kinds = ["tab_hidden", "tab_visible", "copy", "focus", "paste", "blur"]
    record_events(db, first, [ClientEvent(i + 1, kind, now, None) for i, kind in enumerate(kinds)],
                  now=now, remote_addr="10.0.0.1", user_agent=None, client_now=None)
    record_events(db, second, [ClientEvent(1, "focus", now, None)], now=now,
                  remote_addr="10.0.0.2", user_agent=None, client_now=None)
    record_events(db, third, [ClientEvent(1, "reload", now, None)],
                  now=now + timedelta(seconds=5), remote_addr="10.0.0.3", user_agent=None,
                  client_now=None)
    db.commit()
    latest = latest_flagged_events(db, [first, second, third], limit=3)
    assert [e.kind for e in latest[first]] == ["blur", "paste", "copy"]
    assert second not in latest  # only unflagged events
    assert [(e.kind, e.attempt_id) for e in latest[third]] == [("reload", third)]
    assert latest_flagged_events(db, [], limit=3) == {}


def test_every_kind_has_a_vietnamese_and_english_name_and_the_flagged_kinds_are_known():
    assert FLAGGED_KINDS <= set(KIND_NAMES)
    assert SERVER_KINDS <= FLAGGED_KINDS
    assert all(vi and en for vi, en in KIND_NAMES.values())
