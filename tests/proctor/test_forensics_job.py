"""Forensics after the exam as a background job (issue 11): from the session's rows to the
stored report, on SQLite and PostgreSQL. Sessions are simulated (``simulate_session``) with
cheating planted by hand, and written as real rows (``benchmarks/forensics_job.py``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.special import expit
from sqlalchemy import select

from benchmarks.forensics_job import seed_simulated_session
from exam_engine.exams.models import Answer, Attempt, AttemptItem, Candidate, ResponseLogEntry
from exam_engine.exams.states import AttemptStatus, SessionStatus
from exam_engine.kernel.cache import MemoryCache
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.jobs import JobFailed
from item_bank.models import ItemVersion
from proctor.forensics import simulate_session
from proctor.forensics_job import (
    PHASES,
    ForensicsNotReady,
    analyse,
    gather_session_data,
    p_value_text,
    request_run,
    run_forensics,
)
from proctor.models import ForensicsRun

COPIER, SOURCE = 0, 1  # seats A1 and A2 of the first room: side by side
PRE_KNOWLEDGE = 40     # knew 12 keys (second room)
TAMPERER = 70          # 20 answers turned from wrong to right (third room)


def planted_session(n: int = 120, seed: int = 11):
    """A simulated session of ``n`` candidates in rooms of 30, 40 four-option items, with a
    copier (70 % of the items from the neighbour on his right), a candidate with item
    pre-knowledge (12 keys, answered e^1.5 times faster) and one whose 20 answers were changed
    from wrong to right; honest candidates change a few answers too. Returns (sim,
    first_choices)."""
    rng = np.random.default_rng(seed)
    sim = simulate_session(rng, n)
    choices, times = sim.choices.copy(), sim.times.copy()
    m = choices.shape[1]
    copied = rng.choice(m, 28, replace=False)
    choices[COPIER, copied] = choices[SOURCE, copied]
    # Honest changes: on some items the first answer was a second, independent draw of the
    # same candidate's response (so wrong-to-right and right-to-wrong both happen).
    right = rng.random(choices.shape) < expit(sim.params.a * (sim.theta[:, None] - sim.params.b))
    draw = np.where(right, sim.keys, (sim.keys + rng.integers(1, 4, choices.shape)) % 4)
    changing = (rng.random(choices.shape) < 0.5) & (draw != choices)
    first = np.where(changing, draw, np.nan)
    if n > PRE_KNOWLEDGE:
        known = rng.choice(m, 12, replace=False)
        choices[PRE_KNOWLEDGE, known] = sim.keys[known]
        times[PRE_KNOWLEDGE, known] /= np.exp(1.5)
    if n > TAMPERER:
        tampered = rng.choice(m, 20, replace=False)
        choices[TAMPERER, tampered] = sim.keys[tampered]
        first[TAMPERER, tampered] = (sim.keys[tampered] + 1) % 4
    sim = dataclasses.replace(sim, choices=choices, times=times,
                              scores=(choices == sim.keys[None, :]).astype(float))
    return sim, first


def run_job(db, session_id: int) -> tuple[ForensicsRun, list[str], dict]:
    """A run computed as the job does it (its unit of work committed at the end)."""
    run = ForensicsRun(exam_session_id=session_id, requested_at=utcnow())
    db.add(run)
    db.commit()
    phases: list[str] = []
    summary = run_forensics(db, lambda phase, done, total: phases.append(phase),
                            session_id=session_id, run_id=run.id)
    db.commit()
    return db.get(ForensicsRun, run.id), phases, summary


def _numbers(pair: dict) -> set[str]:
    return {pair["a"]["number"], pair["b"]["number"]}


def test_the_job_finds_the_planted_copier_and_his_source_sitting_side_by_side(db):
    sim, first = planted_session()
    session = seed_simulated_session(db, sim, first_choices=first)
    run, phases, summary = run_job(db, session.id)
    assert run.finished_at is not None and phases[0] == PHASES[0] and phases[-1] == PHASES[-1]
    report = run.report
    top = report["pairs"][0]
    assert _numbers(top) == {"BN0001", "BN0002"}
    assert top["neighbours"] and top["seats_known"] and top["room"] == "Phòng 01"
    assert {top["a"]["seat"], top["b"]["seat"]} == {"A1", "A2"}
    assert top["p_value"] < 1e-5 and top["identical_wrong"] >= 5
    assert top["matches"] >= 28 and top["compared"] == 40
    assert len(top["agreement"]) == 40 and {code for _, code in top["agreement"]} <= {"R", "W", "D"}
    assert [item["right"] for item in top["identical"]] == sorted(
        item["right"] for item in top["identical"])  # the same wrong answers first
    assert "ngồi cạnh nhau" in top["evidence"]["vi"] and "side by side" in top["evidence"]["en"]
    assert all(pair["p_value"] >= top["p_value"] for pair in report["pairs"])
    assert summary == {"run_id": run.id, "pairs": len(report["pairs"]),
                       "candidates": len(report["candidates"])}
    assert report["counts"]["pairs"] == 4 * 435 and report["counts"]["candidates"] == 120
    assert report["notes"] == [] and report["uncalibrated"] == []
    rooms = {room["name"]: room for room in report["rooms"]}
    assert rooms["Phòng 01"]["flagged_pairs"] >= 1 and rooms["Phòng 01"]["pairs"] == 435


def test_fast_correct_answers_flag_item_preknowledge_and_wrong_to_right_changes_flag_tampering(db):
    sim, first = planted_session()
    session = seed_simulated_session(db, sim, first_choices=first)
    report = run_job(db, session.id)[0].report
    flagged = {c["number"]: c for c in report["candidates"]}
    knew = flagged[f"BN{PRE_KNOWLEDGE + 1:04d}"]
    assert "fast_correct" in knew["flags"] and knew["fast"] >= 6 and knew["fast_p"] < 1e-4
    assert len(knew["fast_items"]) == knew["fast"]
    assert sum(1 for _, _, right in knew["residuals"] if right) >= knew["fast"]
    assert any("nhanh bất thường" in e["vi"] for e in knew["evidence"])
    tampered = flagged[f"BN{TAMPERER + 1:04d}"]
    assert "wrong_to_right" in tampered["flags"]
    assert tampered["wtr"] >= 20 and tampered["wtr_p"] < 1e-3 and tampered["changes"] >= 20
    assert any("sai thành đúng" in e["vi"] for e in tampered["evidence"])
    marks = dict(map(tuple, report["lz_histogram"]["marks"]))
    assert set(marks) <= set(flagged) and sum(report["lz_histogram"]["counts"]) == 120


def test_answers_are_read_in_part_ids_through_each_candidates_own_option_order(db):
    sim, first = planted_session(n=30)
    session = seed_simulated_session(db, sim, first_choices=first)
    orders = {tuple(slot.option_order) for slot in db.scalars(select(AttemptItem))}
    assert len(orders) > 1  # the forms really are shuffled
    data = gather_session_data(db, session.id)
    assert data.numbers[0] == "BN0001" and np.array_equal(data.choices, sim.choices)
    assert np.array_equal(data.scores, sim.scores)
    assert np.allclose(data.times, np.round(sim.times * 1000) / 1000)
    assert np.array_equal(data.changed, ~np.isnan(first) & (first != sim.choices))
    assert np.array_equal(np.isnan(data.first_scores), np.zeros_like(data.changed))
    assert data.has_rooms and data.seat_labels[:2] == ["A1", "A2"]
    assert data.seats[1].tolist() == [0.0, 1.0]


def test_a_session_without_rooms_is_one_room_of_unknown_seats_without_neighbour_weighting(db):
    sim, first = planted_session(n=60)
    session = seed_simulated_session(db, sim, first_choices=first, rooms=False)
    report = run_job(db, session.id)[0].report
    top = report["pairs"][0]
    assert _numbers(top) == {"BN0001", "BN0002"}
    assert not top["neighbours"] and not top["seats_known"] and top["a"]["seat"] is None
    assert "Không rõ chỗ ngồi" in top["evidence"]["vi"]
    assert report["counts"]["pairs"] == 60 * 59 // 2
    assert [room["candidates"] for room in report["rooms"]] == [60]
    assert any("chưa xếp phòng" in note["vi"] for note in report["notes"])


def test_running_again_adds_a_run_with_the_same_report(db):
    sim, first = planted_session(n=60)
    session = seed_simulated_session(db, sim, first_choices=first)
    one, two = run_job(db, session.id)[0], run_job(db, session.id)[0]
    assert one.id != two.id and two.finished_at >= one.finished_at
    assert len(db.scalars(select(ForensicsRun)).all()) == 2
    assert {k: v for k, v in one.report.items() if k != "request"} == {
        k: v for k, v in two.report.items() if k != "request"}


def test_a_job_delivered_again_after_it_finished_changes_nothing(db):
    sim, first = planted_session(n=30)
    session = seed_simulated_session(db, sim, first_choices=first)
    run, _, summary = run_job(db, session.id)
    finished_at, report = run.finished_at, run.report
    again = run_forensics(db, lambda *_: None, session_id=session.id, run_id=run.id)
    db.commit()
    db.expire_all()
    stored = db.get(ForensicsRun, run.id)
    assert again == summary and stored.finished_at == finished_at and stored.report == report


def test_the_job_refuses_a_session_still_open_or_still_being_sat(db):
    sim, first = planted_session(n=10)
    session = seed_simulated_session(db, sim, status=SessionStatus.SCHEDULED)
    with pytest.raises(JobFailed, match="sau khi ca thi đã kết thúc"):
        run_job(db, session.id)
    db.rollback()
    session.status = SessionStatus.CLOSED
    attempt = db.scalars(select(Attempt).join(Candidate).where(
        Candidate.exam_session_id == session.id)).first()
    attempt.status = AttemptStatus.PAUSED
    db.commit()
    with pytest.raises(JobFailed, match="Còn 1 thí sinh đang làm bài"):
        run_job(db, session.id)


def test_a_job_whose_request_was_rolled_back_fails_and_writes_nothing(db):
    sim, _ = planted_session(n=10)
    session = seed_simulated_session(db, sim)
    with pytest.raises(JobFailed, match="không còn"):
        run_forensics(db, lambda *_: None, session_id=session.id, run_id=999)


def test_uncalibrated_items_get_default_parameters_and_are_named_in_the_report(db):
    sim, first = planted_session(n=60)
    session = seed_simulated_session(db, sim, first_choices=first, calibrated=False)
    report = run_job(db, session.id)[0].report
    assert len(report["uncalibrated"]) == 40 and not any(i["calibrated"] for i in report["items"])
    assert any("chưa có tham số IRT" in note["vi"] for note in report["notes"])
    assert _numbers(report["pairs"][0]) == {"BN0001", "BN0002"}


def test_without_a_response_log_times_and_answer_changes_are_skipped_and_the_report_says_so(db):
    sim, first = planted_session(n=60)
    session = seed_simulated_session(db, sim, first_choices=first, log=False)
    report = run_job(db, session.id)[0].report
    assert report["counts"]["timed_answers"] == 0 and report["counts"]["changed_answers"] == 0
    notes = " ".join(note["vi"] for note in report["notes"])
    assert "không phân tích thời gian" in notes and "Không có nhật ký trả lời" in notes
    assert all(c["fast"] is None and c["residuals"] is None for c in report["candidates"])
    assert _numbers(report["pairs"][0]) == {"BN0001", "BN0002"}


def test_real_forms_of_mixed_kinds_compare_only_single_choice_and_read_older_position_answers(
        db, make_session):
    session = make_session(n_candidates=4, per_module=2)  # a third of the bank is multiple choice
    attempts = db.scalars(select(Attempt).join(Candidate).where(
        Candidate.exam_session_id == session.id).order_by(Candidate.candidate_number)).all()
    versions = {v.id: v for v in db.scalars(select(ItemVersion))}
    legacy = None
    for attempt in attempts:
        attempt.status = AttemptStatus.SUBMITTED
        for slot in attempt.items:
            ids = [part["id"] for part in versions[slot.item_version_id].content["choices"]]
            selected: list = [ids[slot.option_order[0]]]  # the option shown first
            if legacy is None and versions[slot.item_version_id].kind == "single":
                selected, legacy = [0], (attempt.id, slot)  # saved as a shown position
            db.add(Answer(attempt_id=attempt.id, position=slot.position, selected=selected,
                          seq=1))
            db.add(ResponseLogEntry(attempt_id=attempt.id, position=slot.position, seq=1,
                                    selected=selected, saved_at=utcnow(),
                                    client_ms_on_item=20000 + 1000 * slot.position))
    session.status = SessionStatus.CLOSED
    db.commit()
    data = gather_session_data(db, session.id)
    single = np.array([c["single"] for c in data.columns])
    assert single.any() and not single.all()
    assert np.isnan(data.choices[:, ~single]).all()
    assert not np.isnan(data.scores[:, ~single]).all()  # scored, though not compared
    row = [a.id for a in attempts].index(legacy[0])
    column = next(j for j, c in enumerate(data.columns)
                  if c["version_id"] == legacy[1].item_version_id)
    assert data.choices[row, column] == legacy[1].option_order[0]
    report = analyse(data)
    assert any("không phải trắc nghiệm một lựa chọn" in n["vi"] for n in report["notes"])
    assert report["counts"]["single_choice_items"] == int(single.sum())


def test_a_session_with_no_submitted_paper_gives_an_empty_report_that_says_why(db):
    sim, _ = planted_session(n=2)
    session = seed_simulated_session(db, sim)
    for attempt in db.scalars(select(Attempt)):
        attempt.status = AttemptStatus.ABSENT
    db.commit()
    report = run_job(db, session.id)[0].report
    assert report["pairs"] == [] and report["candidates"] == []
    assert report["counts"]["candidates"] == 0
    assert any("Chưa đủ bài làm" in note["vi"] for note in report["notes"])


def test_a_repeated_key_gets_its_run_and_an_open_session_is_refused(db, make_user):
    user = make_user()
    sim, _ = planted_session(n=4)
    session = seed_simulated_session(db, sim)
    cache = MemoryCache()
    run, new = request_run(db, cache, session, user_id=user.id, idempotency_key="k" * 32,
                           now=utcnow())
    again, new_again = request_run(db, cache, session, user_id=user.id,
                                   idempotency_key="k" * 32, now=utcnow())
    assert new and not new_again and again.id == run.id
    open_session = seed_simulated_session(db, sim, status=SessionStatus.SCHEDULED)
    with pytest.raises(ForensicsNotReady):
        request_run(db, cache, open_session, user_id=user.id, idempotency_key="x" * 32,
                    now=utcnow())


@pytest.mark.parametrize(("p", "vi", "en"), [
    (0.5, "0,50", "0.50"), (0.042, "0,042", "0.042"), (2.1e-7, "2,1 × 10⁻⁷", "2.1 × 10⁻⁷"),
    (0.0, "< 10⁻³⁰⁰", "< 10⁻³⁰⁰"), (None, "—", "—")])
def test_p_values_read_as_people_write_them(p, vi, en):
    assert p_value_text(p, "vi") == vi and p_value_text(p, "en") == en


def test_a_blank_paper_and_a_one_answer_paper_are_never_flagged_as_a_pair(db):
    sim, first = planted_session(n=30)
    session = seed_simulated_session(db, sim, first_choices=first)
    blank, one = db.scalars(select(Attempt).join(Candidate).where(
        Candidate.exam_session_id == session.id).order_by(Candidate.candidate_number)
        .limit(2)).all()
    for table in (Answer, ResponseLogEntry):
        db.execute(table.__table__.delete().where(table.attempt_id == blank.id))
        db.execute(table.__table__.delete().where(table.attempt_id == one.id,
                                                  table.position > 0))
    db.commit()
    report = run_job(db, session.id)[0].report
    assert not [p for p in report["pairs"] if _numbers(p) & {"BN0001", "BN0002"}]
    assert report["counts"]["pairs"] == 435
