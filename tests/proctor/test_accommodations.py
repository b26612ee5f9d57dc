"""Accommodations (issue 11): extra minutes and/or a multiple of the duration and larger text,
entered before the exam by staff or a proctor of the candidate's room, applied to the attempt
before it starts — through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from exam_engine.exams import clock, delivery
from exam_engine.exams.models import Attempt
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from proctor.accommodations import (
    AccommodationInput,
    NotScheduled,
    large_text_for,
    parse_accommodation,
    planned_seconds,
    set_accommodation,
)
from proctor.models import Accommodation, ActionKind, ProctorAction
from tests.conftest import login
from tests.proctor.test_actions import proctor_client, seat_in_rooms, start

REASON = "Giấy xác nhận khuyết tật thị lực số 12/XN"


@pytest.fixture
def rooms(db, make_session, make_user):
    return seat_in_rooms(db, make_session, make_user)


def _enter(client, token, candidate_id, *, key=None, **fields):
    data = {"csrf_token": token, "reason": REASON,
            "idempotency_key": key or secrets.token_urlsafe(12), **fields}
    return client.post(f"/giam-thi/thi-sinh/{candidate_id}/ho-tro", data=data)


def _attempt(db, attempt_id) -> Attempt:
    db.rollback()
    db.expire_all()
    return db.get(Attempt, attempt_id)


def test_an_accommodation_entered_before_the_start_lengthens_the_attempt(app, db, rooms):
    proctor, token = proctor_client(app)
    saved = _enter(proctor, token, rooms.candidates[0].id, extra_minutes="10",
                   time_multiplier="1,5", large_text="1", note="Ngồi gần cửa sổ")
    assert saved.status_code == 302
    # 30 minutes: + 10 minutes + half of 30
    assert _attempt(db, rooms.attempt_id(0)).extra_seconds == 25 * 60
    row = db.get(Accommodation, rooms.candidates[0].id)
    assert (row.extra_minutes, row.time_multiplier, row.large_text, row.note) == (
        10, 1.5, True, "Ngồi gần cửa sổ")
    assert large_text_for(db, rooms.candidates[0].id) is True
    assert large_text_for(db, rooms.candidates[1].id) is False
    [action] = db.scalars(select(ProctorAction)).all()
    assert (action.kind, action.reason, action.candidate_id, action.room_id) == (
        ActionKind.ACCOMMODATION, REASON, rooms.candidates[0].id, rooms.first.id)
    assert action.detail["planned_seconds"] == 25 * 60
    start(db, rooms.attempt_id(0), at=utcnow())
    started = _attempt(db, rooms.attempt_id(0))
    assert started.deadline - started.started_at == timedelta(minutes=55)


def test_changing_it_before_the_start_recomputes_rather_than_adds(app, db, rooms):
    proctor, token = proctor_client(app)
    candidate = rooms.candidates[0]
    # time given by another way before the start is kept beside the accommodation
    clock.grant_extra_time(db, rooms.attempt_id(0), 300, utcnow(), "user:1")
    db.commit()
    _enter(proctor, token, candidate.id, extra_minutes="20")
    assert _attempt(db, rooms.attempt_id(0)).extra_seconds == 25 * 60
    _enter(proctor, token, candidate.id, extra_minutes="5", time_multiplier="2")
    assert _attempt(db, rooms.attempt_id(0)).extra_seconds == (5 + 5 + 30) * 60
    _enter(proctor, token, candidate.id, extra_minutes="0")
    assert _attempt(db, rooms.attempt_id(0)).extra_seconds == 5 * 60


def test_after_the_start_its_time_is_refused_pointing_to_extra_time_but_large_text_may_change(
        app, db, rooms):
    proctor, token = proctor_client(app)
    candidate = rooms.candidates[0]
    _enter(proctor, token, candidate.id, extra_minutes="10")
    start(db, rooms.attempt_id(0))
    refused = _enter(proctor, token, candidate.id, extra_minutes="15")
    assert refused.status_code == 409 and "Thêm giờ" in refused.get_data(as_text=True)
    assert _attempt(db, rooms.attempt_id(0)).extra_seconds == 600
    assert _enter(proctor, token, candidate.id, extra_minutes="10",
                  large_text="on").status_code == 302
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    assert large_text_for(db, candidate.id) is True
    assert _attempt(db, rooms.attempt_id(0)).extra_seconds == 600


@pytest.mark.parametrize("fields, named", [
    ({"extra_minutes": "mười"}, "extra_minutes"),
    ({"extra_minutes": "-5"}, "extra_minutes"),
    ({"extra_minutes": "241"}, "extra_minutes"),
    ({"time_multiplier": "0,5"}, "time_multiplier"),
    ({"time_multiplier": "gấp đôi"}, "time_multiplier"),
    ({"time_multiplier": "nan"}, "time_multiplier"),
    ({"time_multiplier": "4"}, "time_multiplier"),
    ({"note": "x" * 1001}, "note"),
    ({"reason": ""}, "lý do"),
    ({"idempotency_key": ""}, "idempotency_key"),
])
def test_bad_values_are_refused_naming_the_field(app, db, rooms, fields, named):
    proctor, token = proctor_client(app)
    refused = _enter(proctor, token, rooms.candidates[0].id, **fields)
    assert refused.status_code == 422
    assert named.lower() in refused.get_data(as_text=True).lower()
    assert db.scalars(select(Accommodation)).all() == []
    assert _attempt(db, rooms.attempt_id(0)).extra_seconds == 0


def test_a_repeated_key_enters_it_once(app, db, rooms):
    proctor, token = proctor_client(app)
    key = secrets.token_urlsafe(12)
    for _ in range(2):
        assert _enter(proctor, token, rooms.candidates[0].id, key=key,
                      extra_minutes="10").status_code == 302
    assert len(db.scalars(select(ProctorAction)).all()) == 1
    assert _attempt(db, rooms.attempt_id(0)).extra_seconds == 600


def test_only_staff_and_the_proctors_of_his_room_enter_it(app, db, rooms, make_user):
    candidate = rooms.candidates[0]
    other, other_token = proctor_client(app, "giamthi2")
    assert other.get(f"/giam-thi/thi-sinh/{candidate.id}/ho-tro").status_code == 403
    assert _enter(other, other_token, candidate.id, extra_minutes="10").status_code == 403
    make_user("giaovien", Role.TEACHER)
    teacher = app.test_client()
    assert _enter(teacher, login(teacher, "giaovien"), candidate.id).status_code == 403
    make_user("canbo", Role.STAFF)
    staff = app.test_client()
    assert _enter(staff, login(staff, "canbo"), candidate.id,
                  extra_minutes="10").status_code == 302
    db.rollback()
    assert db.get(Accommodation, candidate.id).extra_minutes == 10


def test_the_page_shows_what_is_entered(app, db, rooms):
    proctor, token = proctor_client(app)
    candidate = rooms.candidates[0]
    _enter(proctor, token, candidate.id, extra_minutes="15", time_multiplier="1,25",
           large_text="1")
    page = proctor.get(f"/giam-thi/thi-sinh/{candidate.id}/ho-tro").get_data(as_text=True)
    assert 'name="extra_minutes"' in page and 'value="15"' in page
    assert 'value="1,25"' in page and "checked" in page and 'name="idempotency_key"' in page
    desk = proctor.get(f"/giam-thi/thi-sinh/{candidate.id}/thao-tac").get_data(as_text=True)
    assert "chữ lớn" in desk and 'data-kind="accommodation"' in desk


def test_an_unscheduled_session_has_no_attempt_to_carry_it_yet(db, make_session, make_user):
    session = make_session(n_candidates=1, schedule=False)
    staff = make_user("canbo", Role.STAFF)
    with pytest.raises(NotScheduled):
        set_accommodation(db, session.candidates[0].id, AccommodationInput(extra_minutes=10),
                          actor=staff, reason=REASON, now=utcnow())


def test_the_planned_time_is_minutes_plus_the_multiple_of_the_duration():
    assert planned_seconds(0, 1.0, 60) == 0
    assert planned_seconds(10, 1.0, 60) == 600
    assert planned_seconds(0, 1.5, 60) == 1800
    assert planned_seconds(5, 1.25, 45) == 300 + 675
    assert parse_accommodation(" 7 ", "1,5", True, " ghi chú ") == AccommodationInput(
        7, 1.5, True, "ghi chú")
    assert parse_accommodation("", "", False, None) == AccommodationInput()


def test_the_exam_clock_shows_the_accommodation_before_the_start(app, db, rooms):
    proctor, token = proctor_client(app)
    _enter(proctor, token, rooms.candidates[0].id, extra_minutes="10")
    assert delivery.seconds_left(_attempt(db, rooms.attempt_id(0)), utcnow()) == 40 * 60
