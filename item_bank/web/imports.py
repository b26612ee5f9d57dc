"""Teachers import a file into the bank: upload, preview, confirm — each long step a job.

The preview and the import itself run as jobs (``exam_engine.kernel.jobs`` over
``item_bank.import_jobs``; in a worker process when Redis is configured): the upload and the
confirm each start one and go to its page, which shows its progress while it runs
(job-progress.js polls ``import_progress``; without JS the page refreshes itself), then the
preview, every error of a refused file, or the bank list.

The upload (up to ``MAX_UPLOAD_MB``; every other request is small) is streamed to the spool
directory on disk (``exam_engine.kernel.uploads``), never kept in the cache or in memory, and
waits there between preview and confirm for an hour under a random token held in the user's
session: the teacher confirms without uploading again. With it waits the filing the teacher
chose for records that do not say where they belong (Aiken has no place for it), so the import
files them exactly as the preview showed. The confirm claims the file (one click of two wins);
the import job removes it when it ends, a new upload removes the one it replaces, and files
left behind are swept when they expire.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.i18n import gettext, localized
from exam_engine.kernel.jobs import JobView, QueueUnavailable, job_status, start_app_job
from exam_engine.kernel.uploads import body_limit, claim, discard, spool, spool_dir, sweep_expired
from exam_engine.kernel.web_context import cache, db, roles_required
from item_bank.models import RequirementCode
from item_bank.taxonomy import IC3_DOMAINS, SUBJECTS
from item_bank.web.pages import BANK_ROLES, MODULES, _user, teacher_bp

IMPORT_ROLES = (Role.TEACHER, Role.STAFF)  # = permissions.AUTHOR_ROLES: reviewers never import
IMPORT_TTL_SECONDS = 3600
DEFAULT_FIELDS = ("module", "code", "subject", "ic3_domain")


@teacher_bp.get("/mau-excel.xlsx")
@roles_required(*BANK_ROLES)
def excel_template():
    from item_bank.formats.excel_template import build_template
    return Response(build_template(), headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": 'attachment; filename="mau-nhap-cau-hoi.xlsx"'})


def _defaults_from_form() -> dict[str, Any]:
    """The file-wide filing typed on the upload form (JSON-ready; empty fields left out)."""
    chosen: dict[str, Any] = {name: request.form.get(f"default_{name}", "").strip() or None
                              for name in DEFAULT_FIELDS}
    grade = request.form.get("default_grade", "").strip()
    chosen["grade"] = int(grade) if grade.isdigit() else None
    return {name: value for name, value in chosen.items() if value is not None}


def _upload_page(**context: Any) -> str:
    codes = db().scalars(select(RequirementCode.code).order_by(RequirementCode.code)).all()
    return render_template("bank/import.html", modules=MODULES, codes=codes, subjects=SUBJECTS,
                           ic3_domains=IC3_DOMAINS, **context)


def _queue_unavailable() -> tuple[str, int]:
    return _upload_page(preview=None, error=localized(QueueUnavailable.message_vi,
                                                      QueueUnavailable.message_en)), 503


@teacher_bp.route("/nhap", methods=["GET", "POST"])
@body_limit("MAX_UPLOAD_MB")
@roles_required(*IMPORT_ROLES)
def import_upload():
    """GET: the upload form. POST: spool the file for the confirm and start its preview."""
    if request.method == "GET":
        return _upload_page(preview=None)
    from item_bank.import_jobs import PREVIEW_KIND, PREVIEW_TARGET
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page(preview=None, error=localized(
            "Hãy chọn một tệp để nhập.", "Choose a file to import.")), 422
    user_id = _user().id
    # Nothing here writes: end the transaction every POST opens (on SQLite with the write lock)
    # before copying up to MAX_UPLOAD_MB to disk, so no candidate's save waits for the copy.
    db().rollback()
    directory = spool_dir(current_app)
    sweep_expired(directory, IMPORT_TTL_SECONDS)
    defaults = _defaults_from_form()
    spooled = spool(directory, upload.stream, {"filename": upload.filename,
                                               "user_id": user_id, "defaults": defaults})
    old = session.get("bank_import")
    if old:
        discard(directory, old)
    try:
        job_id = start_app_job(PREVIEW_TARGET, arguments={
            "path": str(spooled.path), "filename": upload.filename,
            "upload_token": spooled.token, "defaults": defaults},
            user_id=user_id, kind=PREVIEW_KIND, writes=False)
    except QueueUnavailable:
        discard(directory, spooled.token)
        return _queue_unavailable()
    session["bank_import"] = spooled.token
    return redirect(url_for("bank.import_job", job_id=job_id), 303)


def _import_job_or_404(job_id: str) -> JobView:
    job = job_status(cache(), job_id, _user().id)
    if job is None:  # unknown, expired, or another user's: the same answer for all three
        abort(404)
    return job


@teacher_bp.get("/nhap/viec/<job_id>")
@roles_required(*IMPORT_ROLES)
def import_job(job_id: str):
    """A preview or import job: its progress while it runs, then what came of it."""
    from item_bank.import_jobs import COMMIT_KIND
    job = _import_job_or_404(job_id)
    if job.status == "running":
        return render_template("bank/import.html", preview=None, job=job)
    if job.status == "failed":
        return _upload_page(preview=None, errors=job.errors,
                            error=localized(job.message_vi, job.message_en)), 422
    if job.kind == COMMIT_KIND:
        created = job.result["created"]
        flash(localized(f"Đã nhập {created} câu hỏi.", f"{created} items imported."))
        status = "in_review" if job.result["submitted"] else "draft"
        return redirect(url_for("bank.index", mine=1, status=status))
    preview = job.result
    # The upload form stays above the preview (to try another file): it needs its lists too.
    return _upload_page(preview=preview, token=preview["upload_token"]), (
        200 if preview["ok"] else 422)


@teacher_bp.get("/nhap/tien-do/<job_id>")
@roles_required(*IMPORT_ROLES)
def import_progress(job_id: str):
    """The job's progress as JSON, for job-progress.js."""
    job = _import_job_or_404(job_id)
    return {"status": job.status, "phase": gettext(job.phase), "done": job.done,
            "total": job.total, "percent": job.percent}


@teacher_bp.post("/nhap/xac-nhan")
@roles_required(*IMPORT_ROLES)
def import_confirm():
    from item_bank.import_jobs import COMMIT_KIND, COMMIT_TARGET
    token = session.get("bank_import")
    directory = spool_dir(current_app)
    # Claimed now, not when the job ends: of two clicks one wins, the other finds nothing.
    pending = (claim(directory, token, IMPORT_TTL_SECONDS)
               if token and request.form.get("token") == token else None)
    if pending is None or pending.meta.get("user_id") != _user().id:
        return _upload_page(preview=None, error=localized(
            "Tệp đã tải lên không còn (quá một giờ hoặc đã nhập): hãy tải lên lại.",
            "The uploaded file has expired or was already imported; upload it again.")), 422
    session.pop("bank_import", None)
    try:
        job_id = start_app_job(COMMIT_TARGET, arguments={
            "path": str(pending.path), "filename": pending.meta["filename"],
            "author_id": _user().id, "submit": bool(request.form.get("submit")),
            "defaults": pending.meta.get("defaults") or None},
            user_id=_user().id, kind=COMMIT_KIND, writes=False)  # it takes the lock to write
    except QueueUnavailable:
        discard(directory, pending.token)
        return _queue_unavailable()
    return redirect(url_for("bank.import_job", job_id=job_id), 303)
