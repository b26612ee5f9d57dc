"""Domain failures of the exam, each mapped once to an HTTP answer by the web layer."""

from __future__ import annotations


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


class InvalidRoster(ExamError):
    """A roster row that cannot be used; the message names row and field."""

    http_status = 422


class InvalidAnswer(ExamError):
    http_status = 422
