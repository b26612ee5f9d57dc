"""An attempt's life as data: its statuses and the transitions allowed between them."""

from __future__ import annotations

import enum


class AttemptStatus(enum.StrEnum):
    ASSIGNED = "assigned"        # form assembled at scheduling, not yet started
    IN_PROGRESS = "in_progress"  # started; the server's deadline runs
    SUBMITTED = "submitted"      # closed by the candidate or by the server at the deadline; graded


ALLOWED_TRANSITIONS: frozenset[tuple[AttemptStatus, AttemptStatus]] = frozenset({
    (AttemptStatus.ASSIGNED, AttemptStatus.IN_PROGRESS),
    (AttemptStatus.IN_PROGRESS, AttemptStatus.SUBMITTED),
})


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"            # roster being built
    SCHEDULED = "scheduled"    # forms assembled; candidates may log in and start
    APPROVED = "approved"      # results approved by staff; certificates may be issued


class IllegalTransition(ValueError):
    def __init__(self, current: AttemptStatus, target: AttemptStatus) -> None:
        super().__init__(f"attempt cannot go from {current.value} to {target.value}")
        self.current, self.target = current, target
