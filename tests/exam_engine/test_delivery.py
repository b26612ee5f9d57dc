"""The exam's delivery rules on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from exam_engine.exams import delivery, saving
from exam_engine.exams.assembly import InsufficientItems, assemble_form
from exam_engine.exams.errors import ExamClosed, InvalidAnswer, NotStarted
from exam_engine.exams.models import Answer, AttemptEvent, AttemptItem
from exam_engine.exams.results import current_result
from exam_engine.exams.scheduling import approved_pools, schedule_session
from exam_engine.exams.states import AttemptStatus, IllegalTransition
from exam_engine.exams.transitions import transition
from exam_engine.kernel.cache import MemoryCache
from item_bank.models import ItemVersion

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _attempts(session):
    return [c.attempt for c in session.candidates]


def test_scheduling_gives_each_candidate_his_own_form_meeting_the_blueprint(db, make_session):
    session = make_session(n_candidates=4, per_module=3)
    forms = []
    for attempt in _attempts(session):
        items = db.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                           .order_by(AttemptItem.position)).all()
        modules = [i.module for i in items]
        assert all(modules.count(m) == 3 for m in session.items_per_module)
        assert len({i.item_version_id for i in items}) == 18  # no repeats within a form
        assert all(sorted(i.option_order) == [0, 1, 2, 3] for i in items)
        forms.append(tuple((i.item_version_id, tuple(i.option_order)) for i in items))
    assert len(set(forms)) == 4


def test_a_form_is_replayed_exactly_from_its_stored_seed(db, make_session):
    session = make_session(n_candidates=2, per_module=2)
    attempt = _attempts(session)[0]
    pools, n_options = approved_pools(db, list(session.items_per_module))
    replay = assemble_form(pools, session.items_per_module, n_options,
                           np.random.default_rng(attempt.form_seed))
    stored = db.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                        .order_by(AttemptItem.position)).all()
    assert [(s.item_version_id, tuple(s.option_order)) for s in replay] == \
        [(s.item_version_id, tuple(s.option_order)) for s in stored]


def test_scheduling_refuses_a_blueprint_the_bank_cannot_fill(db, make_session):
    session = make_session(n_candidates=1, per_module=7, schedule=False)
    with pytest.raises(InsufficientItems, match="IU01: the form needs 7 approved items"):
        schedule_session(db, session)


def test_start_sets_the_server_deadline_and_resuming_does_not_move_it(db, make_session):
    attempt = _attempts(make_session(duration_minutes=30))[0]
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    assert attempt.deadline == T0 + timedelta(minutes=30)
    delivery.start_attempt(db, attempt.id, T0 + timedelta(minutes=10))  # another computer
    db.commit()
    assert attempt.deadline == T0 + timedelta(minutes=30)
    assert delivery.seconds_left(attempt, T0 + timedelta(minutes=10)) == 20 * 60


def _save(db, attempt_id, position, selected, seq, at=T0 + timedelta(minutes=1), cache=None):
    saved = saving.save_answer(db, cache or MemoryCache(), attempt_id, position=position,
                                 selected=selected, flagged=False, seq=seq, now=at)
    db.commit()
    return saved


def _stored_ids(db, attempt_id, position, shown):
    """What a choice answer of shown positions is stored as: the ticked part ids, sorted."""
    parts = saving.form_shape(db, MemoryCache(), attempt_id).questions[position][1]
    return sorted(parts[i] for i in shown)


def test_late_save_never_overwrites_newer_answer(db, make_session):
    attempt = _attempts(make_session())[0]
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    assert _save(db, attempt.id, 0, [2], seq=2).seq == 2
    acked = _save(db, attempt.id, 0, [1], seq=1)  # the older save arrives late
    assert acked.seq == 2
    stored = db.get(Answer, (attempt.id, 0))
    db.refresh(stored)
    assert stored.selected == _stored_ids(db, attempt.id, 0, [2]) and stored.seq == 2


def test_retried_save_is_idempotent(db, make_session):
    attempt = _attempts(make_session())[0]
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    for _ in range(3):
        assert _save(db, attempt.id, 3, [0], seq=5).seq == 5
    answers = db.scalars(select(Answer).where(Answer.attempt_id == attempt.id)).all()
    assert [(a.position, a.selected, a.seq) for a in answers] == [
        (3, _stored_ids(db, attempt.id, 3, [0]), 5)]


def test_save_rejects_invalid_choices_with_a_clear_message(db, make_session):
    attempt = _attempts(make_session())[0]
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    with pytest.raises(InvalidAnswer, match="Câu 99 không có trong đề thi"):
        _save(db, attempt.id, 98, [0], seq=1)
    with pytest.raises(InvalidAnswer, match="lựa chọn không hợp lệ"):
        _save(db, attempt.id, 0, [7], seq=1)
    db.rollback()
    single = next(i for i, (kind, _) in enumerate(saving.form_shape(db, MemoryCache(), attempt.id)
                                                  .questions)
                  if kind == "single")
    with pytest.raises(InvalidAnswer, match="chỉ có một đáp án"):
        _save(db, attempt.id, single, [0, 1], seq=1)


def test_saves_before_start_after_submit_and_after_deadline_are_refused(db, make_session):
    first, second = _attempts(make_session(n_candidates=2, duration_minutes=30))
    with pytest.raises(NotStarted):
        _save(db, first.id, 0, [0], seq=1)
    db.rollback()
    delivery.start_attempt(db, first.id, T0)
    delivery.start_attempt(db, second.id, T0)
    db.commit()
    delivery.submit_attempt(db, first.id, actor="candidate", now=T0 + timedelta(minutes=5))
    db.commit()
    with pytest.raises(ExamClosed, match="đã nộp"):
        _save(db, first.id, 0, [0], seq=1)
    db.rollback()
    with pytest.raises(ExamClosed, match="hết giờ"):
        _save(db, second.id, 0, [0], seq=1, at=T0 + timedelta(minutes=30, seconds=1))


def test_grading_maps_shown_positions_back_to_the_key(db, make_session):
    attempt = _attempts(make_session(per_module=2))[0]
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    slots = db.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                       .order_by(AttemptItem.position)).all()
    right = 0
    for slot in slots:
        version = db.get(ItemVersion, slot.item_version_id)
        shown = sorted(slot.option_order.index(k) for k in version.correct)
        if slot.position % 2 == 0:  # answer every other question right, the rest wrong
            _save(db, attempt.id, slot.position, shown, seq=1)
            right += 1
        else:
            wrong = [p for p in range(4) if p not in shown][:1]
            _save(db, attempt.id, slot.position, wrong, seq=1)
    result = delivery.submit_attempt(db, attempt.id, actor="candidate", now=T0 + timedelta(minutes=3))
    db.commit()
    assert (result.n_correct, result.n_items) == (right, 12)
    assert result.percent == 50.0 and result.passed
    assert all(m["items"] == 2 for m in result.module_scores.values())
    assert result.theta is not None and result.theta_se > 0


def test_submit_is_idempotent_and_audited(db, make_session):
    attempt = _attempts(make_session())[0]
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    first = delivery.submit_attempt(db, attempt.id, actor="candidate", now=T0 + timedelta(minutes=2))
    db.commit()
    again = delivery.submit_attempt(db, attempt.id, actor="candidate", now=T0 + timedelta(minutes=3))
    assert again.id == first.id
    events = db.scalars(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id)
                        .order_by(AttemptEvent.id)).all()
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [
        ("assigned", "in_progress", "candidate"), ("in_progress", "submitted", "candidate")]


def test_the_server_submits_at_the_deadline(db, make_session):
    attempt = _attempts(make_session(duration_minutes=30))[0]
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    _save(db, attempt.id, 0, [1], seq=1)
    assert delivery.finalize_expired_attempts(db, T0 + timedelta(minutes=29)) == 0
    assert delivery.finalize_expired_attempts(db, T0 + timedelta(minutes=31)) == 1
    db.commit()
    db.refresh(attempt)
    assert attempt.status is AttemptStatus.SUBMITTED
    assert attempt.submitted_at == T0 + timedelta(minutes=30)
    assert current_result(db, attempt.id).n_items == 12


def test_illegal_transitions_are_refused(db, make_session):
    attempt = _attempts(make_session())[0]
    with pytest.raises(IllegalTransition, match="from assigned to submitted"):
        transition(db, attempt, AttemptStatus.SUBMITTED, actor="test", at=T0)


def test_the_paper_never_contains_the_answer_key(db, make_session):
    attempt = _attempts(make_session())[0]
    delivery.start_attempt(db, attempt.id, T0)
    db.commit()
    paper = delivery.paper(db, attempt, T0)
    assert len(paper["questions"]) == 12
    for question in paper["questions"]:
        assert set(question) == {"position", "module", "type", "stem", "options", "option_ids",
                                 "selected", "response", "flagged", "seq"}
