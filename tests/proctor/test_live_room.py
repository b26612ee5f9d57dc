"""The proctor's live room and the session's rooms overview (issue 11): each candidate's state
built from real rows, a fixed number of queries whatever the room's size, who may watch which
room, and the JSON the page polls — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from exam_engine.exams.models import Answer, Attempt
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from proctor.audit import record_action
from proctor.live_room import CONTACT_TIMEOUT, STATES, room_snapshot, session_overview
from proctor.models import (
    Accommodation,
    ActionKind,
    Admission,
    AdmissionRequest,
    AttemptPresence,
    ExamEvent,
    ExamRoom,
    RoomProctor,
    SeatAssignment,
)
from tests.conftest import login


def _room(db, session, name="P.101", rows=3, columns=4, spares=("C4",)) -> ExamRoom:
    room = ExamRoom(exam_session_id=session.id, name=name, rows=rows, columns=columns,
                    spare_seats=list(spares))
    db.add(room)
    db.flush()
    return room


def _seat(db, room, candidates, seats=None) -> None:
    labels = seats or [f"{chr(65 + i // room.columns)}{i % room.columns + 1}"
                       for i in range(len(candidates))]
    for candidate, seat in zip(candidates, labels, strict=True):
        db.add(SeatAssignment(candidate_id=candidate.id, room_id=room.id, seat=seat))
    db.flush()


def _start(attempt: Attempt, at, minutes=30) -> None:
    attempt.status = AttemptStatus.IN_PROGRESS
    attempt.started_at = at
    attempt.deadline = at + timedelta(minutes=minutes)


@pytest.fixture
def seated(db, make_session):
    """A session of 8 candidates, all seated in one 3 × 4 room (C4 spare), nobody started."""
    session = make_session(n_candidates=8)
    room = _room(db, session)
    _seat(db, room, session.candidates)
    db.commit()
    return session, room, {c.candidate_number: c for c in session.candidates}


def _by_number(snapshot) -> dict:
    return {c["number"]: c for c in snapshot["candidates"]}


# ---- states ------------------------------------------------------------------------------------

def test_each_candidate_is_shown_in_the_state_his_rows_say(db, seated):
    session, room, people = seated
    now = utcnow()
    # BN0002 waits for admission; BN0003 was admitted but has not started
    waiting = AdmissionRequest(attempt_id=people["BN0002"].attempt.id, requested_at=now,
                               remote_addr="10.0.0.2")
    admitted = AdmissionRequest(attempt_id=people["BN0003"].attempt.id, requested_at=now)
    db.add_all([waiting, admitted])
    db.flush()
    db.add(Admission(request_id=admitted.id, admitted_by=_staff_id(db), admitted_at=now))
    # BN0004 sits (fresh contact), BN0005 went silent, BN0006 started long ago and never called
    _start(people["BN0004"].attempt, now - timedelta(minutes=5))
    db.add(AttemptPresence(attempt_id=people["BN0004"].attempt.id,
                           last_seen_at=now - timedelta(seconds=10), remote_addr="10.0.0.4",
                           user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/126"))
    _start(people["BN0005"].attempt, now - timedelta(minutes=5))
    db.add(AttemptPresence(attempt_id=people["BN0005"].attempt.id,
                           last_seen_at=now - CONTACT_TIMEOUT - timedelta(seconds=1)))
    _start(people["BN0006"].attempt, now - timedelta(seconds=45))
    # BN0007 paused, BN0008 submitted
    paused = people["BN0007"].attempt
    _start(paused, now - timedelta(minutes=10))
    paused.status, paused.paused_at = AttemptStatus.PAUSED, now - timedelta(minutes=4)
    submitted = people["BN0008"].attempt
    _start(submitted, now - timedelta(minutes=20))
    submitted.status, submitted.submitted_at = AttemptStatus.SUBMITTED, now - timedelta(minutes=1)
    db.commit()

    snap = _by_number(room_snapshot(db, room.id, now))
    assert {n: c["state"] for n, c in snap.items()} == {
        "BN0001": "not_arrived", "BN0002": "waiting", "BN0003": "not_arrived",
        "BN0004": "sitting", "BN0005": "disconnected", "BN0006": "disconnected",
        "BN0007": "paused", "BN0008": "submitted"}
    assert snap["BN0002"]["waiting"]["request_id"] == waiting.id
    assert snap["BN0002"]["waiting"]["ip"] == "10.0.0.2"
    assert snap["BN0003"]["waiting"] is None and snap["BN0003"]["admitted_at"] is not None
    assert snap["BN0004"]["ip"] == "10.0.0.4" and "Chrome" in snap["BN0004"]["device"]
    assert snap["BN0004"]["seconds_since_contact"] == 10
    assert snap["BN0006"]["last_contact_at"] is None
    # a paused clock stands still: 30 min from a start 10 min ago, stopped 4 min ago
    assert snap["BN0007"]["seconds_left"] == pytest.approx(24 * 60, abs=1)
    assert snap["BN0004"]["seconds_left"] == pytest.approx(25 * 60, abs=1)
    assert snap["BN0008"]["seconds_left"] is None
    assert snap["BN0001"]["seconds_left"] == 30 * 60  # not started: the whole duration


def _staff_id(db) -> int:
    from exam_engine.kernel.accounts import create_user
    return create_user(db, "giamthi_x", "mật-khẩu-123", "Phạm Văn Giám", Role.PROCTOR).id


def test_a_candidate_marked_absent_is_absent_and_a_fresh_start_is_sitting_before_any_contact(
        db, seated):
    session, room, people = seated
    now = utcnow()
    people["BN0001"].attempt.status = AttemptStatus.ABSENT
    _start(people["BN0002"].attempt, now - CONTACT_TIMEOUT + timedelta(seconds=5))
    db.commit()
    snap = _by_number(room_snapshot(db, room.id, now))
    assert snap["BN0001"]["state"] == "absent"
    assert snap["BN0002"]["state"] == "sitting"


def test_an_acknowledged_answer_save_counts_as_contact(db, seated):
    session, room, people = seated
    now = utcnow()
    attempt = people["BN0001"].attempt
    _start(attempt, now - timedelta(minutes=5))
    db.add(AttemptPresence(attempt_id=attempt.id, last_seen_at=now - timedelta(minutes=2)))
    db.add(Answer(attempt_id=attempt.id, position=0, selected=["a"], seq=1,
                  saved_at=now - timedelta(seconds=3)))
    db.commit()
    snap = _by_number(room_snapshot(db, room.id, now))["BN0001"]
    assert snap["state"] == "sitting"
    assert snap["seconds_since_contact"] == 3


def test_only_the_latest_login_request_decides_whether_a_candidate_waits(db, seated):
    """An older unanswered login is one the candidate left; his newest is what waits — and a
    second login while he sits is a move the proctor must decide (waiting)."""
    session, room, people = seated
    now = utcnow()
    proctor_id = _staff_id(db)
    first = AdmissionRequest(attempt_id=people["BN0001"].attempt.id,
                             requested_at=now - timedelta(minutes=3))
    second = AdmissionRequest(attempt_id=people["BN0001"].attempt.id,
                              requested_at=now - timedelta(minutes=2))
    db.add_all([first, second])
    db.flush()
    db.add(Admission(request_id=second.id, admitted_by=proctor_id, admitted_at=now))
    sitting = people["BN0002"].attempt
    _start(sitting, now - timedelta(minutes=5))
    db.add(AttemptPresence(attempt_id=sitting.id, last_seen_at=now))
    db.add(AdmissionRequest(attempt_id=sitting.id, requested_at=now, reason="second_login"))
    db.commit()
    snap = _by_number(room_snapshot(db, room.id, now))
    assert snap["BN0001"]["state"] == "not_arrived"
    assert snap["BN0002"]["state"] == "waiting"
    assert snap["BN0002"]["waiting"]["reason"] == "second_login"


def test_questions_answered_count_non_blank_answers_out_of_the_form(db, seated):
    session, room, people = seated
    now = utcnow()
    attempt = people["BN0001"].attempt
    _start(attempt, now)
    for position, selected in enumerate([["a"], [], "", {"gaps": {"g1": "x"}}, None, 3.5, {}]):
        db.add(Answer(attempt_id=attempt.id, position=position, selected=selected, seq=1,
                      saved_at=now))
    db.commit()
    snap = _by_number(room_snapshot(db, room.id, now))
    assert snap["BN0001"]["answered"] == 3  # ["a"], the cloze, 3.5
    assert snap["BN0001"]["total"] == 12 == len(attempt.items)
    assert snap["BN0002"]["answered"] == 0 and snap["BN0002"]["total"] == 12


def test_the_latest_flagged_events_show_newest_first_and_unflagged_kinds_do_not(db, seated):
    session, room, people = seated
    now = utcnow()
    attempt = people["BN0003"].attempt
    _start(attempt, now - timedelta(minutes=5))
    kinds = ["tab_hidden", "heartbeat", "blur", "paste", "focus", "copy", "reload",
             "context_menu", "tab_visible"]
    for i, kind in enumerate(kinds):
        db.add(ExamEvent(attempt_id=attempt.id, client_seq=i + 1, kind=kind,
                         server_at=now - timedelta(seconds=60 - i), detail={"i": i}))
    db.add(ExamEvent(attempt_id=attempt.id, kind="ip_change", server_at=now,
                     detail={"x": "y" * 1000}))  # a long detail is not shown
    db.commit()
    snapshot = room_snapshot(db, room.id, now)
    mine = _by_number(snapshot)["BN0003"]
    assert mine["flagged_count"] == 7  # tab_hidden blur paste copy reload context_menu ip_change
    assert [e["kind"] for e in mine["events"]] == [
        "ip_change", "context_menu", "reload", "copy", "paste"]
    assert mine["events"][0]["detail"] is None and mine["events"][1]["detail"] == {"i": 7}
    assert [e["kind"] for e in snapshot["events"]][:2] == ["ip_change", "context_menu"]
    assert snapshot["events"][0]["seat"] == "A3" and snapshot["events"][0]["number"] == "BN0003"
    assert _by_number(snapshot)["BN0001"]["events"] == []


def test_the_seat_map_has_every_seat_with_spares_marked_and_who_sits_there(db, seated):
    session, room, people = seated
    db.add(Accommodation(candidate_id=people["BN0001"].id, extra_minutes=15, large_text=True))
    moved, outside = people["BN0008"], people["BN0007"]
    db.execute(SeatAssignment.__table__.update()
               .where(SeatAssignment.candidate_id == moved.id).values(seat="C4"))
    db.execute(SeatAssignment.__table__.update()  # seated before the map lost its row D
               .where(SeatAssignment.candidate_id == outside.id).values(seat="D1"))
    db.commit()
    snapshot = room_snapshot(db, room.id, utcnow())
    assert [[s["seat"] for s in line] for line in snapshot["seats"]] == [
        ["A1", "A2", "A3", "A4"], ["B1", "B2", "B3", "B4"], ["C1", "C2", "C3", "C4"]]
    flat = {s["seat"]: s for line in snapshot["seats"] for s in line}
    assert flat["C4"]["spare"] and not flat["A1"]["spare"]
    assert flat["A1"]["candidate_id"] == people["BN0001"].id
    assert flat["B4"]["candidate_id"] is None  # BN0008 left it for the spare
    assert flat["C4"]["candidate_id"] == moved.id
    assert flat["B3"]["candidate_id"] is None
    assert snapshot["off_grid"] == [outside.id]  # never left out of the view
    assert _by_number(snapshot)["BN0001"]["accommodation"] == {
        "extra_minutes": 15, "time_multiplier": 1.0, "large_text": True, "note": None}
    assert snapshot["counts"] == {state: 8 if state == "not_arrived" else 0 for state in STATES}


def test_the_rooms_history_is_newest_first_with_reasons_and_who_acted(db, seated, make_user):
    session, room, people = seated
    proctor = make_user("giamthi", Role.PROCTOR)
    now = utcnow()
    record_action(db, session_id=session.id, kind=ActionKind.OPEN_ROOM, actor_id=proctor.id,
                  at=now - timedelta(minutes=2), reason="Đủ hai giám thị", room_id=room.id)
    record_action(db, session_id=session.id, kind=ActionKind.PAUSE, actor_id=proctor.id,
                  at=now - timedelta(minutes=1), reason="Máy treo", room_id=room.id,
                  candidate_id=people["BN0002"].id)
    room.opened_at, room.opened_by = now - timedelta(minutes=2), proctor.id
    db.commit()
    snapshot = room_snapshot(db, room.id, now)
    assert [(h["kind"], h["reason"], h["number"], h["actor"]) for h in snapshot["history"]] == [
        ("pause", "Máy treo", "BN0002", "Trần Thị Minh Thư"),
        ("open_room", "Đủ hai giám thị", None, "Trần Thị Minh Thư")]
    assert snapshot["room"]["state"] == "open"
    assert snapshot["room"]["opened_by"] == "Trần Thị Minh Thư"


def test_a_snapshot_costs_the_same_few_queries_for_a_room_of_two_or_of_thirty(
        db, make_session):
    """Polled every 2 s by two proctors in hundreds of rooms: no query per candidate."""
    now = utcnow()
    rooms = []
    for size, name in ((2, "Nhỏ"), (30, "Lớn")):
        session = make_session(n_candidates=size)
        room = _room(db, session, name=name, rows=5, columns=6, spares=())
        _seat(db, room, session.candidates)
        for i, candidate in enumerate(session.candidates):
            attempt = candidate.attempt
            if i % 3:
                _start(attempt, now - timedelta(minutes=3))
                db.add(AttemptPresence(attempt_id=attempt.id, last_seen_at=now))
                db.add(Answer(attempt_id=attempt.id, position=0, selected=["a"], seq=1,
                              saved_at=now))
                db.add(ExamEvent(attempt_id=attempt.id, client_seq=1, kind="blur",
                                 server_at=now))
            else:
                db.add(AdmissionRequest(attempt_id=attempt.id, requested_at=now))
            db.add(Accommodation(candidate_id=candidate.id, extra_minutes=5))
            record_action(db, session_id=session.id, kind=ActionKind.ASSIGN_SEAT, actor_id=None,
                          at=now, room_id=room.id, candidate_id=candidate.id)
        rooms.append(room.id)
    db.commit()

    small, large = (_statements_of(db, room_id, now) for room_id in rooms)
    assert (len(small[1]["candidates"]), len(large[1]["candidates"])) == (2, 30)
    assert small[0] == large[0] <= 12, (small[0], large[0])


def _statements_of(db, room_id: int, now) -> tuple[int, dict]:
    """How many statements one snapshot sends (in a fresh session: no object cached)."""
    statements: list[str] = []

    def listener(conn, cursor, statement, *rest) -> None:
        statements.append(statement)

    with Session(db.get_bind()) as fresh:
        event.listen(fresh.get_bind(), "before_cursor_execute", listener)
        try:
            snapshot = room_snapshot(fresh, room_id, now)
        finally:
            event.remove(fresh.get_bind(), "before_cursor_execute", listener)
    return len(statements), snapshot


def test_an_unknown_room_is_not_found(db):
    from exam_engine.exams.errors import NotFound
    with pytest.raises(NotFound):
        room_snapshot(db, 999, utcnow())


# ---- the session's overview -------------------------------------------------------------------

def test_the_overview_counts_each_room_names_its_proctors_and_lists_who_has_no_seat(
        db, make_session, make_user):
    session = make_session(n_candidates=6)
    people = session.candidates
    one, two = _room(db, session, name="P.101"), _room(db, session, name="P.102")
    _seat(db, one, people[:3])
    _seat(db, two, people[3:5])
    proctor = make_user("giamthi", Role.PROCTOR)
    db.add(RoomProctor(room_id=one.id, user_id=proctor.id))
    now = utcnow()
    _start(people[0].attempt, now)
    _start(people[3].attempt, now - timedelta(minutes=3))  # silent since: disconnected
    people[4].attempt.status = AttemptStatus.SUBMITTED
    db.commit()
    data = session_overview(db, session.id, now)
    by_name = {r["name"]: r for r in data["rooms"]}
    assert by_name["P.101"]["counts"]["sitting"] == 1
    assert by_name["P.101"]["counts"]["not_arrived"] == 2
    assert by_name["P.102"]["counts"]["disconnected"] == 1
    assert by_name["P.102"]["counts"]["submitted"] == 1
    assert by_name["P.101"]["proctors"] == [{"id": proctor.id, "name": proctor.full_name}]
    assert by_name["P.102"]["proctors"] == []
    assert by_name["P.101"]["seats"] == 12 and by_name["P.101"]["candidates"] == 3
    assert [u["number"] for u in data["unseated"]] == ["BN0006"]
    assert sum(data["counts"].values()) == 6


# ---- the pages: who may watch, and what they get ------------------------------------------------

@pytest.fixture
def two_rooms(db, make_session, make_user):
    """Two rooms with a proctor each, and a staff member."""
    session = make_session(n_candidates=4)
    mine, other = _room(db, session, name="P.101"), _room(db, session, name="P.102")
    _seat(db, mine, session.candidates[:2])
    _seat(db, other, session.candidates[2:])
    users = {name: make_user(name, role) for name, role in (
        ("canbo", Role.STAFF), ("giamthi1", Role.PROCTOR), ("giamthi2", Role.PROCTOR),
        ("giaovien", Role.TEACHER))}
    db.add_all([RoomProctor(room_id=mine.id, user_id=users["giamthi1"].id),
                RoomProctor(room_id=other.id, user_id=users["giamthi2"].id)])
    db.commit()
    return session, mine, other


def test_a_proctor_watches_his_room_and_gets_403_for_another(app, two_rooms):
    session, mine, other = two_rooms
    client = app.test_client()
    login(client, "giamthi1")
    assert client.get(f"/giam-thi/phong/{mine.id}").status_code == 200
    assert client.get(f"/giam-thi/phong/{mine.id}/trang-thai").status_code == 200
    assert client.get(f"/giam-thi/phong/{other.id}").status_code == 403
    refused = client.get(f"/giam-thi/phong/{other.id}/trang-thai",
                         headers={"Accept": "application/json"})
    assert refused.status_code == 403 and refused.is_json


def test_staff_watch_every_room_and_others_are_refused(app, two_rooms):
    session, mine, other = two_rooms
    staff = app.test_client()
    login(staff, "canbo")
    for room in (mine, other):
        assert staff.get(f"/giam-thi/phong/{room.id}").status_code == 200
        assert staff.get(f"/giam-thi/phong/{room.id}/trang-thai").status_code == 200
    assert staff.get("/giam-thi/phong/999").status_code == 404
    teacher = app.test_client()
    login(teacher, "giaovien")
    assert teacher.get(f"/giam-thi/phong/{mine.id}").status_code == 403
    assert teacher.get(f"/giam-thi/phong/{mine.id}/trang-thai").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(f"/giam-thi/phong/{mine.id}").status_code == 302  # to the login
    assert anonymous.get(f"/giam-thi/phong/{mine.id}/trang-thai").status_code == 401


def test_the_polled_json_is_the_snapshot_with_urls_and_is_never_stored(app, db, two_rooms):
    session, mine, other = two_rooms
    request = AdmissionRequest(attempt_id=session.candidates[1].attempt.id,
                               requested_at=utcnow())
    db.add(request)
    db.commit()
    client = app.test_client()
    login(client, "giamthi1")
    response = client.get(f"/giam-thi/phong/{mine.id}/trang-thai")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert set(data) >= {"now", "room", "session", "seats", "off_grid", "candidates", "counts",
                         "events", "proctors", "history", "session_rooms"}
    assert data["room"]["name"] == "P.101" and data["room"]["state"] == "not_open"
    assert data["proctors"] == [{"id": data["proctors"][0]["id"],
                                 "name": "Trần Thị Minh Thư"}]
    first, second = data["candidates"]
    assert set(first) >= {"id", "attempt_id", "seat", "number", "name", "state", "answered",
                          "total", "seconds_left", "last_contact_at", "ip", "device",
                          "accommodation", "events", "flagged_count", "photo_url", "waiting"}
    assert (first["number"], first["seat"], first["state"]) == ("BN0001", "A1", "not_arrived")
    assert first["photo_url"] is None  # no photo uploaded
    assert second["state"] == "waiting"
    assert second["admit_url"] == f"/giam-thi/cho-vao/{request.id}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["now"])
    assert data["counts"]["waiting"] == 1 and data["counts"]["not_arrived"] == 1


def test_the_room_page_shows_states_in_words_and_a_seats_panel_with_its_action_forms(
        app, db, two_rooms):
    session, mine, other = two_rooms
    attempt = session.candidates[0].attempt
    _start(attempt, utcnow())
    db.commit()
    client = app.test_client()
    login(client, "giamthi1")
    page = client.get(f"/giam-thi/phong/{mine.id}?ghe=a1").get_data(as_text=True)
    assert "Đang làm bài" in page and "Chưa đến" in page  # states in words, not colour alone
    assert 'data-count="sitting">1<' in page
    panel = re.search(rf'<section class="panel" id="panel-{session.candidates[0].id}"[^>]*>',
                      page).group(0)
    assert " hidden" not in panel  # ?ghe=A1 opens that seat's panel without script
    other_panel = re.search(rf'<section class="panel" id="panel-{session.candidates[1].id}"'
                            r'[^>]*>', page).group(0)
    assert " hidden" in other_panel
    # every state-changing form carries a reason, a one-time key and the way back here
    live = page[page.index('id="live-room"'):]
    forms = re.findall(r'<form method="post"[^>]*>.*?</form>', live, flags=re.S)
    assert forms
    for form in forms:
        assert 'name="reason"' in form and 'name="idempotency_key"' in form
        assert f'name="next" value="/giam-thi/phong/{mine.id}' in form
    assert f'/giam-thi/bai-thi/{attempt.id}/tam-dung' in page
    assert "<details" in page and "Xác nhận thu bài" in page  # force-submit asks to confirm


def test_a_second_login_is_offered_as_a_move_and_an_arrival_as_an_admission(app, db, two_rooms):
    session, mine, other = two_rooms
    first, second = session.candidates[:2]
    arrival = AdmissionRequest(attempt_id=first.attempt.id, requested_at=utcnow())
    _start(second.attempt, utcnow())
    again = AdmissionRequest(attempt_id=second.attempt.id, requested_at=utcnow(),
                             reason="second_login")
    db.add_all([arrival, again])
    db.commit()
    client = app.test_client()
    login(client, "giamthi1")
    page = client.get(f"/giam-thi/phong/{mine.id}").get_data(as_text=True)

    def admit_form(request_id: int, kind: str) -> str:
        return re.search(rf'<form method="post" action="/giam-thi/cho-vao/{request_id}"[^>]*'
                         rf'data-waiting-reason="{kind}"[^>]*>', page).group(0)

    assert " hidden" not in admit_form(arrival.id, "admission")
    assert " hidden" in admit_form(arrival.id, "second_login")
    assert " hidden" not in admit_form(again.id, "second_login")
    assert " hidden" in admit_form(again.id, "admission")
    assert "Chuyển sang máy mới" in page


def test_the_overview_shows_staff_every_room_and_a_proctor_only_his(app, db, two_rooms):
    session, mine, other = two_rooms
    staff = app.test_client()
    login(staff, "canbo")
    page = staff.get(f"/giam-thi/ca-thi/{session.id}/phong")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers.get("Refresh") == "10"
    assert "P.101" in text and "P.102" in text and 'id="session-totals"' in text
    proctor = app.test_client()
    login(proctor, "giamthi1")
    text = proctor.get(f"/giam-thi/ca-thi/{session.id}/phong").get_data(as_text=True)
    assert "P.101" in text and "P.102" not in text and 'id="session-totals"' not in text
    assert proctor.get("/giam-thi/ca-thi/999/phong").status_code == 404


def test_the_proctors_session_list_links_to_the_rooms_overview(app, two_rooms):
    session, mine, other = two_rooms
    client = app.test_client()
    login(client, "giamthi1")
    assert f"/giam-thi/ca-thi/{session.id}/phong" in client.get("/giam-thi/").get_data(
        as_text=True)


def test_the_live_pages_are_in_english_when_asked(app, two_rooms):
    session, mine, other = two_rooms
    client = app.test_client()
    login(client, "canbo")
    page = client.get(f"/giam-thi/phong/{mine.id}?lang=en").get_data(as_text=True)
    assert "Not arrived" in page and "Seat map" in page and "Chưa đến" not in page
    overview = client.get(f"/giam-thi/ca-thi/{session.id}/phong").get_data(as_text=True)
    assert "Rooms of the session" in overview
