"""The room on the exam day (issue 11): opening and closing it, the late-arrival window, the
start gate and attendance, through the services and the routes the live room posts to, on
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from exam_engine.exams import delivery
from exam_engine.exams.errors import SessionNotOpen
from exam_engine.exams.models import Attempt, AttemptEvent
from exam_engine.exams.sitting import close_sitting
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import make_session_factory, transaction, utcnow
from proctor import room_setup
from proctor.models import ActionKind, ExamRoom, ProctorAction
from proctor.rooms import (
    Mark,
    NoSeat,
    NotYourRoom,
    RoomClosed,
    RoomConflict,
    RoomNotOpen,
    TooLate,
    allow_late,
    attendance,
    attendance_counts,
    close_room,
    ensure_may_start,
    open_room,
)
from tests.conftest import login


@pytest.fixture
def day(db, make_session, make_user):
    """A scheduled session of 4 in two rooms: BN0001-BN0002 in P1 (proctor gt1), BN0003 in P2
    (proctor gt2), BN0004 without a seat."""
    staff = make_user("canbo", Role.STAFF)
    ours, theirs = make_user("gt1", Role.PROCTOR), make_user("gt2", Role.PROCTOR)
    session = make_session(n_candidates=4)
    one = room_setup.create_room(db, session.id, name="P1", rows=1, columns=3)
    two = room_setup.create_room(db, session.id, name="P2", rows=1, columns=3)
    room_setup.set_room_proctors(db, one.id, [ours.id], actor_id=staff.id, now=utcnow())
    room_setup.set_room_proctors(db, two.id, [theirs.id], actor_id=staff.id, now=utcnow())
    c = session.candidates
    for candidate, room, seat in ((c[0], one, "A1"), (c[1], one, "A2"), (c[2], two, "A1")):
        room_setup.assign_seat(db, candidate.id, room.id, seat, actor_id=staff.id, now=utcnow())
    db.commit()
    return {"session": session, "staff": staff, "ours": ours, "theirs": theirs, "one": one,
            "two": two, "candidates": c}


def _attempt(candidate) -> Attempt:
    assert candidate.attempt is not None
    return candidate.attempt


def _start(db, candidate, now):
    """What the candidate's Start does once the lead wires the gate in: gate, then start."""
    attempt = delivery.get_attempt(db, _attempt(candidate).id, lock=True)
    ensure_may_start(db, attempt, now)
    return delivery.start_attempt(db, attempt.id, now)


def _kinds(db, kind: ActionKind) -> list[ProctorAction]:
    return list(db.scalars(select(ProctorAction).where(ProctorAction.kind == kind)
                           .order_by(ProctorAction.id)))


# ---- the gate ---------------------------------------------------------------------------------

def test_a_session_without_rooms_starts_as_before(db, make_session):
    session = make_session(n_candidates=1)
    attempt = _attempt(session.candidates[0])
    ensure_may_start(db, attempt, utcnow())  # no refusal
    assert _start(db, session.candidates[0], utcnow()).status is AttemptStatus.IN_PROGRESS


def test_a_candidate_without_a_seat_may_not_start_once_the_session_has_rooms(db, day):
    with pytest.raises(NoSeat) as refused:
        ensure_may_start(db, _attempt(day["candidates"][3]), utcnow())
    assert refused.value.http_status == 409
    assert "BN0004 chưa được xếp chỗ" in refused.value.message_vi
    assert "no seat" in refused.value.message_en


def test_nobody_starts_before_his_room_opens(db, day):
    with pytest.raises(RoomNotOpen, match="Phòng thi «P1» chưa mở"):
        ensure_may_start(db, _attempt(day["candidates"][0]), utcnow())


def test_within_the_late_window_a_candidate_starts_after_it_only_with_a_proctors_leave(db, day):
    opened = utcnow()
    open_room(db, day["one"].id, day["ours"].id, opened)
    db.commit()
    first, second = day["candidates"][:2]
    assert _start(db, first, opened + timedelta(minutes=15)).status is AttemptStatus.IN_PROGRESS
    late = opened + timedelta(minutes=15, seconds=1)
    with pytest.raises(TooLate) as refused:
        ensure_may_start(db, _attempt(second), late)
    assert "Đã quá 15 phút" in refused.value.message_vi
    assert "only an invigilator can let you start" in refused.value.message_en
    allow_late(db, second.id, day["ours"].id, late, "Xe buýt hỏng giữa đường")
    db.commit()
    assert _start(db, second, late + timedelta(minutes=30)).status is AttemptStatus.IN_PROGRESS
    (leave,) = _kinds(db, ActionKind.ALLOW_LATE)
    assert (leave.candidate_id, leave.room_id, leave.reason) == (
        second.id, day["one"].id, "Xe buýt hỏng giữa đường")


def test_the_late_window_is_the_sessions_setting(db, day):
    room_setup.save_settings(db, day["session"].id, proctors_per_room=2, late_entry_minutes=0,
                             on_time_minutes=0, require_fullscreen=False)
    opened = utcnow()
    open_room(db, day["one"].id, day["ours"].id, opened)
    with pytest.raises(TooLate, match="Đã quá 0 phút"):
        ensure_may_start(db, _attempt(day["candidates"][0]), opened + timedelta(seconds=1))


def test_nobody_starts_once_his_room_is_closed_and_resuming_is_never_gated(db, day):
    now = utcnow()
    open_room(db, day["one"].id, day["ours"].id, now)
    first, second = day["candidates"][:2]
    _start(db, first, now)
    close_room(db, day["one"].id, day["ours"].id, now + timedelta(minutes=20))
    # seated in the closed room afterwards: still assigned, and refused
    latecomer = day["candidates"][3]
    room_setup.assign_seat(db, latecomer.id, day["one"].id, "A3", actor_id=day["staff"].id,
                           now=now + timedelta(minutes=21))
    db.commit()
    with pytest.raises(RoomClosed, match="«P1» đã đóng"):
        ensure_may_start(db, _attempt(latecomer), now + timedelta(minutes=21))
    resumed = _start(db, first, now + timedelta(minutes=25))  # in progress: not gated
    assert resumed.status is AttemptStatus.IN_PROGRESS


# ---- opening and closing ----------------------------------------------------------------------

def test_a_double_clicked_open_writes_one_action(db, day):
    now = utcnow()
    room = open_room(db, day["one"].id, day["ours"].id, now, "", "key-1" * 6)
    db.commit()
    again = open_room(db, day["one"].id, day["ours"].id, now + timedelta(seconds=1), "",
                      "key-1" * 6)
    other_tab = open_room(db, day["one"].id, day["ours"].id, now + timedelta(seconds=2), "",
                          "key-2" * 6)
    db.commit()
    assert room.opened_at == again.opened_at == other_tab.opened_at == now
    assert room.opened_by == day["ours"].id
    assert len(_kinds(db, ActionKind.OPEN_ROOM)) == 1


def test_two_proctors_opening_at_once_open_the_room_once(db, day, engine):
    """Two requests in their own units of work, released together."""
    factory = make_session_factory(engine, writes=True)
    barrier, errors = threading.Barrier(2), []

    def click(actor_id: int, key: str) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction(factory) as unit:
                open_room(unit, day["one"].id, actor_id, utcnow(), "", key)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    clicks = [threading.Thread(target=click, args=(user.id, f"tab-{n}" * 5))
              for n, user in enumerate((day["ours"], day["staff"]))]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=30)
    assert errors == []
    db.rollback()
    db.expire_all()  # the fixture's objects are from before the two clicks
    assert len(_kinds(db, ActionKind.OPEN_ROOM)) == 1
    assert db.get(ExamRoom, day["one"].id).opened_at is not None


def test_only_the_rooms_proctors_and_staff_open_and_close_it(db, day, make_user):
    with pytest.raises(NotYourRoom):
        open_room(db, day["one"].id, day["theirs"].id, utcnow())
    teacher = make_user("gv", Role.TEACHER)
    with pytest.raises(NotYourRoom):
        open_room(db, day["one"].id, teacher.id, utcnow())
    open_room(db, day["one"].id, day["staff"].id, utcnow())
    with pytest.raises(NotYourRoom):
        close_room(db, day["one"].id, day["theirs"].id, utcnow())
    with pytest.raises(NotYourRoom):
        allow_late(db, day["candidates"][0].id, day["theirs"].id, utcnow(), "lý do")


def test_a_room_opens_only_while_its_session_is_scheduled_and_closes_only_once_open(db, day):
    with pytest.raises(RoomConflict, match="chưa mở"):
        close_room(db, day["one"].id, day["ours"].id, utcnow())
    close_sitting(db, day["session"], actor="user:1", now=utcnow())
    with pytest.raises(RoomConflict, match="xếp đề và chưa kết thúc"):
        open_room(db, day["one"].id, day["ours"].id, utcnow())


def test_closing_a_room_marks_its_never_started_candidates_absent_and_only_them(db, day):
    now = utcnow()
    open_room(db, day["one"].id, day["ours"].id, now)
    open_room(db, day["two"].id, day["theirs"].id, now)
    first, second, third, unseated = day["candidates"]
    _start(db, first, now + timedelta(minutes=1))
    db.commit()
    assert close_room(db, day["one"].id, day["ours"].id, now + timedelta(minutes=20),
                      "Hết giờ vào phòng", "close-1" * 5) == 1
    db.commit()
    assert close_room(db, day["one"].id, day["ours"].id, now + timedelta(minutes=21)) == 0
    db.expire_all()
    statuses = {c.candidate_number: _attempt(c).status for c in day["candidates"]}
    assert statuses == {"BN0001": AttemptStatus.IN_PROGRESS, "BN0002": AttemptStatus.ABSENT,
                        "BN0003": AttemptStatus.ASSIGNED, "BN0004": AttemptStatus.ASSIGNED}
    (event,) = db.scalars(select(AttemptEvent).where(
        AttemptEvent.attempt_id == _attempt(second).id, AttemptEvent.to_status == "absent"))
    assert event.actor == f"user:{day['ours'].id}" and "P1" in event.detail
    (closing,) = _kinds(db, ActionKind.CLOSE_ROOM)
    assert closing.detail == {"absent": [second.id]} and closing.reason == "Hết giờ vào phòng"
    room = db.get(ExamRoom, day["one"].id)
    assert room.closed_by == day["ours"].id
    with pytest.raises(RoomConflict, match="không mở lại"):
        open_room(db, room.id, day["ours"].id, utcnow())
    with pytest.raises(SessionNotOpen, match="vắng thi"):
        _start(db, second, now + timedelta(minutes=22))  # absent: never starts


def test_a_late_leave_needs_a_reason_and_a_seat_and_is_given_once(db, day):
    now = utcnow()
    second = day["candidates"][1]
    with pytest.raises(Exception, match="lý do"):
        allow_late(db, second.id, day["ours"].id, now, "  ")
    with pytest.raises(RoomConflict, match="chưa có chỗ ngồi"):
        allow_late(db, day["candidates"][3].id, day["staff"].id, now, "Đến muộn")
    first = allow_late(db, second.id, day["ours"].id, now, "Đến muộn", "late-1" * 5)
    again = allow_late(db, second.id, day["ours"].id, now, "Lần nữa", "late-2" * 5)
    assert first.id == again.id and len(_kinds(db, ActionKind.ALLOW_LATE)) == 1


# ---- attendance -----------------------------------------------------------------------------

def test_attendance_marks_present_late_absent_and_not_yet_with_counts(db, make_session,
                                                                     make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=4)
    room = room_setup.create_room(db, session.id, name="P1", rows=2, columns=2)
    room_setup.assign_seats_automatically(db, session.id, actor_id=staff.id, now=utcnow())
    opened = utcnow()
    open_room(db, room.id, staff.id, opened)
    on_time, late, absent, waiting = session.candidates
    _start(db, on_time, opened + timedelta(minutes=5))
    _start(db, late, opened + timedelta(minutes=5, seconds=1))
    db.commit()
    before_closing = attendance(db, room.id, opened + timedelta(minutes=10))
    assert [(r.candidate_number, r.seat, r.mark) for r in before_closing] == [
        ("BN0001", "A1", Mark.PRESENT), ("BN0002", "A2", Mark.LATE),
        ("BN0003", "B1", Mark.NOT_YET), ("BN0004", "B2", Mark.NOT_YET)]
    allow_late(db, waiting.id, staff.id, opened + timedelta(minutes=16), "Ốm, đến muộn")
    rows = {r.candidate_number: r for r in attendance(db, room.id, opened + timedelta(minutes=16))}
    assert rows["BN0003"].window_over and not rows["BN0004"].window_over
    assert rows["BN0004"].allowed_late
    _attempt(absent).status = AttemptStatus.ABSENT  # as closing marks him
    db.flush()
    counts = attendance_counts(attendance(db, room.id, opened + timedelta(minutes=17)))
    assert counts == {Mark.PRESENT: 1, Mark.LATE: 1, Mark.ABSENT: 1, Mark.NOT_YET: 1}


# ---- the routes the live room posts to -----------------------------------------------------

def _client(app, username: str):
    client = app.test_client()
    return client, login(client, username)


def test_a_proctor_opens_his_room_and_goes_back_where_he_came_from(app, db, day):
    proctor, token = _client(app, "gt1")
    room_id = day["one"].id
    back = f"/giam-thi/phong/{room_id}"
    for _ in range(2):  # a double click
        opened = proctor.post(f"/giam-thi/phong/{room_id}/mo", data={
            "csrf_token": token, "idempotency_key": "click" * 6, "reason": "", "next": back})
        assert opened.status_code == 303 and opened.headers["Location"] == back
    db.rollback()
    assert len(_kinds(db, ActionKind.OPEN_ROOM)) == 1
    elsewhere = proctor.post(f"/giam-thi/phong/{room_id}/dong", data={
        "csrf_token": token, "next": "https://evil.example/"})
    assert elsewhere.status_code == 303 and elsewhere.headers["Location"] == "/giam-thi/"
    db.rollback()
    absent = db.scalars(select(Attempt).where(Attempt.status == AttemptStatus.ABSENT)).all()
    assert sorted(a.candidate_id for a in absent) == [day["candidates"][0].id,
                                                       day["candidates"][1].id]


def test_another_rooms_proctor_gets_403_and_a_missing_room_404(app, db, day):
    proctor, token = _client(app, "gt2")
    assert proctor.post(f"/giam-thi/phong/{day['one'].id}/mo",
                        data={"csrf_token": token}).status_code == 403
    assert proctor.post("/giam-thi/phong/999999/mo", data={"csrf_token": token}).status_code == 404
    late = proctor.post(f"/giam-thi/thi-sinh/{day['candidates'][0].id}/cho-vao-muon",
                        data={"csrf_token": token, "reason": "Đến muộn"})
    assert late.status_code == 403
    db.rollback()
    assert _kinds(db, ActionKind.OPEN_ROOM) == [] and _kinds(db, ActionKind.ALLOW_LATE) == []


def test_a_late_leave_from_the_route_needs_a_reason(app, db, day):
    proctor, token = _client(app, "gt1")
    url = f"/giam-thi/thi-sinh/{day['candidates'][1].id}/cho-vao-muon"
    refused = proctor.post(url, data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 422 and "lý do" in refused.get_data(as_text=True)
    given = proctor.post(url, data={"csrf_token": token, "reason": "Tắc đường",
                                    "idempotency_key": "late" * 8})
    assert given.status_code == 303 and given.headers["Location"] == "/giam-thi/"
    staff, _token = _client(app, "canbo")
    html = staff.get(f"/giam-thi/ca-thi/{day['session'].id}/phong-thi").get_data(as_text=True)
    assert "được cho vào muộn" in html


def test_the_setup_page_shows_each_rooms_attendance(app, db, day):
    now = utcnow()
    open_room(db, day["one"].id, day["ours"].id, now - timedelta(minutes=3))
    _start(db, day["candidates"][0], now - timedelta(minutes=2))
    db.commit()
    staff, _token = _client(app, "canbo")
    html = staff.get(f"/giam-thi/ca-thi/{day['session'].id}/phong-thi").get_data(as_text=True)
    counts = html[html.index(f'id="counts-{day["one"].id}"'):]
    counts = counts[:counts.index("</p>")]
    assert 'data-mark="present">Có mặt: <b>1</b>' in counts
    assert 'data-mark="not_yet">Chưa vào: <b>1</b>' in counts
    assert "Đang mở từ" in html and "Chưa mở" in html
