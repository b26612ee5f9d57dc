"""Issue 11's proof, in real browsers on both databases: a room run end to end as a test centre
runs it — two proctors, candidates in by personal code, a tab switch seen live, a room pause
that stops the clock, ten minutes given back, a move to the spare computer after a failure
with every answer there, a biên bản, a second browser that cannot sit silently, and an absent
candidate who cannot start once the room is closed."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from exam_engine.exams.models import Answer, Attempt
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.db import utcnow
from proctor.models import ActionKind, ExamEvent, Incident, ProctorAction, SeatAssignment
from proctor.room_setup import assign_seats_automatically, create_room, set_room_proctors
from tests.browser.conftest import STAFF_PASSWORD
from tests.conftest import personal_code_in

pytestmark = pytest.mark.browser

WITHIN_MS = 5000  # the proctor's view is at most 5 s behind


def _proctor(context: Any, username: str, room_id: int) -> Any:
    page = context.new_page()
    page.goto("/dang-nhap")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/giam-thi/$"))
    page.goto(f"/giam-thi/phong/{room_id}")
    return page


def _room_action(page: Any, button: str, reason: str) -> None:
    """A room-wide action: open its <details>, give the reason, confirm."""
    summary = page.locator("details.room-action > summary", has_text=button + "…")
    summary.click()
    details = page.locator("details.room-action[open]")
    details.get_by_role("textbox").fill(reason)
    details.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def _panel(page: Any, seat: str, candidate_id: int) -> Any:
    page.locator(f'.seat-map a.seat[data-seat="{seat}"]').click()
    panel = page.locator(f"#panel-{candidate_id}")
    expect(panel).to_be_visible()
    return panel


def _clock_seconds(page: Any, selector: str = "#clock") -> int:
    minutes, seconds = page.locator(selector).inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def _answer(page: Any, question: int) -> None:
    """Tick the first option of question ``question`` (1-based) and wait for its ack."""
    page.locator("#navigator button").nth(question - 1).click()
    page.locator("#question input").first.check()
    page.wait_for_function("document.getElementById('save-status').className.includes('ok')")


def _log_in_candidate(page: Any, number: str, code: str) -> None:
    page.goto("/thi/dang-nhap")
    page.fill("input[name=candidate_number]", number)
    page.fill("input[name=login_code]", code)
    page.click("form.stack button[type=submit]")


def _deadline(db, attempt_id: int) -> datetime:
    db.rollback()
    return db.get(Attempt, attempt_id).deadline


def test_a_room_run_end_to_end_by_two_proctors(db, make_session, make_user, new_context,
                                               candidate_login, wait_for_paper, poll):
    exam = make_session(n_candidates=4, per_module=1)
    staff = make_user("canbo", Role.STAFF)
    first, second = make_user("giamthi1", Role.PROCTOR), make_user("giamthi2", Role.PROCTOR)
    room = create_room(db, exam.id, name="Phòng 101", rows=2, columns=3, spare_seats=["B3"])
    set_room_proctors(db, room.id, [first.id, second.id], actor_id=staff.id, now=utcnow())
    assign_seats_automatically(db, exam.id, actor_id=staff.id, now=utcnow())
    db.commit()
    seats = {a.candidate_id: a.seat for a in db.scalars(select(SeatAssignment))}
    bn = {c.candidate_number: c for c in exam.candidates}
    attempt = {number: c.attempt.id for number, c in bn.items()}
    db.commit()  # SQLite: the app's threads write; this session must hold no snapshot

    # Two proctors watch the room; nobody can start before it opens.
    watch = _proctor(new_context(), "giamthi1", room.id)
    other = _proctor(new_context(), "giamthi2", room.id)
    early = new_context().new_page()
    db.rollback()
    candidate_login(early, "BN0001", exam.session_code)
    early.click("#start")
    expect(early.locator("body")).to_contain_text("chưa mở")
    _room_action(watch, "Mở phòng thi", "Đủ hai giám thị, bắt đầu ca thi")
    expect(watch.locator("#room-state")).to_have_text("Đang mở")

    # Candidates in by their personal codes (the card's), three start; BN0001 was waiting.
    early.goto("/thi/")
    early.click("#start")
    wait_for_paper(early)
    pages = {"BN0001": early}
    for number in ("BN0002", "BN0003"):
        page = new_context().new_page()
        db.rollback()
        candidate_login(page, number, exam.session_code)
        page.click("#start")
        wait_for_paper(page)
        pages[number] = page
    for number in ("BN0001", "BN0002", "BN0003"):
        seat = watch.locator(f'.seat-map a.seat[data-seat="{seats[bn[number].id]}"]')
        expect(seat).to_contain_text("Đang làm bài", timeout=WITHIN_MS)

    # BN0001 switches tab: the event reaches both proctors within 5 s.
    pages["BN0001"].evaluate("""() => {
      Object.defineProperty(document, "hidden", { get: () => true, configurable: true });
      Object.defineProperty(document, "visibilityState", { get: () => "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }""")
    switched = time.monotonic()
    flags = watch.locator(f'.seat-map a.seat[data-seat="{seats[bn["BN0001"].id]}"] [data-field="flags"]')
    expect(flags).to_be_visible(timeout=WITHIN_MS)
    expect(other.locator("#room-events")).to_contain_text("BN0001", timeout=WITHIN_MS)
    assert time.monotonic() - switched < WITHIN_MS / 1000
    assert db.scalar(select(ExamEvent.kind).where(ExamEvent.attempt_id == attempt["BN0001"],
                                                   ExamEvent.kind == "tab_hidden"))

    # The second proctor pauses the room: BN0002's clock stops, and resumes with the same time.
    _answer(pages["BN0002"], 1)
    _answer(pages["BN0002"], 2)
    before = _deadline(db, attempt["BN0002"])
    _room_action(other, "Tạm dừng cả phòng", "Mất điện khu B, chờ máy phát")
    paused = pages["BN0002"].locator("#paused")
    expect(paused).to_be_visible(timeout=12_000)
    frozen = _clock_seconds(pages["BN0002"], "#paused-clock")
    time.sleep(3)
    assert _clock_seconds(pages["BN0002"], "#paused-clock") == frozen  # the clock stands still
    _room_action(other, "Cho cả phòng làm bài tiếp", "Đã có điện trở lại")
    expect(paused).to_be_hidden(timeout=12_000)
    resumed = _clock_seconds(pages["BN0002"])
    assert abs(resumed - frozen) <= 3, (frozen, resumed)  # the page re-syncs within a tick
    moved_by = (_deadline(db, attempt["BN0002"]) - before).total_seconds()
    paused_for = db.get(Attempt, attempt["BN0002"]).paused_seconds
    assert moved_by >= 3 and abs(moved_by - paused_for) < 1, "deadline moved by the pause"

    # Ten extra minutes for BN0003 (a computer froze earlier): his clock shows them.
    before = _deadline(db, attempt["BN0003"])
    shown = _clock_seconds(pages["BN0003"])
    panel = _panel(watch, seats[bn["BN0003"].id], bn["BN0003"].id)
    extra = panel.locator("form", has=watch.get_by_role("button", name="Cộng thêm giờ"))
    extra.get_by_label("Số phút cộng thêm").fill("10")
    extra.get_by_label("Lý do cộng thêm giờ").fill("Máy treo 10 phút lúc đầu giờ")
    extra.get_by_role("button", name="Cộng thêm giờ").click()
    watch.wait_for_load_state()
    assert (_deadline(db, attempt["BN0003"]) - before).total_seconds() == 600
    poll(lambda: _clock_seconds(pages["BN0003"]) > shown + 540, timeout=15)
    assert _clock_seconds(pages["BN0003"]) > shown + 540

    # BN0002's computer fails (its network goes); the proctor moves him to the spare seat B3.
    pages["BN0002"].context.set_offline(True)
    deadline = _deadline(db, attempt["BN0002"])
    panel = _panel(watch, seats[bn["BN0002"].id], bn["BN0002"].id)
    move = panel.locator("form", has=watch.get_by_role("button", name="Chuyển chỗ ngồi"))
    move.get_by_label("Ghế mới").fill("B3")
    move.get_by_label("Lý do chuyển chỗ (ví dụ: máy hỏng)").fill("Máy A2 hỏng màn hình")
    move.get_by_role("button", name="Chuyển chỗ ngồi").click()
    watch.wait_for_load_state()
    db.rollback()
    assert db.get(SeatAssignment, bn["BN0002"].id).seat == "B3"
    spare = new_context().new_page()  # the spare computer, with a card printed for it
    db.rollback()
    code = personal_code_in(db, exam.session_code, "BN0002")
    db.commit()
    _log_in_candidate(spare, "BN0002", code)
    spare.wait_for_url(re.compile(r"/thi/$"))
    wait_for_paper(spare)
    answered = spare.locator("#navigator button.answered")
    expect(answered).to_have_count(2)  # every answer saved on the failed computer is there
    left = (deadline - utcnow()).total_seconds()
    assert abs(_clock_seconds(spare) - left) <= 3  # the right time: the server's deadline
    # The failed computer comes back: it is told it was moved, and saves nothing more.
    pages["BN0002"].context.set_offline(False)
    expect(pages["BN0002"].locator("#moved")).to_be_visible(timeout=15_000)

    # A biên bản of the failure, printable.
    panel = _panel(watch, "B3", bn["BN0002"].id)
    panel.get_by_role("link", name="Lập biên bản").click()
    watch.select_option("select[name=category]", "may_hong")
    watch.fill("input[name=occurred_at]", f"{exam.exam_date:%Y-%m-%d}T08:15")  # exam day
    watch.fill("textarea[name=description]", "Máy ghế A2 tắt màn hình; thí sinh chuyển sang B3.")
    watch.fill("textarea[name=witnesses]", "Đỗ Quang Vinh\nNguyễn Thị Hoa")
    watch.click("#save-incident")
    watch.wait_for_load_state()
    errors = watch.locator("#form-errors")
    assert errors.count() == 0, errors.inner_text()
    db.rollback()
    incident = db.scalar(select(Incident).where(Incident.candidate_id == bn["BN0002"].id))
    assert incident is not None and incident.category == "may_hong"
    pdf = watch.request.get(f"/giam-thi/bien-ban/{incident.id}.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # A second browser with BN0001's số báo danh cannot sit silently: it waits for a proctor.
    watch.goto(f"/giam-thi/phong/{room.id}")
    intruder = new_context().new_page()
    db.rollback()
    code = personal_code_in(db, exam.session_code, "BN0001")
    db.commit()
    _log_in_candidate(intruder, "BN0001", code)
    intruder.wait_for_url(re.compile(r"/thi/cho-giam-thi"))
    expect(watch.locator(f'.seat-map a.seat[data-seat="{seats[bn["BN0001"].id]}"]')
           ).to_contain_text("Chờ vào phòng", timeout=WITHIN_MS)
    assert intruder.goto("/thi/").url.endswith("/thi/dang-nhap")  # no exam for it

    # Closing the room marks BN0004, who never came, absent; he cannot start after it.
    _room_action(watch, "Đóng phòng thi", "Hết giờ vào phòng")
    db.rollback()
    assert db.get(Attempt, attempt["BN0004"]).status is AttemptStatus.ABSENT
    late = new_context().new_page()
    db.rollback()
    code = personal_code_in(db, exam.session_code, "BN0004")
    db.commit()
    _log_in_candidate(late, "BN0004", code)
    expect(late.locator("body")).to_contain_text("vắng thi")
    assert db.get(Attempt, attempt["BN0004"]).started_at is None

    # Every action above is in the room's audit log with its reason.
    kinds = {a.kind: a.reason for a in db.scalars(select(ProctorAction)
                                                 .where(ProctorAction.room_id == room.id))}
    assert kinds[ActionKind.OPEN_ROOM] == "Đủ hai giám thị, bắt đầu ca thi"
    assert kinds[ActionKind.PAUSE_ROOM] == "Mất điện khu B, chờ máy phát"
    assert kinds[ActionKind.EXTRA_TIME] == "Máy treo 10 phút lúc đầu giờ"
    assert kinds[ActionKind.MOVE] == "Máy A2 hỏng màn hình"
    assert ActionKind.INCIDENT in kinds and ActionKind.CLOSE_ROOM in kinds
    assert db.scalar(select(Answer.seq).where(Answer.attempt_id == attempt["BN0002"],
                                              Answer.position == 0)) is not None
