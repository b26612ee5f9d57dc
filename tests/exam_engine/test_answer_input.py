"""Answers that cannot be stored are refused at save time with a clear 4xx (issue 10, hole 7).

Before the fix a lone UTF-16 surrogate ("\\ud800" is valid JSON) in a typed answer was accepted,
and from then on that candidate's paper answered 500 for the rest of the exam.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from exam_engine.exams import delivery, saving
from exam_engine.exams.errors import InvalidAnswer
from exam_engine.exams.models import Answer
from exam_engine.kernel.cache import MemoryCache
from item_bank.content import ItemKind
from tests.conftest import candidate_login_form
from tests.exam_engine.kinds_bank import (
    as_page_sends,
    make_kind_session,
    slots_by_kind,
    start_kind_attempt,
)

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

UNSTORABLE = {
    "lone surrogate": "Ctrl+\ud800",
    "NUL byte": "Ctrl\x00Z",
    "control character": "Ctrl\x1bZ",
    "huge text": "Z" * 5000,
}


@pytest.fixture
def started(db):
    return start_kind_attempt(db, T0)


def _save(db, attempt_id, position, response):
    saving.save_answer(db, MemoryCache(), attempt_id, position=position, selected=[],
                       flagged=False, seq=1, now=T0 + timedelta(minutes=1), response=response)
    db.commit()


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
@pytest.mark.parametrize("kind", [ItemKind.SHORT_ANSWER, ItemKind.NUMERIC, ItemKind.CLOZE],
                         ids=str)
def test_unstorable_text_is_refused_naming_the_question_and_the_paper_still_renders(
        db, started, kind, text):
    slot = slots_by_kind(db, started.id)[kind]
    response = {"1": text} if kind is ItemKind.CLOZE else text
    with pytest.raises(InvalidAnswer, match=f"Câu {slot.position + 1}: "):
        _save(db, started.id, slot.position, response)
    db.rollback()
    assert db.get(Answer, (started.id, slot.position)) is None
    assert len(delivery.paper(db, started, T0)["questions"]) == len(ItemKind)


@pytest.mark.parametrize("shape", ["deep", "wide"])
def test_absurdly_nested_or_large_answers_are_refused(db, started, shape):
    slot = slots_by_kind(db, started.id)[ItemKind.MATCHING]
    response: object = "x"
    if shape == "deep":
        for _ in range(50):
            response = [response]
    else:
        response = {f"k{i}": "x" for i in range(5000)}
    with pytest.raises(InvalidAnswer, match=f"Câu {slot.position + 1}: câu trả lời (quá lớn|"
                                            "lồng nhau quá sâu)"):
        _save(db, started.id, slot.position, response)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_a_lone_surrogate_sent_by_the_page_gets_a_4xx_and_the_paper_keeps_working(
        db, app, client):
    """Through the real app: the JSON escape ``\\ud800`` (json.dumps writes it) decodes to a
    lone surrogate."""
    session = make_kind_session(db)
    candidate_login_form(client, session.session_code, "BK0001")
    token = _csrf(client.get("/thi/").get_data(as_text=True))
    client.post("/thi/bat-dau", data={"csrf_token": token})
    attempt = session.candidates[0].attempt
    slots = slots_by_kind(db, attempt.id)
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    short = slots[ItemKind.SHORT_ANSWER].position
    body = json.dumps({"position": short, "seq": 1, "response": "Ctrl+\ud800"})
    refused = client.post("/thi/api/answers", data=body, headers=headers)
    # the app's input guard refuses it as it parses the body, naming the field; without the
    # guard, the save does, naming the question
    assert refused.status_code in (400, 422)
    message = refused.get_json()["message"]
    assert f"Câu {short + 1}" in message or "/response" in message, message
    matching = slots[ItemKind.MATCHING].position
    db.rollback()
    choice_token = next(iter(as_page_sends(db, attempt.id, matching, {"A": "1"})))
    body = json.dumps({"position": matching, "seq": 1, "response": {choice_token: "\udfff"}})
    assert client.post("/thi/api/answers", data=body, headers=headers).status_code in (400, 422)
    paper = client.get("/thi/api/paper")
    assert paper.status_code == 200 and len(paper.get_json()["questions"]) == len(ItemKind)


def test_a_row_stored_before_the_check_no_longer_breaks_the_paper(db, started):
    """A lone surrogate saved before saves refused it (both backends' JSON columns keep the
    escape): the paper shows the question unanswered (the candidate types it again) instead of
    failing on every load."""
    slot = slots_by_kind(db, started.id)[ItemKind.SHORT_ANSWER]
    db.add(Answer(attempt_id=started.id, position=slot.position, selected="Ctrl+\ud800",
                  flagged=True, seq=3, saved_at=T0))
    db.commit()
    question = delivery.paper(db, started, T0)["questions"][slot.position]
    assert question["response"] is None and question["seq"] == 3
    json.dumps(question, ensure_ascii=False).encode()  # what the page is sent: valid UTF-8


@pytest.mark.parametrize("response", [[["x"]], [{"a": 1}], {"a": "b"}, 5, [None]],
                         ids=["nested list", "object in list", "object", "number", "null"])
@pytest.mark.parametrize("kind", [ItemKind.SINGLE, ItemKind.MULTIPLE], ids=str)
def test_a_choice_answer_that_is_not_a_list_of_option_ids_is_refused(db, started, kind,
                                                                     response):
    """A list or an object where an option id belongs used to reach a Python set (a 500)."""
    slot = slots_by_kind(db, started.id)[kind]
    with pytest.raises(InvalidAnswer, match=f"Câu {slot.position + 1}: lựa chọn không hợp lệ"):
        _save(db, started.id, slot.position, response)
