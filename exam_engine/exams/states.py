"""The lives of an attempt and of a session as data: statuses and the transitions allowed."""

from __future__ import annotations

import enum


class AttemptStatus(enum.StrEnum):
    ASSIGNED = "assigned"        # form assembled at scheduling, not yet started
    IN_PROGRESS = "in_progress"  # started; the server's deadline runs
    PAUSED = "paused"            # a proctor stopped his clock: no saves; resume moves the deadline
    SUBMITTED = "submitted"      # closed by the candidate or by the server at the deadline; graded
    ABSENT = "absent"            # never started before the session closed (vắng thi)


ALLOWED_TRANSITIONS: frozenset[tuple[AttemptStatus, AttemptStatus]] = frozenset({
    (AttemptStatus.ASSIGNED, AttemptStatus.IN_PROGRESS),
    (AttemptStatus.IN_PROGRESS, AttemptStatus.SUBMITTED),
    (AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED),
    (AttemptStatus.PAUSED, AttemptStatus.IN_PROGRESS),
    (AttemptStatus.PAUSED, AttemptStatus.SUBMITTED),   # a proctor's force-submit while paused
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


class SanctionLevel(enum.StrEnum):
    """Sanctions as the national exam rules grade them (DOMAIN.md), mildest first."""

    REPRIMAND = "khien_trach"   # khiển trách: −25 % of the test's score
    WARNING = "canh_cao"        # cảnh cáo: −50 %
    EXPELLED = "dinh_chi"       # đình chỉ thi: 0, and excluded

