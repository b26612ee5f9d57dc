"""Saving an answer: the hot path of an exam day.

A save is acknowledged only after it is committed (the web layer commits before answering),
and its per-question sequence number makes retries idempotent: an older save never overwrites
a newer one. Nothing heavy runs here (LOAD.md): one guarded upsert, one commit.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exam_engine.exams.errors import ExamClosed, InvalidAnswer, NotFound, NotStarted
from exam_engine.exams.grading import CHOICE_KINDS
from exam_engine.exams.models import Answer, Attempt, AttemptItem
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.cache import Cache
from item_bank.content import ItemContent, ItemKind, content_from_json
from item_bank.models import ItemVersion
from item_bank.types import InvalidResponse, item_type

ANSWERS = Answer.__table__
ATTEMPTS = Attempt.__table__


@dataclass(frozen=True)
class SavedAnswer:
    position: int
    seq: int          # the sequence number now stored (may be newer than the one sent)
    saved_at: datetime


# What a save needs to check a position, per question of a form: (kind, number of options)
# for single/multiple choice, (kind, the version's content) for the other kinds, whose
# responses are read by the item type (``normalise_response``).
FormShape = list[tuple[str, int | ItemContent]]

# This process's copy of each form's shape, per engine (per app: a test app on a truncated
# database that reuses attempt ids starts empty). A form never changes once assembled. Contents
# are shared by version id, so 50,000 forms hold each non-choice item once, not once per form.
_FORM_SHAPES: weakref.WeakKeyDictionary[Any, dict[int, FormShape]] = weakref.WeakKeyDictionary()
_ITEM_CONTENTS: weakref.WeakKeyDictionary[Any, dict[int, ItemContent]] = \
    weakref.WeakKeyDictionary()
_FORM_SHAPES_MAX = 50_000


def clear_form_shapes() -> None:
    """Forget this process's form shapes (tests that reset the database and reuse ids)."""
    _FORM_SHAPES.clear()
    _ITEM_CONTENTS.clear()


def form_shape(db: Session, cache: Cache, attempt_id: int) -> FormShape:
    """(item kind, number of options or content) per position; cached, as it never changes.

    Looked up in this process first (no round trip: a Redis GET was ~9 % of a save), then the
    shared cache, then the database. In the shared cache a non-choice entry is
    ``[kind, version id, content JSON]``.
    """
    bind = db.get_bind()
    local = _FORM_SHAPES.setdefault(bind, {})
    shape = local.get(attempt_id)
    if shape is not None:
        return shape
    contents = _ITEM_CONTENTS.setdefault(bind, {})
    key = f"form-shape:{attempt_id}"
    cached = cache.get_json(key)
    if cached is None:
        rows = db.execute(select(ItemVersion.kind, ItemVersion.id, ItemVersion.content)
                          .join(AttemptItem, ItemVersion.id == AttemptItem.item_version_id)
                          .where(AttemptItem.attempt_id == attempt_id)
                          .order_by(AttemptItem.position)).all()
        cached = [[kind, len(content["choices"])] if kind in CHOICE_KINDS
                  else [kind, version_id, content] for kind, version_id, content in rows]
        cache.set_json(key, cached, ttl_seconds=6 * 3600)
    shape = [(entry[0], entry[1]) if len(entry) == 2
             else (entry[0], _shared_content(contents, entry[1], entry[2])) for entry in cached]
    if len(local) >= _FORM_SHAPES_MAX:
        local.clear()
        contents.clear()
    local[attempt_id] = shape
    return shape


def _shared_content(contents: dict[int, ItemContent], version_id: int,
                    data: dict[str, Any]) -> ItemContent:
    content = contents.get(version_id)
    if content is None:
        content = contents[version_id] = content_from_json(data)
    return content


def _validate_selection(shape: FormShape, position: int, selected: list[int],
                        response: Any = None) -> Any:
    """What to store for this save: the clean shown positions of a choice question, the
    type's normalised response of any other (``[]`` when it is blank)."""
    if not 0 <= position < len(shape):
        raise InvalidAnswer(f"Câu {position + 1} không có trong đề thi.", "no such question")
    kind, n_options = shape[position]
    if kind not in CHOICE_KINDS:
        return _normalised_response(position, kind, n_options, response)
    clean = sorted(set(selected))
    if any(not isinstance(i, int) or not 0 <= i < n_options for i in clean):
        raise InvalidAnswer(f"Câu {position + 1}: lựa chọn không hợp lệ.", "invalid option")
    if kind == ItemKind.SINGLE and len(clean) > 1:
        raise InvalidAnswer(f"Câu {position + 1} chỉ có một đáp án đúng.",
                            "single-choice question takes one option")
    return clean


def _normalised_response(position: int, kind: str, content: Any, raw: Any) -> Any:
    try:
        response = item_type(kind).normalise_response(raw, content)
    except InvalidResponse as error:
        raise InvalidAnswer(f"Câu {position + 1}: {error.message_vi}",
                            f"question {position + 1}: {error.message_en}") from None
    return [] if response is None else response


def _build_guarded_upsert(dialect):
    """One round trip for a save: insert (or update, if ``seq`` is newer) the answer, but only
    while the attempt is in progress and inside its deadline, under a shared lock on the
    attempt row (saves run side by side, never across a submit, which locks it for update).

    INSERT INTO answers SELECT :values FROM attempts WHERE id = :attempt AND status =
    'in_progress' AND deadline >= :earliest_deadline FOR SHARE ON CONFLICT … DO UPDATE … WHERE
    excluded.seq > answers.seq RETURNING seq, saved_at. No row back: refused or stale — the
    caller then finds out which. Built once per dialect (building it per save cost ~14 % CPU).
    """
    columns = ("attempt_id", "position", "selected", "flagged", "seq", "saved_at")
    guard = (select(*(bindparam(name, type_=ANSWERS.c[name].type) for name in columns))
             .select_from(ATTEMPTS)
             .where(ATTEMPTS.c.id == bindparam("attempt_id"),
                    ATTEMPTS.c.status == AttemptStatus.IN_PROGRESS,
                    ATTEMPTS.c.deadline >= bindparam("earliest_deadline",
                                                     type_=ATTEMPTS.c.deadline.type))
             .with_for_update(read=True))
    insert = dialect.insert(ANSWERS).from_select(list(columns), guard)
    return insert.on_conflict_do_update(
        index_elements=[ANSWERS.c.attempt_id, ANSWERS.c.position],
        set_={"selected": insert.excluded.selected, "flagged": insert.excluded.flagged,
              "seq": insert.excluded.seq, "saved_at": insert.excluded.saved_at},
        where=insert.excluded.seq > ANSWERS.c.seq).returning(ANSWERS.c.seq, ANSWERS.c.saved_at)


_UPSERTS = {"postgresql": _build_guarded_upsert(postgresql),
            "sqlite": _build_guarded_upsert(sqlite)}
_ATTEMPT_STATE = (select(ATTEMPTS.c.status, ATTEMPTS.c.deadline)
                  .where(ATTEMPTS.c.id == bindparam("attempt_id")).with_for_update(read=True))
_STORED_ANSWER = select(ANSWERS.c.seq, ANSWERS.c.saved_at).where(
    ANSWERS.c.attempt_id == bindparam("attempt_id"), ANSWERS.c.position == bindparam("position"))


def save_answer(db: Session, cache: Cache, attempt_id: int, *, position: int,
                selected: list[int], flagged: bool, seq: int, now: datetime,
                grace_seconds: int = 0, response: Any = None) -> SavedAnswer:
    """Record the candidate's answer to one question; flushes, the caller commits, then acks.

    A single/multiple choice question takes ``selected`` (shown positions); any other kind
    takes ``response`` as the page sends it (``{"A": true}``, ``"Ctrl+Z"``, ``"3,5"`` …), stored
    as the type's normalised response; a malformed one raises InvalidAnswer naming the question.
    """
    if seq < 1:
        raise InvalidAnswer("Số thứ tự lưu không hợp lệ.", "seq must be positive")
    # The hot path runs on the session's connection with statements built once: the ORM's
    # per-statement work was a sixth of a save's CPU, and nothing here needs identity mapping.
    conn = db.connection()
    shape = form_shape(db, cache, attempt_id)
    if shape:
        clean = _validate_selection(shape, position, selected, response)
        written = conn.execute(_UPSERTS[conn.dialect.name], {
            "attempt_id": attempt_id, "position": position, "selected": clean,
            "flagged": bool(flagged), "seq": seq, "saved_at": now,
            "earliest_deadline": now - timedelta(seconds=grace_seconds)}).one_or_none()
        if written is not None:
            return SavedAnswer(position, written.seq, written.saved_at)
    # Refused or stale: find out which, under the same shared lock.
    state = conn.execute(_ATTEMPT_STATE, {"attempt_id": attempt_id}).one_or_none()
    if state is None:
        raise NotFound("Không tìm thấy bài thi.", "attempt not found")
    status, deadline = AttemptStatus(state.status), state.deadline
    if status is AttemptStatus.ASSIGNED:
        raise NotStarted("Bài thi chưa bắt đầu.", "the attempt has not started")
    if status is AttemptStatus.SUBMITTED:
        raise ExamClosed("Bài thi đã nộp: không thể lưu thêm câu trả lời.",
                         "the attempt is submitted; no more answers are accepted")
    if now > deadline + timedelta(seconds=grace_seconds):
        raise ExamClosed("Đã hết giờ làm bài: câu trả lời này không được ghi nhận.",
                         "time is up; this answer was not recorded")
    if not shape:
        raise InvalidAnswer(f"Câu {position + 1} không có trong đề thi.", "no such question")
    # A newer save is already stored: acknowledge that one.
    written = conn.execute(_STORED_ANSWER, {"attempt_id": attempt_id, "position": position}).one()
    return SavedAnswer(position, written.seq, written.saved_at)
