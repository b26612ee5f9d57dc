"""The exam page's events and its reactions to the proctor (issue 11), in a real browser: what
the candidate does away from the exam reaches the server within 5 s, off the answer path; a
pause covers the page and stops the clock, and the resume gives back the same time left;
extra time, a force-submit and a move reach the page; larger text and full screen apply."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from exam_engine.exams import clock
from exam_engine.exams.models import Answer, ResponseLogEntry
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.login_sessions import ENDED_MOVED, end_attempt_login_sessions
from proctor.models import Accommodation, ExamEvent, InvigilationSettings

pytestmark = pytest.mark.browser

PROCTOR = "user:proctor-test"
HIDE_TAB = """() => {
  Object.defineProperty(document, "hidden", { get: () => true, configurable: true });
  Object.defineProperty(document, "visibilityState", { get: () => "hidden", configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def _kinds(db, attempt_id: int) -> list[str]:
    db.rollback()  # the server thread commits in its own sessions
    return list(db.scalars(select(ExamEvent.kind).where(ExamEvent.attempt_id == attempt_id)
                           .order_by(ExamEvent.id)))


def _arrives_within(db, poll, attempt_id: int, kind: str, seconds: float) -> float:
    """How long until an event of ``kind`` is stored (fails past ``seconds``)."""
    started = time.monotonic()
    assert poll(lambda: kind in _kinds(db, attempt_id), timeout=seconds, interval=0.1), \
        f"no {kind} stored within {seconds} s: {_kinds(db, attempt_id)}"
    return time.monotonic() - started


def _clock_seconds(page: Any) -> int:
    minutes, seconds = page.locator("#clock").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def _with_db(db, change) -> Any:
    db.rollback()  # SQLite: a write from a stale read snapshot is refused
    result = change()
    db.commit()
    return result


def test_leaving_the_exam_window_or_tab_reaches_the_server_within_five_seconds(
        db, poll, sitting):
    context, page, attempt_id = sitting
    # Playwright tells every page it has the focus; switch that off so the window really loses
    # it when another page comes to the front (headless Chromium does not hide a background
    # tab, so the tab switch itself is dispatched as the browser would).
    context.new_cdp_session(page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    other = context.new_page()
    other.bring_to_front()
    assert _arrives_within(db, poll, attempt_id, "blur", 5) < 5
    page.evaluate(HIDE_TAB)
    assert _arrives_within(db, poll, attempt_id, "tab_hidden", 5) < 5
    page.bring_to_front()
    page.locator("#question .stem").click(button="right")
    assert _arrives_within(db, poll, attempt_id, "context_menu", 5) < 5
    db.rollback()
    rows = db.scalars(select(ExamEvent).where(ExamEvent.attempt_id == attempt_id)
                      .order_by(ExamEvent.client_seq)).all()
    client_rows = [r for r in rows if r.client_seq is not None]
    assert [r.client_seq for r in client_rows] == list(range(1, len(client_rows) + 1))
    menu = next(r for r in rows if r.kind == "context_menu")
    assert menu.detail["target"] in ("div", "span", "p") and menu.detail["position"] == 0
    assert abs(menu.client_at - utcnow()) < timedelta(seconds=30)
    assert db.scalar(select(Answer.position).where(Answer.attempt_id == attempt_id)) is None


def test_events_of_a_page_offline_are_kept_and_sent_when_it_is_back_with_seqs_past_a_reload(
        db, poll, sitting):
    context, page, attempt_id = sitting
    context.set_offline(True)
    page.locator("#question .stem").click(button="right")
    page.wait_for_timeout(1500)  # the flagged event's send fails: kept in localStorage
    assert "context_menu" not in _kinds(db, attempt_id)
    queued = page.evaluate(f"JSON.parse(localStorage.getItem('exam-events:{attempt_id}'))")
    assert "context_menu" in [e["kind"] for e in queued["queue"]]
    context.set_offline(False)
    _arrives_within(db, poll, attempt_id, "context_menu", 8)
    page.reload()
    _arrives_within(db, poll, attempt_id, "reload", 5)
    db.rollback()
    seqs = list(db.scalars(select(ExamEvent.client_seq).where(
        ExamEvent.attempt_id == attempt_id, ExamEvent.client_seq.is_not(None))
        .order_by(ExamEvent.client_seq)))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 2
    queue = page.evaluate(f"JSON.parse(localStorage.getItem('exam-events:{attempt_id}'))")
    assert queue["queue"] == [] and queue["next"] == seqs[-1] + 1


def test_a_pause_covers_the_page_stops_the_clock_and_the_resume_gives_back_the_same_time(
        db, poll, sitting):
    _, page, attempt_id = sitting
    _with_db(db, lambda: clock.pause_attempt(db, attempt_id, utcnow(), PROCTOR))
    # the page learns it from the refused save at once (not at the next heartbeat)
    page.locator("#question .options input").nth(0).check()
    overlay = page.locator("#paused")
    expect(overlay).to_be_visible(timeout=3000)
    expect(overlay).to_contain_text("Bài thi đang tạm dừng theo yêu cầu của cán bộ coi thi")
    assert page.locator("#exam-main").evaluate("e => e.inert") is True
    frozen = _clock_seconds(page)
    page.wait_for_timeout(3500)
    assert _clock_seconds(page) == frozen
    expect(page.locator("#paused-clock")).to_have_text(page.locator("#clock").inner_text())
    db.rollback()
    assert db.scalar(select(Answer.position).where(Answer.attempt_id == attempt_id)) is None

    _with_db(db, lambda: clock.resume_attempt(db, attempt_id, utcnow(), PROCTOR))
    expect(overlay).to_be_hidden(timeout=5000)  # polled every 3 s while paused
    assert abs(_clock_seconds(page) - frozen) <= 2
    page.wait_for_timeout(2500)
    assert frozen - 6 <= _clock_seconds(page) < frozen  # and it runs again
    assert page.locator("#exam-main").evaluate("e => e.inert") is False
    # the answer given as the pause fell was kept and is saved now
    assert poll(lambda: (db.rollback(), db.scalar(select(Answer.seq).where(
        Answer.attempt_id == attempt_id)))[1] == 1)


def test_a_reload_during_a_pause_shows_the_overlay_at_once(db, sitting):
    _, page, attempt_id = sitting
    _with_db(db, lambda: clock.pause_attempt(db, attempt_id, utcnow(), PROCTOR))
    page.reload()
    expect(page.locator("#paused")).to_be_visible(timeout=3000)


def test_extra_time_moves_the_candidates_clock(db, sitting):
    _, page, attempt_id = sitting
    before = _clock_seconds(page)
    _with_db(db, lambda: clock.grant_extra_time(db, attempt_id, 600, utcnow(), PROCTOR))
    page.locator("#question .stem").click(button="right")  # any flagged event: sent at once
    expect(page.locator("#clock")).to_have_text(re.compile(r"^(3[89]|40):"), timeout=5000)
    assert _clock_seconds(page) >= before + 590


def test_a_force_submit_sends_the_page_to_the_result(db, sitting):
    _, page, attempt_id = sitting
    _with_db(db, lambda: clock.force_submit(db, attempt_id, utcnow(), PROCTOR))
    page.wait_for_url(re.compile(r"/thi/ket-qua$"), timeout=15_000)  # the 10 s heartbeat
    expect(page.locator("h1")).to_have_text("Kết quả bài thi")


def test_a_moved_browser_is_told_so_and_stops_keeping_its_outbox(db, poll, sitting):
    context, page, attempt_id = sitting
    context.set_offline(True)
    page.locator("#question .options input").nth(1).check()  # in the outbox only
    _with_db(db, lambda: end_attempt_login_sessions(db, attempt_id, utcnow(),
                                                    reason=ENDED_MOVED))
    context.set_offline(False)
    moved = page.locator("#moved")
    expect(moved).to_be_visible(timeout=15_000)
    expect(moved).to_contain_text("Bạn đã được chuyển sang máy khác")
    assert page.locator("#exam-main").evaluate("e => e.inert") is True
    ticking = _clock_seconds(page)
    page.wait_for_timeout(2000)
    assert _clock_seconds(page) == ticking  # nothing more happens here
    outbox = page.evaluate(f"JSON.parse(localStorage.getItem('exam-outbox:{attempt_id}'))")
    assert len(outbox) == 1  # kept: nothing is thrown away on this computer
    db.rollback()
    assert db.scalar(select(Answer.position).where(Answer.attempt_id == attempt_id)) is None


def test_larger_text_enlarges_the_question_for_a_candidate_who_has_it(db, sitting,
                                                                      wait_for_paper):
    _, page, attempt_id = sitting
    size = "e => parseFloat(getComputedStyle(e).fontSize)"
    normal = page.locator("#question .stem").evaluate(size)
    option = page.locator("#question .options label").first.evaluate(size)
    db.rollback()
    from exam_engine.exams.models import Attempt
    candidate_id = db.get(Attempt, attempt_id).candidate_id
    db.add(Accommodation(candidate_id=candidate_id, large_text=True))
    db.commit()
    page.reload()
    wait_for_paper(page)
    assert page.locator("#exam").get_attribute("data-large-text") is not None
    assert page.locator("#question .stem").evaluate(size) >= normal * 1.2
    assert page.locator("#question .options label").first.evaluate(size) >= option * 1.2


def test_a_session_asking_for_full_screen_asks_with_a_button_and_notes_leaving_it(
        db, poll, sitting, wait_for_paper):
    _, page, attempt_id = sitting
    expect(page.locator("#fullscreen-needed")).to_be_hidden()  # not asked by default
    db.rollback()
    from exam_engine.exams.models import Attempt
    session_id = db.get(Attempt, attempt_id).candidate.exam_session_id
    db.add(InvigilationSettings(exam_session_id=session_id, require_fullscreen=True))
    db.commit()
    page.reload()
    wait_for_paper(page)
    notice = page.locator("#fullscreen-needed")
    expect(notice).to_be_visible()
    page.click("#fullscreen-enter")
    expect(notice).to_be_hidden()
    assert page.evaluate("document.fullscreenElement !== null")
    page.evaluate("document.exitFullscreen()")
    expect(notice).to_be_visible()
    assert _arrives_within(db, poll, attempt_id, "fullscreen_exit", 5) < 5
    assert "fullscreen_enter" in _kinds(db, attempt_id)


def test_each_save_carries_the_time_spent_on_its_question_to_the_response_log(db, poll, sitting):
    _, page, attempt_id = sitting
    page.locator("#navigator button").nth(1).click()
    expect(page.locator("#question h2")).to_contain_text(" 2/")
    page.wait_for_timeout(1500)
    page.locator("#question .options input").nth(0).check()
    expect(page.locator("#save-status")).to_have_text("Đã lưu")

    def logged() -> list[tuple[int, int | None]]:
        db.rollback()
        return db.execute(select(ResponseLogEntry.position, ResponseLogEntry.client_ms_on_item)
                          .where(ResponseLogEntry.attempt_id == attempt_id)).all()

    assert poll(logged)
    [(position, ms)] = logged()
    assert position == 1 and 1400 <= ms < 60_000, ms
