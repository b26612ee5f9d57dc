"""What the exam page saw (tab hidden, blur, copy …), stored off the answer path (issue 11).

The page batches its events, each with a per-attempt sequence number, and sends them to their
own endpoint; this module validates a batch and stores it in ``exam_events`` — never touching
``answers`` — with insert-or-ignore on (attempt, seq), so a resent batch changes nothing. The
same request records the browser's presence (last contact, IP, device, clock skew), from which
the server adds its own events: an IP change, a clock far off. A batch is acknowledged only once
committed (the request's unit of work commits a 2xx before sending it): an event acknowledged
is never lost.

A seq acknowledged is one stored: a seq the attempt already holds for another event (a second
computer after a move starts counting again) is not acknowledged, and :func:`next_client_seq`
tells the page where to renumber from.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exam_engine.exams import delivery
from exam_engine.exams.errors import ExamError, LoginEnded, MovedAway
from exam_engine.kernel.login_sessions import (
    ENDED_MOVED,
    ended_reason,
    login_session_is_live,
    token_hash,
)
from proctor.models import AttemptPresence, ExamEvent

CLIENT_KINDS = frozenset({
    "tab_hidden", "tab_visible", "blur", "focus", "fullscreen_exit", "fullscreen_enter",
    "copy", "cut", "paste", "context_menu", "network_lost", "network_back", "reload",
    "heartbeat"})
SERVER_KINDS = frozenset({"second_login", "ip_change", "clock_skew"})
# What the proctor's live room shows beside a candidate: what may mean looking elsewhere.
FLAGGED_KINDS = frozenset({
    "tab_hidden", "blur", "fullscreen_exit", "copy", "cut", "paste", "context_menu",
    "second_login", "ip_change", "clock_skew", "network_lost", "reload"})
KIND_NAMES: dict[str, tuple[str, str]] = {
    "tab_hidden": ("Rời khỏi trang thi", "left the exam tab"),
    "tab_visible": ("Quay lại trang thi", "back to the exam tab"),
    "blur": ("Cửa sổ thi mất tiêu điểm", "exam window lost focus"),
    "focus": ("Cửa sổ thi có lại tiêu điểm", "exam window focused"),
    "fullscreen_exit": ("Thoát toàn màn hình", "left full screen"),
    "fullscreen_enter": ("Vào toàn màn hình", "entered full screen"),
    "copy": ("Sao chép", "copy"), "cut": ("Cắt", "cut"), "paste": ("Dán", "paste"),
    "context_menu": ("Mở menu chuột phải", "context menu"),
    "network_lost": ("Mất kết nối mạng", "network lost"),
    "network_back": ("Có lại kết nối mạng", "network back"),
    "reload": ("Tải lại trang", "page reloaded"),
    "heartbeat": ("Tín hiệu định kỳ", "heartbeat"),
    "second_login": ("Đăng nhập lần hai", "second login"),
    "ip_change": ("Đổi địa chỉ IP", "IP address changed"),
    "clock_skew": ("Đồng hồ máy lệch", "device clock off"),
}

MAX_EVENTS_PER_BATCH = 100
MAX_DETAIL_BYTES = 1024
CLOCK_SKEW_LIMIT_MS = 120_000      # ± 2 minutes: beyond it the device's clock is noted once
USER_AGENT_LENGTH = 300            # AttemptPresence.user_agent
_DB_INT_MAX = 2**31 - 1            # client_seq and clock_skew_ms are INTEGER columns
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST_MS = 4_102_444_800_000  # 2100-01-01; a clock reset to 1970 is data (clock_skew)


@dataclass(frozen=True)
class ClientEvent:
    seq: int
    kind: str
    at: datetime               # the client's clock, UTC
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class EventBatch:
    events: list[ClientEvent]
    client_now_ms: int


@dataclass(frozen=True)
class EventProblem:
    field: str                 # "events[3].kind"
    message_vi: str
    message_en: str


class InvalidEvents(ExamError):
    """A batch the server cannot take; ``problems`` names each field at fault."""

    http_status = 422

    def __init__(self, problems: Sequence[EventProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message_vi}" for p in problems),
                         "; ".join(f"{p.field}: {p.message_en}" for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class FlaggedEvent:
    attempt_id: int
    kind: str
    server_at: datetime
    client_at: datetime | None
    detail: dict[str, Any] | None


# ---- validation (at the edge, every problem named at once) ----------------------------------

def parse_batch(body: Any) -> EventBatch:
    """The batch in a request body ``{"events": [{seq, kind, at, detail}], "client_now"}``,
    or :class:`InvalidEvents` naming every field at fault (the first 20)."""
    problems: list[EventProblem] = []

    def refuse(field: str, vi: str, en: str) -> None:
        problems.append(EventProblem(field, vi, en))

    if not isinstance(body, dict):
        raise InvalidEvents([EventProblem("body", "phải là một đối tượng JSON.",
                                          "must be a JSON object.")])
    client_now = _epoch_ms(body.get("client_now"))
    if client_now is None:
        refuse("client_now", "phải là thời điểm của máy (mili giây từ 1970).",
               "must be the device's time (milliseconds since 1970).")
    raw = body.get("events")
    if not isinstance(raw, list):
        refuse("events", "phải là một danh sách.", "must be a list.")
        raw = []
    elif len(raw) > MAX_EVENTS_PER_BATCH:
        refuse("events", f"tối đa {MAX_EVENTS_PER_BATCH} sự kiện mỗi lần gửi.",
               f"at most {MAX_EVENTS_PER_BATCH} events a batch.")
        raw = []
    events, last_seq = [], 0
    for i, item in enumerate(raw):
        event = _parse_event(f"events[{i}]", item, last_seq, refuse)
        if event is not None:
            events.append(event)
            last_seq = event.seq
    if problems:
        raise InvalidEvents(problems[:20])
    assert client_now is not None
    return EventBatch(events, client_now)


def _parse_event(where: str, item: Any, last_seq: int, refuse: Any) -> ClientEvent | None:
    if not isinstance(item, dict):
        refuse(where, "phải là một đối tượng.", "must be an object.")
        return None
    ok = True
    seq = item.get("seq")
    if not _is_int(seq) or not 1 <= seq <= _DB_INT_MAX:
        refuse(f"{where}.seq", "phải là số nguyên dương.", "must be a positive integer.")
        ok = False
    elif seq <= last_seq:
        refuse(f"{where}.seq", "phải tăng dần trong một lần gửi.",
               "must increase within a batch.")
        ok = False
    kind = item.get("kind")
    if not isinstance(kind, str) or kind not in CLIENT_KINDS:
        shown = kind if isinstance(kind, str) else json.dumps(kind)[:40]
        refuse(f"{where}.kind", f"loại sự kiện «{shown[:40]}» không được hỗ trợ.",
               f"unknown event kind '{shown[:40]}'.")
        ok = False
    at = _epoch_ms(item.get("at"))
    if at is None:
        refuse(f"{where}.at", "phải là thời điểm của máy (mili giây từ 1970).",
               "must be the device's time (milliseconds since 1970).")
        ok = False
    detail = item.get("detail")
    if detail is not None:
        if not isinstance(detail, dict):
            refuse(f"{where}.detail", "phải là một đối tượng.", "must be an object.")
            ok = False
        else:
            detail = _nfc_json(detail)
            size = len(json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
                       .encode("utf-8"))
            if size > MAX_DETAIL_BYTES:
                refuse(f"{where}.detail", f"tối đa {MAX_DETAIL_BYTES} byte.",
                       f"at most {MAX_DETAIL_BYTES} bytes.")
                ok = False
    if not ok:
        return None
    assert at is not None
    return ClientEvent(seq, kind, _EPOCH + timedelta(milliseconds=at), detail or None)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _epoch_ms(value: Any) -> int | None:
    """Milliseconds since 1970, before 2100 (a page's ``Date.now()``), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 0 <= value <= _LATEST_MS:  # also refuses NaN
        return None
    return round(value)


def _nfc_json(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {_nfc_json(k): _nfc_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc_json(v) for v in value]
    return value


# ---- the login that sends ------------------------------------------------------------------

def check_events_login(db: Session, token: str | None, attempt_id: int) -> None:
    """The browser's login must be live; :class:`MovedAway` when a proctor moved the candidate
    to another computer (the page says so and stops), :class:`LoginEnded` otherwise."""
    if token is not None and login_session_is_live(db, token, attempt_id=attempt_id):
        return
    if token is not None and ended_reason(db, token_hash(token)) == ENDED_MOVED:
        raise MovedAway()
    raise LoginEnded("Phiên đăng nhập đã kết thúc.", "the login has ended")


# ---- storing -------------------------------------------------------------------------------

def record_events(db: Session, attempt_id: int, events: Sequence[ClientEvent], *,
                  now: datetime, remote_addr: str | None, user_agent: str | None,
                  client_now: int | None) -> list[int]:
    """Store the batch and the browser's presence in the caller's transaction (flushed, not
    committed); the seqs stored now or before (for the same event), increasing.

    ``client_now`` is the device's clock (ms since 1970) when it sent the batch.
    """
    skew = None if client_now is None else _clamp(client_now - _epoch_ms_of(now))
    _touch_presence(db, attempt_id, now=now, remote_addr=remote_addr,
                    user_agent=_trimmed(user_agent), skew_ms=skew)
    acked = _store_client_events(db, attempt_id, events, now)
    db.flush()
    return acked


def _store_client_events(db: Session, attempt_id: int, events: Sequence[ClientEvent],
                         now: datetime) -> list[int]:
    if not events:
        return []
    rows = [{"attempt_id": attempt_id, "client_seq": e.seq, "kind": e.kind,
             "client_at": e.at, "server_at": now, "detail": e.detail} for e in events]
    statement = (_insert(db, ExamEvent).values(rows)
                 .on_conflict_do_nothing(index_elements=["attempt_id", "client_seq"])
                 .returning(ExamEvent.client_seq))
    stored = set(db.scalars(statement))
    again = [e for e in events if e.seq not in stored]
    if again:  # a resend (same event: acknowledged) or another computer's seq (not)
        before = {seq: (kind, at) for seq, kind, at in db.execute(
            select(ExamEvent.client_seq, ExamEvent.kind, ExamEvent.client_at)
            .where(ExamEvent.attempt_id == attempt_id,
                   ExamEvent.client_seq.in_([e.seq for e in again])))}
        stored.update(e.seq for e in again if before.get(e.seq) == (e.kind, e.at))
    return sorted(stored)


def _touch_presence(db: Session, attempt_id: int, *, now: datetime, remote_addr: str | None,
                    user_agent: str | None, skew_ms: int | None) -> None:
    """Upsert the attempt's presence; an IP other than the last one and a clock beyond
    ±2 min (once per attempt) become server events. The presence row's lock orders two
    batches of one attempt, so neither is noted twice."""
    values = {"last_seen_at": now, "remote_addr": remote_addr, "user_agent": user_agent,
              "clock_skew_ms": skew_ms}
    # The usual heartbeat, from the address seen last: one statement.
    same_place = db.execute(
        update(AttemptPresence)
        .where(AttemptPresence.attempt_id == attempt_id,
               AttemptPresence.remote_addr.is_not_distinct_from(remote_addr))
        .values(**values).execution_options(synchronize_session=False))
    if same_place.rowcount != 1:  # type: ignore[attr-defined]
        _first_contact_or_new_address(db, attempt_id, values, now)
    if skew_ms is not None and abs(skew_ms) > CLOCK_SKEW_LIMIT_MS and not db.scalar(
            select(exists().where(ExamEvent.attempt_id == attempt_id,
                                  ExamEvent.kind == "clock_skew"))):
        db.add(ExamEvent(attempt_id=attempt_id, kind="clock_skew", server_at=now,
                         detail={"skew_ms": skew_ms}))


def _first_contact_or_new_address(db: Session, attempt_id: int, values: dict[str, Any],
                                  now: datetime) -> None:
    previous = _locked_presence_addr(db, attempt_id)
    if previous is None:
        first = db.execute(_insert(db, AttemptPresence).values(attempt_id=attempt_id, **values)
                           .on_conflict_do_nothing(index_elements=["attempt_id"]))
        if first.rowcount == 1:  # type: ignore[attr-defined]
            return
        previous = _locked_presence_addr(db, attempt_id)  # a concurrent first contact
        assert previous is not None
    db.execute(update(AttemptPresence).where(AttemptPresence.attempt_id == attempt_id)
               .values(**values).execution_options(synchronize_session=False))
    last_addr, remote_addr = previous[0], values["remote_addr"]
    if last_addr and remote_addr and last_addr != remote_addr:
        db.add(ExamEvent(attempt_id=attempt_id, kind="ip_change", server_at=now,
                         detail={"from": last_addr, "to": remote_addr}))


def _locked_presence_addr(db: Session, attempt_id: int) -> tuple[str | None] | None:
    row = db.execute(select(AttemptPresence.remote_addr)
                     .where(AttemptPresence.attempt_id == attempt_id)
                     .with_for_update()).first()
    return None if row is None else (row[0],)


def _insert(db: Session, model: type[Any]) -> Any:
    dialect = db.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _trimmed(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    return unicodedata.normalize("NFC", user_agent).strip()[:USER_AGENT_LENGTH] or None


def _epoch_ms_of(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _clamp(ms: int) -> int:
    return max(-_DB_INT_MAX, min(_DB_INT_MAX, ms))


def next_client_seq(db: Session, attempt_id: int) -> int:
    """The first seq the attempt has not used: where a page renumbers events the server
    holds other events under (a second computer after a move)."""
    highest = db.scalar(select(func.max(ExamEvent.client_seq))
                        .where(ExamEvent.attempt_id == attempt_id))
    return int(highest or 0) + 1


# ---- what the page learns back ------------------------------------------------------------

def take_batch(db: Session, attempt_id: int, batch: EventBatch, *, now: datetime,
               remote_addr: str | None, user_agent: str | None) -> dict[str, Any]:
    """Record ``batch`` and answer the page: the seqs it may forget (``acked``), the
    attempt's ``state`` and, when some seq was held by another event, ``next_seq``."""
    acked = record_events(db, attempt_id, batch.events, now=now, remote_addr=remote_addr,
                          user_agent=user_agent, client_now=batch.client_now_ms)
    answer: dict[str, Any] = {"ok": True, "acked": acked,
                              "state": attempt_state(db, attempt_id, now)}
    if len(acked) < len(batch.events):
        answer["next_seq"] = next_client_seq(db, attempt_id)
    return answer


def attempt_state(db: Session, attempt_id: int, now: datetime) -> dict[str, Any]:
    """The attempt as the page must follow it: paused, resumed, extra time, force-submitted
    (a paused attempt's time left stands still at the pause: ``delivery.seconds_left``)."""
    attempt = delivery.get_attempt(db, attempt_id)
    return {"status": attempt.status.value,
            "seconds_left": round(delivery.seconds_left(attempt, now), 3), "moved": False}


# ---- what the live room reads -------------------------------------------------------------

def latest_flagged_events(db: Session, attempt_ids: Iterable[int],
                          limit: int = 3) -> dict[int, list[FlaggedEvent]]:
    """The ``limit`` latest flagged events of each attempt (newest first), by attempt id;
    attempts without one are absent."""
    ids = sorted(set(attempt_ids))
    if not ids or limit < 1:
        return {}
    rank = func.row_number().over(partition_by=ExamEvent.attempt_id,
                                  order_by=(ExamEvent.server_at.desc(), ExamEvent.id.desc()))
    ranked = (select(ExamEvent.attempt_id, ExamEvent.kind, ExamEvent.server_at,
                     ExamEvent.client_at, ExamEvent.detail, rank.label("rank"))
              .where(ExamEvent.attempt_id.in_(ids), ExamEvent.kind.in_(sorted(FLAGGED_KINDS)))
              .subquery())
    rows = db.execute(select(ranked).where(ranked.c.rank <= limit)
                      .order_by(ranked.c.attempt_id, ranked.c.rank))
    latest: dict[int, list[FlaggedEvent]] = {}
    for row in rows:
        latest.setdefault(row.attempt_id, []).append(
            FlaggedEvent(row.attempt_id, row.kind, row.server_at, row.client_at, row.detail))
    return latest
