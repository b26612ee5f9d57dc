"""One place that maps domain failures to HTTP answers (JSON for the API, pages otherwise)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from exam_engine.exams.errors import ExamError
from exam_engine.i18n import gettext, localized

from .context import db


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
