"""Reading the response log: every acknowledged change of every answer (issue 11).

The save path (``exam_engine.exams.saving``, ``late_saves``) appends one ``response_log`` row
per save that wrote the ``answers`` row, in the same transaction, so the log holds exactly the
acknowledged changes; a stale or retried save is not in it. The rows are never updated.

What a multiple-choice appeal re-checks (``changes_of``: one attempt's timeline) and what the
forensics read (``session_response_log``: a whole session at once, for answer changes and
response times). Both return ``LoggedChange`` rows in the order they were written (server
time, then insertion), so per question they run in ``seq`` order: the first row of a position
is the first answer given, the last the final one (the one in ``answers``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.models import Attempt, Candidate, ResponseLogEntry

LOG = ResponseLogEntry.__table__


class LoggedChange(NamedTuple):
    """One acknowledged save.

    ``selected`` is the answer as ``answers`` stores it, in part ids, never the page's opaque
    ids nor shown positions: a choice question's ticked ids sorted (``["B"]``, ``["A", "C"]``),
    another kind its type's normalised response (a mapping of part ids, a list of them, text,
    a number); ``[]`` = the candidate cleared it. ``saved_at`` is the server's time (UTC) of
    the write. ``client_ms_on_item`` is the page's own count of time spent on this question so
    far, in ms, as sent with this save (None when the page sent none): cumulative, so the last
    row of a question carries the total time on it.
    """

    attempt_id: int
    position: int      # the question's place in the attempt's form (0-based), AttemptItem
    seq: int           # the page's per-question save number, increasing
    selected: Any
    flagged: bool
    saved_at: datetime
    client_ms_on_item: int | None


_COLUMNS = (LOG.c.attempt_id, LOG.c.position, LOG.c.seq, LOG.c.selected, LOG.c.flagged,
            LOG.c.saved_at, LOG.c.client_ms_on_item)


def changes_of(db: Session, attempt_id: int) -> list[LoggedChange]:
    """Every logged change of one attempt, oldest first (an attempt never saved: ``[]``)."""
    rows = db.execute(select(*_COLUMNS).where(LOG.c.attempt_id == attempt_id)
                      .order_by(LOG.c.saved_at, LOG.c.id))
    return [LoggedChange(*row) for row in rows]


def session_response_log(db: Session, session_id: int) -> dict[int, list[LoggedChange]]:
    """Every logged change of a session's attempts: ``{attempt id: changes oldest first}``.

    Attempts with no logged save are absent (absent candidates, blank papers). One query,
    read in batches of 10,000 rows (a server-side cursor on PostgreSQL); a session of 10,000
    candidates × 30 questions × a few changes is about a million rows.
    """
    query = (select(*_COLUMNS)
             .join(Attempt, Attempt.id == LOG.c.attempt_id)
             .join(Candidate, Candidate.id == Attempt.candidate_id)
             .where(Candidate.exam_session_id == session_id)
             .order_by(LOG.c.attempt_id, LOG.c.saved_at, LOG.c.id))
    by_attempt: dict[int, list[LoggedChange]] = {}
    for row in db.execute(query.execution_options(yield_per=10_000)):
        change = LoggedChange(*row)
        changes = by_attempt.get(change.attempt_id)
        if changes is None:
            changes = by_attempt[change.attempt_id] = []
        changes.append(change)
    return by_attempt
