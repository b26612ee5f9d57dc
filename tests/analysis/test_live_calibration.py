"""Calibration of the bank from live data: 1,500 simulated candidates answer 20 items drawn from
known 2PL parameters (plus one rarely shown item); their submitted attempts are inserted in bulk
and the estimates must come back within sampling error.

Tolerances: with N = 1,500 the standard errors are about 0.05–0.15 for a and 0.05–0.12 for b
(largest for steep or extreme items), so the RMSE over the 16 free items must stay below 0.2
(a) and 0.15 (b), and no single item may be off by more than 0.5 (a) or 0.35 (b).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, insert, select

from exam_engine.analysis.live_calibration import calibrate_from_live_data
from exam_engine.exams.models import Answer, Attempt, AttemptItem, Candidate
from exam_engine.exams.scheduling import create_session
from exam_engine.exams.states import AttemptStatus, SessionStatus
from item_bank.models import ItemEvent, ItemVersion

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
N_ITEMS, N_ANCHORS = 20, 4


@dataclass
class Simulated:
    versions: list[int]   # the 20 common versions, then the rare one
    a: np.ndarray         # true slopes of the 20
    b: np.ndarray         # true difficulties of the 20


def simulate_sitting(db, make_bank, rng: np.random.Generator, *, n_persons: int = 1500,
                     rare_persons: int = 120, anchors: int = N_ANCHORS) -> Simulated:
    """Submitted attempts answering from a 2PL, written straight into the tables.

    Every candidate sees the 20 common items; the first ``rare_persons`` also see a 21st. Right
    answers select the key; wrong ones a distractor, or nothing (omitted) one time in four.
    Option orders are shuffled per candidate, as scheduling does. The first ``anchors`` versions
    carry their true parameters as non-demo estimates.
    """
    versions = make_bank(modules=("IU01",), per_module=N_ITEMS + 1)["IU01"]
    a = np.linspace(0.7, 2.0, N_ITEMS)
    rng.shuffle(a)
    b = np.linspace(-1.8, 1.8, N_ITEMS)
    for vid, a_j, b_j in zip(versions[:anchors], a, b, strict=False):
        version = db.get(ItemVersion, vid)
        version.irt_a, version.irt_b, version.irt_c = float(a_j), float(b_j), 0.0
        version.irt_is_demo = False
    session = create_session(db, title="Ca thi mô phỏng", exam_date=date(2026, 11, 24),
                             room="Phòng 2", exam_council="Hội đồng thi thử",
                             duration_minutes=30, items_per_module={"IU01": N_ITEMS})
    session.status = SessionStatus.SCHEDULED
    db.flush()
    db.execute(insert(Candidate), [
        {"exam_session_id": session.id, "candidate_number": f"MP{i:05d}",
         "full_name": "Nguyễn Văn Bình", "date_of_birth": date(2000, 1, 1),
         "place_of_birth": "Hà Nội", "gender": "Nam", "citizen_id": f"{i:012d}"}
        for i in range(n_persons)])
    candidate_ids = db.scalars(select(Candidate.id).where(Candidate.exam_session_id == session.id)
                               .order_by(Candidate.id)).all()
    db.execute(insert(Attempt), [
        {"candidate_id": c, "status": AttemptStatus.SUBMITTED, "form_seed": 0, "started_at": T0,
         "deadline": T0 + timedelta(minutes=30), "submitted_at": T0 + timedelta(minutes=20)}
        for c in candidate_ids])
    attempt_ids = np.array(db.scalars(select(Attempt.id).join(Candidate)
                                      .where(Candidate.exam_session_id == session.id)
                                      .order_by(Attempt.id)).all())

    theta = rng.normal(size=n_persons)
    person = np.concatenate([np.repeat(np.arange(n_persons), N_ITEMS), np.arange(rare_persons)])
    item = np.concatenate([np.tile(np.arange(N_ITEMS), n_persons),
                           np.full(rare_persons, N_ITEMS)])
    position = np.concatenate([np.tile(np.arange(N_ITEMS), n_persons),
                               np.full(rare_persons, N_ITEMS)])
    a_all, b_all = np.append(a, 1.0), np.append(b, 0.0)
    p = 1.0 / (1.0 + np.exp(-a_all[item] * (theta[person] - b_all[item])))
    right = rng.random(person.size) < p
    omitted = ~right & (rng.random(person.size) < 0.25)
    orders = rng.permuted(np.tile(np.arange(4), (person.size, 1)), axis=1)
    shown_of = np.argsort(orders, axis=1)  # original option -> shown position
    keys = [db.get(ItemVersion, v).correct for v in versions]
    slots, answers = [], []
    for n in range(person.size):
        attempt_id, j = int(attempt_ids[person[n]]), int(item[n])
        slots.append({"attempt_id": attempt_id, "position": int(position[n]),
                      "item_version_id": versions[j], "module": "IU01",
                      "option_order": orders[n].tolist()})
        if omitted[n]:
            continue
        original = keys[j] if right[n] else ([3] if len(keys[j]) == 1 else [1])
        answers.append({"attempt_id": attempt_id, "position": int(position[n]),
                        "selected": sorted(int(shown_of[n, o]) for o in original),
                        "flagged": False, "seq": 1, "saved_at": T0})
    db.execute(insert(AttemptItem), slots)
    db.execute(insert(Answer), answers)
    db.commit()
    return Simulated(versions, a, b)


def _parameters(db, ids) -> np.ndarray:
    db.expire_all()
    return np.array([[v.irt_a, v.irt_b, v.irt_c] for v in
                     (db.get(ItemVersion, i) for i in ids)], dtype=float)


def _events(db) -> int:
    return db.scalar(select(func.count()).select_from(ItemEvent)
                     .where(ItemEvent.action == "calibrated"))


def test_calibration_recovers_2pl_parameters_on_the_scale_of_the_anchors(db, make_bank):
    sim = simulate_sitting(db, make_bank, np.random.default_rng(2026))
    anchors, free, rare = sim.versions[:N_ANCHORS], sim.versions[N_ANCHORS:N_ITEMS], \
        sim.versions[N_ITEMS]
    rare_before = _parameters(db, [rare])
    report = calibrate_from_live_data(db, model="2pl", min_responses=200)
    db.commit()

    assert report.converged and report.n_persons == 1500 and report.n_responses == 30_000
    assert report.anchored == tuple(anchors) and report.skipped == (rare,)
    assert [v.version_id for v in report.calibrated] == free and report.n_changed == 16
    estimated = _parameters(db, free)
    err_a, err_b = estimated[:, 0] - sim.a[N_ANCHORS:], estimated[:, 1] - sim.b[N_ANCHORS:]
    assert np.sqrt(np.mean(err_a**2)) < 0.2 and np.abs(err_a).max() < 0.5
    assert np.sqrt(np.mean(err_b**2)) < 0.15 and np.abs(err_b).max() < 0.35
    assert np.all(estimated[:, 2] == 0.0)
    assert report.latent_mean == pytest.approx(0.0, abs=0.15)
    assert report.latent_sd == pytest.approx(1.0, abs=0.15)

    assert np.array_equal(_parameters(db, anchors)[:, :2],
                          np.column_stack([sim.a[:N_ANCHORS], sim.b[:N_ANCHORS]]))
    assert np.array_equal(_parameters(db, [rare]), rare_before)
    assert db.get(ItemVersion, rare).irt_is_demo
    assert not any(db.get(ItemVersion, v).irt_is_demo for v in free + anchors)
    events = db.scalars(select(ItemEvent).where(ItemEvent.action == "calibrated")
                        .order_by(ItemEvent.version_id)).all()
    assert [e.version_id for e in events] == free
    first = db.get(ItemVersion, free[0])
    assert events[0].comment == (f"2PL, N = 1500: a = {first.irt_a:.3f}, "
                                 f"b = {first.irt_b:.3f}, c = 0.000")
    assert events[0].item_id == first.item_id and events[0].actor_id is None

    # Re-run: everything estimated is now an anchor; nothing moves, nothing is recorded.
    again = calibrate_from_live_data(db, model="2pl", min_responses=200)
    db.commit()
    assert again.calibrated == () and len(again.anchored) == N_ITEMS
    assert np.array_equal(_parameters(db, free), estimated) and _events(db) == 16


def test_free_calibration_is_idempotent_and_skips_versions_with_few_responses(db, make_bank):
    sim = simulate_sitting(db, make_bank, np.random.default_rng(7), anchors=0)
    first = calibrate_from_live_data(db, min_responses=121, anchor_non_demo=False)
    db.commit()
    assert first.anchored == () and first.skipped == (sim.versions[N_ITEMS],)
    estimated = _parameters(db, sim.versions[:N_ITEMS])
    assert np.sqrt(np.mean((estimated[:, 1] - sim.b) ** 2)) < 0.15
    again = calibrate_from_live_data(db, min_responses=121, anchor_non_demo=False)
    db.commit()
    assert [v.a for v in again.calibrated] == [v.a for v in first.calibrated]
    assert [v.b for v in again.calibrated] == [v.b for v in first.calibrated]
    assert again.n_changed == 0 and _events(db) == N_ITEMS
    assert np.array_equal(_parameters(db, sim.versions[:N_ITEMS]), estimated)
    # with the threshold low enough, the rare item (120 responses) is calibrated too
    lower = calibrate_from_live_data(db, min_responses=120, anchor_non_demo=False)
    assert lower.skipped == () and lower.calibrated[-1].version_id == sim.versions[N_ITEMS]
    db.rollback()


def test_nothing_to_calibrate_without_submitted_attempts(db, make_bank):
    make_bank(modules=("IU01",), per_module=3)
    report = calibrate_from_live_data(db)
    assert report.calibrated == () and report.n_persons == 0 and _events(db) == 0


def test_only_dichotomous_models_are_fitted_to_live_data(db):
    with pytest.raises(ValueError, match="not 'grm'"):
        calibrate_from_live_data(db, model="grm")


def test_bank_calibrate_command_commits_once_and_dry_run_writes_nothing(app, db, make_bank):
    sim = simulate_sitting(db, make_bank, np.random.default_rng(11), n_persons=400,
                           anchors=0)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["bank", "calibrate", "--min-responses", "300", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Hiệu chỉnh: 20 phiên bản" in dry.output and "không ghi gì" in dry.output
    assert "bỏ qua (dưới 300 câu trả lời): 1" in dry.output
    assert _events(db) == 0 and db.get(ItemVersion, sim.versions[0]).irt_is_demo

    done = runner.invoke(args=["bank", "calibrate", "--min-responses", "300", "-v"])
    assert done.exit_code == 0, done.output
    assert "Mô hình 2PL: 400 bài thi" in done.output and "hội tụ: có" in done.output
    assert "Đã lưu tham số của 20 phiên bản câu hỏi." in done.output
    assert f"phiên bản #{sim.versions[0]}: a = " in done.output
    db.rollback()  # end this session's read snapshot: see what the command committed
    assert _events(db) == 20 and not db.get(ItemVersion, sim.versions[0]).irt_is_demo

    refused = runner.invoke(args=["bank", "calibrate", "--model", "grm"])
    assert refused.exit_code != 0


@pytest.mark.parametrize("model", ["1pl", "3pl"])
def test_1pl_writes_a_common_slope_and_3pl_a_lower_asymptote(db, make_bank, model):
    sim = simulate_sitting(db, make_bank, np.random.default_rng(3), n_persons=400, anchors=0)
    report = calibrate_from_live_data(db, model=model, min_responses=300)
    assert report.converged and len(report.calibrated) == N_ITEMS
    written = _parameters(db, sim.versions[:N_ITEMS])
    if model == "1pl":
        assert np.ptp(written[:, 0]) == 0 and np.all(written[:, 2] == 0)
    else:
        assert np.all((written[:, 2] > 0) & (written[:, 2] < 0.5))
    comment = db.scalar(select(ItemEvent.comment).where(ItemEvent.action == "calibrated")
                        .limit(1))
    assert comment.startswith(f"{model.upper()}, N = 400: a = ")
