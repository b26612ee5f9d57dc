"""What every proctor page module shares: who oversees, and the session a URL names."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, redirect, request, url_for

from exam_engine.exams.models import ExamSession
from exam_engine.kernel.i18n import localized
from exam_engine.kernel.web_context import current_user, db
from proctor.permissions import may_oversee


def overseers_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Staff and administrators (``may_oversee``); anonymous browsers go to the login."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None or not user.active:
            return redirect(url_for("auth.login", next=request.path))
        if not may_oversee(user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def session_or_404(session_id: int) -> ExamSession:
    exam = db().get(ExamSession, session_id)
    if exam is None:
        abort(404, localized(f"Không có ca thi số {session_id}.", f"no exam session {session_id}"))
    return exam
