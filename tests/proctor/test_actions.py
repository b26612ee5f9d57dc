"""The proctors' actions (issue 11) through the real app on SQLite and PostgreSQL: pause and
resume one candidate or a whole room, extra time, force-submit and move — each with its reason,
its one audit row, once per idempotency key (also under simultaneous requests), for the
proctors of the candidate's room only."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from exam_engine.exams import delivery
from exam_engine.exams.models import Attempt, AttemptEvent, Candidate, ExamSession
from exam_engine.exams.results import current_result
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.login_sessions import ENDED_MOVED, LoginSession
from proctor.models import ActionKind, ExamRoom, ProctorAction, RoomProctor, SeatAssignment
from tests.conftest import candidate_login, csrf_token_of, login, race

REASON = "Mất điện ở dãy bàn A"


@dataclass
class Rooms:
    """A session of three candidates in two rooms: BN0001 (A1) and BN0002 (A2) in P.101, whose
    proctor is ``giamthi``; BN0003 (A1) in P.102, whose proctor is ``giamthi2``."""

    session: ExamSession
    first: ExamRoom
    second: ExamRoom
    candidates: list[Candidate]
    proctor_id: int

    def attempt_id(self, i: int) -> int:
        return self.candidates[i].attempt.id


def seat_in_rooms(db, make_session, make_user) -> Rooms:
    session = make_session(n_candidates=3)
    opened = utcnow()  # both rooms open: their candidates may start (proctor.rooms gate)
    first = ExamRoom(exam_session_id=session.id, name="P.101", rows=2, columns=3,
                     spare_seats=["B3"], opened_at=opened)
    second = ExamRoom(exam_session_id=session.id, name="P.102", rows=2, columns=2,
                      opened_at=opened)
    db.add_all([first, second])
    db.flush()
    candidates = list(session.candidates)
    for candidate, room, seat in zip(candidates, (first, first, second), ("A1", "A2", "A1"),
                                     strict=True):
        db.add(SeatAssignment(candidate_id=candidate.id, room_id=room.id, seat=seat))
    proctor = make_user("giamthi", Role.PROCTOR)
    other = make_user("giamthi2", Role.PROCTOR)
    db.add_all([RoomProctor(room_id=first.id, user_id=proctor.id),
                RoomProctor(room_id=second.id, user_id=other.id)])
    db.commit()
    return Rooms(session, first, second, candidates, proctor.id)


@pytest.fixture
def rooms(db, make_session, make_user) -> Rooms:
    return seat_in_rooms(db, make_session, make_user)


def start(db, *attempt_ids: int, at=None) -> None:
    for attempt_id in attempt_ids:
        delivery.start_attempt(db, attempt_id, at or utcnow())
    db.commit()


def proctor_client(app, username: str = "giamthi"):
    client = app.test_client()
    return client, login(client, username)


def post(client, token: str, url: str, *, key: str | None = None, as_json: bool = False,
         **fields: Any):
    data = {"reason": REASON, "idempotency_key": key or secrets.token_urlsafe(12), **fields}
    if as_json:
        return client.post(url, json=data, headers={"X-CSRFToken": token})
    return client.post(url, data={"csrf_token": token, **data})


def actions(db, kind: ActionKind | None = None) -> list[ProctorAction]:
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    db.expire_all()
    query = select(ProctorAction).order_by(ProctorAction.id)
    if kind is not None:
        query = query.where(ProctorAction.kind == kind)
    return list(db.scalars(query))


def attempt(db, attempt_id: int) -> Attempt:
    db.rollback()
    db.expire_all()
    return db.get(Attempt, attempt_id)


def test_pausing_and_resuming_a_candidate_writes_one_audit_row_each_and_stops_his_clock(
        app, client, db, rooms):
    candidate_login(client, rooms.session.session_code, "BN0001", start=True)
    proctor, token = proctor_client(app)
    attempt_id = rooms.attempt_id(0)
    key = secrets.token_urlsafe(12)
    paused = post(proctor, token, f"/giam-thi/bai-thi/{attempt_id}/tam-dung", key=key)
    assert paused.status_code == 302
    assert paused.headers["Location"].endswith(f"/giam-thi/thi-sinh/{rooms.candidates[0].id}"
                                               "/thao-tac")
    [row] = actions(db)
    assert (row.kind, row.reason, row.actor_id, row.room_id, row.candidate_id) == (
        ActionKind.PAUSE, REASON, rooms.proctor_id, rooms.first.id, rooms.candidates[0].id)
    assert row.idempotency_key == key and row.exam_session_id == rooms.session.id
    assert row.detail == {"attempt_id": attempt_id, "status_before": "in_progress"}
    paper = client.get("/thi/api/paper").get_json()
    assert paper["status"] == "paused"
    left = paper["seconds_left"]
    assert client.get("/thi/api/paper").get_json()["seconds_left"] == left  # it stands still

    assert post(proctor, token, f"/giam-thi/bai-thi/{attempt_id}/tiep-tuc").status_code == 302
    assert [a.kind for a in actions(db)] == [ActionKind.PAUSE, ActionKind.RESUME]
    assert attempt(db, attempt_id).status is AttemptStatus.IN_PROGRESS
    assert abs(client.get("/thi/api/paper").get_json()["seconds_left"] - left) < 5
    moves = db.scalars(select(AttemptEvent.actor).where(AttemptEvent.attempt_id == attempt_id,
                                                        AttemptEvent.actor != "candidate"))
    assert list(moves) == [f"user:{rooms.proctor_id}"] * 2


def test_a_repeated_key_acts_once(app, db, rooms):
    start(db, rooms.attempt_id(0))
    proctor, token = proctor_client(app)
    url = f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/them-gio"
    key = secrets.token_urlsafe(12)
    assert post(proctor, token, url, key=key, minutes="10").status_code == 302
    again = post(proctor, token, url, key=key, minutes="10")
    assert again.status_code == 302
    assert "đã được thực hiện rồi" in proctor.get(again.headers["Location"]).get_data(
        as_text=True)
    repeat = post(proctor, token, url, key=key, minutes="10", as_json=True)
    assert repeat.status_code == 200 and repeat.get_json()["repeated"] is True
    [row] = actions(db)
    assert row.kind is ActionKind.EXTRA_TIME and row.detail["minutes"] == 10
    assert attempt(db, rooms.attempt_id(0)).extra_seconds == 600


@pytest.mark.parametrize("path, fields, kind", [
    ("/giam-thi/bai-thi/{attempt}/tam-dung", {}, ActionKind.PAUSE),
    ("/giam-thi/bai-thi/{attempt}/them-gio", {"minutes": "3"}, ActionKind.EXTRA_TIME),
    ("/giam-thi/bai-thi/{attempt}/thu-bai", {}, ActionKind.FORCE_SUBMIT),
    ("/giam-thi/thi-sinh/{candidate}/chuyen-cho", {"seat": "B1"}, ActionKind.MOVE),
    ("/giam-thi/phong/{room}/tam-dung", {}, ActionKind.PAUSE_ROOM),
])
def test_every_action_sent_twice_with_one_key_is_logged_and_done_once(app, db, rooms, path,
                                                                      fields, kind):
    start(db, rooms.attempt_id(0))
    proctor, token = proctor_client(app)
    url = path.format(attempt=rooms.attempt_id(0), candidate=rooms.candidates[0].id,
                      room=rooms.first.id)
    key = secrets.token_urlsafe(12)
    first = post(proctor, token, url, key=key, as_json=True, **fields)
    again = post(proctor, token, url, key=key, as_json=True, **fields)
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.get_json()["repeated"], again.get_json()["repeated"]) == (False, True)
    assert first.get_json()["action"]["id"] == again.get_json()["action"]["id"]
    assert [a.kind for a in actions(db) if a.idempotency_key] == [kind]
    events = db.scalars(select(AttemptEvent).where(
        AttemptEvent.attempt_id == rooms.attempt_id(0), AttemptEvent.actor != "candidate"))
    assert len(list(events)) == (0 if kind is ActionKind.MOVE else 1)


def test_resuming_twice_with_one_key_resumes_once(app, db, rooms):
    start(db, rooms.attempt_id(0))
    proctor, token = proctor_client(app)
    post(proctor, token, f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/tam-dung")
    key = secrets.token_urlsafe(12)
    for _ in range(2):
        post(proctor, token, f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/tiep-tuc", key=key)
        post(proctor, token, f"/giam-thi/phong/{rooms.first.id}/tiep-tuc", key=key + "-room")
    kinds = [a.kind for a in actions(db)]
    assert kinds == [ActionKind.PAUSE, ActionKind.RESUME, ActionKind.RESUME_ROOM]
    assert actions(db)[-1].detail["attempt_ids"] == []  # nobody was paused any more


def test_a_key_used_for_another_action_is_a_409_not_a_silent_success(app, db, rooms):
    start(db, rooms.attempt_id(0), rooms.attempt_id(1))
    proctor, token = proctor_client(app)
    key = secrets.token_urlsafe(12)
    assert post(proctor, token, f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/tam-dung",
                key=key).status_code == 302
    reused = post(proctor, token, f"/giam-thi/bai-thi/{rooms.attempt_id(1)}/tam-dung", key=key)
    assert reused.status_code == 409 and "idempotency_key" in reused.get_data(as_text=True)
    assert attempt(db, rooms.attempt_id(1)).status is AttemptStatus.IN_PROGRESS


@pytest.mark.parametrize("fields, status, named", [
    ({"reason": "  "}, 422, "lý do"),
    ({"idempotency_key": ""}, 422, "idempotency_key"),
    ({"minutes": "mười"}, 422, "minutes"),
    ({"minutes": "0"}, 422, "minutes"),
    ({"minutes": "241"}, 422, "minutes"),
    ({"minutes": ""}, 422, "minutes"),
])
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(app, db, rooms, fields,
                                                                   status, named):
    start(db, rooms.attempt_id(0))
    proctor, token = proctor_client(app)
    data = {"minutes": "5", **fields}
    url = f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/them-gio"
    refused = proctor.post(url, data={"csrf_token": token, "reason": REASON,
                                      "idempotency_key": "k-" + secrets.token_hex(4), **data})
    assert refused.status_code == status
    assert named.lower() in refused.get_data(as_text=True).lower()
    assert actions(db) == []
    assert attempt(db, rooms.attempt_id(0)).extra_seconds == 0


def test_a_json_caller_gets_the_action_and_the_attempts_clock(app, db, rooms):
    start(db, rooms.attempt_id(0))
    proctor, token = proctor_client(app)
    answer = post(proctor, token, f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/tam-dung",
                  as_json=True)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["ok"] is True and body["repeated"] is False
    assert body["action"]["kind"] == "pause" and body["action"]["reason"] == REASON
    [state] = body["attempts"]
    assert state["status"] == "paused" and 29 * 60 < state["seconds_left"] <= 30 * 60
    refused = post(proctor, token, f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/tam-dung",
                   as_json=True, reason="")
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["error"] == "ReasonRequired"


def test_only_the_proctors_of_the_candidates_room_and_staff_may_act(app, db, rooms, make_user):
    start(db, rooms.attempt_id(0))
    url = f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/tam-dung"
    other, other_token = proctor_client(app, "giamthi2")
    assert post(other, other_token, url).status_code == 403
    json_refusal = post(other, other_token, url, as_json=True)
    assert json_refusal.status_code == 403 and json_refusal.get_json()["error"] == "NotInvigilator"
    make_user("giaovien", Role.TEACHER)
    teacher = app.test_client()
    assert post(teacher, login(teacher, "giaovien"), url).status_code == 403
    anonymous = app.test_client()
    token = csrf_token_of(anonymous.get("/thi/dang-nhap").get_data(as_text=True))
    assert post(anonymous, token, url).status_code == 302  # to the login page
    assert actions(db) == []
    make_user("canbo", Role.STAFF)
    staff = app.test_client()
    assert post(staff, login(staff, "canbo"), url).status_code == 302
    assert [a.kind for a in actions(db)] == [ActionKind.PAUSE]


def test_pausing_a_room_pauses_everyone_sitting_there_with_a_room_row_and_a_row_each(
        app, db, rooms):
    start(db, *(rooms.attempt_id(i) for i in range(3)))
    proctor, token = proctor_client(app)
    key = secrets.token_urlsafe(12)
    answer = post(proctor, token, f"/giam-thi/phong/{rooms.first.id}/tam-dung", key=key,
                  next=f"/giam-thi/phong/{rooms.first.id}")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/giam-thi/phong/{rooms.first.id}")
    room_row, *each = actions(db)
    assert room_row.kind is ActionKind.PAUSE_ROOM and room_row.idempotency_key == key
    assert room_row.room_id == rooms.first.id and room_row.candidate_id is None
    assert sorted(room_row.detail["attempt_ids"]) == [rooms.attempt_id(0), rooms.attempt_id(1)]
    assert sorted((a.kind, a.candidate_id, a.detail["room_action_id"], a.reason) for a in each) \
        == sorted((ActionKind.PAUSE, rooms.candidates[i].id, room_row.id, REASON)
                  for i in (0, 1))
    assert [attempt(db, rooms.attempt_id(i)).status for i in range(3)] == [
        AttemptStatus.PAUSED, AttemptStatus.PAUSED, AttemptStatus.IN_PROGRESS]
    # the same click again: nothing more
    assert post(proctor, token, f"/giam-thi/phong/{rooms.first.id}/tam-dung",
                key=key).status_code == 302
    assert len(actions(db)) == 3

    assert post(proctor, token, f"/giam-thi/phong/{rooms.first.id}/tiep-tuc").status_code == 302
    resumed = [a for a in actions(db) if a.kind in (ActionKind.RESUME_ROOM, ActionKind.RESUME)]
    assert sorted(a.kind.value for a in resumed) == ["resume", "resume", "resume_room"]
    assert [attempt(db, rooms.attempt_id(i)).status for i in range(3)] == [
        AttemptStatus.IN_PROGRESS] * 3
    other, other_token = proctor_client(app, "giamthi2")
    assert post(other, other_token, f"/giam-thi/phong/{rooms.first.id}/tam-dung"
                ).status_code == 403
    assert post(proctor, token, "/giam-thi/phong/999/tam-dung").status_code == 404


def test_force_submit_closes_a_paused_attempt_with_its_audit_row(app, db, rooms):
    start(db, rooms.attempt_id(0))
    proctor, token = proctor_client(app)
    post(proctor, token, f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/tam-dung")
    submitted = post(proctor, token, f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/thu-bai",
                     reason="Thí sinh sử dụng tài liệu")
    assert submitted.status_code == 302
    assert actions(db)[-1].kind is ActionKind.FORCE_SUBMIT
    assert actions(db)[-1].detail["status_before"] == "paused"
    closed = attempt(db, rooms.attempt_id(0))
    assert closed.status is AttemptStatus.SUBMITTED and closed.paused_at is None
    assert current_result(db, closed.id) is not None
    not_started = post(proctor, token, f"/giam-thi/bai-thi/{rooms.attempt_id(1)}/thu-bai")
    assert not_started.status_code == 409
    assert [a.kind for a in actions(db)].count(ActionKind.FORCE_SUBMIT) == 1


def test_moving_a_candidate_to_a_free_seat_stops_the_old_computer(app, client, db, rooms):
    token_candidate = candidate_login(client, rooms.session.session_code, "BN0001", start=True)
    question = client.get("/thi/api/paper").get_json()["questions"][0]
    proctor, token = proctor_client(app)
    moved = post(proctor, token, f"/giam-thi/thi-sinh/{rooms.candidates[0].id}/chuyen-cho",
                 seat=" b03 ", reason="Máy A1 hỏng")
    assert moved.status_code == 302
    [row] = actions(db)
    assert row.kind is ActionKind.MOVE and row.reason == "Máy A1 hỏng"
    assert row.detail == {"attempt_id": rooms.attempt_id(0), "from_room_id": rooms.first.id,
                          "from_seat": "A1", "to_room_id": rooms.first.id, "to_seat": "B3",
                          "ended_logins": 1}
    seat = db.get(SeatAssignment, rooms.candidates[0].id)
    assert (seat.room_id, seat.seat) == (rooms.first.id, "B3")
    ended = db.scalars(select(LoginSession.ended_reason)
                       .where(LoginSession.attempt_id == rooms.attempt_id(0))).all()
    assert ended == [ENDED_MOVED]
    save = client.post("/thi/api/answers", headers={"X-CSRFToken": token_candidate}, json={
        "position": question["position"], "seq": 1, "response": [question["option_ids"][0]]})
    assert save.status_code == 409 and save.get_json()["error"] == "MovedAway"


def test_the_old_computers_pages_say_it_was_moved(app, client, db, rooms):
    candidate_login(client, rooms.session.session_code, "BN0001", start=True)
    proctor, token = proctor_client(app)
    post(proctor, token, f"/giam-thi/thi-sinh/{rooms.candidates[0].id}/chuyen-cho", seat="B3")
    page = client.get("/thi/")
    assert page.status_code == 409
    assert "Bạn đã được cán bộ coi thi chuyển sang máy khác" in page.get_data(as_text=True)
    # told once; from then on it is an anonymous browser like any other
    assert client.get("/thi/").status_code == 302


def test_the_old_computers_paper_request_gets_problem_details(app, client, db, rooms):
    candidate_login(client, rooms.session.session_code, "BN0001", start=True)
    proctor, token = proctor_client(app)
    post(proctor, token, f"/giam-thi/thi-sinh/{rooms.candidates[0].id}/chuyen-cho", seat="B3")
    paper = client.get("/thi/api/paper")
    assert paper.status_code == 409 and paper.get_json()["error"] == "MovedAway"


@pytest.mark.parametrize("fields, status, said", [
    ({"seat": "A2"}, 409, "đã có thí sinh khác"),
    ({"seat": "A1"}, 409, "đang ngồi ở chỗ A1"),
    ({"seat": "D1"}, 422, "seat"),
    ({"seat": "A4"}, 422, "seat"),
    ({"seat": "chỗ nào"}, 422, "seat"),
    ({"seat": ""}, 422, "seat"),
    ({"seat": "B1", "room_id": "abc"}, 422, "room_id"),
    ({"seat": "B1", "room_id": "999"}, 422, "room_id"),
])
def test_a_move_to_a_taken_or_unknown_seat_is_refused(app, db, rooms, fields, status, said):
    proctor, token = proctor_client(app)
    refused = post(proctor, token, f"/giam-thi/thi-sinh/{rooms.candidates[0].id}/chuyen-cho",
                   **fields)
    assert refused.status_code == status
    assert said.lower() in refused.get_data(as_text=True).lower()
    assert actions(db) == []
    assert db.get(SeatAssignment, rooms.candidates[0].id).seat == "A1"


def test_a_move_to_another_room_needs_the_right_to_act_on_both(app, db, rooms, make_user):
    url = f"/giam-thi/thi-sinh/{rooms.candidates[0].id}/chuyen-cho"
    proctor, token = proctor_client(app)
    assert post(proctor, token, url, seat="B2", room_id=str(rooms.second.id)).status_code == 403
    make_user("canbo", Role.STAFF)
    staff = app.test_client()
    assert post(staff, login(staff, "canbo"), url, seat="B2",
                room_id=str(rooms.second.id)).status_code == 302
    db.rollback()
    db.expire_all()
    seat = db.get(SeatAssignment, rooms.candidates[0].id)
    assert (seat.room_id, seat.seat) == (rooms.second.id, "B2")
    assert actions(db)[-1].room_id == rooms.second.id


def test_the_next_path_is_followed_only_on_this_site(app, db, rooms):
    start(db, rooms.attempt_id(0))
    proctor, token = proctor_client(app)
    url = f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/them-gio"
    away = post(proctor, token, url, minutes="1", next="https://evil.example/")
    assert away.headers["Location"].endswith(f"/giam-thi/thi-sinh/{rooms.candidates[0].id}"
                                             "/thao-tac")
    back = post(proctor, token, url, minutes="1", next="/giam-thi/?ghe=A1")
    assert back.headers["Location"].endswith("/giam-thi/?ghe=A1")


def test_the_candidates_desk_shows_his_clock_every_action_and_his_log(app, db, rooms):
    start(db, rooms.attempt_id(0))
    proctor, token = proctor_client(app)
    desk_url = f"/giam-thi/thi-sinh/{rooms.candidates[0].id}/thao-tac"
    page = proctor.get(desk_url).get_data(as_text=True)
    for form in ('id="pause"', 'id="extra-time"', 'id="move"', 'id="force-submit"',
                 'id="pause-room"', 'id="resume-room"', 'name="idempotency_key"'):
        assert form in page
    assert 'id="resume"' not in page and "P.102" in page  # the room he may be moved to
    post(proctor, token, f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/tam-dung")
    page = proctor.get(desk_url).get_data(as_text=True)
    assert 'id="resume"' in page and 'id="pause"' not in page
    assert "Đang tạm dừng" in page and REASON in page and 'data-kind="pause"' in page
    other, _ = proctor_client(app, "giamthi2")
    assert other.get(desk_url).status_code == 403
    assert proctor.get("/giam-thi/thi-sinh/999/thao-tac").status_code == 404


# ---- simultaneous requests (two clicks, twenty requests) --------------------------------------

def _proctors(app, n: int) -> list:
    return [proctor_client(app) for _ in range(n)]


def test_two_proctors_pausing_at_once_pause_the_clock_once(app, db, rooms):
    start(db, rooms.attempt_id(0))
    url = f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/tam-dung"
    answers = race(_proctors(app, 2), lambda c, _i: post(c[0], c[1], url))
    assert [getattr(a, "status_code", a) for a in answers] == [302, 302]
    rows = actions(db)
    assert sorted(r.detail["status_before"] for r in rows) == ["in_progress", "paused"]
    transitions = db.scalars(select(AttemptEvent).where(
        AttemptEvent.attempt_id == rooms.attempt_id(0), AttemptEvent.to_status == "paused"))
    assert len(list(transitions)) == 1
    assert attempt(db, rooms.attempt_id(0)).status is AttemptStatus.PAUSED


def test_one_extra_time_form_sent_eight_times_at_once_adds_its_minutes_once(app, db, rooms):
    start(db, rooms.attempt_id(0))
    before = attempt(db, rooms.attempt_id(0)).deadline
    url = f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/them-gio"
    key = secrets.token_urlsafe(12)
    answers = race(_proctors(app, 8),
                    lambda c, _i: post(c[0], c[1], url, key=key, minutes="10", as_json=True))
    assert [getattr(a, "status_code", a) for a in answers] == [200] * 8
    assert sorted(a.get_json()["repeated"] for a in answers) == [False] + [True] * 7
    assert len(actions(db, ActionKind.EXTRA_TIME)) == 1
    after = attempt(db, rooms.attempt_id(0))
    assert after.extra_seconds == 600 and after.deadline - before == timedelta(minutes=10)


def test_two_different_grants_at_once_both_count(app, db, rooms):
    start(db, rooms.attempt_id(0))
    url = f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/them-gio"
    answers = race(_proctors(app, 2), lambda c, i: post(c[0], c[1], url, minutes=str(5 + i)))
    assert [getattr(a, "status_code", a) for a in answers] == [302, 302]
    assert attempt(db, rooms.attempt_id(0)).extra_seconds == 11 * 60
    assert len(actions(db, ActionKind.EXTRA_TIME)) == 2


# ---- hostile input (issue 10, hole 7: validated at the edge) ---------------------------------

def test_hostile_values_in_any_field_of_any_action_are_never_a_server_error(app, db, rooms):
    from tests.web.test_fuzz_forms import HOSTILE
    start(db, rooms.attempt_id(0), rooms.attempt_id(1))
    proctor, token = proctor_client(app)
    candidate_id = rooms.candidates[1].id
    forms = {
        f"/giam-thi/bai-thi/{rooms.attempt_id(1)}/tam-dung": {},
        f"/giam-thi/bai-thi/{rooms.attempt_id(1)}/tiep-tuc": {},
        f"/giam-thi/bai-thi/{rooms.attempt_id(1)}/them-gio": {"minutes": "5"},
        f"/giam-thi/phong/{rooms.first.id}/tam-dung": {},
        f"/giam-thi/phong/{rooms.first.id}/tiep-tuc": {},
        f"/giam-thi/thi-sinh/{candidate_id}/chuyen-cho": {"seat": "B1", "room_id": ""},
        f"/giam-thi/thi-sinh/{candidate_id}/ho-tro": {
            "extra_minutes": "5", "time_multiplier": "1,5", "large_text": "1", "note": ""},
        f"/giam-thi/bai-thi/{rooms.attempt_id(0)}/thu-bai": {},
    }
    crashes = []
    for url, fields in forms.items():
        base = {"reason": REASON, "next": "/giam-thi/", **fields}
        for name in [*base, "idempotency_key"]:
            for value in HOSTILE:
                data = {**base, "idempotency_key": secrets.token_urlsafe(12), name: value}
                for answer in (proctor.post(url, data={"csrf_token": token, **data}),
                               proctor.post(url, json=data, headers={"X-CSRFToken": token})):
                    if answer.status_code >= 500:
                        crashes.append((url, name, value[:30], answer.status_code))
    for url in forms:
        for body in ([1, 2], "chuỗi", None, {"reason": {"x": 1}, "idempotency_key": ["k"]}):
            answer = proctor.post(url, json=body, headers={"X-CSRFToken": token})
            if answer.status_code >= 500:
                crashes.append((url, "body", repr(body), answer.status_code))
    assert crashes == []
