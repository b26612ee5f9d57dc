"""One place that maps every failure to an HTTP answer: problem details (RFC 9457, see
:mod:`exam_engine.kernel.problems`) for JSON callers, the error page otherwise.

Database errors that slip past a view's own validation are the last line: a uniqueness or a
foreign key the database enforces is a 409, a value it cannot store (an integer out of its
range, text it refuses) a 422 — never a 500.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from werkzeug.exceptions import HTTPException, InternalServerError

from exam_engine.exams.errors import ExamError
from exam_engine.kernel.i18n import gettext, localized
from exam_engine.kernel.input_guard import InputRefused
from exam_engine.kernel.problems import problem
from exam_engine.kernel.web_context import db
from item_bank.importing import ImportRefused
from item_bank.permissions import NotAllowed
from item_bank.workflow import InvalidItem, WorkflowError

_HTTP_MESSAGES = {
    400: ("Yêu cầu không hợp lệ.", "The request is not valid."),
    401: ("Cần đăng nhập.", "You need to log in."),
    403: ("Bạn không có quyền truy cập trang này.", "You may not open this page."),
    404: ("Không tìm thấy trang.", "Page not found."),
    405: ("Phương thức không được hỗ trợ cho địa chỉ này.",
          "This method is not allowed for this address."),
    413: ("Dữ liệu gửi lên quá lớn.", "The data sent is too large."),
    415: ("Kiểu dữ liệu gửi lên không được hỗ trợ.", "The media type sent is not supported."),
}
_CONFLICT = ("Dữ liệu vừa bị thay đổi hoặc đã tồn tại (xung đột); hãy tải lại trang và thử lại.",
             "The data was just changed or already exists (a conflict); reload and try again.")
_UNSTORABLE = ("Có giá trị nằm ngoài phạm vi cơ sở dữ liệu cho phép (số quá lớn hoặc văn bản "
               "không hợp lệ).",
               "A value is outside what the database can store (a number too large or invalid "
               "text).")


def wants_json() -> bool:
    """JSON for the APIs and JSON callers; the HTML error page for a browser's page."""
    if request.path.startswith(("/thi/api/", "/api/")) or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json",
                                                "application/problem+json"])
    return best in ("application/json", "application/problem+json")


def answer(status: int, error: str, message: str, **extra: Any) -> Response | tuple[str, int]:
    """The one error answer: problem details for JSON callers, else the error page."""
    if wants_json():
        return problem(status, error, message, **extra)
    return render_template("error.html", message=message), status


def _rolled_back() -> None:
    # The unit of work rolls back any >= 400 answer anyway; a failed flush must be rolled back
    # before the error page may read the database (the current user, say).
    db().rollback()


def _database_error(error: Exception) -> Response | tuple[str, int] | None:
    """The answer for a database error that slipped through, or None when it is not one."""
    if isinstance(error, IntegrityError):
        _rolled_back()
        return answer(409, "Conflict", localized(*_CONFLICT))
    if isinstance(error, DataError) or _unstorable(error):
        _rolled_back()
        return answer(422, "UnstorableValue", localized(*_UNSTORABLE))
    return None


def _unstorable(error: BaseException) -> bool:
    """SQLite's driver refuses an integer beyond 64 bits before the database sees it, and text
    holding a lone surrogate cannot be encoded: values, not server faults."""
    if isinstance(error, StatementError) and error.orig is not None:
        error = error.orig
    return ((isinstance(error, OverflowError) and "SQLite INTEGER" in str(error))
            or (isinstance(error, UnicodeEncodeError) and "surrogate" in str(error)))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ExamError)
    def exam_error(error: ExamError):
        _rolled_back()
        message = localized(error.message_vi, error.message_en)
        extra: dict[str, Any] = {}
        if getattr(error, "problems", None):
            extra["problems"] = [
                {"field": p.field, "line": getattr(p, "line", None),
                 "message": localized(p.message_vi, p.message_en)} for p in error.problems]
        return answer(error.http_status, type(error).__name__, message, **extra)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return answer(400, "CSRFError",
                      gettext("Phiên làm việc đã hết hạn, vui lòng tải lại trang."))

    @app.errorhandler(InputRefused)
    def input_refused(error: InputRefused):
        return answer(error.code or 400, "InputRefused", error.message)

    @app.errorhandler(NotAllowed)
    def not_allowed(error: NotAllowed):
        _rolled_back()
        return answer(403, "NotAllowed", localized(error.message_vi, error.message_en))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.response is not None:  # a view's own finished answer
            return error.response
        status = error.code or 500
        vi, en = _HTTP_MESSAGES.get(status, (error.name, error.name))
        return answer(status, error.name.replace(" ", ""), localized(vi, en))

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        # Reached for failures outside the view too (the commit in after_request): a
        # uniqueness the database enforced there is still a conflict, not a crash.
        original = error.original_exception
        mapped = _database_error(original) if original is not None else None
        if mapped is not None:
            return mapped
        return answer(500, "InternalServerError",
                      localized("Lỗi máy chủ; hãy thử lại.", "Server error; try again."))

    for database_error in (IntegrityError, DataError, StatementError, OverflowError,
                           UnicodeEncodeError):
        @app.errorhandler(database_error)
        def last_line(error: Exception):
            mapped = _database_error(error)
            if mapped is None:
                raise error
            return mapped

    @app.errorhandler(WorkflowError)
    def workflow_error(error: WorkflowError):
        # An item step the state or the role does not allow (409), or invalid content (422).
        _rolled_back()
        status = 422 if isinstance(error, InvalidItem) else 409
        problems = [{"field": p.field, "message": p.message_vi, "message_en": p.message_en}
                    for p in getattr(error, "problems", [])]
        return answer(status, type(error).__name__, localized(error.message_vi,
                                                                error.message_en),
                      problems=problems)

    @app.errorhandler(ImportRefused)
    def import_refused(error: ImportRefused):
        _rolled_back()
        errors = [{"file": i.file, "location": i.location, "field": i.field,
                   "message": i.message_vi, "message_en": i.message_en} for i in error.errors]
        return answer(422, "ImportRefused",
                      gettext("Tệp có lỗi nên không câu hỏi nào được nhập."), errors=errors)
