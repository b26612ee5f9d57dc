"""One place that maps domain failures to HTTP answers (JSON for the API, pages otherwise)."""

from __future__ import annotations

import json

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from exam_engine.exams.errors import ExamError
from exam_engine.kernel.i18n import gettext, localized
from exam_engine.kernel.web_context import db
from item_bank.importing import ImportRefused
from item_bank.workflow import InvalidItem, WorkflowError


def _wants_json() -> bool:
    return request.path.startswith("/thi/api/") or request.is_json


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ExamError)
    def exam_error(error: ExamError):
        db().rollback()
        message = localized(error.message_vi, error.message_en)
        if _wants_json():
            return jsonify(ok=False, error=type(error).__name__, message=message), error.http_status
        return render_template("error.html", message=message), error.http_status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        message = gettext("Phiên làm việc đã hết hạn, vui lòng tải lại trang.")
        if _wants_json():
            return jsonify(ok=False, error="CSRFError", message=message), 400
        return render_template("error.html", message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {403: "Bạn không có quyền truy cập trang này.", 404: "Không tìm thấy trang."}
        message = gettext(messages.get(error.code or 500, error.name))
        if _wants_json():
            return jsonify(ok=False, error=error.name, message=message), error.code
        return render_template("error.html", message=message), error.code

    @app.errorhandler(WorkflowError)
    def workflow_error(error: WorkflowError):
        # An item step the state or the role does not allow (409), or invalid content (422).
        db().rollback()
        message = localized(error.message_vi, error.message_en)
        status = 422 if isinstance(error, InvalidItem) else 409
        problems = [{"field": p.field, "message": p.message_vi, "message_en": p.message_en}
                    for p in getattr(error, "problems", [])]
        if _wants_json() or request.path.startswith("/api/"):
            return _json_unescaped(dict(ok=False, error=type(error).__name__, message=message,
                                        problems=problems), status)
        return render_template("error.html", message=message), status

    @app.errorhandler(ImportRefused)
    def import_refused(error: ImportRefused):
        db().rollback()
        message = gettext("Tệp có lỗi nên không câu hỏi nào được nhập.")
        if _wants_json() or request.path.startswith("/api/"):
            errors = [{"file": i.file, "location": i.location, "field": i.field,
                       "message": i.message_vi, "message_en": i.message_en} for i in error.errors]
            return _json_unescaped(dict(ok=False, error="ImportRefused", message=message,
                                        errors=errors), 422)
        return render_template("error.html", message=message), 422


def _json_unescaped(payload: dict, status: int) -> Response:
    """JSON with Vietnamese readable as is (the item-bank API's convention)."""
    return Response(json.dumps(payload, ensure_ascii=False), status=status,
                    mimetype="application/json")
