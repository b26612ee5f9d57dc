"""Every item kind of the bank in an exam: drawn, shown without its key, saved, resumed, graded
(real database, SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from exam_engine.exams import delivery, saving
from exam_engine.exams.assembly import assemble_form
from exam_engine.exams.errors import InvalidAnswer
from exam_engine.exams.models import Answer, AttemptItem
from exam_engine.exams.scheduling import approved_pools
from exam_engine.kernel.cache import MemoryCache
from item_bank.content import ItemKind
from item_bank.models import ItemVersion
from item_bank.types import item_type
from tests.exam_engine.kinds_bank import (
    ANSWERS,
    CHOICE_ANSWERS,
    EXPECTED_CREDIT,
    EXPECTED_FULL,
    as_page_sends,
    make_kind_session,
    shown_positions,
    slots_by_kind,
    start_kind_attempt,
)

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
NON_CHOICE = [kind for kind in ItemKind if kind not in (ItemKind.SINGLE, ItemKind.MULTIPLE)]


@pytest.fixture
def started(db):
    return start_kind_attempt(db, T0)


def _save(db, attempt_id, position, *, response=None, selected=(), seq=1, cache=None):
    """Save ``response`` (written in part ids) as the page sends it, in opaque ids."""
    if response is not None:
        response = as_page_sends(db, attempt_id, position, response)
    saved = saving.save_answer(db, cache or MemoryCache(), attempt_id, position=position,
                               selected=list(selected), flagged=False, seq=seq,
                               now=T0 + timedelta(minutes=1), response=response)
    db.commit()
    return saved


def _stored(db, attempt_id, position):
    answer = db.get(Answer, (attempt_id, position))
    db.refresh(answer)
    return answer.selected


def test_scheduling_draws_every_kind_and_stores_the_types_display_order(db, started):
    slots = slots_by_kind(db, started.id)
    assert set(slots) == set(ItemKind)
    for kind in (ItemKind.SINGLE, ItemKind.MULTIPLE):
        assert sorted(slots[kind].option_order) == [0, 1, 2, 3]  # choice kinds as before
    assert sorted(slots[ItemKind.MATCHING].option_order["targets"]) == ["1", "2", "3"]
    assert slots[ItemKind.ORDERING].option_order["choices"] != ["B", "A", "C"]  # never the key
    assert sorted(slots[ItemKind.CLOZE].option_order["gaps"]["2"]) == ["$A$1", "A$1", "A1"]
    assert slots[ItemKind.SHORT_ANSWER].option_order == {}


def test_the_display_order_of_every_kind_replays_from_the_attempts_seed(db):
    session = make_kind_session(db, n_candidates=3, seed=11)
    pools, shapes = approved_pools(db, list(session.items_per_module))
    for candidate in session.candidates:
        replay = assemble_form(pools, session.items_per_module, shapes,
                               np.random.default_rng(candidate.attempt.form_seed))
        stored = db.scalars(select(AttemptItem).where(
            AttemptItem.attempt_id == candidate.attempt.id).order_by(AttemptItem.position)).all()
        assert [(s.item_version_id, s.option_order) for s in stored] == \
            [(s.item_version_id, list(s.option_order) if isinstance(s.option_order, tuple)
              else s.option_order) for s in replay]


def test_the_view_is_rebuilt_from_the_stored_order(db, started):
    for kind, slot in slots_by_kind(db, started.id).items():
        if kind in (ItemKind.SINGLE, ItemKind.MULTIPLE):
            continue
        version = db.get(ItemVersion, slot.item_version_id)
        view = version.candidate_view(slot.option_order)["view"]
        order = slot.option_order
        assert [c["id"] for c in view.get("choices", [])] == order.get("choices", [])
        assert [t["id"] for t in view.get("targets", [])] == order.get("targets", [])
        for gap in view.get("gaps", []):
            if gap["input"] == "select":
                assert [o["id"] for o in gap["options"]] == order["gaps"][gap["id"]]
    ordering = db.get(ItemVersion, slots_by_kind(db, started.id)[ItemKind.ORDERING]
                      .item_version_id).content_model
    with pytest.raises(ValueError, match="does not fit"):
        item_type("ordering").view_in_order(ordering, {"choices": ["A", "Z"]})


def _json_keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _json_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _json_keys(inner)


def test_the_paper_never_carries_the_key_or_the_feedback_of_any_kind(db, started):
    text = json.dumps(delivery.paper(db, started, T0), ensure_ascii=False)
    paper = json.loads(text)
    assert {q["type"] for q in paper["questions"]} == {kind.value for kind in ItemKind}
    assert not {"key", "correct", "accepted", "truth", "pairs", "value", "feedback", "scoring",
                "tolerance"} & set(_json_keys(paper))
    for secret in ("Giải thích", "Ctrl Z", "AUTOSUM", "3.5", "3,5", "$A$1\"]"):
        assert secret not in text
    for question in paper["questions"]:
        if question["type"] in ("single", "multiple"):
            assert question["selected"] == [] and "view" not in question
        else:
            assert question["response"] is None and question["view"]["kind"] == question["type"]


@pytest.mark.parametrize("kind", NON_CHOICE, ids=str)
def test_a_response_of_each_kind_is_stored_normalised_and_resumed(db, started, kind):
    slot = slots_by_kind(db, started.id)[kind]
    raw, _ = ANSWERS[kind]
    _save(db, started.id, slot.position, response=raw)
    content = db.get(ItemVersion, slot.item_version_id).content_model
    expected = item_type(kind).normalise_response(raw, content)
    assert _stored(db, started.id, slot.position) == expected
    resumed = next(q for q in delivery.paper(db, started, T0)["questions"]
                   if q["position"] == slot.position)
    assert resumed["response"] == as_page_sends(db, started.id, slot.position, expected)
    assert resumed["seq"] == 1


MALFORMED = {
    ItemKind.TRUE_FALSE4: ({"A": "có lẽ"}, "chỉ nhận Đúng hoặc Sai"),
    ItemKind.MATCHING: ({"A": "9"}, "không có trong câu hỏi này"),
    ItemKind.ORDERING: (["A", "A"], "chỉ được xếp một lần"),
    ItemKind.SHORT_ANSWER: (["Ctrl+Z"], "phải là văn bản"),
    ItemKind.NUMERIC: ("3,5a", "không phải là một số"),
    ItemKind.CLOZE: ({"9": "x"}, "không có chỗ trống «9»"),
}


@pytest.mark.parametrize("kind", NON_CHOICE, ids=str)
def test_a_malformed_response_is_refused_naming_the_question(db, started, kind):
    slot = slots_by_kind(db, started.id)[kind]
    raw, reason = MALFORMED[kind]
    with pytest.raises(InvalidAnswer, match=f"Câu {slot.position + 1}: .*{reason}"):
        _save(db, started.id, slot.position, response=raw)
    db.rollback()
    assert db.get(Answer, (started.id, slot.position)) is None


def test_a_stale_save_never_overwrites_a_newer_typed_answer(db, started):
    slot = slots_by_kind(db, started.id)[ItemKind.SHORT_ANSWER]
    cache = MemoryCache()
    assert _save(db, started.id, slot.position, response="Ctrl+Z", seq=3, cache=cache).seq == 3
    assert _save(db, started.id, slot.position, response="Ctrl", seq=2, cache=cache).seq == 3
    assert _stored(db, started.id, slot.position) == "Ctrl+Z"
    _save(db, started.id, slot.position, response="", seq=4, cache=cache)  # cleared the box
    assert _stored(db, started.id, slot.position) == []
    resumed = delivery.paper(db, started, T0)["questions"][slot.position]
    assert resumed["response"] is None and resumed["seq"] == 4


def test_saves_read_the_item_from_the_shared_cache_without_the_database(db, started):
    slot = slots_by_kind(db, started.id)[ItemKind.NUMERIC]
    cache = MemoryCache()
    saving.form_shape(db, cache, started.id)   # warms the shared cache (as another host did)
    saving.clear_form_shapes()                 # this process has never seen the form
    kind, content = saving.form_shape(db, cache, started.id).questions[slot.position]
    assert kind == "numeric" and content.key["value"] == 3.5
    assert _save(db, started.id, slot.position, response="3,49", cache=cache).seq == 1
    assert _stored(db, started.id, slot.position) == pytest.approx(3.49)


def test_the_result_counts_partial_credit_and_full_credit_items(db, started):
    slots = slots_by_kind(db, started.id)
    for kind, slot in slots.items():
        if kind in CHOICE_ANSWERS:
            version = db.get(ItemVersion, slot.item_version_id)
            shown = shown_positions(slot, version, CHOICE_ANSWERS[kind][0])
            _save(db, started.id, slot.position, selected=shown)
        else:
            _save(db, started.id, slot.position, response=ANSWERS[kind][0])
    result = delivery.submit_attempt(db, started.id, actor="candidate",
                                     now=T0 + timedelta(minutes=5))
    db.commit()
    assert result.n_items == 8 and result.n_correct == EXPECTED_FULL
    assert result.percent == round(100 * EXPECTED_CREDIT / 8, 2) == 63.54
    assert result.module_scores["IU04"]["correct"] == pytest.approx(EXPECTED_CREDIT, abs=1e-6)
    assert result.passed and result.theta is not None
