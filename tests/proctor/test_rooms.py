"""Rooms of a session (issue 11): seat maps, settings, proctors per room and seats, set up by
staff through the services and the setup page, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from exam_engine.exams.sitting import close_sitting
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from proctor import room_setup
from proctor.models import ActionKind, ProctorAction, RoomProctor, SeatAssignment
from proctor.rooms import (
    RoomConflict,
    RoomInputError,
    free_seats,
    room_candidates,
    seat_labels,
    seat_of,
    settings_for,
)
from tests.conftest import login


def _numbers(pairs) -> list[tuple[str, str]]:
    return [(candidate.candidate_number, seat) for candidate, seat in pairs]


def _actions(db, kind: ActionKind) -> list[ProctorAction]:
    return list(db.scalars(select(ProctorAction).where(ProctorAction.kind == kind)
                           .order_by(ProctorAction.id)))


def test_seats_are_named_by_row_letter_and_column_number():
    assert seat_labels(2, 3) == ["A1", "A2", "A3", "B1", "B2", "B3"]
    assert seat_labels(26, 1)[-1] == "Z1"


def test_a_room_keeps_its_map_and_its_spare_seats_upper_cased_in_seat_order(db, make_session):
    session = make_session(n_candidates=1)
    room = room_setup.create_room(db, session.id, name="  Phòng máy 1 ", rows=3, columns=4,
                                  spare_seats="c4, b4 c4")
    db.commit()
    assert (room.name, room.rows, room.columns) == ("Phòng máy 1", 3, 4)
    assert room.spare_seats == ["B4", "C4"]
    assert free_seats(db, room.id) == seat_labels(3, 4)


@pytest.mark.parametrize(("fields", "named"), [
    ({"name": "", "rows": 3, "columns": 4}, "name"),
    ({"name": "P1", "rows": 0, "columns": 4}, "rows"),
    ({"name": "P1", "rows": 27, "columns": 4}, "rows"),
    ({"name": "P1", "rows": 3, "columns": 41}, "columns"),
    ({"name": "P1", "rows": 1, "columns": 2, "spare_seats": "A1 A2"}, "spare_seats"),
    ({"name": "P1", "rows": 2, "columns": 2, "spare_seats": "C1"}, "spare_seats"),
])
def test_a_bad_room_is_refused_naming_the_field(db, make_session, fields, named):
    session = make_session(n_candidates=1)
    with pytest.raises(RoomInputError) as refused:
        room_setup.create_room(db, session.id, **fields)
    assert refused.value.http_status == 422 and named in refused.value.message_en


def test_two_rooms_of_a_session_cannot_share_a_name(db, make_session):
    session = make_session(n_candidates=1)
    room_setup.create_room(db, session.id, name="Phòng 1", rows=2, columns=2)
    other = room_setup.create_room(db, session.id, name="Phòng 2", rows=2, columns=2)
    with pytest.raises(RoomConflict, match="Phòng 1"):
        room_setup.create_room(db, session.id, name="Phòng 1", rows=5, columns=5)
    with pytest.raises(RoomConflict, match="Phòng 1"):
        room_setup.update_room(db, other.id, name="Phòng 1", rows=2, columns=2)


def test_settings_default_to_two_proctors_fifteen_minutes_late_and_five_on_time(db, make_session):
    session = make_session(n_candidates=1)
    defaults = settings_for(db, session.id)
    assert (defaults.proctors_per_room, defaults.late_entry_minutes, defaults.on_time_minutes,
            defaults.require_fullscreen) == (2, 15, 5, False)
    room_setup.save_settings(db, session.id, proctors_per_room=1, late_entry_minutes=30,
                             on_time_minutes=10, require_fullscreen=True)
    db.commit()
    saved = settings_for(db, session.id)
    assert (saved.proctors_per_room, saved.late_entry_minutes, saved.on_time_minutes,
            saved.require_fullscreen) == (1, 30, 10, True)
    with pytest.raises(RoomInputError, match="late_entry_minutes"):
        room_setup.save_settings(db, session.id, proctors_per_room=2, late_entry_minutes=-1,
                                 on_time_minutes=5, require_fullscreen=False)


def test_automatic_seating_fills_non_spare_seats_in_roster_order_room_by_room(db, make_session,
                                                                              make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=5)
    first = room_setup.create_room(db, session.id, name="P1", rows=2, columns=2,
                                   spare_seats="A2")
    second = room_setup.create_room(db, session.id, name="P2", rows=2, columns=2)
    assert room_setup.assign_seats_automatically(db, session.id, actor_id=staff.id,
                                                 now=utcnow()) == 5
    db.commit()
    assert _numbers(room_candidates(db, first.id)) == [("BN0001", "A1"), ("BN0002", "B1"),
                                                       ("BN0003", "B2")]
    assert _numbers(room_candidates(db, second.id)) == [("BN0004", "A1"), ("BN0005", "A2")]
    assert free_seats(db, first.id) == ["A2"] and free_seats(db, second.id) == ["B1", "B2"]
    room, seat = seat_of(db, session.candidates[3].id)
    assert (room.name, seat) == ("P2", "A1")
    logged = _actions(db, ActionKind.ASSIGN_SEAT)
    assert [(a.candidate_id, a.detail["seat"], a.actor_id) for a in logged] == [
        (c.id, s, staff.id) for c, s in zip(session.candidates, ["A1", "B1", "B2", "A1", "A2"],
                                             strict=True)]
    # seating again seats nobody twice
    assert room_setup.assign_seats_automatically(db, session.id, actor_id=staff.id,
                                                 now=utcnow()) == 0


def test_automatic_seating_refuses_clearly_and_seats_nobody_when_seats_run_out(db, make_session,
                                                                              make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=4)
    room = room_setup.create_room(db, session.id, name="P1", rows=2, columns=2,
                                  spare_seats="B2")
    with pytest.raises(RoomConflict) as refused:
        room_setup.assign_seats_automatically(db, session.id, actor_id=staff.id, now=utcnow())
    assert "4 thí sinh chưa có chỗ" in refused.value.message_vi
    assert "chỉ còn 3 chỗ trống" in refused.value.message_vi
    assert room_candidates(db, room.id) == [] and _actions(db, ActionKind.ASSIGN_SEAT) == []


def test_a_repeated_automatic_seating_form_acts_once(db, make_session, make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=2)
    room_setup.create_room(db, session.id, name="P1", rows=2, columns=2)
    key = "k" * 30
    assert room_setup.assign_seats_automatically(db, session.id, actor_id=staff.id,
                                                 now=utcnow(), idempotency_key=key) == 2
    db.commit()
    assert room_setup.assign_seats_automatically(db, session.id, actor_id=staff.id,
                                                 now=utcnow(), idempotency_key=key) == 0
    assert len(_actions(db, ActionKind.ASSIGN_SEAT)) == 2


def test_a_candidate_is_seated_by_hand_in_a_free_seat_and_a_taken_seat_names_its_occupant(
        db, make_session, make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=2)
    room = room_setup.create_room(db, session.id, name="P1", rows=2, columns=3,
                                  spare_seats="B3")
    first, second = session.candidates
    room_setup.assign_seat(db, first.id, room.id, "b3", actor_id=staff.id, now=utcnow(),
                           reason="Thí sinh khuyết tật, ngồi gần cửa")
    db.commit()
    assert seat_of(db, first.id)[1] == "B3"  # a spare seat may be given by hand
    with pytest.raises(RoomConflict, match="BN0001"):
        room_setup.assign_seat(db, second.id, room.id, "B3", actor_id=staff.id, now=utcnow())
    with pytest.raises(RoomInputError, match="seat"):
        room_setup.assign_seat(db, second.id, room.id, "D9", actor_id=staff.id, now=utcnow())
    room_setup.assign_seat(db, first.id, room.id, "A1", actor_id=staff.id, now=utcnow())
    db.commit()
    assert _numbers(room_candidates(db, room.id)) == [("BN0001", "A1")]
    logged = _actions(db, ActionKind.ASSIGN_SEAT)
    assert [a.detail["seat"] for a in logged] == ["B3", "A1"]
    assert logged[0].reason == "Thí sinh khuyết tật, ngồi gần cửa"


def test_a_seat_is_unique_per_room_in_the_database(db, make_session):
    session = make_session(n_candidates=2)
    room = room_setup.create_room(db, session.id, name="P1", rows=2, columns=2)
    db.commit()
    db.add_all([SeatAssignment(candidate_id=c.id, room_id=room.id, seat="A1")
                for c in session.candidates])
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_a_room_map_never_drops_or_spares_a_seat_somebody_sits_in(db, make_session, make_user):
    staff = make_user("canbo", Role.STAFF)
    session = make_session(n_candidates=1)
    room = room_setup.create_room(db, session.id, name="P1", rows=3, columns=3)
    room_setup.assign_seat(db, session.candidates[0].id, room.id, "C3", actor_id=staff.id,
                           now=utcnow())
    with pytest.raises(RoomConflict, match=r"C3 \(BN0001\)"):
        room_setup.update_room(db, room.id, name="P1", rows=2, columns=3)
    with pytest.raises(RoomConflict, match=r"C3 \(BN0001\)"):
        room_setup.update_room(db, room.id, name="P1", rows=3, columns=3, spare_seats="C3")
    resized = room_setup.update_room(db, room.id, name="Phòng 1", rows=4, columns=3,
                                     spare_seats="D1")
    assert (resized.name, resized.rows, resized.spare_seats) == ("Phòng 1", 4, ["D1"])


def test_proctors_are_assigned_to_one_room_each_and_every_change_is_logged(db, make_session,
                                                                          make_user):
    staff = make_user("canbo", Role.STAFF)
    first_proctor, second_proctor = make_user("gt1", Role.PROCTOR), make_user("gt2", Role.PROCTOR)
    teacher = make_user("gv", Role.TEACHER)
    session = make_session(n_candidates=1)
    one = room_setup.create_room(db, session.id, name="P1", rows=2, columns=2)
    two = room_setup.create_room(db, session.id, name="P2", rows=2, columns=2)
    room_setup.set_room_proctors(db, one.id, [first_proctor.id, second_proctor.id],
                                 actor_id=staff.id, now=utcnow())
    with pytest.raises(RoomInputError, match="proctor_ids"):
        room_setup.set_room_proctors(db, two.id, [teacher.id], actor_id=staff.id, now=utcnow())
    with pytest.raises(RoomConflict, match="P1"):
        room_setup.set_room_proctors(db, two.id, [second_proctor.id], actor_id=staff.id,
                                     now=utcnow())
    room_setup.set_room_proctors(db, one.id, [first_proctor.id], actor_id=staff.id, now=utcnow())
    room_setup.set_room_proctors(db, two.id, [second_proctor.id], actor_id=staff.id, now=utcnow())
    room_setup.set_room_proctors(db, two.id, [second_proctor.id], actor_id=staff.id, now=utcnow())
    db.commit()
    assert {tuple(r) for r in db.execute(select(RoomProctor.room_id, RoomProctor.user_id))} == {
        (one.id, first_proctor.id), (two.id, second_proctor.id)}
    logged = [(a.room_id, a.detail["added"], a.detail["removed"])
              for a in _actions(db, ActionKind.ASSIGN_PROCTOR)]
    assert logged == [(one.id, [first_proctor.id, second_proctor.id], []),
                      (one.id, [], [second_proctor.id]), (two.id, [second_proctor.id], [])]


def test_rooms_seats_and_proctors_cannot_change_once_the_session_is_closed(db, make_session,
                                                                          make_user):
    staff = make_user("canbo", Role.STAFF)
    proctor = make_user("gt1", Role.PROCTOR)
    session = make_session(n_candidates=1)
    room = room_setup.create_room(db, session.id, name="P1", rows=2, columns=2)
    close_sitting(db, session, actor="user:1", now=utcnow())
    db.commit()
    for change in (
            lambda: room_setup.create_room(db, session.id, name="P2", rows=2, columns=2),
            lambda: room_setup.update_room(db, room.id, name="P9", rows=2, columns=2),
            lambda: room_setup.set_room_proctors(db, room.id, [proctor.id], actor_id=staff.id,
                                                 now=utcnow()),
            lambda: room_setup.assign_seats_automatically(db, session.id, actor_id=staff.id,
                                                          now=utcnow()),
            lambda: room_setup.assign_seat(db, session.candidates[0].id, room.id, "A1",
                                           actor_id=staff.id, now=utcnow()),
            lambda: room_setup.save_settings(db, session.id, proctors_per_room=2,
                                             late_entry_minutes=15, on_time_minutes=5,
                                             require_fullscreen=False)):
        with pytest.raises(RoomConflict, match="Ca thi đã kết thúc"):
            change()
        db.rollback()


# ---- through the setup page ---------------------------------------------------------------------

def _staff_client(app, make_user):
    make_user("canbo", Role.STAFF)
    client = app.test_client()
    return client, login(client, "canbo")


def _page(client, session_id: int):
    return client.get(f"/giam-thi/ca-thi/{session_id}/phong-thi")


def _form_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_staff_set_rooms_up_on_the_page_and_a_proctor_may_not(app, db, make_session, make_user):
    session = make_session(n_candidates=3)
    make_user("gt1", Role.PROCTOR)
    client, token = _staff_client(app, make_user)
    page = _page(client, session.id)
    assert page.status_code == 200 and 'id="no-rooms"' in page.get_data(as_text=True)
    created = client.post(f"/giam-thi/ca-thi/{session.id}/phong-thi", data={
        "csrf_token": token, "name": "Phòng máy 1", "rows": "2", "columns": "2",
        "spare_seats": "b2"})
    assert created.status_code == 303
    seated = client.post(f"/giam-thi/ca-thi/{session.id}/xep-cho", data={
        "csrf_token": token, "idempotency_key": _form_key(_page(client, session.id).text)})
    assert seated.status_code == 303
    html = client.get(seated.headers["Location"]).get_data(as_text=True)
    assert "Đã xếp chỗ cho 3 thí sinh." in html
    seatmap = re.search(r'<table class="seatmap".*?</table>', html, re.S).group(0)
    for seat, number in (("A1", "BN0001"), ("A2", "BN0002"), ("B1", "BN0003")):
        assert re.search(rf'data-seat="{seat}"><span class="label">{seat}</span>{number}<',
                         seatmap), seat
    assert 'class="spare" data-seat="B2"' in seatmap
    # fewer proctors than the setting asks: the page says so
    assert "Phòng này chưa đủ giám thị:" in html and "0 / 2" in html

    proctor = app.test_client()
    proctor_token = login(proctor, "gt1")
    assert _page(proctor, session.id).status_code == 403
    assert proctor.post(f"/giam-thi/ca-thi/{session.id}/phong-thi", data={
        "csrf_token": proctor_token, "name": "P9", "rows": "1", "columns": "1"}
    ).status_code == 403


def test_assigning_enough_proctors_on_the_page_lifts_the_warning(app, db, make_session,
                                                                make_user):
    session = make_session(n_candidates=1)
    proctors = [make_user(f"gt{i}", Role.PROCTOR) for i in (1, 2)]
    client, token = _staff_client(app, make_user)
    client.post(f"/giam-thi/ca-thi/{session.id}/phong-thi", data={
        "csrf_token": token, "name": "P1", "rows": "1", "columns": "2"})
    html = _page(client, session.id).get_data(as_text=True)
    room_id = int(re.search(r'id="room-(\d+)"', html).group(1))
    saved = client.post(f"/giam-thi/phong/{room_id}/giam-thi", data={
        "csrf_token": token, "idempotency_key": _form_key(html),
        "proctor_ids": [str(p.id) for p in proctors]})
    assert saved.status_code == 303
    html = _page(client, session.id).get_data(as_text=True)
    assert f'id="proctors-missing-{room_id}"' not in html
    assert html.count('name="proctor_ids"') == 2 and html.count("checked") >= 2


def test_a_refused_form_shows_its_reason_on_the_page_and_changes_nothing(app, db, make_session,
                                                                        make_user):
    session = make_session(n_candidates=1)
    client, token = _staff_client(app, make_user)
    for data, reason in (
            ({"name": "P1", "rows": "abc", "columns": "2"}, "Trường &#39;rows&#39;"),
            ({"name": "P1", "rows": "99", "columns": "2"}, "từ 1 đến 26"),
            ({"name": "", "rows": "2", "columns": "2"}, "Trường &#39;name&#39;")):
        refused = client.post(f"/giam-thi/ca-thi/{session.id}/phong-thi",
                              data={"csrf_token": token, **data})
        assert refused.status_code == 422
        assert reason in refused.get_data(as_text=True), reason
    settings = client.post(f"/giam-thi/ca-thi/{session.id}/cai-dat-giam-thi", data={
        "csrf_token": token, "proctors_per_room": "2", "late_entry_minutes": "",
        "on_time_minutes": "5"})
    assert settings.status_code == 422 and "late_entry_minutes" in settings.get_data(as_text=True)
    no_rooms = client.post(f"/giam-thi/ca-thi/{session.id}/xep-cho", data={"csrf_token": token})
    assert no_rooms.status_code == 409 and "chưa có phòng thi" in no_rooms.get_data(as_text=True)
    assert 'id="no-rooms"' in _page(client, session.id).get_data(as_text=True)
    missing = client.get("/giam-thi/ca-thi/999999/phong-thi")
    assert missing.status_code == 404


def test_settings_are_saved_from_the_page(app, db, make_session, make_user):
    session = make_session(n_candidates=1)
    client, token = _staff_client(app, make_user)
    saved = client.post(f"/giam-thi/ca-thi/{session.id}/cai-dat-giam-thi", data={
        "csrf_token": token, "proctors_per_room": "1", "late_entry_minutes": "20",
        "on_time_minutes": "3", "require_fullscreen": "1"})
    assert saved.status_code == 303
    db.rollback()
    settings = settings_for(db, session.id)
    assert (settings.proctors_per_room, settings.late_entry_minutes, settings.on_time_minutes,
            settings.require_fullscreen) == (1, 20, 3, True)


def test_a_candidate_is_seated_by_hand_from_the_page(app, db, make_session, make_user):
    session = make_session(n_candidates=2)
    client, token = _staff_client(app, make_user)
    room = room_setup.create_room(db, session.id, name="P1", rows=2, columns=2)
    db.commit()
    first, second = (c.id for c in session.candidates)
    key = _form_key(_page(client, session.id).get_data(as_text=True))
    for _ in range(2):  # a double click
        placed = client.post(f"/giam-thi/thi-sinh/{first}/cho-ngoi", data={
            "csrf_token": token, "room_id": str(room.id), "seat": "b1", "idempotency_key": key})
        assert placed.status_code == 303
    taken = client.post(f"/giam-thi/thi-sinh/{second}/cho-ngoi", data={
        "csrf_token": token, "room_id": str(room.id), "seat": "B1"})
    assert taken.status_code == 409 and "BN0001" in taken.get_data(as_text=True)
    no_room = client.post(f"/giam-thi/thi-sinh/{second}/cho-ngoi", data={
        "csrf_token": token, "seat": "B1"})
    assert no_room.status_code == 422 and "room_id" in no_room.get_data(as_text=True)
    db.rollback()
    assert seat_of(db, first)[1] == "B1" and seat_of(db, second) is None
    assert len(_actions(db, ActionKind.ASSIGN_SEAT)) == 1


def test_the_overview_shows_each_rooms_seat_map_missing_proctors_and_attendance(db, make_session, make_user):
    session = make_session(n_candidates=1)
    staff = make_user("canbo", Role.STAFF)
    room = room_setup.create_room(db, session.id, name="P1", rows=1, columns=1)
    room.opened_at = utcnow() - timedelta(minutes=1)
    room_setup.assign_seat(db, session.candidates[0].id, room.id, "A1", actor_id=staff.id,
                           now=utcnow())
    (overview,) = room_setup.room_overviews(db, session.id, utcnow())
    assert overview.seat_rows == [[("A1", False, "BN0001")]]
    assert overview.proctors_missing == 2
    assert [a.candidate_number for a in overview.attendance] == ["BN0001"]
