"""Domain failures of the exam, each mapped once to an HTTP answer by the web layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ExamError(Exception):
    """Base of the exam's domain errors; ``message_vi`` is shown to people."""

    http_status = 400

    def __init__(self, message_vi: str, message_en: str | None = None) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi
        self.message_en = message_en or message_vi


class NotFound(ExamError):
    http_status = 404


class ExamClosed(ExamError):
    """The attempt is submitted or past its deadline: no more saves."""

    http_status = 409


class NotStarted(ExamError):
    http_status = 409


class LoginEnded(ExamError):
    """The browser's login session was ended (logout, moved to another computer, expired)."""

    http_status = 401


class SessionNotOpen(ExamError):
    """The session is not open for sitting (before or after its window, closed, approved)."""

    http_status = 409


class SessionStateError(ExamError):
    """A session step its status does not allow (approve a draft, schedule twice…)."""

    http_status = 409


class NotEligible(ExamError):
    """A candidate who may not sit this exam (the advanced exam without the basic certificate)."""

    http_status = 422


@dataclass(frozen=True)
class RosterProblem:
    line: int
    field: str
    message_vi: str
    message_en: str

    def text_vi(self) -> str:
        return f"dòng {self.line}, {self.field}: {self.message_vi}"

    def text_en(self) -> str:
        return f"line {self.line}, {self.field}: {self.message_en}"


class InvalidRoster(ExamError):
    """A roster that cannot be used: ``problems`` names every bad line and field at once."""

    http_status = 422

    def __init__(self, message_vi: str, message_en: str | None = None,
                 problems: Sequence[RosterProblem] = ()) -> None:
        super().__init__(message_vi, message_en)
        self.problems = list(problems)

    @classmethod
    def of(cls, problems: Sequence[RosterProblem]) -> InvalidRoster:
        return cls("; ".join(p.text_vi() for p in problems),
                   "; ".join(p.text_en() for p in problems), problems)


class InvalidAnswer(ExamError):
    http_status = 422


class AttemptPaused(ExamError):
    """A proctor paused this attempt (its clock stands still): no saves until he resumes."""

    http_status = 409


class MovedAway(LoginEnded):
    """The proctor moved the candidate to another computer: this browser stops saving (its
    answers acknowledged so far are on the server; the new computer carries on)."""

    http_status = 409

    def __init__(self) -> None:  # one message wherever the old computer hears it
        super().__init__(
            "Bạn đã được cán bộ coi thi chuyển sang máy khác: máy này không lưu bài nữa. Mọi "
            "câu trả lời đã lưu vẫn còn trên máy chủ; hãy làm tiếp ở máy cán bộ coi thi chỉ định.",
            "The invigilator moved you to another computer: this one no longer saves answers. "
            "Every saved answer is kept on the server; carry on at the computer the "
            "invigilator showed you.")
