"""The exam page tells the candidate where he stands (issue 10, hole 14): "Đã trả lời x/N" kept
current, a flag shown by a mark and words rather than colour alone, and a calm page of its own
when the time runs out while the network is down (it used to navigate to the result and show
the browser's own "no internet" error)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from exam_engine.exams.models import Attempt
from exam_engine.exams.states import AttemptStatus

pytestmark = pytest.mark.browser


def _go(page: Any, position: int) -> None:
    page.locator("#navigator button").nth(position).click()
    expect(page.locator("#question h2")).to_contain_text(f" {position + 1}/")


def test_the_answered_count_follows_every_answer_and_survives_a_reload(sitting):
    _, page, _ = sitting
    count = page.locator("#answered-count")
    expect(count).to_have_text("Đã trả lời 0/6")
    _go(page, 2)
    page.locator("#question .options input").nth(1).check()
    expect(count).to_have_text("Đã trả lời 1/6")
    _go(page, 4)
    page.locator("#question .options input").nth(0).check()
    expect(count).to_have_text("Đã trả lời 2/6")
    expect(page.locator("#save-status")).to_have_text("Đã lưu")
    page.reload()
    page.wait_for_selector("#navigator button")
    expect(page.locator("#answered-count")).to_have_text("Đã trả lời 2/6")


def test_a_flagged_question_is_marked_by_a_sign_and_words_not_colour_alone(sitting):
    _, page, _ = sitting
    _go(page, 1)
    page.check("#flag")
    button = page.locator("#navigator button").nth(1)
    expect(button).to_have_text("2 ⚑")
    expect(button).to_have_attribute("aria-label", re.compile("đã đánh dấu xem lại"))
    expect(page.locator("#navigator button").nth(0)).to_have_text("1")
    page.uncheck("#flag")
    expect(button).to_have_text("2")
    expect(button).not_to_have_attribute("aria-label", re.compile("đánh dấu"))


def test_time_up_while_offline_stays_on_a_calm_page_then_shows_the_result(
        db, sitting, deadline_in):
    context, page, attempt_id = sitting
    # 8 s: the reload must finish and the network drop before time is up, even on a busy host
    deadline_in(page, attempt_id, 8)
    context.set_offline(True)
    page.locator("#question .options input").nth(0).check()  # kept in the outbox
    expect(page.locator("#time-up")).to_be_visible(timeout=15_000)
    expect(page.locator("#time-up")).to_contain_text("đã được giữ an toàn trên máy này")
    page.wait_for_timeout(4000)  # several retries while still offline
    assert page.url.endswith("/thi/"), page.url
    expect(page.locator("#time-up")).to_be_visible()
    expect(page.locator("#exam-main")).to_be_hidden()

    context.set_offline(False)
    page.wait_for_url(re.compile(r"/thi/ket-qua$"), timeout=15_000)
    expect(page.locator("h1")).to_have_text("Kết quả bài thi")
    db.rollback()
    db.expire_all()
    assert db.get(Attempt, attempt_id).status is AttemptStatus.SUBMITTED
