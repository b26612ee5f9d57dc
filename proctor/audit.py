"""The room's append-only audit log: every proctor's or staff member's action, with its reason.

A form that changes state carries a one-time ``idempotency_key`` (``action_token()`` renders
it): the unique column lets the first request act and makes any repeat of it — a double click,
a retry after a dropped answer, two tabs — return that first action instead of acting again.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_engine.exams.errors import ExamError
from proctor.models import ActionKind, ProctorAction

REASON_MAX = 2000


class ReasonRequired(ExamError):
    http_status = 422


def action_token() -> str:
    """A fresh one-time key for a form that changes state."""
    return secrets.token_urlsafe(24)


def clean_reason(reason: str | None, *, required: bool = True) -> str:
    """The reason as stored: trimmed, at most REASON_MAX characters; required unless said."""
    text = (reason or "").strip()[:REASON_MAX]
    if required and not text:
        raise ReasonRequired("Hãy ghi lý do của thao tác này.", "give a reason for this action")
    return text


def earlier_action(db: Session, idempotency_key: str | None) -> ProctorAction | None:
    """The action already taken with this key (a repeat of the same request), if any."""
    if not idempotency_key:
        return None
    return db.scalar(select(ProctorAction)
                     .where(ProctorAction.idempotency_key == idempotency_key[:64]))


def record_action(db: Session, *, session_id: int, kind: ActionKind, actor_id: int | None,
                  at: datetime, reason: str = "", room_id: int | None = None,
                  candidate_id: int | None = None, detail: dict[str, Any] | None = None,
                  idempotency_key: str | None = None) -> tuple[ProctorAction, bool]:
    """Write one audit row; returns (row, True), or (the earlier row, False) when this key
    was used already. Callers that change state check ``earlier_action`` first and act only
    for a new key; the unique column settles two requests that race past that check: the
    loser's savepoint rolls back and it answers with the winner's row (its caller must then
    not have changed anything else that the winner changed — keep the state change after
    this call, in the same unit of work)."""
    row = ProctorAction(exam_session_id=session_id, kind=kind, actor_id=actor_id, at=at,
                        reason=reason, room_id=room_id, candidate_id=candidate_id,
                        detail=detail or {}, idempotency_key=(idempotency_key or None) and
                        idempotency_key[:64])
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        earlier = earlier_action(db, idempotency_key)
        if earlier is None:
            raise
        return earlier, False
    return row, True


def history(db: Session, *, session_id: int, room_id: int | None = None,
            candidate_id: int | None = None, limit: int = 500) -> list[ProctorAction]:
    """The log, newest first: a session's, a room's or a candidate's."""
    query = select(ProctorAction).where(ProctorAction.exam_session_id == session_id)
    if room_id is not None:
        query = query.where(ProctorAction.room_id == room_id)
    if candidate_id is not None:
        query = query.where(ProctorAction.candidate_id == candidate_id)
    return list(db.scalars(query.order_by(ProctorAction.at.desc(), ProctorAction.id.desc())
                           .limit(limit)))
