"""Saving an answer: the hot path of an exam day.

A save is acknowledged only after it is committed (the web layer commits before answering),
and its per-question sequence number makes retries idempotent: an older save never overwrites
a newer one. Nothing heavy runs here (LOAD.md): one guarded upsert, one commit.

Every save that writes the ``answers`` row also appends it to the response log
(``response_log``: what an appeal re-checks and the forensics read, ``proctor.response_log``)
in the same transaction, so an acknowledged save is a logged one; a stale or retried save
writes neither. On PostgreSQL both writes are one statement (a data-modifying CTE); SQLite has
no DML in a CTE, so there it is a second statement on the same connection (no network).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exam_engine.exams.answer_input import refuse_malformed
from exam_engine.exams.errors import (
    AttemptPaused,
    ExamClosed,
    InvalidAnswer,
    LoginEnded,
    MovedAway,
    NotFound,
    NotStarted,
)
from exam_engine.exams.grading import CHOICE_KINDS
from exam_engine.exams.late_saves import save_into_attempt_closed_at_deadline
from exam_engine.exams.models import Answer, Attempt, AttemptItem, ResponseLogEntry
from exam_engine.exams.part_tokens import QuestionTokens, content_fields, response_in_part_ids
from exam_engine.exams.states import AttemptStatus
from exam_engine.kernel.cache import Cache
from exam_engine.kernel.login_sessions import ENDED_MOVED, LoginSession
from exam_engine.kernel.login_sessions import MAX_AGE as LOGIN_MAX_AGE
from item_bank.content import ItemContent, ItemKind, content_from_json
from item_bank.models import ItemVersion
from item_bank.types import InvalidResponse, item_type

ANSWERS = Answer.__table__
ATTEMPTS = Attempt.__table__
LOGINS = LoginSession.__table__
RESPONSE_LOG = ResponseLogEntry.__table__

# The page's time on a question (ms) is clamped here: a login lasts 12 h at most, so a larger
# count is a broken clock, not a longer look (and it must fit the log's 32-bit column).
MAX_MS_ON_ITEM = int(LOGIN_MAX_AGE.total_seconds() * 1000)


@dataclass(frozen=True)
class SavedAnswer:
    position: int
    seq: int          # the sequence number now stored (may be newer than the one sent)
    saved_at: datetime


@dataclass(frozen=True)
class FormShape:
    """What a save needs to check and translate an answer to one question of a form.

    ``questions[position]`` is ``(kind, shown part ids)`` for single/multiple choice (the
    fast path: no item content) and ``(kind, content)`` for the other kinds, whose responses
    the item type reads. ``part_secret`` keys the opaque ids the page uses (``part_tokens``).
    """

    part_secret: str
    questions: list[tuple[str, tuple[str, ...] | ItemContent]]


_NO_FORM = FormShape("", [])

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
    """The form's questions as a save needs them; cached, as a form never changes.

    Looked up in this process first (no round trip: a Redis GET was ~9 % of a save), then the
    shared cache, then the database. In the shared cache a choice entry is ``[kind, [shown part
    ids]]`` and any other ``[kind, version id, content JSON]``.
    """
    bind = db.get_bind()
    local = _FORM_SHAPES.setdefault(bind, {})
    shape = local.get(attempt_id)
    if shape is not None:
        return shape
    contents = _ITEM_CONTENTS.setdefault(bind, {})
    key = f"form-shape:v2:{attempt_id}"
    cached = cache.get_json(key)
    if cached is None:
        secret = db.scalar(select(Attempt.part_secret).where(Attempt.id == attempt_id))
        if secret is None:
            return _NO_FORM
        rows = db.execute(select(ItemVersion.kind, ItemVersion.id, ItemVersion.content,
                                 AttemptItem.option_order)
                          .join(AttemptItem, ItemVersion.id == AttemptItem.item_version_id)
                          .where(AttemptItem.attempt_id == attempt_id)
                          .order_by(AttemptItem.position)).all()
        cached = {"secret": secret, "questions": [
            [kind, [content["choices"][i]["id"] for i in order]] if kind in CHOICE_KINDS
            else [kind, version_id, content] for kind, version_id, content, order in rows]}
        cache.set_json(key, cached, ttl_seconds=6 * 3600)
    shape = FormShape(cached["secret"], [
        (entry[0], tuple(entry[1])) if len(entry) == 2
        else (entry[0], _shared_content(contents, entry[1], entry[2]))
        for entry in cached["questions"]])
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


def _answer_to_store(shape: FormShape, position: int, selected: list[int],
                     response: Any = None) -> Any:
    """What to store for this save, in part ids for every kind: the ticked ids (sorted) of a
    choice question, the type's normalised response of any other; ``[]`` when it is blank.

    The page names parts by their opaque ids (``response``); a choice question may instead
    send ``selected``, its shown positions (the older page and the load benchmark do)."""
    if not 0 <= position < len(shape.questions):
        raise InvalidAnswer(f"Câu {position + 1} không có trong đề thi.", "no such question")
    refuse_malformed(position, response)
    kind, parts = shape.questions[position]
    try:
        if kind not in CHOICE_KINDS:
            assert isinstance(parts, ItemContent)
            tokens = QuestionTokens(shape.part_secret, position, content_fields(parts))
            raw = response_in_part_ids(kind, response, tokens)
            normalised = item_type(kind).normalise_response(raw, parts)
            return [] if normalised is None else normalised
        assert isinstance(parts, tuple)
        if response is None:
            if any(not isinstance(i, int) or not 0 <= i < len(parts) for i in selected):
                raise InvalidAnswer(f"Câu {position + 1}: lựa chọn không hợp lệ.",
                                    "invalid option")
            ticked = {parts[i] for i in selected}
        else:
            tokens = QuestionTokens(shape.part_secret, position, {"choices": parts})
            ids = [response] if isinstance(response, str) else response
            if not isinstance(ids, list) or any(not isinstance(value, str) for value in ids):
                raise InvalidAnswer(f"Câu {position + 1}: lựa chọn không hợp lệ.",
                                    "a choice response is a list of option ids (strings)")
            ticked = {tokens.part_id("choices", value) for value in ids if value.strip()}
    except InvalidResponse as error:
        raise InvalidAnswer(f"Câu {position + 1}: {error.message_vi}",
                            f"question {position + 1}: {error.message_en}") from None
    if kind == ItemKind.SINGLE and len(ticked) > 1:
        raise InvalidAnswer(f"Câu {position + 1} chỉ có một đáp án đúng.",
                            "single-choice question takes one option")
    return sorted(ticked)


_ANSWER_COLUMNS = ("attempt_id", "position", "selected", "flagged", "seq", "saved_at")
_LOG_COLUMNS = (*_ANSWER_COLUMNS, "client_ms_on_item")
_LOG_KEY = [RESPONSE_LOG.c.attempt_id, RESPONSE_LOG.c.position, RESPONSE_LOG.c.seq]


def _build_guarded_upsert(dialect, *, login: bool):
    """One round trip for a save: insert (or update, if ``seq`` is newer) the answer, but only
    while the attempt is in progress and inside its deadline, under a shared lock on the
    attempt row (saves run side by side, never across a submit, which locks it for update).

    INSERT INTO answers SELECT :values FROM attempts WHERE id = :attempt AND status =
    'in_progress' AND deadline >= :earliest_deadline FOR SHARE ON CONFLICT … DO UPDATE … WHERE
    excluded.seq > answers.seq RETURNING seq, saved_at. No row back: refused or stale — the
    caller then finds out which. Built once per dialect (building it per save cost ~14 % CPU).

    With ``login``, the same statement also requires the browser's login session to be live
    (``AND EXISTS (… login_sessions …)``): a logged-out cookie cannot save, and the check costs
    no round trip of its own (a separate read cost a sixth of the saves per second).

    On PostgreSQL the statement also appends the written row to the response log:
    WITH written AS (INSERT INTO answers … RETURNING *), logged AS (INSERT INTO response_log
    SELECT …, :client_ms FROM written ON CONFLICT DO NOTHING) SELECT seq, saved_at FROM
    written. A data-modifying CTE always runs to completion, referenced or not, and sees
    exactly the rows the upsert wrote (none for a refused or stale save). The acknowledgement
    is read from ``written``, not from the log insert, so it says what ``answers`` holds.
    """
    conditions = [ATTEMPTS.c.id == bindparam("attempt_id"),
                  ATTEMPTS.c.status == AttemptStatus.IN_PROGRESS,
                  ATTEMPTS.c.deadline >= bindparam("earliest_deadline",
                                                   type_=ATTEMPTS.c.deadline.type)]
    if login:
        conditions.append(_LIVE_LOGIN)
    guard = (select(*(bindparam(name, type_=ANSWERS.c[name].type) for name in _ANSWER_COLUMNS))
             .select_from(ATTEMPTS).where(*conditions).with_for_update(read=True))
    insert = dialect.insert(ANSWERS).from_select(list(_ANSWER_COLUMNS), guard)
    upsert = insert.on_conflict_do_update(
        index_elements=[ANSWERS.c.attempt_id, ANSWERS.c.position],
        set_={"selected": insert.excluded.selected, "flagged": insert.excluded.flagged,
              "seq": insert.excluded.seq, "saved_at": insert.excluded.saved_at},
        where=insert.excluded.seq > ANSWERS.c.seq)
    if dialect is not postgresql:
        return upsert.returning(ANSWERS.c.seq, ANSWERS.c.saved_at)
    written = upsert.returning(*(ANSWERS.c[name] for name in _ANSWER_COLUMNS)).cte("written")
    logged = (postgresql.insert(RESPONSE_LOG)
              .from_select(list(_LOG_COLUMNS), select(
                  *(written.c[name] for name in _ANSWER_COLUMNS),
                  # typed (psycopg renders ``::INTEGER``): an untyped NULL there would be text
                  bindparam("client_ms", type_=Integer)))
              .on_conflict_do_nothing(index_elements=_LOG_KEY)).cte("logged")
    return select(written.c.seq, written.c.saved_at).add_cte(logged)


def _build_log_row(dialect):
    """SQLite's second statement: the row the upsert just wrote, appended to the log. The
    seq guard makes a conflict impossible (each written seq is above every logged one);
    DO NOTHING keeps a save from failing on the log should some path ever write ``answers``
    without it (the first row logged for a seq is kept: the log is append-only)."""
    return (dialect.insert(RESPONSE_LOG)
            .values({name: bindparam(name if name != "client_ms_on_item" else "client_ms",
                                     type_=RESPONSE_LOG.c[name].type) for name in _LOG_COLUMNS})
            .on_conflict_do_nothing(index_elements=_LOG_KEY))


_LIVE_LOGIN = exists().where(
    LOGINS.c.id_hash == bindparam("login_hash"), LOGINS.c.attempt_id == bindparam("attempt_id"),
    LOGINS.c.ended_at.is_(None),
    LOGINS.c.created_at > bindparam("login_cutoff", type_=LOGINS.c.created_at.type))
_UPSERTS = {(name, login): _build_guarded_upsert(dialect, login=login)
            for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
            for login in (False, True)}
# Dialects whose upsert does not log the row itself: the log row is a second statement.
_LOG_ROWS = {"sqlite": _build_log_row(sqlite)}
_LOGIN_STATE = select(LOGINS.c.ended_at, LOGINS.c.ended_reason, LOGINS.c.created_at).where(
    LOGINS.c.id_hash == bindparam("login_hash"), LOGINS.c.attempt_id == bindparam("attempt_id"))
_ATTEMPT_STATE = (select(ATTEMPTS.c.status, ATTEMPTS.c.deadline)
                  .where(ATTEMPTS.c.id == bindparam("attempt_id")).with_for_update(read=True))
_STORED_ANSWER = select(ANSWERS.c.seq, ANSWERS.c.saved_at).where(
    ANSWERS.c.attempt_id == bindparam("attempt_id"), ANSWERS.c.position == bindparam("position"))


def client_ms_on_item(value: object) -> int | None:
    """The page's time on the question (``ms_on_item``), as the log keeps it: None when not
    sent; a number of milliseconds ≥ 0 (a fraction, as ``performance.now()`` gives, rounded),
    clamped to MAX_MS_ON_ITEM. Anything else is refused naming the field."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value < 0:
        raise InvalidAnswer("Thời gian làm câu hỏi (ms_on_item) không hợp lệ: phải là số "
                            "mili giây không âm.",
                            "ms_on_item must be a number of milliseconds ≥ 0")
    return min(round(value), MAX_MS_ON_ITEM)


def save_answer(db: Session, cache: Cache, attempt_id: int, *, position: int,
                selected: list[int], flagged: bool, seq: int, now: datetime,
                grace_seconds: int = 0, response: Any = None,
                login_hash: str | None = None, ms_on_item: object = None) -> SavedAnswer:
    """Record the candidate's answer to one question; flushes, the caller commits, then acks.

    ``response`` is the answer as the page sends it, parts named by their opaque ids
    (``["kq3…"]``, ``{"x7…": true}``, ``"Ctrl+Z"``, ``"3,5"`` …); a choice question may send
    ``selected`` (shown positions) instead. It is stored in part ids (``_answer_to_store``); a
    malformed one raises InvalidAnswer naming the question. ``login_hash`` (the web layer's
    ``login_session_hash()``) makes the save require that login session to be live, in the same
    statement; an ended one raises LoginEnded, or MovedAway when a proctor moved the candidate
    to another computer. A paused attempt raises AttemptPaused.

    ``ms_on_item`` is the page's count of time on this question (``client_ms_on_item``); a save
    that writes ``answers`` appends it, with the answer and the server's time, to the response
    log in the same transaction. A stale or retried save writes neither.
    """
    if seq < 1:
        raise InvalidAnswer("Số thứ tự lưu không hợp lệ.", "seq must be positive")
    client_ms = client_ms_on_item(ms_on_item)
    # The hot path runs on the session's connection with statements built once: the ORM's
    # per-statement work was a sixth of a save's CPU, and nothing here needs identity mapping.
    conn = db.connection()
    shape = form_shape(db, cache, attempt_id)
    if shape.questions:
        clean = _answer_to_store(shape, position, selected, response)
        params = {"attempt_id": attempt_id, "position": position, "selected": clean,
                  "flagged": bool(flagged), "seq": seq, "saved_at": now,
                  "earliest_deadline": now - timedelta(seconds=grace_seconds),
                  "client_ms": client_ms}
        if login_hash is not None:
            params.update(login_hash=login_hash, login_cutoff=now - LOGIN_MAX_AGE)
        dialect = conn.dialect.name
        written = conn.execute(_UPSERTS[dialect, login_hash is not None], params).one_or_none()
        if written is not None:
            if dialect in _LOG_ROWS:
                conn.execute(_LOG_ROWS[dialect], params)
            return SavedAnswer(position, written.seq, written.saved_at)
    # Refused or stale: find out which, under the same shared lock.
    if login_hash is not None:
        _refuse_ended_login(conn, login_hash, attempt_id, now)
    state = conn.execute(_ATTEMPT_STATE, {"attempt_id": attempt_id}).one_or_none()
    if state is None:
        raise NotFound("Không tìm thấy bài thi.", "attempt not found")
    status, deadline = AttemptStatus(state.status), state.deadline
    if status in (AttemptStatus.ASSIGNED, AttemptStatus.ABSENT):
        raise NotStarted("Bài thi chưa bắt đầu.", "the attempt has not started")
    if status is AttemptStatus.PAUSED:  # before the time check: a pause stops the clock
        raise AttemptPaused("Bài thi đang tạm dừng: hãy chờ cán bộ coi thi cho làm tiếp. "
                            "Câu trả lời này chưa được lưu.",
                            "the invigilator has paused the attempt; this answer was not saved "
                            "(wait until it resumes)")
    if status is AttemptStatus.SUBMITTED:
        # closed at its deadline by the candidate's submit: the grace still holds (hole 10)
        late = save_into_attempt_closed_at_deadline(
            db, attempt_id, position=position, stored=clean, flagged=bool(flagged), seq=seq,
            now=now, grace_seconds=grace_seconds,
            client_ms_on_item=client_ms) if shape.questions else None
        if late is not None:
            return SavedAnswer(position, *late)
        raise ExamClosed("Bài thi đã nộp: không thể lưu thêm câu trả lời.",
                         "the attempt is submitted; no more answers are accepted")
    if now > deadline + timedelta(seconds=grace_seconds):
        raise ExamClosed("Đã hết giờ làm bài: câu trả lời này không được ghi nhận.",
                         "time is up; this answer was not recorded")
    if not shape.questions:
        raise InvalidAnswer(f"Câu {position + 1} không có trong đề thi.", "no such question")
    # A newer save is already stored: acknowledge that one.
    written = conn.execute(_STORED_ANSWER, {"attempt_id": attempt_id, "position": position}).one()
    return SavedAnswer(position, written.seq, written.saved_at)


def _refuse_ended_login(conn: Any, login_hash: str, attempt_id: int, now: datetime) -> None:
    """Raise LoginEnded unless this browser's login session of the attempt is live — MovedAway
    when a proctor ended it by moving the candidate to another computer (one read: the
    refusal path only; the save itself checked the session inside its statement)."""
    login = conn.execute(_LOGIN_STATE, {"login_hash": login_hash,
                                        "attempt_id": attempt_id}).one_or_none()
    if login is not None and login.ended_at is None and login.created_at > now - LOGIN_MAX_AGE:
        return
    if login is not None and login.ended_reason == ENDED_MOVED:
        raise MovedAway()
    raise LoginEnded("Phiên đăng nhập này đã kết thúc: hãy đăng nhập lại.",
                     "this login has ended; log in again")
