"""A candidate answers one item of every kind in chromium, reloads and finds every answer,
submits, and gets the score worked out by hand (tests/exam_engine/kinds_bank.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.models import Answer, Result
from item_bank.content import ItemKind
from item_bank.models import ItemVersion
from tests.exam_engine.kinds_bank import (
    CHOICE_ANSWERS,
    EXPECTED_CREDIT,
    EXPECTED_FULL,
    make_kind_session,
    shown_positions,
    slots_by_kind,
)

pytestmark = pytest.mark.browser


def go_to(page: Any, position: int) -> Any:
    page.locator("#navigator button").nth(position).click()
    expect(page.locator("#question h2")).to_contain_text(f" {position + 1}/")
    return page.locator("#question")


def stored(db: Session, attempt_id: int) -> dict[int, Any]:
    db.rollback()  # a new snapshot: the live server writes from another thread
    return dict(db.execute(select(Answer.position, Answer.selected)
                           .where(Answer.attempt_id == attempt_id)).all())


def answer_everything(page: Any, plan: dict[ItemKind, Any]) -> None:
    """The answers of kinds_bank.ANSWERS, given through the page's own controls."""
    for kind, (slot, shown) in plan.items():
        question = go_to(page, slot.position)
        order = slot.option_order
        if kind in CHOICE_ANSWERS:
            for position in shown:
                question.locator(".options input").nth(position).check()
        elif kind is ItemKind.TRUE_FALSE4:
            for part_id, truth in {"A": True, "B": False, "C": False}.items():
                row = question.locator("table.judge tbody tr").nth(order["choices"].index(part_id))
                row.locator("input").nth(0 if truth else 1).check()
        elif kind is ItemKind.MATCHING:
            for part_id, target in {"A": "2", "B": "3", "C": "1"}.items():
                # by index: select_option("2") would also match the option *labelled* 2
                question.locator(".lefts select").nth(order["choices"].index(part_id)) \
                    .select_option(index=order["targets"].index(target) + 1)
        elif kind is ItemKind.ORDERING:
            for place, part_id in enumerate(["B", "A", "C"], start=1):
                question.locator(".ordering select").nth(order["choices"].index(part_id)) \
                    .select_option(str(place))
        elif kind is ItemKind.SHORT_ANSWER:
            question.locator("input[type=text]").fill("  ctrl   z ")  # saved after the pause
        elif kind is ItemKind.NUMERIC:
            box = question.locator("input[inputmode=decimal]")
            box.fill("3,49")
            box.press("Tab")  # leaving the field saves at once
        elif kind is ItemKind.CLOZE:
            question.locator("input.gap[data-gap='1']").fill("sum")
            question.locator("select.gap[data-gap='2']").select_option("A1")


def test_a_candidate_answers_every_kind_reloads_sees_them_and_gets_partial_credit(
        db, new_context, start_exam, poll):
    exam = make_kind_session(db)
    attempt_id = exam.candidates[0].attempt.id
    slots = slots_by_kind(db, attempt_id)
    plan = {kind: (slot, shown_positions(slot, db.get(ItemVersion, slot.item_version_id),
                                         CHOICE_ANSWERS[kind][0])
                   if kind in CHOICE_ANSWERS else None) for kind, slot in slots.items()}
    page = start_exam(new_context(), "BK0001", exam.session_code)
    answer_everything(page, plan)

    saved = poll(lambda: len(stored(db, attempt_id)) == 8 and stored(db, attempt_id))
    by_kind = {kind: saved[slot.position] for kind, slot in slots.items()}
    assert by_kind[ItemKind.SHORT_ANSWER] == "ctrl z"
    assert by_kind[ItemKind.NUMERIC] == pytest.approx(3.49)
    assert by_kind[ItemKind.ORDERING] == ["B", "A", "C"]
    assert by_kind[ItemKind.TRUE_FALSE4] == {"A": True, "B": False, "C": False}
    assert by_kind[ItemKind.CLOZE] == {"1": "sum", "2": "A1"}
    assert by_kind[ItemKind.MATCHING] == {"A": "2", "B": "3", "C": "1"}
    expect(page.locator("#save-status")).to_have_text("Đã lưu")

    page.reload()
    page.wait_for_selector("#navigator button")
    answered = page.locator("#navigator button.answered")
    expect(answered).to_have_count(7)  # true/false-4 has a statement left unjudged
    for kind, (slot, shown) in plan.items():
        question = go_to(page, slot.position)
        order = slot.option_order
        if kind in CHOICE_ANSWERS:
            checked = [i for i in range(4) if question.locator(".options input").nth(i)
                       .is_checked()]
            assert checked == shown
        elif kind is ItemKind.TRUE_FALSE4:
            rows = question.locator("table.judge tbody tr")
            c = rows.nth(order["choices"].index("C"))
            expect(c.locator("input").nth(1)).to_be_checked()
            d = rows.nth(order["choices"].index("D"))
            expect(d.locator("input:checked")).to_have_count(0)
        elif kind is ItemKind.MATCHING:
            b = question.locator(".lefts select").nth(order["choices"].index("B"))
            # values are opaque ids; the label is the target's shown number
            shown_number = str(order["targets"].index("3") + 1)
            expect(b.locator("option:checked")).to_have_text(shown_number)
        elif kind is ItemKind.ORDERING:
            a = question.locator(".ordering select").nth(order["choices"].index("A"))
            expect(a).to_have_value("2")
        elif kind is ItemKind.SHORT_ANSWER:
            expect(question.locator("input[type=text]")).to_have_value("ctrl z")
        elif kind is ItemKind.NUMERIC:
            expect(question.locator("input[inputmode=decimal]")).to_have_value("3,49")
        elif kind is ItemKind.CLOZE:
            expect(question.locator("input.gap[data-gap='1']")).to_have_value("sum")
            expect(question.locator("select.gap[data-gap='2'] option:checked")).to_have_text("A1")

    page.click("#submit")
    tf4 = slots[ItemKind.TRUE_FALSE4].position + 1
    expect(page.locator("#unanswered")).to_have_text(re.compile(rf":\s*{tf4}$"))
    page.click("#confirm-yes")
    page.wait_for_url(re.compile(r"/thi/ket-qua$"))
    expect(page.locator("#result tfoot")).to_contain_text("5,08/8")  # the credit (decimal comma), not a count
    expect(page.locator("#result tfoot")).to_contain_text("63,54 %")
    db.rollback()
    result = db.scalar(select(Result).where(Result.attempt_id == attempt_id))
    assert result.n_correct == EXPECTED_FULL and result.n_items == 8
    assert result.percent == round(100 * EXPECTED_CREDIT / 8, 2)


def test_a_malformed_number_is_explained_under_the_question(db, new_context, start_exam):
    exam = make_kind_session(db)
    slot = slots_by_kind(db, exam.candidates[0].attempt.id)[ItemKind.NUMERIC]
    page = start_exam(new_context(), "BK0001", exam.session_code)
    question = go_to(page, slot.position)
    question.locator("input[inputmode=decimal]").fill("3,5a")
    question.locator("input[inputmode=decimal]").press("Tab")
    expect(page.locator("#answer-error")).to_contain_text(f"Câu {slot.position + 1}")
    expect(page.locator("#answer-error")).to_contain_text("không phải là một số")
    question.locator("input[inputmode=decimal]").fill("3,5")
    question.locator("input[inputmode=decimal]").press("Tab")
    expect(page.locator("#answer-error")).to_be_hidden()
