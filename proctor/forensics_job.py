"""After-exam forensics of a session as a background job (issue 11), and its runs.

The staff page starts :func:`run_forensics` through ``exam_engine.kernel.jobs`` — never on the
answer path. It reads the session's submitted papers into the pure core's arrays
(``proctor.forensics``), runs every index and stores the report in a ``ForensicsRun``: JSON
holding everything the page shows, so a report reads the same later whatever changes in the bank.

From the database to the arrays (persons = SUBMITTED attempts by số báo danh; columns = the
union of the item versions on their forms, NaN where a version was not on a form):

* Final answers are the ``answers`` rows (part ids), scored as grading scores them and
  dichotomised at full credit, as the attempt's IRT ability is. An unanswered question is no
  evidence either way: it counts as not presented in every index.
* Single-choice items give the chosen option (the original index of the ticked part id) to the
  option model and the pair similarity. Other kinds (multiple response, true/false-4, matching,
  …) enter person fit, response times and answer changes by their score only; identical
  responses to them are not compared between candidates (no option model for them).
* Item parameters are the bank's calibrated ones (``ItemVersion.irt_a/b/c`` with
  ``irt_is_demo`` false). An uncalibrated version (none, or the seeded demo guesses) gets
  a = 1, c = 0 and the difficulty whose 2PL marginal over θ ~ N(0, 1) is the session's own
  smoothed proportion right p: b = −logit(p)·√(1.702² + a²)/(1.702·a). The report names
  these items: their indices are less exact.
* Rooms and seats come from ``ExamRoom``/``SeatAssignment`` (seat "B3" = row 2, column 3);
  candidates without a seat form one group with unknown seats. A session without rooms is one
  room with unknown seats: all its pairs are tested, none weighted as neighbours. A group of
  more than ``MAX_GROUP`` candidates is not paired (millions of pairs); the report says so.
* The response log (one row per acknowledged save): the time on an item is its last
  ``client_ms_on_item`` (the browser's running total), else none; an answer was changed when
  a later save differs from the first answer given (erasing it counts).

Flags: pairs by the core's per-room weighted Holm at ``ALPHA`` (neighbours ×10; the model null,
which is conservative); candidates on each index (lz*, fast correct answers, wrong-to-right
changes) by the same per-room Holm at ``ALPHA``. A flag is evidence for the council, never a
verdict.

Safe to re-run: a finished run is left as it is, and the same papers give the same report
(nothing random), so running again adds a run and changes nothing else.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from exam_engine.exams.errors import ExamError
from exam_engine.exams.grading import (
    CHOICE_KINDS,
    GradedItem,
    choice_key,
    is_full_credit,
    item_score,
    ticked_options,
)
from exam_engine.exams.models import (
    Answer,
    Attempt,
    AttemptItem,
    Candidate,
    ExamSession,
    ResponseLogEntry,
)
from exam_engine.exams.sitting import lock_session
from exam_engine.exams.states import AttemptStatus, SessionStatus
from exam_engine.kernel.cache import Cache
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import format_number
from exam_engine.kernel.jobs import JobFailed, JobView, Progress, begin_writing, job_status
from item_bank.content import content_from_json
from item_bank.irt.models import ItemParameters, category_probabilities
from item_bank.models import Item, ItemVersion
from item_bank.types.base import is_blank
from proctor.forensics import (
    fast_correct_answers,
    fit_lognormal_times,
    option_probabilities,
    pair_similarity,
    person_fit,
    weighted_holm,
    wrong_to_right,
)
from proctor.forensics_plots import histogram
from proctor.models import ExamRoom, ForensicsRun, SeatAssignment

__all__ = ["ALPHA", "FORENSICS_KIND", "FORENSICS_TARGET", "ForensicsNotReady", "SessionData",
           "analyse", "attach_job", "ensure_closed", "gather_session_data", "job_of_run",
           "latest_runs", "p_value_text", "request_run", "run_forensics", "still_sitting"]

FORENSICS_TARGET = "proctor.forensics_job:run_forensics"
FORENSICS_KIND = "forensics"
REPORT_VERSION = 1
ALPHA = 0.01
NEIGHBOUR_WEIGHT = 10.0
Z_FAST = 1.645
MAX_GROUP = 3000  # 4.5 million pairs, the size of the 10,000-candidate benchmark
MIN_TIMED = 5     # an item's time intensity needs a few candidates' times
LOGISTIC_TO_NORMAL = 1.702
PHASES = ("Đang chờ yêu cầu hoàn tất", "Đang đọc bài làm của thí sinh",
          "Đang tính các chỉ số bất thường", "Đang lưu báo cáo")
_SEAT = re.compile(r"^([A-Z]+)(\d+)$")


class ForensicsNotReady(ExamError):
    """The session is still being sat: forensics read only finished papers."""

    http_status = 409


# ---- the runs of a session ------------------------------------------------------------------

def still_sitting(db: Session, session_id: int) -> int:
    """How many of the session's candidates are still sitting (in progress or paused)."""
    return db.scalar(select(func.count()).select_from(Attempt).join(Candidate).where(
        Candidate.exam_session_id == session_id,
        Attempt.status.in_((AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED)))) or 0


def ensure_closed(db: Session, session: ExamSession) -> None:
    """Refuse unless the session is closed (or approved) and nobody is still sitting."""
    if session.status not in (SessionStatus.CLOSED, SessionStatus.APPROVED):
        raise ForensicsNotReady("Chỉ phân tích sau khi ca thi đã kết thúc.",
                                "Forensics run only after the session has been closed.")
    sitting = still_sitting(db, session.id)
    if sitting:
        raise ForensicsNotReady(
            f"Còn {sitting} thí sinh đang làm bài: chỉ phân tích khi mọi bài đã nộp.",
            f"{sitting} candidates are still sitting: forensics run once every paper is in.")


def latest_runs(db: Session, cache: Cache, session_id: int
                ) -> tuple[ForensicsRun | None, ForensicsRun | None, JobView | None]:
    """(newest finished run, newer unfinished run, its job) of a session. The unfinished run
    comes with its job as the job's starter sees it (None: the job's state is gone — it died
    or expired; such a run never finishes and is ignored)."""
    finished_id = db.scalar(select(func.max(ForensicsRun.id)).where(
        ForensicsRun.exam_session_id == session_id, ForensicsRun.finished_at.is_not(None)))
    pending_query = select(ForensicsRun).where(ForensicsRun.exam_session_id == session_id,
                                               ForensicsRun.finished_at.is_(None))
    if finished_id is not None:
        pending_query = pending_query.where(ForensicsRun.id > finished_id)
    pending = db.scalar(pending_query.order_by(ForensicsRun.id.desc()).limit(1))
    job = job_of_run(cache, pending) if pending is not None else None
    finished = db.get(ForensicsRun, finished_id) if finished_id is not None else None
    return finished, (pending if job is not None else None), job


def job_of_run(cache: Cache, run: ForensicsRun) -> JobView | None:
    """The job computing ``run`` (None: none recorded, or its state is gone)."""
    job_id = ((run.report or {}).get("request") or {}).get("job_id")
    if not isinstance(job_id, str) or run.requested_by is None:
        return None
    job = job_status(cache, job_id, run.requested_by)
    return job if job is not None and job.kind == FORENSICS_KIND else None


def request_run(db: Session, cache: Cache, session: ExamSession, *, user_id: int,
                idempotency_key: str, now: datetime) -> tuple[ForensicsRun, bool]:
    """The run a click on "run the analysis" goes to, and whether it is new (the caller then
    starts its job and :func:`attach_job`). The caller holds the session's row lock, so of two
    clicks the second sees the first's run: a repeated key gets the run it made; while a job
    runs, every click goes to its run; otherwise the session must be over. Flushes."""
    earlier = db.scalar(select(ForensicsRun).where(
        ForensicsRun.exam_session_id == session.id,
        ForensicsRun.report[("request", "idempotency_key")].as_string() == idempotency_key))
    if earlier is not None:
        return earlier, False
    pending = db.scalar(select(ForensicsRun).where(
        ForensicsRun.exam_session_id == session.id, ForensicsRun.finished_at.is_(None))
        .order_by(ForensicsRun.id.desc()).limit(1))
    job = job_of_run(cache, pending) if pending is not None else None
    if job is not None and job.status == "running":
        return pending, False
    ensure_closed(db, session)
    run = ForensicsRun(exam_session_id=session.id, requested_by=user_id, requested_at=now,
                       report={"request": {"idempotency_key": idempotency_key}})
    db.add(run)
    db.flush()
    return run, True


def attach_job(db: Session, run: ForensicsRun, job_id: str) -> None:
    """Remember the job that computes ``run`` (the page follows its progress)."""
    run.report = {"request": {**(run.report or {}).get("request", {}), "job_id": job_id}}
    db.flush()


# ---- the job ----------------------------------------------------------------------------------

def run_forensics(db: Session, progress: Progress, *, session_id: int,
                  run_id: int) -> dict[str, Any]:
    """The job's work (``FORENSICS_TARGET``): compute run ``run_id`` of the session and store
    its report. Locks are held only to check and to write, not while reading or computing."""
    progress(PHASES[0], 0, len(PHASES))
    # The request that made the run commits it after queuing this job: wait for it (SQLite's
    # write lock, PostgreSQL's row lock on the session), then look.
    begin_writing(db)
    session = lock_session(db, session_id)
    run = db.get(ForensicsRun, run_id)
    if session is None or run is None or run.exam_session_id != session_id:
        raise JobFailed("Yêu cầu phân tích không còn (đã bị hủy).",
                        "The forensics request no longer exists (it was cancelled).")
    if run.finished_at is not None:  # a re-run of a job that had finished: nothing to do
        return _summary(run)
    try:
        ensure_closed(db, session)
    except ForensicsNotReady as refused:
        raise JobFailed(refused.message_vi, refused.message_en) from None
    request = dict((run.report or {}).get("request") or {})
    db.rollback()
    progress(PHASES[1], 1, len(PHASES))
    data = gather_session_data(db, session_id)
    db.rollback()
    progress(PHASES[2], 2, len(PHASES))
    report = analyse(data)
    progress(PHASES[3], 3, len(PHASES))
    begin_writing(db)
    run = db.get(ForensicsRun, run_id, with_for_update=True)  # one delivery writes it
    if run is None:
        raise JobFailed("Yêu cầu phân tích không còn (đã bị hủy).",
                        "The forensics request no longer exists (it was cancelled).")
    if run.finished_at is None:  # else another delivery of this job finished it first
        run.report = {"request": request, **report}
        run.finished_at = utcnow()
        db.flush()
    progress(PHASES[3], len(PHASES), len(PHASES))
    return _summary(run)


def _summary(run: ForensicsRun) -> dict[str, Any]:
    report = run.report or {}
    return {"run_id": run.id, "pairs": len(report.get("pairs", [])),
            "candidates": len(report.get("candidates", []))}


# ---- from the database to arrays ------------------------------------------------------------

class _Column:
    """One item version of the session: how to read and score its stored answers."""

    def __init__(self, version: ItemVersion, label: str) -> None:
        self.version, self.label, self.module = version, label, ""
        self.kind = version.kind
        self.choice = self.kind in CHOICE_KINDS
        self.single = self.kind == "single"
        self.memo: dict[tuple[str | None, str], tuple[Any, float]] = {}
        content = version.content
        if self.choice:
            self.index_of = {part["id"]: i for i, part in enumerate(content["choices"])}
            self.key = choice_key(content)
            self.n_options = len(content["choices"])
        else:
            self.model = content_from_json(content)

    def read_text(self, stored: str | None, order: str) -> tuple[Any, float]:
        """``read`` of the stored JSON texts. The same few texts recur in every paper (an
        option id, an option order), so each is decoded and scored once per item."""
        found = self.memo.get((stored, order))
        if found is None:
            found = self.memo[(stored, order)] = self.read(
                None if stored is None else json.loads(stored), json.loads(order))
        return found

    def read(self, stored: Any, order: Any) -> tuple[Any, float]:
        """(canonical answer or None when blank, score 0/1 or NaN when blank)."""
        if self.choice:
            if isinstance(stored, list) and all(isinstance(value, str) for value in stored):
                ticked = frozenset(self.index_of[v] for v in stored if v in self.index_of)
            else:  # a row saved before part ids (shown positions)
                ticked = ticked_options(stored, self.version.content, order)
            if not ticked:
                return None, math.nan
            return ticked, float(ticked == self.key)
        if is_blank(stored):
            return None, math.nan
        credit = item_score(GradedItem(self.module, self.kind, frozenset(), frozenset(),
                                       self.model, stored))
        return (json.dumps(stored, sort_keys=True, ensure_ascii=False),
                float(is_full_credit(credit)))


@dataclass
class SessionData:
    """A session's papers as the core's arrays: rows = candidates, columns = item versions."""

    numbers: list[str]
    names: list[str]
    columns: list[dict[str, Any]]  # label, kind, single, key, n_options, a, b, c, calibrated
    choices: np.ndarray            # (n, m) original option index of single-choice answers
    scores: np.ndarray             # (n, m) 0/1 at full credit, NaN = not presented or blank
    first_scores: np.ndarray       # (n, m) score of the first answer given (log), NaN = none
    changed: np.ndarray            # (n, m) bool
    times: np.ndarray              # (n, m) seconds on the item, NaN = none
    room_names: list[str]          # per group label
    rooms: np.ndarray              # (n,) group label
    seats: np.ndarray              # (n, 2) (row, column), NaN = unknown
    seat_labels: list[str]
    has_rooms: bool
    unseated: int = 0
    logged: int = 0                # response log rows read


def _text(column: Any) -> Any:
    """A JSON column read as its text (decoded once per distinct text by ``read_text``)."""
    return cast(column, Text).label(column.key)


def _seat_position(seat: str) -> tuple[float, float]:
    found = _SEAT.match(seat.strip().upper())
    if not found:
        return math.nan, math.nan
    row = 0
    for letter in found.group(1):
        row = row * 26 + ord(letter) - ord("A") + 1
    return float(row - 1), float(int(found.group(2)) - 1)


def gather_session_data(db: Session, session_id: int) -> SessionData:
    """Read the session's SUBMITTED papers, their final answers, the response log, the items
    and the seat map into arrays (the module's doc says how)."""
    people = db.execute(
        select(Attempt.id, Candidate.id, Candidate.candidate_number, Candidate.full_name)
        .join(Candidate, Candidate.id == Attempt.candidate_id)
        .where(Candidate.exam_session_id == session_id, Attempt.status == AttemptStatus.SUBMITTED)
        .order_by(Candidate.candidate_number, Attempt.id)).all()
    row_of = {attempt_id: i for i, (attempt_id, *_rest) in enumerate(people)}
    submitted = (select(Attempt.id).join(Candidate, Candidate.id == Attempt.candidate_id)
                 .where(Candidate.exam_session_id == session_id,
                        Attempt.status == AttemptStatus.SUBMITTED))
    slots = db.execute(select(AttemptItem.attempt_id, AttemptItem.position,
                              AttemptItem.item_version_id, AttemptItem.module,
                              _text(AttemptItem.option_order))
                       .where(AttemptItem.attempt_id.in_(submitted))).all()
    version_ids = sorted({slot.item_version_id for slot in slots})
    versions = db.execute(select(ItemVersion, Item.key).join(Item, Item.id == ItemVersion.item_id)
                          .where(ItemVersion.id.in_(version_ids))
                          .order_by(Item.key, ItemVersion.version)).all() if version_ids else []
    key_count: dict[str, int] = {}
    for _version, key in versions:
        key_count[key] = key_count.get(key, 0) + 1
    columns = [_Column(v, key if key_count[key] == 1 else f"{key} v{v.version}")
               for v, key in versions]
    col_of = {column.version.id: j for j, column in enumerate(columns)}
    n, m = len(people), len(columns)
    choices, scores = np.full((n, m), np.nan), np.full((n, m), np.nan)
    first_scores, times = np.full((n, m), np.nan), np.full((n, m), np.nan)
    changed = np.zeros((n, m), dtype=bool)
    cell: dict[tuple[int, int], tuple[int, int, Any]] = {}
    for slot in slots:
        column = columns[col_of[slot.item_version_id]]
        column.module = slot.module
        cell[(slot.attempt_id, slot.position)] = (row_of[slot.attempt_id],
                                                   col_of[slot.item_version_id], slot.option_order)
    for attempt_id, position, stored in db.execute(
            select(Answer.attempt_id, Answer.position, _text(Answer.selected))
            .where(Answer.attempt_id.in_(submitted))):
        if (attempt_id, position) not in cell:
            continue
        i, j, order = cell[(attempt_id, position)]
        answer, scores[i, j] = columns[j].read_text(stored, order)
        if answer is not None and columns[j].single and len(answer) == 1:
            choices[i, j] = next(iter(answer))
    logged = _read_log(db, submitted, cell, columns, first_scores, changed, times)
    data = SessionData(
        numbers=[p.candidate_number for p in people], names=[p.full_name for p in people],
        columns=[_column_facts(c, scores[:, j]) for j, c in enumerate(columns)],
        choices=choices, scores=scores, first_scores=first_scores, changed=changed, times=times,
        room_names=[], rooms=np.zeros(n, int), seats=np.full((n, 2), np.nan),
        seat_labels=[""] * n, has_rooms=False, logged=logged)
    _seat_people(db, session_id, [p[1] for p in people], data)
    return data


def _read_log(db: Session, submitted: Any, cell: dict, columns: list[_Column],
              first_scores: np.ndarray, changed: np.ndarray, times: np.ndarray) -> int:
    """First answer, changes and time on the item from the response log, save by save."""
    rows = 0
    current, first = None, None
    for attempt_id, position, stored, ms in db.execute(
            select(ResponseLogEntry.attempt_id, ResponseLogEntry.position,
                   _text(ResponseLogEntry.selected), ResponseLogEntry.client_ms_on_item)
            .where(ResponseLogEntry.attempt_id.in_(submitted))
            .order_by(ResponseLogEntry.attempt_id, ResponseLogEntry.position,
                      ResponseLogEntry.seq)):
        place = cell.get((attempt_id, position))
        if place is None:
            continue
        rows += 1
        i, j, order = place
        if (attempt_id, position) != current:
            current, first = (attempt_id, position), None
        answer, score = columns[j].read_text(stored, order)
        if first is None:
            if answer is not None:
                first, first_scores[i, j] = answer, score
        elif answer != first:
            changed[i, j] = True
        if ms is not None and ms > 0:
            times[i, j] = ms / 1000.0
    return rows


def _column_facts(column: _Column, scores: np.ndarray) -> dict[str, Any]:
    version = column.version
    calibrated = (not version.irt_is_demo and version.irt_a is not None
                  and version.irt_b is not None and version.irt_a > 0)
    if calibrated:
        a, b, c = float(version.irt_a), float(version.irt_b), float(version.irt_c or 0.0)
    else:  # the module's doc: the 2PL difficulty whose marginal is the session's p
        answered = scores[~np.isnan(scores)]
        p = (answered.sum() + 0.5) / (answered.size + 1.0)
        a, c = 1.0, 0.0
        b = -math.log(p / (1 - p)) * math.sqrt(LOGISTIC_TO_NORMAL ** 2 + a * a) / (
            LOGISTIC_TO_NORMAL * a)
    key = sorted(column.key)[0] if column.single and column.key else None
    return {"version_id": version.id, "label": column.label, "kind": column.kind,
            "single": column.single and key is not None, "key": key,
            "n_options": column.n_options if column.choice else 0,
            "a": a, "b": b, "c": min(max(c, 0.0), 0.99), "calibrated": calibrated}


def _seat_people(db: Session, session_id: int, candidate_ids: list[int],
                 data: SessionData) -> None:
    rooms = db.execute(select(ExamRoom.id, ExamRoom.name).where(
        ExamRoom.exam_session_id == session_id).order_by(ExamRoom.name, ExamRoom.id)).all()
    if not rooms:
        data.room_names = ["—"]
        return
    data.has_rooms = True
    label_of = {room_id: n for n, (room_id, _name) in enumerate(rooms)}
    data.room_names = [name for _id, name in rooms] + ["Chưa xếp chỗ"]
    seats = dict((cid, (room_id, seat)) for cid, room_id, seat in db.execute(
        select(SeatAssignment.candidate_id, SeatAssignment.room_id, SeatAssignment.seat)
        .where(SeatAssignment.room_id.in_([room_id for room_id, _ in rooms]))))
    for i, candidate_id in enumerate(candidate_ids):
        place = seats.get(candidate_id)
        if place is None:
            data.rooms[i] = len(rooms)
            data.unseated += 1
            continue
        data.rooms[i] = label_of[place[0]]
        data.seats[i] = _seat_position(place[1])
        data.seat_labels[i] = place[1]


# ---- the indices and the report -------------------------------------------------------------

def analyse(data: SessionData) -> dict[str, Any]:
    """Run every index of the core on the session's arrays; the report as JSON (no NaN:
    None), with the evidence in words in Vietnamese and English."""
    n, m = data.scores.shape
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "settings": {"alpha": ALPHA, "neighbour_weight": NEIGHBOUR_WEIGHT, "z_fast": Z_FAST,
                     "null": "model", "max_group": MAX_GROUP},
        "counts": {"candidates": n, "items": m,
                   "single_choice_items": sum(c["single"] for c in data.columns),
                   "pairs": 0, "timed_answers": int(np.isfinite(data.times).sum()),
                   "changed_answers": int(data.changed.sum()), "log_rows": data.logged},
        "items": [{k: c[k] for k in ("version_id", "label", "kind", "calibrated")}
                  for c in data.columns],
        "uncalibrated": [c["label"] for c in data.columns if not c["calibrated"]],
        "notes": _data_notes(data), "rooms": [], "pairs": [], "candidates": [],
        "lz_histogram": None}
    if n < 2 or m == 0:
        report["notes"].append(_words(
            "Chưa đủ bài làm đã nộp để phân tích (cần ít nhất hai thí sinh).",
            "Not enough submitted papers to analyse (at least two candidates are needed)."))
        return report
    params = ItemParameters.from_irt("3pl", a=np.array([c["a"] for c in data.columns]),
                                     b=np.array([c["b"] for c in data.columns]),
                                     c=np.array([c["c"] for c in data.columns]))
    fit = person_fit(data.scores, params)
    similarity = _similarity(data, params, fit.theta, report)
    timing = _timing(data, params, fit.theta, report)
    final = np.where(~np.isnan(data.first_scores) & np.isnan(data.scores), 0.0, data.scores)
    changes = wrong_to_right(data.changed, data.first_scores, final, fit.theta)
    fast_p = timing[1].p_value if timing else np.full(n, np.nan)
    flags = {"person_fit": weighted_holm(fit.p_value, data.rooms, None, ALPHA),
             "fast_correct": weighted_holm(fast_p, data.rooms, None, ALPHA),
             "wrong_to_right": weighted_holm(changes.p_value, data.rooms, None, ALPHA)}
    report["candidates"] = _flagged_candidates(data, fit, timing, changes, flags)
    edges, counts = histogram(fit.lzstar)
    report["lz_histogram"] = {"edges": edges, "counts": counts, "marks": [
        [c["number"], c["lzstar"]] for c in report["candidates"] if c["lzstar"] is not None]}
    report["rooms"] = _room_summary(data, similarity)
    return report


def _similarity(data: SessionData, params: ItemParameters, theta: np.ndarray,
                report: dict[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """Pairs within each group (room) on the single-choice items; the flagged ones go to the
    report. Returns (pairs as person indices, flagged) for the room summary."""
    single = [j for j, c in enumerate(data.columns) if c["single"]]
    if not single:
        return None
    keys = np.array([data.columns[j]["key"] for j in single])
    choices = data.choices[:, single]
    probs = option_probabilities(choices, keys, theta, params.subset(single),
                                 n_options=max(data.columns[j]["n_options"] for j in single))
    paired = np.flatnonzero(np.bincount(data.rooms)[data.rooms] <= MAX_GROUP)
    if paired.size < 2:
        return None
    sim = pair_similarity(choices[paired], probs[paired], data.rooms[paired],
                          data.seats[paired], alpha=ALPHA, neighbour_weight=NEIGHBOUR_WEIGHT)
    pairs = paired[sim.pairs]
    p_value, flagged = sim.p_value, sim.flagged
    report["counts"]["pairs"] = len(pairs)
    labels = [data.columns[j]["label"] for j in single]
    for k in sorted(np.flatnonzero(flagged), key=lambda k: (p_value[k], k)):
        a, b = (int(x) for x in pairs[k])
        report["pairs"].append(_pair_entry(data, a, b, choices, keys, labels, {
            "matches": int(sim.matches[k]), "statistic": _num(sim.statistic[k]),
            "expected": _num(sim.expected[k]), "p_value": _num(p_value[k]),
            "neighbours": bool(sim.neighbours[k])}))
    return pairs, flagged


def _pair_entry(data: SessionData, a: int, b: int, choices: np.ndarray, keys: np.ndarray,
                labels: list[str], index: dict[str, Any]) -> dict[str, Any]:
    both = ~np.isnan(choices[a]) & ~np.isnan(choices[b])
    agreement, identical = [], []
    for j in np.flatnonzero(both):
        same = choices[a, j] == choices[b, j]
        right = same and choices[a, j] == keys[j]
        agreement.append([labels[j], "D" if not same else ("R" if right else "W")])
        if same:
            identical.append({"label": labels[j], "option": chr(ord("A") + int(choices[a, j])),
                              "right": bool(right)})
    identical.sort(key=lambda item: item["right"])  # the same wrong answers first
    wrong = sum(not item["right"] for item in identical)
    entry = {"a": _person(data, a), "b": _person(data, b), "room": data.room_names[
        data.rooms[a]], "compared": int(both.sum()), "identical_wrong": wrong, **index,
        "seats_known": bool(np.isfinite(data.seats[[a, b]]).all()),
        "identical": identical, "agreement": agreement}
    entry["evidence"] = _pair_words(entry)
    return entry


def _timing(data: SessionData, params: ItemParameters, theta: np.ndarray,
            report: dict[str, Any]) -> tuple[np.ndarray, Any] | None:
    """(residuals (n, m), fast correct answers) of the log-normal model, on the items with
    ``MIN_TIMED`` timed candidates; None (and a note) without enough times."""
    times = np.where(data.times > 0, data.times, np.nan)
    items = (~np.isnan(times)).sum(axis=0) >= MIN_TIMED
    times[:, ~items] = np.nan
    persons = (~np.isnan(times)).sum(axis=1) >= 1
    if persons.sum() < MIN_TIMED or not items.any():
        report["notes"].append(_words(
            "Không có đủ thời gian làm từng câu trong nhật ký trả lời: không phân tích thời "
            "gian trả lời.",
            "Too few times per question in the response log: response times not analysed."))
        return None
    fitted = fit_lognormal_times(times[np.ix_(persons, items)])
    residuals = np.full(times.shape, np.nan)
    residuals[np.ix_(persons, items)] = fitted.residuals
    residuals[~np.isfinite(residuals)] = np.nan
    p_correct = category_probabilities(theta, params)[:, :, 1]
    fast = fast_correct_answers(residuals, data.scores, p_correct, z_fast=Z_FAST)
    fast.p_value[~persons] = np.nan
    return residuals, fast


def _flagged_candidates(data: SessionData, fit: Any, timing: Any, changes: Any,
                        flags: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    labels = [c["label"] for c in data.columns]
    out = []
    for i in np.flatnonzero(np.any(np.stack(list(flags.values())), axis=0)):
        entry = {**_person(data, i), "theta": _num(fit.theta[i]), "lzstar": _num(fit.lzstar[i]),
                 "lz_p": _num(fit.p_value[i]), "flags": [k for k, f in flags.items() if f[i]],
                 "changes": int(changes.changes[i]), "wtr": int(changes.wrong_to_right[i]),
                 "wtr_expected": _num(changes.expected[i]), "wtr_p": _num(changes.p_value[i]),
                 "fast": None, "fast_expected": None, "fast_p": None, "fast_items": [],
                 "residuals": None}
        if timing is not None:
            residuals, fast = timing
            entry.update(fast=int(fast.count[i]), fast_expected=_num(fast.expected[i]),
                         fast_p=_num(fast.p_value[i]),
                         fast_items=[labels[j] for j in np.flatnonzero(fast.flags[i])])
            seen = np.flatnonzero(~np.isnan(residuals[i]))
            entry["residuals"] = [[labels[j], _num(residuals[i, j]),
                                   None if np.isnan(data.scores[i, j])
                                   else bool(data.scores[i, j])] for j in seen]
        entry["evidence"] = _candidate_words(entry)
        out.append(entry)
    return sorted(out, key=lambda e: min(p for p in (e["lz_p"], e["fast_p"], e["wtr_p"], 1.0)
                                         if p is not None))


def _room_summary(data: SessionData, similarity: tuple | None) -> list[dict[str, Any]]:
    sizes = np.bincount(data.rooms, minlength=len(data.room_names))
    tested = np.zeros(len(sizes), int)
    flagged = np.zeros(len(sizes), int)
    if similarity is not None:
        pairs, flags = similarity
        np.add.at(tested, data.rooms[pairs[:, 0]], 1)
        np.add.at(flagged, data.rooms[pairs[flags, 0]], 1)
    return [{"name": data.room_names[r], "candidates": int(sizes[r]), "pairs": int(tested[r]),
             "flagged_pairs": int(flagged[r]), "seated": data.has_rooms and r < len(sizes) - 1}
            for r in range(len(sizes)) if sizes[r]]


def _person(data: SessionData, i: int) -> dict[str, Any]:
    return {"number": data.numbers[i], "name": data.names[i],
            "room": data.room_names[data.rooms[i]], "seat": data.seat_labels[i] or None}


def _num(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


# ---- words ------------------------------------------------------------------------------------

def _words(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def p_value_text(p: float | None, locale: str = "vi") -> str:
    """A p-value as people read it: 0,042 / 0.042; tiny ones as 2,1 × 10⁻⁷."""
    if p is None or not math.isfinite(p):
        return "—"
    if p >= 0.001:
        text = f"{p:.2g}" if p < 0.1 else f"{p:.2f}"
    elif p < 1e-300:
        return "< 10⁻³⁰⁰"
    else:
        mantissa, exponent = f"{p:.1e}".split("e")
        text = f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return text.replace(".", ",") if locale == "vi" else text


def _both(value: float | None, decimals: int = 1) -> tuple[str, str]:
    if value is None:
        return "—", "—"
    return format_number(value, decimals, "vi"), format_number(value, decimals, "en")


def _pair_words(pair: dict[str, Any]) -> dict[str, str]:
    (s_vi, s_en), (e_vi, e_en) = _both(pair["statistic"]), _both(pair["expected"])
    p_vi, p_en = p_value_text(pair["p_value"], "vi"), p_value_text(pair["p_value"], "en")
    if not pair["seats_known"]:
        seat_vi, seat_en = "Không rõ chỗ ngồi.", "Seats unknown."
    elif pair["neighbours"]:
        seat_vi, seat_en = "Hai thí sinh ngồi cạnh nhau.", "The two sat side by side."
    else:
        seat_vi, seat_en = "Hai thí sinh không ngồi cạnh nhau.", "The two did not sit side by side."
    return _words(
        f"Trùng đáp án ở {pair['matches']}/{pair['compared']} câu một lựa chọn cả hai cùng trả "
        f"lời, trong đó {pair['identical_wrong']} câu cùng chọn một phương án sai. Chỉ số "
        f"tương đồng {s_vi}, kỳ vọng {e_vi} nếu hai người làm bài độc lập (p = {p_vi}). "
        f"{seat_vi}",
        f"Same answer on {pair['matches']} of the {pair['compared']} single-choice questions "
        f"both answered, {pair['identical_wrong']} of them the same wrong option. Similarity "
        f"index {s_en} against {e_en} expected for independent work (p = {p_en}). {seat_en}")


def _candidate_words(c: dict[str, Any]) -> list[dict[str, str]]:
    words = []
    if "person_fit" in c["flags"]:
        lz_vi, lz_en = _both(c["lzstar"], 2)
        words.append(_words(
            f"Mẫu trả lời không phù hợp với năng lực ước lượng: lz* = {lz_vi} "
            f"(p = {p_value_text(c['lz_p'], 'vi')}).",
            f"The answer pattern does not fit the estimated ability: lz* = {lz_en} "
            f"(p = {p_value_text(c['lz_p'], 'en')})."))
    if "fast_correct" in c["flags"]:
        e_vi, e_en = _both(c["fast_expected"])
        words.append(_words(
            f"{c['fast']} câu trả lời đúng nhanh bất thường, kỳ vọng {e_vi} "
            f"(p = {p_value_text(c['fast_p'], 'vi')}).",
            f"{c['fast']} unusually fast correct answers, {e_en} expected "
            f"(p = {p_value_text(c['fast_p'], 'en')})."))
    if "wrong_to_right" in c["flags"]:
        e_vi, e_en = _both(c["wtr_expected"])
        words.append(_words(
            f"{c['wtr']} trong {c['changes']} lần sửa đáp án là sửa từ sai thành đúng, kỳ vọng "
            f"{e_vi} (p = {p_value_text(c['wtr_p'], 'vi')}).",
            f"{c['wtr']} of {c['changes']} answer changes were wrong to right, {e_en} expected "
            f"(p = {p_value_text(c['wtr_p'], 'en')})."))
    return words


def _data_notes(data: SessionData) -> list[dict[str, str]]:
    notes = []
    group_sizes = np.bincount(data.rooms) if len(data.rooms) else np.zeros(0, int)
    if not data.has_rooms:
        notes.append(_words(
            "Ca thi chưa xếp phòng: mọi thí sinh được xét như cùng một phòng; không rõ chỗ ngồi "
            "nên các cặp ngồi cạnh nhau không được ưu tiên.",
            "The session has no rooms: all candidates are treated as one room; seats are "
            "unknown, so neighbours are not weighted."))
    if data.unseated:
        notes.append(_words(
            f"{data.unseated} thí sinh chưa được xếp chỗ: được xét chung một nhóm «Chưa xếp "
            "chỗ», không rõ chỗ ngồi.",
            f"{data.unseated} candidates had no seat: they are compared as one group "
            "(«Chưa xếp chỗ», not seated), seats unknown."))
    if (group_sizes > MAX_GROUP).any():
        notes.append(_words(
            f"Nhóm thí sinh hơn {MAX_GROUP} người không được so sánh từng cặp (quá nhiều cặp): "
            "hãy xếp phòng cho ca thi.",
            f"Groups of more than {MAX_GROUP} candidates are not compared pair by pair (too "
            "many pairs): assign the session's rooms."))
    uncalibrated = sum(not c["calibrated"] for c in data.columns)
    if uncalibrated:
        notes.append(_words(
            f"{uncalibrated} câu hỏi chưa có tham số IRT hiệu chỉnh từ dữ liệu thi thật: dùng "
            "tham số mặc định (độ phân biệt 1, độ khó suy từ tỷ lệ trả lời đúng của ca thi "
            "này); các chỉ số dựa trên những câu này kém chính xác hơn.",
            f"{uncalibrated} questions have no IRT parameters calibrated on live data: default "
            "parameters are used (slope 1, difficulty from this session's proportion right); "
            "the indices that rest on them are less exact."))
    others = sum(not c["single"] for c in data.columns)
    if others:
        notes.append(_words(
            f"{others} câu hỏi không phải trắc nghiệm một lựa chọn: chỉ dùng cho độ phù hợp, "
            "thời gian trả lời và việc sửa đáp án (đúng khi đạt trọn điểm), không dùng để so "
            "sánh đáp án giữa hai thí sinh.",
            f"{others} questions are not single choice: they count in person fit, response "
            "times and answer changes (right at full credit), not in comparing two "
            "candidates' answers."))
    if not data.logged:
        notes.append(_words(
            "Không có nhật ký trả lời: không phân tích việc sửa đáp án.",
            "No response log: answer changes not analysed."))
    return notes
