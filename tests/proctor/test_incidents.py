"""Incidents (biên bản) and the sanctions decided on them (issue 11), through the real app on
SQLite and PostgreSQL: who may record, what is stored and audited, idempotency, the sanction's
effect on the result, and what staff see at approval."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exam_engine.exams.models import AttemptSanction, ExamSession, Result
from exam_engine.exams.results import approve_results, current_result
from exam_engine.exams.states import SanctionLevel
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.legal_time import to_vn, vn_today
from proctor.models import (
    ActionKind,
    ExamRoom,
    Incident,
    ProctorAction,
    RoomProctor,
    SeatAssignment,
)
from tests.certs.sitting import sit
from tests.conftest import csrf_token_of, login, race

# ---- the world: a session today, two rooms with their proctors, seated candidates ------------

def make_rooms(db, make_session, make_user, *, n_candidates: int = 3, submitted: bool = False):
    """A session held today with rooms A (proctors gt_a1, gt_a2: BN0001, BN0002) and B
    (proctor gt_b: BN0003); ``submitted``: BN0001 has sat and answered everything right."""
    session = make_session(n_candidates=n_candidates, pass_percent=60)
    if submitted:
        sit(db, session.candidates[0].attempt, True)
    session.exam_date = vn_today()
    users = {name: make_user(name, Role.PROCTOR) for name in ("gt_a1", "gt_a2", "gt_b")}
    users["gt_a1"].full_name, users["gt_a2"].full_name = "Nguyễn Văn Giám", "Đỗ Thị Thảo"
    room_a = ExamRoom(exam_session_id=session.id, name="Phòng máy A", rows=4, columns=5)
    room_b = ExamRoom(exam_session_id=session.id, name="Phòng máy B", rows=4, columns=5)
    db.add_all([room_a, room_b])
    db.flush()
    db.add_all([RoomProctor(room_id=room_a.id, user_id=users["gt_a1"].id),
                RoomProctor(room_id=room_a.id, user_id=users["gt_a2"].id),
                RoomProctor(room_id=room_b.id, user_id=users["gt_b"].id)])
    for candidate, (room, seat) in zip(session.candidates, [(room_a, "A1"), (room_a, "A2"),
                                                             (room_b, "A1")], strict=False):
        db.add(SeatAssignment(candidate_id=candidate.id, room_id=room.id, seat=seat))
    db.commit()
    return session, room_a, room_b


def signed_in(app, username: str):
    client = app.test_client()
    return client, login(client, username)


def now_vn_field() -> str:
    return to_vn(utcnow()).strftime("%Y-%m-%dT%H:%M")


def form(client, url: str, **values) -> dict[str, str]:
    """The form's hidden fields (CSRF token and one-time key) from the page, with ``values``."""
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    return {"csrf_token": csrf_token_of(html), "idempotency_key": key,
            "category": "tai_lieu", "description": "Thí sinh mang tài liệu vào phòng thi.",
            "occurred_at": now_vn_field(), "witnesses": "", **values}


def fresh(db):
    db.rollback()  # a fresh snapshot: the app committed in its own sessions
    db.expire_all()


def record(app, db, make_session, make_user, **values):
    """BN0001's biên bản in room A, recorded by gt_a1 through the form; returns it."""
    session, room_a, _ = make_rooms(db, make_session, make_user, submitted=True)
    client, _ = signed_in(app, "gt_a1")
    candidate = session.candidates[0]
    url = f"/giam-thi/phong/{room_a.id}/bien-ban?candidate_id={candidate.id}"
    response = client.post(url, data=form(client, url, candidate_id=str(candidate.id), **values))
    assert response.status_code == 303, response.get_data(as_text=True)
    fresh(db)
    return client, session, db.scalar(select(Incident))


# ---- recording --------------------------------------------------------------------------------

def test_a_proctor_of_the_room_records_a_biên_bản_stored_in_utc_with_its_audit_row(
        app, db, make_session, make_user):
    session, room_a, _ = make_rooms(db, make_session, make_user)
    client, _ = signed_in(app, "gt_a1")
    candidate = session.candidates[0]
    url = f"/giam-thi/phong/{room_a.id}/bien-ban?candidate_id={candidate.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'<option value="{candidate.id}" selected>' in page  # from the live room's link
    assert "BN0003" not in page  # he sits in room B
    occurred = to_vn(utcnow() - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M")
    description = unicodedata.normalize("NFD", "Thí sinh dùng điện thoại để tra cứu đáp án.")
    data = form(client, url, candidate_id=str(candidate.id), category="thiet_bi",
                description=description, occurred_at=occurred, refused_to_sign="yes",
                witnesses="Lê Văn Ước\n\n  Phạm Thị Ỷ  \n")
    response = client.post(url, data=data)
    assert response.status_code == 303
    listed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã lập biên bản số 1." in listed and "Sử dụng thiết bị trái phép" in listed
    fresh(db)
    incident = db.scalar(select(Incident))
    assert (incident.room_id, incident.candidate_id, incident.category) == (
        room_a.id, candidate.id, "thiet_bi")
    assert incident.description == "Thí sinh dùng điện thoại để tra cứu đáp án."  # NFC
    assert incident.witnesses == ["Lê Văn Ước", "Phạm Thị Ỷ"]
    assert incident.candidate_refused_to_sign and incident.sanction_id is None
    assert to_vn(incident.occurred_at).strftime("%Y-%m-%dT%H:%M") == occurred
    assert incident.occurred_at.utcoffset() == timedelta(0)  # stored UTC
    action = db.scalar(select(ProctorAction))
    assert action.kind is ActionKind.INCIDENT and action.detail["incident_id"] == incident.id
    assert (action.room_id, action.candidate_id, action.exam_session_id) == (
        room_a.id, candidate.id, session.id)
    assert action.actor_id == incident.recorded_by and action.reason == incident.description
    assert action.idempotency_key == incident.idempotency_key == data["idempotency_key"]


def test_a_double_posted_form_records_one_biên_bản(app, db, make_session, make_user):
    session, room_a, _ = make_rooms(db, make_session, make_user)
    client, _ = signed_in(app, "gt_a2")
    url = f"/giam-thi/phong/{room_a.id}/bien-ban"
    data = form(client, url, category="mat_dien_mang", description="Mất điện toàn phòng 5 phút.")
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Incident)) == 1
    assert db.scalar(select(func.count()).select_from(ProctorAction)) == 1
    incident = db.scalar(select(Incident))
    assert incident.candidate_id is None and not incident.candidate_refused_to_sign


def test_a_key_already_spent_on_another_action_records_nothing(app, db, make_session,
                                                               make_user):
    session, room_a, _ = make_rooms(db, make_session, make_user)
    db.add(ProctorAction(exam_session_id=session.id, room_id=room_a.id, kind=ActionKind.PAUSE,
                         reason="Mất điện", at=utcnow(), idempotency_key="khoa-da-dung"))
    db.commit()
    client, _ = signed_in(app, "gt_a1")
    url = f"/giam-thi/phong/{room_a.id}/bien-ban"
    refused = client.post(url, data=form(client, url, idempotency_key="khoa-da-dung"))
    assert refused.status_code == 409 and "tải lại trang" in refused.get_data(as_text=True)
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Incident)) == 0


def test_a_proctor_of_another_room_is_refused_everywhere(app, db, make_session, make_user):
    client, session, incident = record(app, db, make_session, make_user)
    other, token = signed_in(app, "gt_b")
    room_a = incident.room_id
    assert other.get(f"/giam-thi/phong/{room_a}/bien-ban").status_code == 403
    refused = other.post(f"/giam-thi/phong/{room_a}/bien-ban", data={
        "csrf_token": token, "category": "khac", "description": "x",
        "occurred_at": now_vn_field()})
    assert refused.status_code == 403
    assert "không phải giám thị của phòng thi này" in refused.get_data(as_text=True)
    # nor through the session's form, about a candidate of room A
    by_session = f"/giam-thi/ca-thi/{session.id}/bien-ban?candidate_id={incident.candidate_id}"
    assert other.get(by_session).status_code == 403
    assert other.get(f"/giam-thi/bien-ban/{incident.id}.pdf").status_code == 403
    assert other.post(f"/giam-thi/bien-ban/{incident.id}/xu-ly", data={
        "csrf_token": token, "level": "canh_cao"}).status_code == 403
    listed = other.get(f"/giam-thi/ca-thi/{session.id}/bien-ban-da-lap")
    assert listed.status_code == 200 and f'data-incident="{incident.id}"' not in listed.get_data(
        as_text=True)
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Incident)) == 1
    assert db.scalar(select(Incident.sanction_id)) is None


def test_a_teacher_may_not_record_nor_read(app, db, make_session, make_user):
    session, room_a, _ = make_rooms(db, make_session, make_user)
    make_user("giaovien", Role.TEACHER)
    teacher, _ = signed_in(app, "giaovien")
    assert teacher.get(f"/giam-thi/phong/{room_a.id}/bien-ban").status_code == 403
    assert teacher.get(f"/giam-thi/ca-thi/{session.id}/bien-ban-da-lap").status_code == 403


def test_a_candidate_seated_in_another_room_is_refused_naming_the_field(
        app, db, make_session, make_user):
    session, room_a, _ = make_rooms(db, make_session, make_user)
    client, _ = signed_in(app, "gt_a1")
    url = f"/giam-thi/phong/{room_a.id}/bien-ban"
    response = client.post(url, data=form(client, url,
                                          candidate_id=str(session.candidates[2].id)))
    assert response.status_code == 422 and "candidate_id" in response.get_data(as_text=True)


@pytest.mark.parametrize(("values", "field"), [
    ({"category": "ngu_gat"}, "category"),
    ({"description": "   "}, "description"),
    ({"description": "x" * 5001}, "description"),
    ({"occurred_at": "hôm qua"}, "occurred_at"),
    ({"occurred_at": "2020-01-01T08:00"}, "occurred_at"),
    ({"witnesses": "\n".join(f"Người {i}" for i in range(11))}, "witnesses"),
    ({"sanction_level": "phat_tien", "candidate_id": ""}, "sanction_level"),
    ({"sanction_level": "canh_cao", "candidate_id": ""}, "sanction_level"),
    ({"candidate_id": "abc"}, "candidate_id"),
])
def test_bad_input_is_a_422_naming_the_field_and_records_nothing(app, db, make_session,
                                                                 make_user, values, field):
    _, room_a, _ = make_rooms(db, make_session, make_user)
    client, _ = signed_in(app, "gt_a1")
    url = f"/giam-thi/phong/{room_a.id}/bien-ban"
    response = client.post(url, data=form(client, url, **values))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and field in page
    if field != "candidate_id":
        assert f'data-field="{field}"' in page  # shown beside the form, input kept
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Incident)) == 0
    assert db.scalar(select(func.count()).select_from(ProctorAction)) == 0


def test_a_time_in_the_future_is_refused(app, db, make_session, make_user):
    _, room_a, _ = make_rooms(db, make_session, make_user)
    client, _ = signed_in(app, "gt_a1")
    url = f"/giam-thi/phong/{room_a.id}/bien-ban"
    later = to_vn(utcnow() + timedelta(hours=1)).strftime("%d/%m/%Y %H:%M")
    response = client.post(url, data=form(client, url, occurred_at=later))
    assert response.status_code == 422 and "tương lai" in response.get_data(as_text=True)


def test_a_session_without_rooms_takes_any_proctor_and_a_session_wide_report_is_staffs(
        app, db, make_session, make_user):
    plain = make_session(n_candidates=1)
    plain.exam_date = vn_today()
    db.commit()
    make_user("giamthi", Role.PROCTOR)
    proctor, _ = signed_in(app, "giamthi")
    url = f"/giam-thi/ca-thi/{plain.id}/bien-ban"
    assert proctor.post(url, data=form(proctor, url, category="may_hong",
                                       description="Máy số 3 hỏng nguồn.")).status_code == 303
    roomed, _, _ = make_rooms(db, make_session, make_user)
    url = f"/giam-thi/ca-thi/{roomed.id}/bien-ban"
    refused = proctor.get(url)
    assert refused.status_code == 403 and "cán bộ Sở" in refused.get_data(as_text=True)
    make_user("canbo", Role.STAFF)
    staff, _ = signed_in(app, "canbo")
    assert staff.post(url, data=form(staff, url, category="mat_dien_mang",
                                     description="Mất điện cả điểm thi.")).status_code == 303
    fresh(db)
    assert sorted(db.scalars(select(Incident.category))) == ["mat_dien_mang", "may_hong"]


def test_a_correction_is_a_new_biên_bản_naming_the_earlier_one(app, db, make_session,
                                                               make_user):
    client, _, incident = record(app, db, make_session, make_user)
    url = f"/giam-thi/phong/{incident.room_id}/bien-ban?dinh-chinh={incident.id}"
    page = client.get(url).get_data(as_text=True)
    assert f"Đính chính biên bản số {incident.id}: " in page
    corrected = client.post(url, data=form(client, url, candidate_id=str(incident.candidate_id),
                                           description=f"Đính chính biên bản số {incident.id}: "
                                           "thí sinh mang 2 tờ tài liệu, không phải 1."))
    assert corrected.status_code == 303
    fresh(db)
    assert [i.description[:24] for i in db.scalars(select(Incident).order_by(Incident.id))] == [
        "Thí sinh mang tài liệu v", "Đính chính biên bản số 1"]
    assert client.get(f"/giam-thi/phong/{incident.room_id}/bien-ban?dinh-chinh=999"
                      ).status_code == 404


# ---- sanctions --------------------------------------------------------------------------------

def test_a_sanction_chosen_with_the_biên_bản_regrades_the_submitted_attempt(
        app, db, make_session, make_user):
    _, session, incident = record(app, db, make_session, make_user, sanction_level="canh_cao")
    sanction = db.get(AttemptSanction, incident.sanction_id)
    assert sanction.level is SanctionLevel.WARNING
    assert sanction.reason == "Biên bản số 1 (Mang tài liệu trái phép)"
    result = current_result(db, sanction.attempt_id)
    assert (result.percent, result.percent_before_sanction, result.passed) == (50.0, 100.0,
                                                                               False)
    kinds = db.scalars(select(ProctorAction.kind).order_by(ProctorAction.id)).all()
    assert kinds == [ActionKind.INCIDENT, ActionKind.SANCTION]
    audit = db.scalar(select(ProctorAction).where(ProctorAction.kind == ActionKind.SANCTION))
    assert audit.detail == {"incident_id": incident.id, "sanction_id": sanction.id,
                            "level": "canh_cao", "attempt_id": sanction.attempt_id}
    assert audit.candidate_id == incident.candidate_id and audit.room_id == incident.room_id


def _decide(client, incident_id: int, level: str, **extra):
    page = client.get(f"/giam-thi/ca-thi/{extra.pop('session_id')}/bien-ban-da-lap")
    html = page.get_data(as_text=True)
    row = re.search(rf'<tr id="bien-ban-{incident_id}".*?</tr>', html, re.S).group(0)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', row).group(1)
    data = {"csrf_token": csrf_token_of(html), "idempotency_key": key, "level": level,
            "reason": "Hội đồng xem xét", **extra}
    return client.post(f"/giam-thi/bien-ban/{incident_id}/xu-ly", data=data), data


def test_a_sanction_decided_later_on_the_list_and_double_clicked_decides_once(
        app, db, make_session, make_user):
    client, session, incident = record(app, db, make_session, make_user)
    first, data = _decide(client, incident.id, "khien_trach", session_id=session.id)
    again = client.post(f"/giam-thi/bien-ban/{incident.id}/xu-ly", data=data)
    assert first.status_code == again.status_code == 303
    listed = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Đã quyết định khiển trách theo biên bản số 1." in listed
    fresh(db)
    assert db.scalar(select(func.count()).select_from(AttemptSanction)) == 1
    assert db.scalar(select(func.count()).select_from(ProctorAction).where(
        ProctorAction.kind == ActionKind.SANCTION)) == 1
    sanction = db.scalar(select(AttemptSanction))
    assert sanction.reason == "Biên bản số 1 (Mang tài liệu trái phép): Hội đồng xem xét"
    assert current_result(db, sanction.attempt_id).percent == 75.0
    assert db.scalar(select(func.count()).select_from(Result)) == 2


def test_one_sanction_per_biên_bản_and_no_second_of_the_same_level(app, db, make_session,
                                                                   make_user):
    client, session, incident = record(app, db, make_session, make_user,
                                       sanction_level="khien_trach")
    other_level, _ = _decide_refused(client, incident.id, "canh_cao", session.id)
    assert other_level.status_code == 409
    assert "Vi phạm khác cần một biên bản mới" in other_level.get_data(as_text=True)
    url = f"/giam-thi/phong/{incident.room_id}/bien-ban"
    second = client.post(url, data=form(client, url, candidate_id=str(incident.candidate_id),
                                        category="trao_doi", sanction_level="khien_trach"))
    assert second.status_code == 409
    assert "đã bị khiển trách theo biên bản số 1" in second.get_data(as_text=True)
    fresh(db)
    assert db.scalar(select(func.count()).select_from(Incident)) == 1  # rolled back whole
    assert db.scalar(select(func.count()).select_from(AttemptSanction)) == 1


def _decide_refused(client, incident_id: int, level: str, session_id: int):
    # the list shows no form on a biên bản that has its sanction: post as a stale page would
    page = client.get(f"/giam-thi/ca-thi/{session_id}/bien-ban-da-lap").get_data(as_text=True)
    data = {"csrf_token": csrf_token_of(page), "idempotency_key": f"stale-{level}",
            "level": level}
    return client.post(f"/giam-thi/bien-ban/{incident_id}/xu-ly", data=data), data


def test_a_sanction_is_refused_after_approval_saying_an_appeal_is_the_way(
        app, db, make_session, make_user):
    client, session, incident = record(app, db, make_session, make_user)
    approve_results(db, db.get(ExamSession, session.id), approved_by=None, now=utcnow())
    db.commit()
    listed = client.get(f"/giam-thi/ca-thi/{session.id}/bien-ban-da-lap").get_data(as_text=True)
    assert 'action="/giam-thi/bien-ban/1/xu-ly"' not in listed  # no form once approved
    refused, _ = _decide_refused(client, incident.id, "canh_cao", session.id)
    assert refused.status_code == 409 and "phúc khảo" in refused.get_data(as_text=True)
    fresh(db)
    assert db.scalar(select(Incident.sanction_id)) is None


@pytest.mark.parametrize("same_key", [True, False], ids=["one-form", "many-forms"])
def test_simultaneous_sanction_requests_decide_once(app, db, make_session, make_user, same_key):
    """Eight clicks at the same moment (one form posted eight times, or eight proctors' pages),
    each request in its own thread, connection and unit of work."""
    _, session, incident = record(app, db, make_session, make_user)
    clients = []
    for _ in range(8):
        client, token = signed_in(app, "gt_a1")
        clients.append((client, token))
    answers = race(clients, lambda c, i: c[0].post(
        f"/giam-thi/bien-ban/{incident.id}/xu-ly", data={
            "csrf_token": c[1], "level": "canh_cao",
            "idempotency_key": "one-key" if same_key else f"key-{i}"}).status_code)
    assert answers == [303] * len(clients)
    fresh(db)
    assert db.scalar(select(func.count()).select_from(AttemptSanction)) == 1
    assert db.scalar(select(func.count()).select_from(ProctorAction).where(
        ProctorAction.kind == ActionKind.SANCTION)) == 1
    assert db.scalar(select(func.count()).select_from(Result)) == 2  # the sit's, one re-grade


def test_staff_see_each_sanctioned_candidate_at_approval(app, db, make_session, make_user):
    _, session, incident = record(app, db, make_session, make_user, sanction_level="canh_cao")
    make_user("canbo", Role.STAFF)
    staff, _ = signed_in(app, "canbo")
    for url in (f"/can-bo/ca-thi/{session.id}/duyet", f"/can-bo/ca-thi/{session.id}"):
        page = staff.get(url).get_data(as_text=True)
        table = re.search(r'<table class="grid" id="sanctions">.*?</table>', page, re.S).group(0)
        row = re.search(r'<tr data-candidate="BN0001">.*?</tr>', table, re.S).group(0)
        assert '<td class="level">Cảnh cáo</td>' in row
        assert '<td class="before">100 %</td>' in row and '<td class="after">50 %</td>' in row
        assert "Không đạt" in row
        assert f'href="/giam-thi/bien-ban/{incident.id}.pdf"' in row
        assert "BN0002" not in table
    english = staff.get(f"/can-bo/ca-thi/{session.id}/duyet?lang=en").get_data(as_text=True)
    assert "Sanctioned candidates" in english and '<td class="level">Warning</td>' in english


VALID = {"category": "khac", "description": "Ghi nhận sự việc.", "level": "khien_trach"}


def test_hostile_values_in_every_incident_form_field_never_give_a_server_error(
        app, db, make_session, make_user):
    """The fuzz of tests/web/test_fuzz_forms.py over this page group's forms (its fixture has no
    room nor biên bản, so it does not reach them): the room's and the session's biên bản form
    and the list's sanction form, each field in turn hostile, the rest as the page filled it."""
    from tests.web.test_fuzz_forms import HOSTILE, _Forms
    client, session, incident = record(app, db, make_session, make_user)
    make_user("canbo", Role.STAFF)
    staff, _ = signed_in(app, "canbo")
    pages = [(client, f"/giam-thi/phong/{incident.room_id}/bien-ban"),
             (client, f"/giam-thi/ca-thi/{session.id}/bien-ban-da-lap"),
             (staff, f"/giam-thi/ca-thi/{session.id}/bien-ban")]
    failures, posted, statuses = [], set(), []
    for caller, page in pages:
        parser = _Forms(page)
        parser.feed(caller.get(page).get_data(as_text=True))
        for found in (f for f in parser.forms if f["action"] != "/dang-xuat"):
            url, baseline = found["action"], found["fields"]
            # the page leaves these empty: valid values, so each hostile one is the only fault
            baseline.update({name: value for name, value in VALID.items() if name in baseline})
            posted.add(re.sub(r"\d+", "<id>", url.split("?")[0]))
            for name in baseline:
                if name == "csrf_token":
                    continue
                for value in [*HOSTILE, "0001-01-01T00:00", "9999-12-31T23:59",
                              "2026-11-24T08:15+14:00", "31/12/9999 23:59"]:
                    # a fresh one-time key each time, or the first post would answer the rest
                    data = {**baseline, "idempotency_key": f"fuzz-{len(statuses)}", name: value}
                    response = caller.post(url, data=data)
                    statuses.append(response.status_code)
                    if response.status_code >= 500:
                        failures.append(f"{url} {name}={value[:40]!r}: {response.status_code}")
    assert posted == {"/giam-thi/phong/<id>/bien-ban", "/giam-thi/ca-thi/<id>/bien-ban",
                      "/giam-thi/bien-ban/<id>/xu-ly"}
    assert not failures, "\n".join(failures[:30])
    assert statuses.count(422) > 50 and 303 in statuses  # the views' validation was reached
