"""The item-bank JSON API (``/api/ngan-hang``): search, read, author, review, import, export.

For the bank's roles only — answers carry the answer keys, so candidates and anonymous callers
are refused (401) and other roles get 403. What each bank role may do to which item is decided
by :mod:`item_bank.permissions`, exactly as on the pages and in bulk actions (403 with the rule's
message). Views parse input, call one service of
:mod:`item_bank.workflow` / :mod:`item_bank.importing` / :mod:`item_bank.queries`, commit once and
serialise. Domain failures (``WorkflowError``, ``InvalidItem``, ``ImportRefused``) are mapped to
HTTP in :mod:`exam_engine.web.errors`. JSON writes carry the CSRF token in ``X-CSRFToken``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.input_guard import DB_INT_MAX, InputRefused, db_int
from exam_engine.kernel.problems import problem
from exam_engine.kernel.uploads import body_limit
from exam_engine.kernel.web_context import current_user, db
from item_bank import workflow
from item_bank.content import ItemRecord, content_from_json
from item_bank.duplicates import MIN_THRESHOLD
from item_bank.exam_data import exam_data
from item_bank.exporting import export_versions, versions_to_export
from item_bank.formats import FORMATS, FormatIssue
from item_bank.importing import (
    ImportPreview,
    commit_import,
    next_item_key,
    preview_import,
)
from item_bank.models import Item, ItemEvent, ItemStatus, ItemVersion, refresh_search_text
from item_bank.permissions import Action, NotAllowed, require
from item_bank.queries import bank_duplicates, search_items
from item_bank.queries import coverage as coverage_rows

bank_api_bp = Blueprint("bank_api", __name__, url_prefix="/api/ngan-hang")

READERS = (Role.TEACHER, Role.REVIEWER, Role.STAFF)  # the rest: item_bank.permissions
MAX_LIMIT = 200


def _json(payload: Any, status: int = 200) -> Response:
    """UTF-8 JSON with Vietnamese left readable (no \\u escapes)."""
    return Response(json.dumps(payload, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json")


def _fail(status: int, error: str, message: str, **extra: Any) -> Response:
    return problem(status, error, message, **extra)  # the one JSON error shape (RFC 9457)


class _Refused(HTTPException):
    """Ends a view with a JSON error response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response=response)
        self.code = response.status_code


def _abort(status: int, error: str, message: str) -> None:
    raise _Refused(_fail(status, error, message))


@bank_api_bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    # Within this API every HTTP error answers JSON, whatever the client's Accept header.
    if isinstance(error, _Refused) and error.response is not None:
        return error.response
    if isinstance(error, InputRefused):
        return _fail(error.code or 400, "InputRefused", error.message)
    return _fail(error.code or 500, error.name, error.description or error.name)


@bank_api_bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    db().rollback()
    return _fail(403, "Forbidden", localized(error.message_vi, error.message_en))


def _roles(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only these roles (admin always); anonymous callers and candidates get 401, not a login
    redirect, since this is an API."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None or not user.active:
                return _fail(401, "Unauthorized", "Cần đăng nhập bằng tài khoản giáo viên hoặc "
                             "cán bộ.")
            if user.role not in roles and user.role is not Role.ADMIN:
                return _fail(403, "Forbidden", "Bạn không có quyền thực hiện thao tác này.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


# --- serialisation ------------------------------------------------------------------------------


def version_json(version: ItemVersion) -> dict[str, Any]:
    item = version.item
    return {"id": version.id, "item_id": version.item_id, "key": item.key,
            "module": item.module, "code": item.code, "subject": item.subject,
            "grade": item.grade, "ic3_domain": item.ic3_domain, "difficulty": item.difficulty,
            "title": item.title, "tags": list(item.tags), "version": version.version,
            "kind": version.kind, "status": version.status.value, "content": version.content,
            "author_id": version.author_id, "created_at": version.created_at.isoformat(),
            "irt": {"a": version.irt_a, "b": version.irt_b, "c": version.irt_c,
                    "is_demo": version.irt_is_demo}}


def event_json(event: ItemEvent) -> dict[str, Any]:
    return {"id": event.id, "version_id": event.version_id, "action": event.action,
            "actor_id": event.actor_id, "comment": event.comment, "at": event.at.isoformat()}


def issue_json(issue: FormatIssue) -> dict[str, str]:
    return {"file": issue.file, "location": issue.location, "field": issue.field,
            "message": issue.message_vi, "message_en": issue.message_en}


def preview_json(preview: ImportPreview) -> dict[str, Any]:
    return {"ok": preview.ok, "filename": preview.filename, "format": preview.format,
            "rows": [{"index": row.index, "location": row.location,
                      "key": row.record.external_id, "module": row.record.module,
                      "code": row.record.code, "kind": row.record.content.kind.value,
                      "stem": row.record.content.stem, "problems": row.problems,
                      "exact_duplicate_of": row.exact_duplicate_of,
                      "near_duplicates": [{"of": other, "similarity": s}
                                          for other, s in row.near_duplicates]}
                     for row in preview.rows],
            "warnings": [issue_json(w) for w in preview.warnings],
            "errors": [issue_json(e) for e in preview.errors]}


# --- input --------------------------------------------------------------------------------------


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        _abort(400, "BadRequest", "Nội dung yêu cầu phải là một đối tượng JSON.")
    return data


def _content(data: Any):
    try:
        return content_from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        _abort(400, "BadRequest", f"Nội dung câu hỏi không đúng cấu trúc ({error}).")


def _version(version_id: int) -> ItemVersion:
    version = db().get(ItemVersion, version_id)
    if version is None:
        _abort(404, "NotFound", "Không tìm thấy phiên bản câu hỏi.")
    return version


def _int_arg(name: str, default: int | None = None) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    try:
        return db_int(value)  # int() alone let 2**40 reach the database
    except ValueError:
        _abort(400, "BadRequest", f"Tham số “{name}” phải là số nguyên (tối đa {DB_INT_MAX}).")


def _upload() -> tuple[bytes, str, str | None]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        _abort(400, "BadRequest", "Cần gửi tệp câu hỏi trong trường “file”.")
    fmt = request.form.get("format") or None
    if fmt is not None and fmt not in FORMATS:
        _abort(400, "BadRequest", f"Định dạng “{fmt}” không được hỗ trợ.")
    return upload.read(), upload.filename, fmt


def _actor_id() -> int:
    return current_user().id


# --- reading ------------------------------------------------------------------------------------


@bank_api_bp.get("/items")
@_roles(*READERS)
def list_items():
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in ItemStatus}:
        _abort(400, "BadRequest", f"Trạng thái “{status}” không hợp lệ.")
    limit = min(max(_int_arg("limit", 50), 0), MAX_LIMIT)
    offset = max(_int_arg("offset", 0), 0)
    versions, total = search_items(
        db(), q=request.args.get("q"), module=request.args.get("module") or None,
        code=request.args.get("code") or None, status=status,
        kind=request.args.get("kind") or None, author_id=_int_arg("author_id"),
        limit=limit, offset=offset)
    return _json({"ok": True, "total": total, "limit": limit, "offset": offset,
                  "items": [version_json(v) for v in versions]})


@bank_api_bp.get("/items/<int:item_id>")
@_roles(*READERS)
def get_item(item_id: int):
    item = db().get(Item, item_id)
    if item is None:
        _abort(404, "NotFound", "Không tìm thấy câu hỏi.")
    return _json({"ok": True,
                  "item": {"id": item.id, "key": item.key, "module": item.module,
                           "code": item.code, "author_id": item.author_id,
                           "created_at": item.created_at.isoformat()},
                  "versions": [version_json(v) for v in item.versions],
                  "history": [event_json(e) for e in workflow.history(db(), item.id)],
                  "statistics": {str(v.id): statistics_json(exam_data(current_app.extensions).version_statistics(db(), v.id))
                                 for v in item.versions}})


def statistics_json(stats: Any) -> dict[str, Any] | None:
    """Classical statistics of a version from live exam data (None before any)."""
    if stats is None:
        return None
    data = asdict(stats)
    data["options"] = [asdict(option) for option in stats.options]
    return data


@bank_api_bp.get("/duplicates")
@_roles(*READERS)
def duplicates():
    module = request.args.get("module") or None
    try:
        threshold = float(request.args.get("threshold", "0.85"))
    except ValueError:
        threshold = -1.0
    if not MIN_THRESHOLD <= threshold <= 1:
        _abort(400, "BadRequest", f"threshold phải từ {MIN_THRESHOLD} đến 1.")
    pairs = bank_duplicates(db(), module=module, threshold=threshold)
    return _json({"ok": True, "pairs": [
        {"first": {"item_id": p.first.item_id, "key": p.first.item.key},
         "second": {"item_id": p.second.item_id, "key": p.second.item.key},
         "kind": p.kind, "similarity": round(p.similarity, 4)} for p in pairs]})


@bank_api_bp.get("/coverage")
@_roles(*READERS)
def coverage():
    modules = request.args.getlist("module") or None
    rows = coverage_rows(db(), modules=modules)
    return _json({"ok": True, "rows": [{"code": r.code, "name": r.name, "module": r.module,
                                        "approved": r.approved, "needed": r.needed}
                                       for r in rows]})


@bank_api_bp.get("/export")
@_roles(*READERS)
def export():
    fmt = request.args.get("format", "excel")
    if fmt not in FORMATS:
        _abort(400, "BadRequest", f"Định dạng “{fmt}” không được hỗ trợ; dùng một trong: "
               f"{', '.join(FORMATS)}.")
    status = request.args.get("status", ItemStatus.APPROVED.value)
    module = request.args.get("module") or None
    if status != "all" and status not in {s.value for s in ItemStatus}:
        _abort(400, "BadRequest", f"Trạng thái “{status}” không hợp lệ.")
    versions = versions_to_export(db(), status, module)
    result = export_versions(db(), fmt, versions)
    response = Response(result.data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(result.filename)}")
    # What the format could not carry, so nothing is lost silently: a count, and the issues
    # as ASCII-escaped JSON (headers are Latin-1), at most 50 of them.
    response.headers["X-Export-Items"] = str(len(versions))
    response.headers["X-Not-Carried-Count"] = str(len(result.not_carried))
    response.headers["X-Not-Carried"] = json.dumps(
        [issue_json(i) for i in result.not_carried[:50]], ensure_ascii=True)
    return response


# --- authoring ----------------------------------------------------------------------------------


@bank_api_bp.post("/items")
@_roles(*READERS)
def create_item():
    require(current_user(), Action.CREATE)
    data = _body()
    content = _content(data.get("content", data))
    record = record_with_classification(content, data)
    key = data.get("key")
    taken = _fail(409, "KeyTaken", f"Mã câu “{key}” đã có trong ngân hàng.")
    if key is not None and db().scalar(select(Item.id).where(Item.key == key)) is not None:
        return taken
    if not key:
        version = workflow.create_item_with_new_key(
            db(), record, lambda others: next_item_key(db(), record, others),
            author_id=_actor_id())
    else:
        try:
            with db().begin_nested():  # the same key chosen at the same moment by another
                version = workflow.create_item(db(), record, key=key, author_id=_actor_id())
        except IntegrityError:
            if db().scalar(select(Item.id).where(Item.key == key)) is None:
                raise
            return taken
    refresh_search_text(version)
    return _json({"ok": True, "version": version_json(version)}, 201)


def record_with_classification(content: Any, data: dict[str, Any]) -> ItemRecord:
    """An ItemRecord from the API's JSON: content plus where the item is filed."""
    tags = data.get("tags") or []
    grade = data.get("grade")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        _abort(422, "InvalidItem", "tags: phải là một danh sách chuỗi ký tự.")
    if grade is not None and (isinstance(grade, bool) or not isinstance(grade, int)):
        _abort(422, "InvalidItem", "grade: lớp phải là một số nguyên 1–12.")
    fields = {name: data.get(name) for name in ("module", "code", "subject", "ic3_domain",
                                                "difficulty", "title")}
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            _abort(422, "InvalidItem", f"{name}: phải là một chuỗi ký tự.")
    return ItemRecord(content=content, external_id=data.get("key"), grade=grade,
                      tags=tuple(tags), **fields)


@bank_api_bp.put("/items/<int:item_id>/classification")
@_roles(*READERS)
def reclassify(item_id: int):
    item = db().get(Item, item_id)
    if item is None or not item.versions:
        _abort(404, "NotFound", "Không có câu hỏi này.")
    require(current_user(), Action.REFILE, item)
    record = record_with_classification(item.versions[-1].content_model, _body())
    workflow.reclassify(db(), item, workflow.Classification.of_record(record),
                        actor_id=_actor_id())
    return _json({"ok": True, "version": version_json(item.versions[-1])})


@bank_api_bp.put("/versions/<int:version_id>")
@_roles(*READERS)
def edit_version(version_id: int):
    data = _body()
    version = _version(version_id)
    require(current_user(), Action.EDIT, version=version)
    version = workflow.edit(db(), version, _content(data.get("content", data)),
                            actor_id=_actor_id())
    refresh_search_text(version)
    return _json({"ok": True, "version": version_json(version)})


@bank_api_bp.post("/versions/<int:version_id>/submit")
@_roles(*READERS)
def submit(version_id: int):
    version = _version(version_id)
    require(current_user(), Action.SUBMIT, version=version)
    workflow.submit_for_review(db(), version, actor_id=_actor_id())
    return _json({"ok": True, "version": version_json(version)})


# --- review -------------------------------------------------------------------------------------


def _text_field(name: str) -> str | None:
    data = request.get_json(silent=True)
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


@bank_api_bp.post("/versions/<int:version_id>/approve")
@_roles(*READERS)
def approve(version_id: int):
    version = _version(version_id)
    require(current_user(), Action.REVIEW, version=version)
    workflow.approve(db(), version, reviewer_id=_actor_id(), comment=_text_field("comment"))
    return _json({"ok": True, "version": version_json(version)})


@bank_api_bp.post("/versions/<int:version_id>/return")
@_roles(*READERS)
def return_to_author(version_id: int):
    version = _version(version_id)
    require(current_user(), Action.REVIEW, version=version)
    workflow.return_to_author(db(), version, reviewer_id=_actor_id(),
                              comment=_text_field("comment") or "")
    return _json({"ok": True, "version": version_json(version)})


@bank_api_bp.post("/versions/<int:version_id>/retire")
@_roles(*READERS)
def retire(version_id: int):
    version = _version(version_id)
    require(current_user(), Action.RETIRE, version=version)
    reason = _text_field("reason") or ""
    if not reason.strip():
        return _fail(400, "BadRequest", "Cần nêu lý do ngừng dùng câu hỏi.")
    workflow.retire(db(), version, actor_id=_actor_id(), reason=reason.strip())
    return _json({"ok": True, "version": version_json(version)})


@bank_api_bp.post("/versions/<int:version_id>/comments")
@_roles(*READERS)
def comment(version_id: int):
    version = _version(version_id)
    require(current_user(), Action.COMMENT, version=version)
    workflow.add_comment(db(), version, actor_id=_actor_id(), text=_text_field("text") or "")
    return _json({"ok": True, "history": [event_json(e)
                                          for e in workflow.history(db(), version.item_id)]},
                 201)


# --- import -------------------------------------------------------------------------------------


@bank_api_bp.post("/import/preview")
@body_limit("MAX_UPLOAD_MB")
@_roles(*READERS)
def import_preview():
    require(current_user(), Action.IMPORT)
    data, filename, fmt = _upload()
    preview = preview_import(db(), data, filename, fmt)
    db().rollback()  # a preview never writes
    return _json(preview_json(preview))


@bank_api_bp.post("/import")
@body_limit("MAX_UPLOAD_MB")
@_roles(*READERS)
def import_file():
    require(current_user(), Action.IMPORT)
    data, filename, fmt = _upload()
    submit_too = request.form.get("submit", "").lower() in ("1", "true", "yes", "on")
    versions = commit_import(db(), data, filename, author_id=_actor_id(), fmt=fmt,
                             submit=submit_too)
    return _json({"ok": True, "created": [version_json(v) for v in versions]}, 201)


@bank_api_bp.get("/openapi.json")
def openapi():
    from item_bank.web.openapi import openapi_document
    return _json(openapi_document())
