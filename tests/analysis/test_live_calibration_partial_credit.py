"""Live calibration of a bank with partial-credit items: the dichotomous models count an item
right only at full credit, as the attempt's ability does — so a partly right true/false-4 answer
weighs exactly as a wrong one."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from exam_engine.analysis.live_calibration import calibrate_from_live_data
from exam_engine.exams import delivery, saving
from exam_engine.exams.models import Answer
from exam_engine.kernel.cache import MemoryCache
from item_bank.content import ItemKind
from item_bank.models import ItemVersion
from tests.exam_engine.kinds_bank import (
    ANSWERS,
    CHOICE_ANSWERS,
    as_page_sends,
    make_kind_session,
    shown_positions,
    slots_by_kind,
)

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
TF_RIGHT = {"A": True, "B": False, "C": True, "D": False}
TF_WRONG = {"A": False, "B": True, "C": False, "D": True}
TF_PARTIAL = ANSWERS[ItemKind.TRUE_FALSE4][0]  # two statements right: credit 0.25


def sit(db, n_candidates: int = 60) -> list[int]:
    """Every candidate answers; the true/false-4 item right, partly right or wrong in turn,
    the other items right or left blank in a fixed pattern. Returns the partly right attempts."""
    session = make_kind_session(db, n_candidates=n_candidates)
    cache, partial = MemoryCache(), []
    for n, candidate in enumerate(session.candidates):
        attempt = candidate.attempt
        delivery.start_attempt(db, attempt.id, T0)
        for k, (kind, slot) in enumerate(sorted(slots_by_kind(db, attempt.id).items())):
            if kind is ItemKind.TRUE_FALSE4:
                selected, response = (), (TF_RIGHT, TF_PARTIAL, TF_WRONG)[n % 3]
            elif (n + k) % 4 == 0:
                continue  # left blank: every item gets some wrong answers
            elif kind in CHOICE_ANSWERS:
                version = db.get(ItemVersion, slot.item_version_id)
                selected = shown_positions(slot, version, CHOICE_ANSWERS[kind][0])
                response = None
            else:
                selected, response = (), ANSWERS[kind][0]
            if response is not None:  # as the page sends it: parts by their opaque ids
                response = as_page_sends(db, attempt.id, slot.position, response)
            saving.save_answer(db, cache, attempt.id, position=slot.position,
                               selected=list(selected), flagged=False, seq=1,
                               now=T0 + timedelta(minutes=1), response=response)
        delivery.submit_attempt(db, attempt.id, actor="candidate", now=T0 + timedelta(minutes=5))
        if n % 3 == 1:
            partial.append(attempt.id)
    db.commit()
    return partial


def estimates(db) -> dict[int, tuple[float, float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small sitting: convergence is not what is tested
        calibrate_from_live_data(db, model="2pl", min_responses=1, anchor_non_demo=False)
    db.flush()
    return {v.id: (v.irt_a, v.irt_b) for v in db.scalars(select(ItemVersion))}


def test_partial_credit_counts_as_wrong_in_live_calibration(db):
    partial = sit(db)
    with_partial = estimates(db)
    tf_id = db.scalar(select(ItemVersion.id).where(ItemVersion.kind == "true_false4"))
    # the same attempts, now answering the true/false-4 item plainly wrong
    changed = 0
    for answer in db.scalars(select(Answer).where(Answer.attempt_id.in_(partial))):
        if answer.selected == TF_PARTIAL:
            answer.selected, changed = TF_WRONG, changed + 1
    assert changed == len(partial) == 20
    db.flush()
    assert with_partial[tf_id] == estimates(db)[tf_id]
    assert all(value is not None for pair in with_partial.values() for value in pair)
