"""The candidate's exam page (exam.js) in chromium: offline outbox, reload, the clock, English."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.models import Attempt, AttemptEvent, AttemptItem
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.db import utcnow
from item_bank.models import ItemVersion
from tests.exam_engine.stored_answers import answers_as_shown

pytestmark = pytest.mark.browser

OFFLINE_VI = "Mất kết nối"


def stored_answers(db: Session, attempt_id: int) -> dict[int, tuple[list[int], int, bool]]:
    """What the server has committed: position -> (selected, seq, flagged), ``selected`` as
    the positions this candidate saw (the server stores the ticked part ids)."""
    return answers_as_shown(db, attempt_id)


def single_choice_positions(db: Session, attempt_id: int) -> list[int]:
    return list(db.scalars(select(AttemptItem.position)
                           .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
                           .where(AttemptItem.attempt_id == attempt_id,
                                  ItemVersion.kind == "single")
                           .order_by(AttemptItem.position)))


def choose(page: Any, position: int, option: int) -> None:
    """Go to the question with the navigator and tick one option (shown order)."""
    page.locator("#navigator button").nth(position).click()
    expect(page.locator("#question h2")).to_contain_text(f" {position + 1}/")
    page.locator("#question .options input").nth(option).check()


def outbox(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => {
        const key = Object.keys(localStorage).find((k) => k.startsWith('exam-outbox:'));
        return key ? JSON.parse(localStorage.getItem(key)) : {};
    }""")


def test_offline_answers_wait_in_the_outbox_then_reach_the_server(db, sitting, poll):
    context, page, attempt_id = sitting
    context.set_offline(True)
    choose(page, 0, 1)
    choose(page, 1, 2)
    expect(page.locator("#save-status")).to_contain_text(OFFLINE_VI)
    assert sorted(outbox(page)) == ["0", "1"]
    assert stored_answers(db, attempt_id) == {}  # nothing left this computer

    context.set_offline(False)
    saved = poll(lambda: len(stored_answers(db, attempt_id)) == 2 and stored_answers(db, attempt_id))
    assert saved == {0: ([1], 1, False), 1: ([2], 1, False)}
    expect(page.locator("#save-status")).to_have_text("Đã lưu")
    assert outbox(page) == {}


def test_newer_local_answer_survives_a_reload_and_wins_after_reconnect(db, sitting, poll):
    context, page, attempt_id = sitting
    position = single_choice_positions(db, attempt_id)[0]
    choose(page, position, 0)
    assert poll(lambda: stored_answers(db, attempt_id).get(position) == ([0], 1, False))

    context.set_offline(True)
    choose(page, position, 3)  # the newer answer, seq 2, only on this computer
    expect(page.locator("#save-status")).to_contain_text(OFFLINE_VI)
    # A page cannot be reloaded while offline; keep the saves failing instead, so the reload
    # happens with the outbox still holding seq 2 and the server still at seq 1.
    page.route("**/thi/api/answers", lambda route: route.abort("internetdisconnected"))
    context.set_offline(False)
    page.reload()
    page.wait_for_selector("#navigator button")
    page.locator("#navigator button").nth(position).click()
    options = page.locator("#question .options input")
    expect(options.nth(3)).to_be_checked()
    expect(options.nth(0)).not_to_be_checked()
    expect(page.locator("#navigator button").nth(position)).to_have_class(re.compile("answered"))
    assert stored_answers(db, attempt_id)[position] == ([0], 1, False)

    page.unroute("**/thi/api/answers")  # the network is back: the periodic flush drains
    assert poll(lambda: stored_answers(db, attempt_id).get(position) == ([3], 2, False))
    expect(page.locator("#save-status")).to_have_text("Đã lưu")


def test_countdown_at_zero_ends_the_exam_and_later_saves_are_refused(
        db, sitting, deadline_in):
    context, page, attempt_id = sitting
    deadline_in(page, attempt_id, 3)
    assert re.fullmatch(r"00:0[0-3]", page.locator("#clock").inner_text())

    page.wait_for_url(re.compile(r"/thi/ket-qua$"), timeout=10_000)
    expect(page.locator("h1")).to_have_text("Kết quả bài thi")
    db.rollback()
    db.expire_all()  # expire_on_commit=False: the identity map still holds the old row
    assert db.get(Attempt, attempt_id).status is AttemptStatus.SUBMITTED

    # One grace rule whoever closes the attempt: a save is late once the grace window after
    # the deadline has passed too (SAVE_GRACE_SECONDS, 3 s by default).
    deadline = db.get(Attempt, attempt_id).deadline
    time.sleep(max(0.0, (deadline + timedelta(seconds=3.5) - utcnow()).total_seconds()))
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    late = page.request.post("/thi/api/answers", headers={"X-CSRFToken": token},
                             data={"position": 0, "selected": [1], "seq": 5})
    assert late.status == 409
    assert late.json()["message"] == "Bài thi đã nộp: không thể lưu thêm câu trả lời."
    assert stored_answers(db, attempt_id) == {}
    closed = db.execute(select(AttemptEvent.actor, AttemptEvent.at).where(
        AttemptEvent.attempt_id == attempt_id, AttemptEvent.to_status == "submitted")).all()
    assert len(closed) == 1
    attempt = db.get(Attempt, attempt_id)
    early = (attempt.deadline - attempt.submitted_at).total_seconds()
    assert early <= 0, f"the page submitted {early:.2f} s before the server's deadline"
    assert closed[0].actor == "server:deadline"


def test_english_interface(db, make_session, new_context, candidate_login, wait_for_paper):
    exam = make_session(n_candidates=1, per_module=1)
    page = new_context().new_page()
    page.goto("/thi/dang-nhap?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Candidate login")
    expect(page.locator("form.stack")).to_contain_text("Login code")
    candidate_login(page, "BN0001", exam.session_code, query="?lang=en")
    kept_after_login = page.locator("html").get_attribute("lang") == "en"

    page.goto("/thi/?lang=en")
    expect(page.locator("h2").first).to_have_text("Instructions")
    expect(page.locator("main ul")).to_contain_text("One question at a time")
    expect(page.locator("#start")).to_have_text("Start the exam")
    page.click("#start")
    wait_for_paper(page)
    expect(page.locator(".clock")).to_contain_text("Time left")
    expect(page.locator("#submit")).to_have_text("Submit")
    expect(page.locator("#save-status")).to_have_text("Saved")
    expect(page.locator("#question h2")).to_have_text("Question 1/6 IU01")
    expect(page.locator("#navigator button").first).to_have_attribute("aria-label", "Question 1")
    page.click("#submit")
    expect(page.locator("#unanswered")).to_have_text("Unanswered questions: 1, 2, 3, 4, 5, 6")
    expect(page.locator("#confirm-yes")).to_have_text("Confirm and submit")

    assert kept_after_login, "logging in forgot the language picked on the login page"


def test_submit_right_after_an_answer_waits_for_its_save(db, sitting):
    """Answer, then submit at once while that save is still in flight: the submit must wait
    for the save and go through, not give up with the offline message."""
    context, page, attempt_id = sitting
    held: list[Any] = []
    page.route("**/thi/api/answers", lambda route: held.append(route))  # a slow LAN: hold it
    with page.expect_request("**/thi/api/answers"):
        choose(page, 0, 1)
    page.click("#submit")
    page.click("#confirm-yes")
    page.wait_for_timeout(300)
    status_while_saving = page.locator("#save-status").inner_text()
    held[0].continue_()
    page.unroute("**/thi/api/answers")
    page.wait_for_url(re.compile(r"/thi/ket-qua$"), timeout=5_000)
    assert status_while_saving != "Mất kết nối: câu trả lời được giữ trên máy và sẽ gửi lại"
    assert stored_answers(db, attempt_id)[0] == ([1], 1, False)
