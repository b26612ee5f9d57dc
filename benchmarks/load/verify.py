"""Checking every acknowledged save and every acknowledged event, not only the last answer.

The `answers` table keeps one row per question, so a save that was acknowledged and then lost
is invisible there once a later save of the same question lands. The app's own response log
(`response_log`, issue 11) holds every save that wrote `answers`, written in the same
transaction: after the run each acknowledged save must have its row there, by (attempt,
question, seq), holding exactly the response (and the time on the question) that was sent; and each question's final row in
`answers` must be its latest acknowledged save. Stored answers are in part ids; they are turned
into the page's opaque ids with the app's own mapping (``part_tokens``) to be compared with
what the simulator sent. Each acknowledged event must be in `exam_events` by (attempt,
client seq), with the kind and the client's time that were sent.

Until issue 11 a trigger installed for the benchmark kept that log (`bench_answer_log`); the
app's own log replaces it, so the run measures the save path as it is, log included. A
checkout from before the response log (``run.py --app-dir … --check final``) writes no log:
only the final rows can be checked then (``verify_saves(..., final_only=True)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from exam_engine.exams.models import Answer, Attempt, AttemptItem, Candidate, ResponseLogEntry
from exam_engine.exams.part_tokens import QuestionTokens, content_fields, response_in_tokens
from exam_engine.kernel.db import make_engine
from item_bank.content import content_from_json
from item_bank.models import ItemVersion
from proctor.models import ExamEvent

from .simulator import CHOICE_KINDS
from .simulator import Candidate as SimulatedCandidate

SaveKey = tuple[str, int, int]  # (số báo danh, position, seq)
EventKey = tuple[str, int]      # (số báo danh, client seq)
LOG = ResponseLogEntry.__table__
EVENTS = ExamEvent.__table__
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def canonical(kind: str, response: Any) -> Any:
    """A response in a form where equal answers compare equal (sets as sorted lists, numbers as
    floats, typed numbers with a decimal comma read as the server reads them)."""
    if response is None or response == [] or response == {}:
        return None
    if kind in CHOICE_KINDS:
        return sorted(response)
    if kind == "numeric":
        return float(str(response).replace(",", "."))
    return response


@dataclass
class Verdict:
    checked: int = 0
    lost: list[SaveKey] = field(default_factory=list)       # acked, never written
    altered: list[SaveKey] = field(default_factory=list)    # written with other content
    stale: list[tuple[str, int]] = field(default_factory=list)  # final row ≠ latest ack
    final_only: bool = False  # no response log to check against (a checkout from before it)


@dataclass
class EventVerdict:
    checked: int = 0
    lost: list[EventKey] = field(default_factory=list)      # acked, not in exam_events
    altered: list[EventKey] = field(default_factory=list)   # stored with another kind or time


class _Forms:
    """Per (số báo danh, position): the item's kind and the page's ids of its parts."""

    def __init__(self, conn: Any) -> None:
        rows = conn.execute(
            select(Candidate.candidate_number, Attempt.id, Attempt.part_secret,
                   AttemptItem.position, ItemVersion.id, ItemVersion.kind, ItemVersion.content)
            .join(Attempt, Attempt.candidate_id == Candidate.id)
            .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
            .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)).all()
        self.attempt_of: dict[str, int] = {}
        self._questions: dict[tuple[str, int], tuple[str, QuestionTokens]] = {}
        fields_of: dict[int, dict[str, list[str]]] = {}  # per version: parsed once
        for number, attempt_id, secret, position, version_id, kind, content in rows:
            self.attempt_of[number] = attempt_id
            fields = fields_of.get(version_id)
            if fields is None:
                fields = fields_of[version_id] = content_fields(content_from_json(content))
            self._questions[(number, position)] = (kind, QuestionTokens(secret, position, fields))

    def kind(self, number: str, position: int) -> str:
        return self._questions[(number, position)][0]

    def as_page_sees(self, number: str, position: int, stored: Any) -> Any:
        kind, tokens = self._questions[(number, position)]
        return canonical(kind, response_in_tokens(kind, stored, tokens))


def verify_saves(url: str, candidates: Iterable[SimulatedCandidate], *,
                 final_only: bool = False) -> Verdict:
    """Every acknowledged save against the response log and the final `answers` rows
    (``final_only``: the final rows alone, for an app that writes no response log)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        forms = _Forms(conn)
        logged: dict[tuple[int, int, int], tuple[Any, int | None]] = {} if final_only else {
            (attempt_id, position, seq): (value, ms) for attempt_id, position, seq, value, ms in
            conn.execute(select(LOG.c.attempt_id, LOG.c.position, LOG.c.seq, LOG.c.selected,
                                LOG.c.client_ms_on_item))}
        final = {(attempt_id, position): (seq, value) for attempt_id, position, seq, value in
                 conn.execute(select(Answer.attempt_id, Answer.position, Answer.seq,
                                     Answer.selected))}
    engine.dispose()

    verdict = Verdict(final_only=final_only)
    for candidate in candidates:
        number = candidate.seat.candidate_number
        attempt_id = forms.attempt_of[number]
        latest: dict[int, int] = {}
        for ack in candidate.acks:
            verdict.checked += 1
            key = (number, ack.position, ack.seq)
            latest[ack.position] = max(latest.get(ack.position, 0), ack.seq)
            if final_only:
                continue
            written = (attempt_id, ack.position, ack.seq)
            if written not in logged:
                verdict.lost.append(key)
                continue
            kind = forms.kind(number, ack.position)
            value, ms_on_item = logged[written]
            if forms.as_page_sees(number, ack.position, value) != canonical(kind, ack.response) \
                    or ms_on_item != ack.ms_on_item:
                verdict.altered.append(key)
        for position, seq in latest.items():
            stored_seq, _ = final.get((attempt_id, position), (0, None))
            if stored_seq < seq:
                verdict.stale.append((number, position))
    return verdict


def verify_events(url: str, candidates: Iterable[SimulatedCandidate]) -> EventVerdict:
    """Every acknowledged event against `exam_events`: there by (attempt, client seq), with
    the kind and the client's time (to the millisecond) that were sent."""
    engine = make_engine(url)
    with engine.connect() as conn:
        attempt_of = {number: attempt_id for number, attempt_id in conn.execute(
            select(Candidate.candidate_number, Attempt.id)
            .join(Attempt, Attempt.candidate_id == Candidate.id))}
        stored = {(attempt_id, seq): (kind, at) for attempt_id, seq, kind, at in conn.execute(
            select(EVENTS.c.attempt_id, EVENTS.c.client_seq, EVENTS.c.kind, EVENTS.c.client_at)
            .where(EVENTS.c.client_seq.is_not(None)))}
    engine.dispose()

    verdict = EventVerdict()
    for candidate in candidates:
        number = candidate.seat.candidate_number
        for ack in candidate.event_acks:
            verdict.checked += 1
            row = stored.get((attempt_of[number], ack.seq))
            if row is None:
                verdict.lost.append((number, ack.seq))
            elif row != (ack.kind, EPOCH + timedelta(milliseconds=ack.at_ms)):
                verdict.altered.append((number, ack.seq))
    return verdict
