"""Checking every acknowledged save, not only the last one per question.

The `answers` table keeps one row per question, so a save that was acknowledged and then lost
is invisible there once a later save of the same question lands. Before the run the benchmark
installs, in its own database only, a trigger that copies every write to `answers` into
`bench_answer_log` (in the same transaction, so a row there means that write was committed).
After the run each acknowledged save must have its row there, by (attempt, question, seq),
holding exactly the response that was sent; and each question's final row must be its latest
acknowledged save. Stored answers are in part ids; they are turned into the page's opaque ids
with the app's own mapping (``part_tokens``) to be compared with what the simulator sent.

Cost: one extra row insert per save inside the save's transaction (an unlogged table on
PostgreSQL); the floor has no such trigger, so it is measured against the save path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text

from exam_engine.exams.models import Answer, Attempt, AttemptItem, Candidate
from exam_engine.exams.part_tokens import QuestionTokens, content_fields, response_in_tokens
from exam_engine.kernel.db import make_engine
from item_bank.content import content_from_json
from item_bank.models import ItemVersion

from .simulator import CHOICE_KINDS
from .simulator import Candidate as SimulatedCandidate

LOG = "bench_answer_log"
SaveKey = tuple[str, int, int]  # (số báo danh, position, seq)

_POSTGRES_LOG = f"""
CREATE UNLOGGED TABLE {LOG} AS SELECT attempt_id, position, seq, selected FROM answers WITH NO DATA;
CREATE FUNCTION {LOG}_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {LOG} VALUES (NEW.attempt_id, NEW.position, NEW.seq, NEW.selected);
  RETURN NULL;
END $$;
CREATE TRIGGER {LOG} AFTER INSERT OR UPDATE ON answers
  FOR EACH ROW EXECUTE FUNCTION {LOG}_row();
"""
_SQLITE_LOG = [
    f"CREATE TABLE {LOG} (attempt_id INTEGER, position INTEGER, seq INTEGER, selected TEXT)",
    *(f"CREATE TRIGGER {LOG}_{event.lower()} AFTER {event} ON answers BEGIN "
      f"INSERT INTO {LOG} VALUES (NEW.attempt_id, NEW.position, NEW.seq, NEW.selected); END"
      for event in ("INSERT", "UPDATE")),
]


def install_answer_log(url: str) -> None:
    """The log table and its trigger, in the benchmark's own (fresh) database."""
    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(_POSTGRES_LOG)
        else:
            for statement in _SQLITE_LOG:
                conn.exec_driver_sql(statement)
    engine.dispose()


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


def verify_saves(url: str, candidates: Iterable[SimulatedCandidate]) -> Verdict:
    """Every acknowledged save against the write log and the final `answers` rows."""
    engine = make_engine(url)
    decode = engine.dialect.name == "sqlite"  # the trigger copied JSON text there
    with engine.connect() as conn:
        forms = _Forms(conn)
        logged: dict[tuple[int, int, int], Any] = {
            (attempt_id, position, seq): json.loads(value) if decode and value else value
            for attempt_id, position, seq, value in conn.execute(
                text(f"SELECT attempt_id, position, seq, selected FROM {LOG}"))}
        final = {(attempt_id, position): (seq, value) for attempt_id, position, seq, value in
                 conn.execute(select(Answer.attempt_id, Answer.position, Answer.seq,
                                     Answer.selected))}
    engine.dispose()

    verdict = Verdict()
    for candidate in candidates:
        number = candidate.seat.candidate_number
        attempt_id = forms.attempt_of[number]
        latest: dict[int, int] = {}
        for ack in candidate.acks:
            verdict.checked += 1
            key = (number, ack.position, ack.seq)
            latest[ack.position] = max(latest.get(ack.position, 0), ack.seq)
            written = (attempt_id, ack.position, ack.seq)
            if written not in logged:
                verdict.lost.append(key)
                continue
            kind = forms.kind(number, ack.position)
            if forms.as_page_sees(number, ack.position, logged[written]) != \
                    canonical(kind, ack.response):
                verdict.altered.append(key)
        for position, seq in latest.items():
            stored_seq, _ = final.get((attempt_id, position), (0, None))
            if stored_seq < seq:
                verdict.stale.append((number, position))
    return verdict
