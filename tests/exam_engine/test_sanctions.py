"""Sanctions and their effect on the score (issue 11; DOMAIN.md: khiển trách −25 % of the test's
score, cảnh cáo −50 %, đình chỉ thi → 0 and excluded), through real grading on SQLite and
PostgreSQL, and the pure effect in the grading core."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from certs.issuance import plan_issue
from exam_engine.exams import delivery, saving
from exam_engine.exams.clock import pause_attempt
from exam_engine.exams.grading import (
    GradedItem,
    apply_sanction,
    grade,
    most_severe_sanction,
)
from exam_engine.exams.models import Attempt, AttemptItem, AttemptSanction, Result
from exam_engine.exams.results import approve_results, current_result
from exam_engine.exams.sanctions import (
    InvalidSanction,
    SanctionRefused,
    decide_sanction,
    sanctioned_candidates,
)
from exam_engine.exams.sitting import close_sitting
from exam_engine.exams.states import AttemptStatus, SanctionLevel
from exam_engine.kernel.cache import MemoryCache
from exam_engine.kernel.db import make_session_factory
from item_bank.models import ItemVersion
from tests.certs.sitting import T0, sit

REPRIMAND, WARNING, EXPELLED = SanctionLevel.REPRIMAND, SanctionLevel.WARNING, SanctionLevel.EXPELLED
LATER = T0 + timedelta(minutes=30)


def _items(right: int, wrong: int, module: str = "IU01") -> list[GradedItem]:
    return ([GradedItem(module, "single", frozenset({0}), frozenset({0}))] * right
            + [GradedItem(module, "single", frozenset({0}), frozenset({1}))] * wrong)


# ---- the pure effect ------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "percent", "passed"), [
    (REPRIMAND, 60.0, True), (WARNING, 40.0, False), (EXPELLED, 0.0, False)])
def test_each_level_scales_the_percent_and_recomputes_the_pass(level, percent, passed):
    summary = grade(_items(8, 2, "IU01") + _items(0, 0, "IU02"), pass_percent=50)
    assert summary.percent == 80.0 and summary.passed
    after = apply_sanction(summary, level, pass_percent=50)
    assert (after.percent, after.passed) == (percent, passed)
    assert after.sanction == level.value and after.percent_before_sanction == 80.0
    # what the paper earned is a fact, unchanged; the module's percent is scaled alike
    assert after.n_correct == 8 and after.credit == 8 and after.item_scores == summary.item_scores
    assert after.modules["IU01"] == {"correct": 8, "items": 10, "percent": percent,
                                     "percent_before_sanction": 80.0}


def test_an_expelled_candidate_never_passes_even_with_no_pass_mark():
    summary = grade(_items(10, 0), pass_percent=0)
    assert apply_sanction(summary, REPRIMAND, pass_percent=0).passed
    assert not apply_sanction(summary, EXPELLED, pass_percent=0).passed


def test_no_sanction_leaves_the_summary_as_graded():
    summary = grade(_items(3, 1), pass_percent=50)
    assert apply_sanction(summary, None, pass_percent=50) is summary


def test_the_most_severe_sanction_is_the_one_applied():
    assert most_severe_sanction([]) is None
    assert most_severe_sanction([WARNING, REPRIMAND]) is WARNING
    assert most_severe_sanction(["khien_trach", "dinh_chi", "canh_cao"]) is EXPELLED


# ---- through real grading -------------------------------------------------------------------

def _submitted(db, make_session, *, pass_percent: float = 60.0, right=True) -> Attempt:
    session = make_session(n_candidates=2, pass_percent=pass_percent)
    attempt = session.candidates[0].attempt
    sit(db, attempt, right)
    return attempt


def _results(db, attempt_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Result)
                     .where(Result.attempt_id == attempt_id))


@pytest.mark.parametrize(("level", "percent", "passed"), [
    (REPRIMAND, 75.0, True), (WARNING, 50.0, False), (EXPELLED, 0.0, False)])
def test_a_sanction_on_a_submitted_attempt_regrades_it_at_once(db, make_session, level, percent,
                                                               passed):
    attempt = _submitted(db, make_session, pass_percent=60)
    graded = current_result(db, attempt.id)
    assert graded.percent == 100.0 and graded.passed and graded.sanction is None
    sanction = decide_sanction(db, attempt.id, level, "Mang điện thoại vào phòng thi",
                               None, LATER)
    db.commit()
    regraded = current_result(db, attempt.id)
    assert regraded.supersedes_id == graded.id  # append-only: the earlier result is kept
    assert (regraded.percent, regraded.passed) == (percent, passed)
    assert regraded.sanction == level.value and regraded.percent_before_sanction == 100.0
    assert regraded.n_correct == graded.n_correct == 12
    assert all(m["percent"] == percent and m["percent_before_sanction"] == 100.0
               for m in regraded.module_scores.values())
    # θ measures ability from the answers: a sanction is not a measurement
    assert regraded.theta == pytest.approx(graded.theta)
    assert sanction.level is level and sanction.reason == "Mang điện thoại vào phòng thi"
    assert sanction.decided_at == LATER


def test_a_sanction_on_an_attempt_still_sitting_applies_when_it_is_graded(db, make_session):
    session = make_session(n_candidates=1, pass_percent=50)
    attempt = session.candidates[0].attempt
    delivery.start_attempt(db, attempt.id, T0)
    decide_sanction(db, attempt.id, WARNING, "Trao đổi bài", None, T0 + timedelta(minutes=5))
    db.commit()
    assert attempt.status is AttemptStatus.IN_PROGRESS and current_result(db, attempt.id) is None
    _answer_all_right(db, attempt, T0 + timedelta(minutes=6))
    result = delivery.submit_attempt(db, attempt.id, actor="candidate",
                                     now=T0 + timedelta(minutes=7))
    db.commit()
    assert (result.percent, result.percent_before_sanction, result.sanction) == (
        50.0, 100.0, "canh_cao")
    assert result.passed  # 50 % reaches the pass mark of 50 %


def _answer_all_right(db, attempt: Attempt, now) -> None:
    for slot in db.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)):
        key = db.get(ItemVersion, slot.item_version_id).correct
        saving.save_answer(db, MemoryCache(), attempt.id, position=slot.position,
                           selected=sorted(slot.option_order.index(k) for k in key),
                           flagged=False, seq=1, now=now)


@pytest.mark.parametrize("paused", [False, True], ids=["sitting", "paused"])
def test_expulsion_ends_the_sitting_at_once_with_a_zero_that_fails(db, make_session, paused):
    session = make_session(n_candidates=1, pass_percent=50)
    attempt = session.candidates[0].attempt
    delivery.start_attempt(db, attempt.id, T0)
    _answer_all_right(db, attempt, T0 + timedelta(minutes=1))
    if paused:
        pause_attempt(db, attempt.id, T0 + timedelta(minutes=2), "user:1")
    decide_sanction(db, attempt.id, EXPELLED, "Thi hộ", None, T0 + timedelta(minutes=3))
    db.commit()
    assert attempt.status is AttemptStatus.SUBMITTED
    assert attempt.submitted_at == T0 + timedelta(minutes=3)
    result = current_result(db, attempt.id)
    assert (result.percent, result.percent_before_sanction, result.passed) == (0.0, 100.0, False)


def test_the_most_severe_of_several_sanctions_counts_and_a_milder_one_changes_nothing(
        db, make_session):
    attempt = _submitted(db, make_session, pass_percent=60)
    decide_sanction(db, attempt.id, WARNING, "Lần 1", None, LATER)
    db.commit()
    assert _results(db, attempt.id) == 2
    decide_sanction(db, attempt.id, REPRIMAND, "Lần 2", None, LATER)  # recorded, milder
    db.commit()
    assert _results(db, attempt.id) == 2
    assert current_result(db, attempt.id).percent == 50.0
    decide_sanction(db, attempt.id, EXPELLED, "Lần 3", None, LATER)
    db.commit()
    assert _results(db, attempt.id) == 3 and current_result(db, attempt.id).percent == 0.0
    assert [s.level for s in sanctioned_candidates(db, attempt.candidate.session)[0].sanctions] \
        == [WARNING, REPRIMAND, EXPELLED]


def test_a_double_click_decides_once_and_regrades_once(db, make_session):
    attempt = _submitted(db, make_session)
    first = decide_sanction(db, attempt.id, REPRIMAND, "Nhìn bài", None, LATER)
    db.commit()
    again = decide_sanction(db, attempt.id, "khien_trach", "Nhìn bài", None,
                            LATER + timedelta(seconds=1))
    db.commit()
    assert again.id == first.id and again.decided_at == LATER
    assert db.scalar(select(func.count()).select_from(AttemptSanction)) == 1
    assert _results(db, attempt.id) == 2  # the sit's result and one re-grade


def test_the_database_refuses_a_second_sanction_of_the_same_level(db, make_session):
    attempt = _submitted(db, make_session)
    db.add(AttemptSanction(attempt_id=attempt.id, level=WARNING, reason="một", decided_at=LATER))
    db.commit()
    db.add(AttemptSanction(attempt_id=attempt.id, level=WARNING, reason="hai", decided_at=LATER))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


N_THREADS = 8


def test_simultaneous_decisions_of_the_same_sanction_decide_it_once(engine, db, make_session):
    """Eight requests decide the same khiển trách at the same moment, each in its own unit of
    work and connection (the PostgreSQL row lock; SQLite writers queue): one row, one
    re-grade, and every request answers with that one decision."""
    attempt = _submitted(db, make_session)
    factory = make_session_factory(engine, writes=True)
    barrier = threading.Barrier(N_THREADS)
    answers: list = [None] * N_THREADS

    def decide(i: int) -> None:
        unit = factory()
        try:
            barrier.wait(timeout=60)
            answers[i] = decide_sanction(unit, attempt.id, REPRIMAND, f"Lần bấm {i}", None,
                                         LATER).id
            unit.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the assertions
            answers[i] = error
            unit.rollback()
        finally:
            unit.close()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(N_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.expire_all()
    rows = db.scalars(select(AttemptSanction)).all()
    assert len(rows) == 1 and answers == [rows[0].id] * N_THREADS
    assert _results(db, attempt.id) == 2
    assert current_result(db, attempt.id).percent == 75.0


def test_a_sanction_is_refused_once_results_are_approved(db, make_session):
    attempt = _submitted(db, make_session)
    approve_results(db, attempt.candidate.session, approved_by=None, now=LATER)
    db.commit()
    with pytest.raises(SanctionRefused, match="phúc khảo") as refused:
        decide_sanction(db, attempt.id, WARNING, "Phát hiện sau", None, LATER)
    assert refused.value.http_status == 409 and "appeal" in refused.value.message_en
    db.rollback()
    assert db.scalar(select(func.count()).select_from(AttemptSanction)) == 0


def test_an_absent_candidate_has_no_attempt_to_sanction(db, make_session):
    session = make_session(n_candidates=1)
    close_sitting(db, session, actor="system", now=LATER)
    db.commit()
    with pytest.raises(SanctionRefused, match="vắng thi"):
        decide_sanction(db, session.candidates[0].attempt.id, WARNING, "x", None, LATER)


@pytest.mark.parametrize(("level", "reason", "field"), [
    ("phat_tien", "Lý do", "level"), ("", "Lý do", "level"), ("canh_cao", "  ", "reason")])
def test_a_bad_level_or_an_empty_reason_is_refused_naming_the_field(db, make_session, level,
                                                                    reason, field):
    attempt = _submitted(db, make_session)
    with pytest.raises(InvalidSanction) as refused:
        decide_sanction(db, attempt.id, level, reason, None, LATER)
    assert refused.value.http_status == 422 and field in refused.value.message_vi


def test_an_expelled_candidate_is_not_offered_a_certificate(db, make_session):
    session = make_session(n_candidates=2, pass_percent=50)
    for candidate in session.candidates:
        sit(db, candidate.attempt, True)
    decide_sanction(db, session.candidates[0].attempt.id, EXPELLED, "Sử dụng điện thoại", None,
                    LATER)
    approve_results(db, session, approved_by=None, now=LATER)
    db.commit()
    plan = plan_issue(db, session)
    assert [c.candidate_number for c, _ in plan.eligible] == ["BN0002"]
    assert plan.refused == []  # not even a passed candidate refused: he did not pass
