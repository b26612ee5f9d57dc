"""Teachers import a file into the bank: upload, preview, confirm — each long step a job.

The preview and the import itself run as jobs (``exam_engine.kernel.jobs`` over
``item_bank.import_jobs``): the upload and the confirm each start one and go to its page, which
shows its progress while it runs (bank-import.js polls ``import_progress``; without JS the page
refreshes itself), then the preview, every error of a refused file, or the bank list.

The uploaded bytes wait between preview and confirm in the app cache (Redis when configured,
else in-process), under a random token held in the user's session, for an hour: the teacher
confirms without uploading again, and any host behind the load balancer can commit the import
(with the in-process twin, one process serves — see ``exam-engine demo``). With them waits the
filing the teacher chose for records that do not say where they belong (Aiken has no place for
it), so the import files them exactly as the preview showed.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select

from exam_engine.kernel.accounts import Role
from exam_engine.kernel.i18n import gettext, localized
from exam_engine.kernel.jobs import JobView, job_status, start_app_job
from exam_engine.kernel.web_context import cache, db, roles_required
from item_bank.models import RequirementCode
from item_bank.taxonomy import IC3_DOMAINS, SUBJECTS
from item_bank.web.pages import BANK_ROLES, MODULES, _user, teacher_bp
from item_bank.workflow import Classification

IMPORT_ROLES = (Role.TEACHER, Role.REVIEWER, Role.STAFF)
IMPORT_TTL_SECONDS = 3600
DEFAULT_FIELDS = ("module", "code", "subject", "ic3_domain")


@teacher_bp.get("/mau-excel.xlsx")
@roles_required(*BANK_ROLES)
def excel_template():
    from item_bank.formats.excel_template import build_template
    return Response(build_template(), headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": 'attachment; filename="mau-nhap-cau-hoi.xlsx"'})


def _cache_key(token: str) -> str:
    return f"bank-import:{token}"


def _defaults_from_form() -> dict[str, Any]:
    """The file-wide filing typed on the upload form (JSON-ready; empty fields left out)."""
    chosen: dict[str, Any] = {name: request.form.get(f"default_{name}", "").strip() or None
                              for name in DEFAULT_FIELDS}
    grade = request.form.get("default_grade", "").strip()
    chosen["grade"] = int(grade) if grade.isdigit() else None
    return {name: value for name, value in chosen.items() if value is not None}


def _classification(defaults: dict[str, Any]) -> Classification | None:
    return Classification(**defaults) if defaults else None


def _pending_upload() -> tuple[bytes, str, dict[str, Any]] | None:
    token = session.get("bank_import")
    if not token or request.form.get("token") != token:
        return None
    stored = cache().get_json(_cache_key(token))
    if not stored:
        return None
    return base64.b64decode(stored["data"]), stored["filename"], stored.get("defaults", {})


def _upload_page(**context: Any) -> str:
    codes = db().scalars(select(RequirementCode.code).order_by(RequirementCode.code)).all()
    return render_template("bank/import.html", modules=MODULES, codes=codes, subjects=SUBJECTS,
                           ic3_domains=IC3_DOMAINS, **context)


@teacher_bp.route("/nhap", methods=["GET", "POST"])
@roles_required(*IMPORT_ROLES)
def import_upload():
    """GET: the upload form. POST: keep the file for the confirm and start its preview."""
    if request.method == "GET":
        return _upload_page(preview=None)
    from item_bank.import_jobs import PREVIEW_KIND, preview_work
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page(preview=None, error=localized(
            "Hãy chọn một tệp để nhập.", "Choose a file to import.")), 422
    data = upload.read()
    defaults = _defaults_from_form()
    token = secrets.token_urlsafe(16)
    old = session.get("bank_import")
    if old:
        cache().delete(_cache_key(old))
    cache().set_json(_cache_key(token), {"data": base64.b64encode(data).decode("ascii"),
                                         "filename": upload.filename, "defaults": defaults},
                     IMPORT_TTL_SECONDS)
    session["bank_import"] = token
    job_id = start_app_job(preview_work(data, upload.filename, upload_token=token,
                                        defaults=_classification(defaults)),
                           user_id=_user().id, kind=PREVIEW_KIND, writes=False)
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
    return render_template("bank/import.html", preview=preview,
                           token=preview["upload_token"]), (200 if preview["ok"] else 422)


@teacher_bp.get("/nhap/tien-do/<job_id>")
@roles_required(*IMPORT_ROLES)
def import_progress(job_id: str):
    """The job's progress as JSON, for bank-import.js."""
    job = _import_job_or_404(job_id)
    return {"status": job.status, "phase": gettext(job.phase), "done": job.done,
            "total": job.total, "percent": job.percent}


@teacher_bp.post("/nhap/xac-nhan")
@roles_required(*IMPORT_ROLES)
def import_confirm():
    from item_bank.import_jobs import COMMIT_KIND, commit_work
    pending = _pending_upload()
    if pending is None:
        return _upload_page(preview=None, error=localized(
            "Tệp đã tải lên không còn (quá một giờ hoặc đã nhập): hãy tải lên lại.",
            "The uploaded file has expired or was already imported; upload it again.")), 422
    data, filename, defaults = pending
    # Spent now, not when the job ends: a second click cannot import the file twice.
    cache().delete(_cache_key(session.pop("bank_import")))
    work = commit_work(data, filename, author_id=_user().id,
                       submit=bool(request.form.get("submit")),
                       defaults=_classification(defaults))
    job_id = start_app_job(work, user_id=_user().id, kind=COMMIT_KIND)
    return redirect(url_for("bank.import_job", job_id=job_id), 303)
