"""Input refused at the edge, whatever the route: what no view may ever receive.

- no NUL character in the path, the query string, a form field or a JSON string (PostgreSQL text
  cannot hold one, so it used to end in a 500);
- every multipart part has a name, and a body that does not parse is a 400, not a crash;
- JSON: valid UTF-8, nested at most ``MAX_JSON_DEPTH`` deep (a deeply nested body used to
  exhaust the parser's recursion), no lone UTF-16 surrogate (``"\\ud800"`` decodes to a string
  that cannot be stored, and an answer holding one broke the candidate's paper for the rest of
  the exam), no NaN or infinite number;
- ``<int:…>`` in a URL matches only ids the database can hold, so a larger one is a 404.

Checks run when the body is first parsed (``GuardedRequest``), so a route's own size limit set
before it reads the body still applies, and a route that never reads its body pays nothing.
Typed fields (an integer in a form, a date) stay the view's to check: ``db_int`` helps there.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Flask, Request, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter

from exam_engine.kernel.i18n import localized

# Ids are INTEGER columns: 32 bits on PostgreSQL, the smaller of the two backends.
DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1
MAX_JSON_DEPTH = 32
_FORBIDDEN_CHARACTER = re.compile("[\x00\ud800-\udfff]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


class InputRefused(BadRequest):
    """A request refused before any view sees it; ``message`` names what and where.

    400 when the body is malformed (too deep, not UTF-8, a broken multipart); 422 when well
    formed JSON holds a value no field may take (NUL, a lone surrogate, NaN) — the exam page
    drops a save refused with 422 and says so, where it would retry a 400 for ever.
    """

    def __init__(self, vi: str, en: str, status: int = 400) -> None:
        self.message_vi, self.message_en = vi, en
        super().__init__(description=en)
        self.code = status

    @property
    def message(self) -> str:
        return localized(self.message_vi, self.message_en)


def db_int(value: str) -> int:
    """An integer the database can hold, for ``request.args.get(name, type=db_int)``: anything
    else raises ValueError, so the argument counts as absent (or the view says it is wrong)."""
    number = int(value)
    if not DB_INT_MIN <= number <= DB_INT_MAX:
        raise ValueError(f"{value!r} is outside the database's integer range")
    return number


class DatabaseIntConverter(IntegerConverter):
    """``<int:id>`` that matches only ids the database can hold (beyond that: 404, not 500)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = DB_INT_MAX, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _refuse_bad_character(text: str, vi_where: str, en_where: str, status: int = 400) -> None:
    found = _FORBIDDEN_CHARACTER.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        raise InputRefused(f"{vi_where} chứa ký tự NUL (\\0), không được phép.",
                           f"{en_where} contains a NUL character (\\0), which is not allowed.",
                           status)
    raise InputRefused(f"{vi_where} chứa ký tự UTF-16 lẻ (U+{ord(found.group()):04X}), "
                       "không phải văn bản hợp lệ.",
                       f"{en_where} contains a lone UTF-16 surrogate "
                       f"(U+{ord(found.group()):04X}), which is not valid text.", status)


def check_query(args: ImmutableMultiDict, path: str) -> None:
    _refuse_bad_character(path, "Đường dẫn", "The path")
    for key, value in args.items(multi=True):
        _refuse_bad_character(key + value, f"Tham số “{key}” của địa chỉ",
                              f"Query parameter “{key}”")


def check_form(form: ImmutableMultiDict, files: ImmutableMultiDict) -> None:
    for key in [*form.keys(), *files.keys()]:
        if not key:
            raise InputRefused("Dữ liệu gửi lên có một phần không có tên (name).",
                               "The form data has a part without a name.")
    for key, value in form.items(multi=True):
        _refuse_bad_character(key + value, f"Trường “{key}”", f"Field “{key}”")
    for key, upload in files.items(multi=True):
        _refuse_bad_character(key + (upload.filename or ""), f"Tên tệp của trường “{key}”",
                              f"The file name in field “{key}”")


def _json_depth(text: str) -> int:
    depth = deepest = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _refuse_constant(name: str) -> Any:
    raise InputRefused(f"JSON chứa giá trị {name}, không phải một số hợp lệ.",
                       f"The JSON holds {name}, which is not a valid number.", 422)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        _refuse_constant(text)
    return number


def _check_json_value(value: Any, pointer: str) -> None:
    where_vi, where_en = f"Giá trị JSON tại “{pointer or '/'}”", f"JSON value at “{pointer or '/'}”"
    if isinstance(value, str):
        _refuse_bad_character(value, where_vi, where_en, 422)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_bad_character(key, f"Khóa JSON trong “{pointer or '/'}”",
                                  f"A JSON key in “{pointer or '/'}”", 422)
            _check_json_value(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_value(item, f"{pointer}/{index}")


def check_json(body: bytes) -> None:
    """Refuse a JSON body no view should parse; a merely malformed one is left to Flask (400)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputRefused(f"Nội dung JSON không phải UTF-8 hợp lệ (byte {error.start}).",
                           f"The JSON body is not valid UTF-8 (byte {error.start}).") from None
    if _json_depth(text) > MAX_JSON_DEPTH:
        raise InputRefused(f"JSON lồng nhau quá {MAX_JSON_DEPTH} cấp.",
                           f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError:
        return
    _check_json_value(value, "")


class GuardedRequest(Request):
    """Flask's request, checking the body when it is first parsed (see the module's doc)."""

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except HTTPException:
            raise
        except ValueError:
            self._drop_form()
            raise InputRefused("Dữ liệu biểu mẫu (multipart) sai cấu trúc.",
                               "The form data (multipart) is malformed.") from None
        try:
            check_form(self.form, self.files)
        except InputRefused:
            self._drop_form()  # nothing later (an error page, a handler) reads what was refused
            raise

    def _drop_form(self) -> None:
        for upload in self.__dict__.get("files", ImmutableMultiDict()).values():
            upload.close()
        self.__dict__["form"] = ImmutableMultiDict()
        self.__dict__["files"] = ImmutableMultiDict()

    def get_json(self, force: bool = False, silent: bool = False,
                 cache: bool = True) -> Any | None:
        if (force or self.is_json) and not self.__dict__.get("_json_checked"):
            check_json(self.get_data(cache=True))
            self.__dict__["_json_checked"] = True
        return super().get_json(force=force, silent=silent, cache=cache)


def install_input_guard(app: Flask) -> None:
    """Call before the blueprints are registered (their ``<int:…>`` rules use the converter)."""
    app.request_class = GuardedRequest
    app.url_map.converters["int"] = DatabaseIntConverter

    def refuse_bad_query() -> None:
        check_query(request.args, request.path)

    # First of all before_request functions: nothing (the CSRF check either) reads it before.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_query)
