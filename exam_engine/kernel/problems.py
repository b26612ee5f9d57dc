"""The one JSON error shape of pages and API: problem details (RFC 9457).

Every JSON error answer is ``application/problem+json`` with the standard members ``type``,
``title``, ``status`` and ``detail``, plus the members the clients already read: ``ok``
(always false), ``error`` (the failure's name), ``message`` (the localised text shown to the
user, the same as ``detail``) and, where they apply, ``problems`` (per field) and ``errors``
(per file and line of an import).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from flask import Response

PROBLEM_MIMETYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:exam-engine:problem:"


def problem_body(status: int, error: str, message: str, **extra: Any) -> dict[str, Any]:
    """The problem-details object; ``extra`` adds members (``problems``, ``errors``…)."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = error
    return {"type": PROBLEM_TYPE_BASE + error, "title": title, "status": status,
            "detail": message, "ok": False, "error": error, "message": message, **extra}


def problem(status: int, error: str, message: str, **extra: Any) -> Response:
    """A problem-details response; Vietnamese stays readable (no \\u escapes)."""
    return Response(json.dumps(problem_body(status, error, message, **extra),
                               ensure_ascii=False, default=str),
                    status=status, mimetype=PROBLEM_MIMETYPE)
