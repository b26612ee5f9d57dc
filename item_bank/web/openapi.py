"""The OpenAPI 3.1 description of every JSON route: the item-bank API
(:mod:`item_bank.web.api`), the candidate's exam API (``/thi/api/*``) and the pages' JSON
answers (editor preview, image upload, import progress, a certificate's signed data).

Served at ``GET /api/ngan-hang/openapi.json``. Kept by hand beside the views; tests check that
every JSON route is described here and run schemathesis over the whole document. Errors are
problem details (RFC 9457, ``application/problem+json``).
"""

from __future__ import annotations

from typing import Any

from item_bank.content import ItemKind
from item_bank.formats import FORMATS
from item_bank.models import ItemStatus
from item_bank.taxonomy import DIFFICULTIES, IC3_BY_CODE

PREFIX = "/api/ngan-hang"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    texts = {400: "Yêu cầu sai (tham số, JSON hoặc thiếu CSRF token)",
             401: "Chưa đăng nhập (hoặc phiên thí sinh)", 403: "Không đủ quyền",
             404: "Không tìm thấy", 409: "Bước không hợp lệ với trạng thái hiện tại",
             413: "Dữ liệu gửi lên quá lớn",
             422: "Nội dung, tệp hoặc giá trị không hợp lệ"}
    return {str(code): {"description": texts[code],
                        "content": {"application/problem+json": {"schema": _ref("Error")}}}
            for code in codes}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


_VERSION_ID = {"name": "version_id", "in": "path", "required": True,
               "schema": {"type": "integer"}}
_CSRF = {"name": "X-CSRFToken", "in": "header", "required": True, "schema": {"type": "string"},
         "description": "CSRF token of the logged-in session (meta csrf-token of any page)."}
_WRITE_ERRORS = (400, 401, 403, 404, 409, 422)


def _step(summary: str, roles: str, body: dict[str, Any] | None = None,
          status: str = "200") -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary, "description": f"Vai trò: {roles}.",
        "parameters": [_VERSION_ID, _CSRF],
        "responses": {status: _ok("Đã thực hiện", _object(
            {"ok": {"const": True}, "version": _ref("Version"),
             "history": {"type": "array", "items": _ref("Event")}})),
            **_errors(*_WRITE_ERRORS)}}
    if body is not None:
        operation["requestBody"] = _json_body(body, required=False)
    return operation


def _schemas() -> dict[str, Any]:
    part = _object({"id": {"type": "string"}, "text": {"type": "string"}}, ["id", "text"])
    content = _object({
        "kind": {"type": "string", "enum": [k.value for k in ItemKind]},
        "stem": {"type": "string", "description": "HTML đã làm sạch"},
        "choices": {"type": "array", "items": part},
        "targets": {"type": "array", "items": part},
        "key": {"type": "object", "description": "Đáp án, theo loại câu (item_bank.content)"},
        "points": {"type": "number"}, "feedback": {"type": ["string", "null"]},
        "shuffle": {"type": "boolean"}}, ["kind", "stem"])
    issue = _object({"file": {"type": "string"}, "location": {"type": "string"},
                     "field": {"type": "string"}, "message": {"type": "string"},
                     "message_en": {"type": "string"}})
    nullable_text = {"type": ["string", "null"]}
    filing = {
        "module": {**nullable_text, "description": "Mô-đun TT03, ví dụ IU04"},
        "code": {**nullable_text, "description": "Mã yêu cầu TT03, ví dụ IU04.5.2"},
        "subject": {**nullable_text, "description": "Môn học (môn phổ thông), ví dụ Toán"},
        "grade": {"type": ["integer", "null"], "minimum": 1, "maximum": 12},
        "ic3_domain": {"type": ["string", "null"], "enum": [*IC3_BY_CODE, None]},
        "difficulty": {"type": ["string", "null"], "enum": [*DIFFICULTIES, None]},
        "title": nullable_text, "tags": {"type": "array", "items": {"type": "string"}}}
    return {
        "Part": part,
        "Classification": _object(filing),
        "Content": content,
        "Version": _object({
            "id": {"type": "integer"}, "item_id": {"type": "integer"},
            "key": {"type": "string"}, **filing, "version": {"type": "integer"},
            "kind": {"type": "string"},
            "status": {"type": "string", "enum": [s.value for s in ItemStatus]},
            "content": _ref("Content"), "author_id": {"type": ["integer", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "irt": _object({"a": {"type": ["number", "null"]}, "b": {"type": ["number", "null"]},
                            "c": {"type": ["number", "null"]}, "is_demo": {"type": "boolean"}})}),
        "Event": _object({"id": {"type": "integer"}, "version_id": {"type": ["integer", "null"]},
                          "action": {"type": "string"}, "actor_id": {"type": ["integer", "null"]},
                          "comment": {"type": ["string", "null"]},
                          "at": {"type": "string", "format": "date-time"}}),
        "Issue": issue,
        "NewItem": {**_object({"key": {"type": "string", "maxLength": 40}, **filing,
                               "content": _ref("Content")}, ["content"]),
                    "description": "module + code (TT03) hoặc subject là bắt buộc"},
        "ImportPreview": _object({
            "ok": {"type": "boolean"}, "filename": {"type": "string"},
            "format": {"type": "string"},
            "rows": {"type": "array", "items": _object({
                "index": {"type": "integer"}, "location": {"type": "string"},
                "key": {"type": ["string", "null"]}, "module": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]}, "kind": {"type": "string"},
                "stem": {"type": "string"}, "problems": {"type": "array",
                                                        "items": {"type": "string"}},
                "exact_duplicate_of": {"type": "array", "items": {"type": "string"}},
                "near_duplicates": {"type": "array", "items": _object(
                    {"of": {"type": "string"}, "similarity": {"type": "number"}})}})},
            "warnings": {"type": "array", "items": _ref("Issue")},
            "errors": {"type": "array", "items": _ref("Issue")}}),
        "CoverageRow": _object({"code": {"type": "string"}, "name": {"type": "string"},
                                "module": {"type": "string"}, "approved": {"type": "integer"},
                                "needed": {"type": ["integer", "null"]}}),
        "Error": _object({
            "type": {"type": "string", "description": "RFC 9457: urn:exam-engine:problem:<error>"},
            "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string", "description": "= message"},
            "ok": {"const": False}, "error": {"type": "string"}, "message": {"type": "string"},
            "problems": {"type": "array", "items": _object(
                {"field": {"type": "string"}, "message": {"type": "string"},
                 "message_en": {"type": "string"}})},
            "errors": {"type": "array", "items": _ref("Issue")}},
            ["type", "title", "status", "detail", "ok", "error", "message"]),
    }


def _upload_body(with_submit: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "file": {"type": "string", "contentMediaType": "application/octet-stream"},
        "format": {"type": "string", "enum": list(FORMATS)}}
    if with_submit:
        properties["submit"] = {"type": "string", "enum": ["true", "false"]}
    return {"required": True,
            "content": {"multipart/form-data": {"schema": _object(properties, ["file"])}}}


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document, as a dict ready for JSON."""
    query = [{"name": name, "in": "query", "required": False, "schema": schema}
             for name, schema in (
                 ("q", {"type": "string", "description": "tìm không dấu trong đề và phương án"}),
                 ("module", {"type": "string"}), ("code", {"type": "string"}),
                 ("status", {"type": "string", "enum": [s.value for s in ItemStatus]}),
                 ("kind", {"type": "string", "enum": [k.value for k in ItemKind]}),
                 ("author_id", {"type": "integer"}),
                 ("limit", {"type": "integer", "minimum": 0, "maximum": 200, "default": 50}),
                 ("offset", {"type": "integer", "minimum": 0, "default": 0}))]
    readers = "teacher, reviewer, staff, admin"
    paths: dict[str, Any] = {
        "/items": {
            "get": {"summary": "Tìm câu hỏi (phiên bản mới nhất của mỗi câu)",
                    "description": f"Vai trò: {readers}.", "parameters": query,
                    "responses": {"200": _ok("Kết quả", _object({
                        "ok": {"const": True}, "total": {"type": "integer"},
                        "limit": {"type": "integer"}, "offset": {"type": "integer"},
                        "items": {"type": "array", "items": _ref("Version")}})),
                        **_errors(400, 401, 403)}},
            "post": {"summary": "Tạo câu hỏi mới (bản nháp)",
                     "description": "Vai trò: teacher, staff, admin.", "parameters": [_CSRF],
                     "requestBody": _json_body(_ref("NewItem")),
                     "responses": {"201": _ok("Đã tạo", _object(
                         {"ok": {"const": True}, "version": _ref("Version")})),
                         **_errors(400, 401, 403, 409, 422)}}},
        "/items/{item_id}": {
            "get": {"summary": "Một câu hỏi: các phiên bản và lịch sử",
                    "description": f"Vai trò: {readers}.",
                    "parameters": [{"name": "item_id", "in": "path", "required": True,
                                    "schema": {"type": "integer"}}],
                    "responses": {"200": _ok("Câu hỏi", _object({
                        "ok": {"const": True}, "item": {"type": "object"},
                        "versions": {"type": "array", "items": _ref("Version")},
                        "history": {"type": "array", "items": _ref("Event")},
                        "statistics": {"type": "object", "description":
                                       "Thống kê từ dữ liệu thi theo id phiên bản (null khi "
                                       "chưa có): n_responses, p_value, point_biserial, …"}})),
                        **_errors(401, 403, 404)}}},
        "/items/{item_id}/classification": {
            "put": {"summary": "Phân loại lại câu hỏi (mô-đun, mã, môn, lớp, IC3, thẻ…); "
                               "nội dung và trạng thái không đổi",
                    "description": "Vai trò: tác giả hoặc người cùng soạn câu, reviewer, "
                                   "staff, admin (item_bank.permissions).",
                    "parameters": [{"name": "item_id", "in": "path", "required": True,
                                    "schema": {"type": "integer"}}, _CSRF],
                    "requestBody": _json_body(_ref("Classification")),
                    "responses": {"200": _ok("Đã phân loại", _object(
                        {"ok": {"const": True}, "version": _ref("Version")})),
                        **_errors(400, 401, 403, 404, 422)}}},
        "/versions/{version_id}": {
            "put": {**_step("Sửa nội dung (bản nháp sửa tại chỗ; bản đã duyệt tạo phiên bản "
                            "mới)", "tác giả hoặc người cùng soạn (giáo viên khác: chỉ đề "
                            "xuất phiên bản mới của câu đã duyệt), staff, admin"),
                    "requestBody": _json_body(_object({"content": _ref("Content")},
                                                      ["content"]))}},
        "/versions/{version_id}/submit": {
            "post": _step("Gửi phản biện", "tác giả hoặc người cùng soạn, staff, admin")},
        "/versions/{version_id}/approve": {
            "post": _step("Duyệt (không được duyệt phiên bản mình đã soạn hoặc sửa)",
                          "reviewer, admin", _object({"comment": {"type": "string"}}))},
        "/versions/{version_id}/return": {
            "post": _step("Trả lại người soạn kèm lý do", "reviewer, admin",
                          _object({"comment": {"type": "string"}}, ["comment"]))},
        "/versions/{version_id}/retire": {
            "post": _step("Ngừng dùng câu hỏi", "reviewer, staff, admin",
                          _object({"reason": {"type": "string"}}, ["reason"]))},
        "/versions/{version_id}/comments": {
            "post": _step("Thêm nhận xét", "teacher, reviewer, staff, admin",
                          _object({"text": {"type": "string"}}, ["text"]), status="201")},
        "/import/preview": {
            "post": {"summary": "Xem trước một tệp nhập (không ghi gì)",
                     "description": "Vai trò: teacher, staff, admin.", "parameters": [_CSRF],
                     "requestBody": _upload_body(False),
                     "responses": {"200": _ok("Kết quả xem trước", _ref("ImportPreview")),
                                   **_errors(400, 401, 403)}}},
        "/import": {
            "post": {"summary": "Nhập tệp: tất cả hoặc không câu nào",
                     "description": "Vai trò: teacher, staff, admin.", "parameters": [_CSRF],
                     "requestBody": _upload_body(True),
                     "responses": {"201": _ok("Đã nhập", _object(
                         {"ok": {"const": True},
                          "created": {"type": "array", "items": _ref("Version")}})),
                         **_errors(400, 401, 403, 422)}}},
        "/export": {
            "get": {"summary": "Xuất câu hỏi ra tệp",
                    "description": f"Vai trò: {readers}. Những gì định dạng không mang được "
                                   "được báo trong header X-Not-Carried (JSON, tối đa 50 mục) "
                                   "và X-Not-Carried-Count.",
                    "parameters": [
                        {"name": "format", "in": "query", "required": False,
                         "schema": {"type": "string", "enum": list(FORMATS),
                                    "default": "excel"}},
                        {"name": "status", "in": "query", "required": False,
                         "schema": {"type": "string", "default": "approved",
                                    "enum": [*(s.value for s in ItemStatus), "all"]}},
                        {"name": "module", "in": "query", "required": False,
                         "schema": {"type": "string"}}],
                    "responses": {"200": {
                        "description": "Tệp tải về",
                        "headers": {
                            "X-Not-Carried-Count": {"schema": {"type": "integer"}},
                            "X-Not-Carried": {"schema": {"type": "string"}},
                            "X-Export-Items": {"schema": {"type": "integer"}}},
                        "content": {"application/octet-stream": {
                            "schema": {"type": "string",
                                       "contentMediaType": "application/octet-stream"}}}},
                        **_errors(400, 401, 403)}}},
        "/coverage": {
            "get": {"summary": "Số câu đã duyệt theo mã yêu cầu TT03",
                    "description": f"Vai trò: {readers}.",
                    "parameters": [{"name": "module", "in": "query", "required": False,
                                    "schema": {"type": "string"}}],
                    "responses": {"200": _ok("Độ phủ", _object({
                        "ok": {"const": True},
                        "rows": {"type": "array", "items": _ref("CoverageRow")}})),
                        **_errors(401, 403)}}},
        "/duplicates": {
            "get": {"summary": "Các cặp câu hỏi trùng hoặc gần giống trong ngân hàng",
                    "description": f"Vai trò: {readers}. Không tính câu đã ngừng dùng.",
                    "parameters": [
                        {"name": "module", "in": "query", "required": False,
                         "schema": {"type": "string"}},
                        {"name": "threshold", "in": "query", "required": False,
                         "schema": {"type": "number", "minimum": 0.5, "maximum": 1,
                                    "default": 0.85}}],
                    "responses": {"200": _ok("Các cặp", _object({
                        "ok": {"const": True},
                        "pairs": {"type": "array", "items": _object({
                            "first": _object({"item_id": {"type": "integer"},
                                              "key": {"type": "string"}}),
                            "second": _object({"item_id": {"type": "integer"},
                                               "key": {"type": "string"}}),
                            "kind": {"type": "string", "enum": ["exact", "near"]},
                            "similarity": {"type": "number"}})}})),
                        **_errors(400, 401, 403)}}},
        "/openapi.json": {
            "get": {"summary": "Tài liệu OpenAPI này", "security": [],
                    "responses": {"200": _ok("OpenAPI 3.1", {"type": "object"})}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ngân hàng câu hỏi — exam-engine", "version": "1.0.0",
                 "description": "API JSON cho người soạn và người phản biện câu hỏi. Trả về cả "
                                "đáp án, nên chỉ tài khoản giáo viên, phản biện, cán bộ dùng "
                                "được."},
        "servers": [{"url": "/"}],
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie",
                                            "name": "session"}}},
        "security": [{"session": []}],
        "paths": {**{PREFIX + path: ops for path, ops in paths.items()},
                  **candidate_paths(), **page_json_paths()},
    }


def candidate_paths() -> dict[str, Any]:
    """The candidate's exam API: his own attempt only, from the session of the candidate login
    (số báo danh + session code), so no id in any path."""
    session_note = "Phiên thí sinh (đăng nhập bằng số báo danh và mã cá nhân trên thẻ dự thi)."
    paper = _object({"status": {"type": "string"}, "seconds_left": {"type": ["number", "null"]},
                     "questions": {"type": "array", "items": {"type": "object"}}})
    save = _object({
        "position": {"type": "integer", "minimum": 0,
                     "description": "Vị trí câu trong đề, từ 0 (câu 1 là 0)"},
        "seq": {"type": "integer", "minimum": 0,
                "description": "Số thứ tự lưu của câu này; lần lưu cũ hơn không ghi đè"},
        "selected": {"type": "array", "items": {"type": "integer", "minimum": 0},
                     "description": "Câu chọn: vị trí các phương án đã chọn"},
        "response": {"description": "Các loại câu khác: câu trả lời theo dạng của loại câu"},
        "ms_on_item": {"type": "number", "minimum": 0,
                       "description": "Thời gian (mili giây) thí sinh đã ở câu này"},
        "flagged": {"type": "boolean"}}, ["position", "seq"])
    return {
        "/thi/api/paper": {"get": {
            "summary": "Đề thi của thí sinh (không có đáp án) và thời gian còn lại",
            "description": session_note,
            "responses": {"200": _ok("Đề thi", paper), **_errors(401, 404, 409)}}},
        "/thi/api/answers": {"post": {
            "summary": "Lưu một câu trả lời (chỉ xác nhận khi đã ghi bền)",
            "description": session_note, "parameters": [_CSRF],
            "requestBody": _json_body(save),
            "responses": {"200": _ok("Đã lưu", _object({
                "ok": {"const": True}, "position": {"type": "integer"},
                "seq": {"type": "integer"},
                "saved_at": {"type": "string", "format": "date-time"}})),
                **_errors(400, 401, 404, 409, 413, 422)}}},
        "/thi/api/su-kien": {"post": {
            "summary": "Gửi các sự kiện của trang thi (ngoài đường lưu bài) và nhận trạng thái",
            "description": session_note + " Mỗi sự kiện được ghi một lần theo seq; gửi lại "
                           "không đổi gì.", "parameters": [_CSRF],
            "requestBody": _json_body(_object({
                "events": {"type": "array", "maxItems": 100, "items": _object({
                    "seq": {"type": "integer", "minimum": 1},
                    "kind": {"type": "string", "description": "tab_hidden, blur, copy, …"},
                    "at": {"type": "number", "description": "Giờ của máy thí sinh (ms)"},
                    "detail": {"type": "object"}}, ["seq", "kind"])},
                "client_now": {"type": "number"}}, [])),
            "responses": {"200": _ok("Đã ghi", _object({
                "ok": {"const": True}, "acked": {"type": "array", "items": {"type": "integer"}},
                "state": {"type": "object"}})),
                **_errors(400, 401, 409, 413, 422)}}},
        "/thi/api/submit": {"post": {
            "summary": "Nộp bài", "description": session_note, "parameters": [_CSRF],
            "responses": {"200": _ok("Đã nộp", _object({
                "ok": {"const": True}, "receipt": {"type": "string"},
                "result_url": {"type": "string"}})), **_errors(400, 401, 404, 409)}}},
    }


def page_json_paths() -> dict[str, Any]:
    """JSON answered by the pages' own routes (their scripts and exports read it)."""
    form = {"required": False, "content": {"application/x-www-form-urlencoded": {
        "schema": {"type": "object", "additionalProperties": {"type": "string"}}}}}
    image = {"required": True, "content": {"multipart/form-data": {"schema": _object(
        {"file": {"type": "string", "contentMediaType": "application/octet-stream"}},
        ["file"])}}}
    job_id = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
    certificate_id = {"name": "certificate_id", "in": "path", "required": True,
                      "schema": {"type": "integer"}}
    return {
        "/ngan-hang/xem-truoc": {"post": {
            "summary": "Xem trước câu hỏi đang soạn (như thí sinh thấy, không có đáp án)",
            "description": "Vai trò: teacher, staff, admin. Nhận các trường của trang soạn.",
            "parameters": [_CSRF], "requestBody": form,
            "responses": {"200": _ok("Bản xem trước", _object({
                "ok": {"type": "boolean"}, "html": {"type": "string"},
                "problems": {"type": "array", "items": _object(
                    {"field": {"type": "string"}, "message": {"type": "string"}})}})),
                **_errors(400, 403)}}},
        "/ngan-hang/hinh-anh": {"post": {
            "summary": "Tải lên một hình ảnh cho câu hỏi",
            "description": "Vai trò: teacher, staff, admin.", "parameters": [_CSRF],
            "requestBody": image,
            "responses": {"200": _ok("Đã lưu", _object({"ok": {"const": True},
                                                        "url": {"type": "string"}})),
                          **_errors(400, 403, 413, 422)}}},
        "/ngan-hang/nhap/tien-do/{job_id}": {"get": {
            "summary": "Tiến độ của một việc nhập tệp",
            "description": "Vai trò: teacher, staff, admin.", "parameters": [job_id],
            "responses": {"200": _ok("Tiến độ", _object({
                "status": {"type": "string"}, "phase": {"type": "string"},
                "done": {"type": "integer"}, "total": {"type": ["integer", "null"]},
                "percent": {"type": ["number", "null"]}})), **_errors(403, 404)}}},
        "/can-bo/chung-chi/{certificate_id}.json": {"get": {
            "summary": "Chứng chỉ dưới dạng dữ liệu có chữ ký (Ed25519)",
            "description": "Vai trò: staff, admin.", "parameters": [certificate_id],
            "responses": {"200": _ok("Bản ghi đã ký", _object({
                "payload": {"type": "object"}, "signature": {"type": "string"},
                "algorithm": {"type": "string"}, "key_id": {"type": "string"},
                "status": {"type": "string"}, "public_key_url": {"type": "string"}})),
                **_errors(403, 404)}}},
    }
