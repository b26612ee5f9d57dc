"""The staff's forensics report of a session (issue 11): the newest finished run with its plots,
the run in progress (job-progress.js polls ``progress``), and the button that starts a run.

Staff and administrators only (``proctor.permissions.may_oversee``). Starting is a POST with a
one-time ``idempotency_key``; the session's row lock makes a second click, or a colleague's
while a run is computed, go to the same run (``proctor.forensics_job.request_run``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from markupsafe import Markup

from exam_engine.exams.errors import ExamError
from exam_engine.exams.models import ExamSession
from exam_engine.exams.sitting import lock_session
from exam_engine.exams.states import SessionStatus
from exam_engine.kernel.accounts import User
from exam_engine.kernel.db import utcnow
from exam_engine.kernel.i18n import current_locale, format_number, gettext, localized
from exam_engine.kernel.jobs import QueueUnavailable, start_app_job
from exam_engine.kernel.web_context import cache, current_user, db
from proctor.forensics_job import (
    FORENSICS_KIND,
    FORENSICS_TARGET,
    attach_job,
    job_of_run,
    latest_runs,
    p_value_text,
    request_run,
    still_sitting,
)
from proctor.forensics_plots import agreement_svg, distribution_svg, residuals_svg
from proctor.models import ForensicsRun
from proctor.web_common import overseers_only, session_or_404

forensics_bp = Blueprint("proctor_forensics", __name__, url_prefix="/giam-thi",
                         template_folder="templates")

KEY_MAX = 64  # proctor.audit's one-time keys are 32 characters; the column elsewhere is 64


class MissingActionKey(ExamError):
    http_status = 400


@forensics_bp.get("/ca-thi/<int:session_id>/phan-tich")
@overseers_only
def report(session_id: int):
    exam = session_or_404(session_id)
    return _page(exam)


def _page(exam: ExamSession, error: str | None = None) -> str:
    finished, pending, job = latest_runs(db(), cache(), exam.id)
    sitting = still_sitting(db(), exam.id)
    closed = exam.status in (SessionStatus.CLOSED, SessionStatus.APPROVED)
    data = finished.report if finished is not None else None
    requester = (db().get(User, finished.requested_by)
                 if finished is not None and finished.requested_by is not None else None)
    locale = current_locale()
    return render_template(
        "proctor/forensics.html", exam=exam, run=finished, report=data, pending=pending,
        job=job, ready=closed and not sitting, closed=closed, sitting=sitting, error=error,
        requester=requester, plots=_plots(data) if data else {},
        method_levels=_method_levels(data) if data else "",
        words=lambda text: text.get(locale, text["vi"]),
        p_text=lambda p: p_value_text(p, locale))


def _method_levels(report: dict[str, Any]) -> str:
    settings, locale = report["settings"], current_locale()
    alpha = format_number(100 * settings["alpha"], None, locale)
    weight = format_number(settings["neighbour_weight"], None, locale)
    return localized(
        f"Mỗi phòng thi giữ xác suất đánh dấu nhầm (dù chỉ một cặp, hay một thí sinh theo mỗi "
        f"chỉ số) không quá {alpha} %; cặp ngồi cạnh nhau được xét với ngưỡng rộng gấp "
        f"{weight} lần cặp ngồi xa.",
        f"Each room keeps the chance of any false flag (a single pair, or a single candidate "
        f"on each index) at {alpha} % or less; a neighbours' pair is judged at a threshold "
        f"{weight} times looser than a distant pair's.")


def _plots(report: dict[str, Any]) -> dict[str, Any]:
    """The report's SVG plots, labelled in the reader's language (escaped by the plot code)."""
    plots: dict[str, Any] = {"pairs": [], "candidates": []}
    histogram = report.get("lz_histogram")
    if histogram:
        plots["lz"] = Markup(distribution_svg(
            histogram["edges"], histogram["counts"], [tuple(m) for m in histogram["marks"]],
            label=gettext("Phân bố lz* của thí sinh trong ca thi"), x_label="lz*",
            y_label=gettext("Số thí sinh")))
    legend = {"R": gettext("Cùng đáp án đúng"), "W": gettext("Cùng một phương án sai"),
              "D": gettext("Khác đáp án")}
    for pair in report.get("pairs", []):
        plots["pairs"].append(Markup(agreement_svg(
            [tuple(cell) for cell in pair["agreement"]], legend=legend,
            label=gettext("Đáp án của hai thí sinh theo từng câu"))))
    for candidate in report.get("candidates", []):
        points = candidate.get("residuals")
        plots["candidates"].append(Markup(residuals_svg(
            [p[1] for p in points], [p[2] for p in points], [p[0] for p in points],
            z_fast=report["settings"]["z_fast"],
            label=gettext("Thời gian trả lời so với kỳ vọng, từng câu"),
            x_label=gettext("Câu hỏi"), y_label=gettext("Độ lệch thời gian (z)"),
            fast_label=gettext("Nhanh bất thường"))) if points else None)
    return plots


@forensics_bp.post("/ca-thi/<int:session_id>/phan-tich")
@overseers_only
def run(session_id: int):
    """Start a run (or go to the one this click or a running job already made)."""
    key = request.form.get("idempotency_key", "").strip()
    if not key or len(key) > KEY_MAX:
        raise MissingActionKey(
            "Biểu mẫu thiếu mã dùng một lần (idempotency_key): hãy tải lại trang rồi bấm lại.",
            "The form's one-time key (idempotency_key) is missing or too long; reload the "
            "page and press again.")
    exam = lock_session(db(), session_id)  # held to the commit: a second click waits here
    if exam is None:
        abort(404, localized(f"Không có ca thi số {session_id}.", f"no exam session {session_id}"))
    user = current_user()
    assert user is not None  # overseers_only
    forensics_run, new = request_run(db(), cache(), exam, user_id=user.id,
                                     idempotency_key=key, now=utcnow())
    if new:
        try:
            job_id = start_app_job(FORENSICS_TARGET, arguments={
                "session_id": exam.id, "run_id": forensics_run.id}, user_id=user.id,
                kind=FORENSICS_KIND, writes=False)  # reads long, writes once, briefly
        except QueueUnavailable:
            return _page(exam, localized(QueueUnavailable.message_vi,
                                         QueueUnavailable.message_en)), 503
        attach_job(db(), forensics_run, job_id)
    return redirect(url_for("proctor_forensics.report", session_id=exam.id), 303)


@forensics_bp.get("/ca-thi/<int:session_id>/phan-tich/tien-do/<int:run_id>")
@overseers_only
def progress(session_id: int, run_id: int):
    """A run's progress as JSON, for job-progress.js (any staff member may follow it)."""
    forensics_run = db().get(ForensicsRun, run_id)
    if forensics_run is None or forensics_run.exam_session_id != session_id:
        abort(404)
    if forensics_run.finished_at is not None:
        return {"status": "done", "phase": "", "done": 1, "total": 1, "percent": 100}
    job = job_of_run(cache(), forensics_run)
    if job is None:
        abort(404)
    return {"status": job.status, "phase": gettext(job.phase), "done": job.done,
            "total": job.total, "percent": job.percent}
