"""The lives of an attempt and of a session as data: statuses and the transitions allowed."""

from __future__ import annotations

import enum


class AttemptStatus(enum.StrEnum):
    ASSIGNED = "assigned"        # form assembled at scheduling, not yet started
    IN_PROGRESS = "in_progress"  # started; the server's deadline runs
    SUBMITTED = "submitted"      # closed by the candidate or by the server at the deadline; graded
    ABSENT = "absent"            # never started before the session closed (vắng thi)


ALLOWED_TRANSITIONS: frozenset[tuple[AttemptStatus, AttemptStatus]] = frozenset({
    (AttemptStatus.ASSIGNED, AttemptStatus.IN_PROGRESS),
    (AttemptStatus.IN_PROGRESS, AttemptStatus.SUBMITTED),
    (AttemptStatus.ASSIGNED, AttemptStatus.ABSENT),
})


class LoginMode(enum.StrEnum):
    """How a session lets its candidates in (a session setting, issue 11)."""

    PERSONAL_CODE = "personal_code"    # số báo danh + the personal code on the exam card
    ADMISSION = "admission"            # số báo danh + session code, then the proctor admits
    BOTH = "both"                      # the personal code, then the proctor admits


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"            # roster being built
    SCHEDULED = "scheduled"    # forms assembled; open for sitting inside its window
    CLOSED = "closed"          # sitting over: nobody may start; those who never started are absent
    APPROVED = "approved"      # results approved by staff; certificates may be issued


SESSION_TRANSITIONS: frozenset[tuple[SessionStatus, SessionStatus]] = frozenset({
    (SessionStatus.DRAFT, SessionStatus.SCHEDULED),
    (SessionStatus.SCHEDULED, SessionStatus.CLOSED),
    (SessionStatus.CLOSED, SessionStatus.APPROVED),
})


class IllegalTransition(ValueError):
    def __init__(self, current: AttemptStatus, target: AttemptStatus) -> None:
        super().__init__(f"attempt cannot go from {current.value} to {target.value}")
        self.current, self.target = current, target
