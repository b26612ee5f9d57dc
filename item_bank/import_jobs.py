"""The teacher's import as two jobs (:mod:`exam_engine.kernel.jobs`): the preview, then the import.

Each is a work function ``(db, progress, **arguments)`` over :mod:`item_bank.importing`, named
to the queue by its dotted path (:data:`PREVIEW_TARGET`, :data:`COMMIT_TARGET`) with JSON
arguments: the path of the spooled upload (the web layer wrote it to disk; the bytes never pass
through the queue or the cache), its file name and the filing chosen for records that do not
say where they belong. Their results are JSON for the pages to render: the preview as rows of
what will be created, with every problem placed in the file; the import as the number created.
A file with errors fails the import job with every error, and nothing is written (the job rolls
back). The preview runs on a read-only session: on SQLite it never holds the write lock.

The import removes its spooled file when it ends, created or refused; an unexpected error
keeps it for the retry (the spool's sweep removes what is left when it expires).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.kernel.jobs import JobFailed, Progress, begin_writing
from exam_engine.kernel.uploads import discard_file
from item_bank.importing import ImportPreview, ImportRefused, create_previewed, preview_import
from item_bank.models import ItemStatus, ItemVersion, RequirementCode
from item_bank.sanitise import excerpt
from item_bank.workflow import Classification

__all__ = ["COMMIT_KIND", "COMMIT_TARGET", "PREVIEW_KIND", "PREVIEW_TARGET", "commit_upload",
           "preview_summary", "preview_upload"]

PREVIEW_KIND = "bank-import-preview"
COMMIT_KIND = "bank-import"
PREVIEW_TARGET = "item_bank.import_jobs:preview_upload"
COMMIT_TARGET = "item_bank.import_jobs:commit_upload"


def preview_summary(preview: ImportPreview) -> dict[str, Any]:
    """What the preview page shows, as JSON: per row where it is, its key and filing, type,
    the start of its stem, its problems and duplicates; the file's errors and warnings."""
    return {"ok": preview.ok, "filename": preview.filename, "format": preview.format,
            "rows": [{"index": row.index, "location": row.location,
                      "key": row.record.external_id, "module": row.record.module,
                      "code": row.record.code, "subject": row.record.subject,
                      "grade": row.record.grade, "ic3_domain": row.record.ic3_domain,
                      "tags": list(row.record.tags), "kind": row.record.content.kind.value,
                      "stem": excerpt(row.record.content.stem), "problems": row.problems,
                      "exact_duplicate_of": row.exact_duplicate_of,
                      "near_duplicates": [list(pair) for pair in row.near_duplicates]}
                     for row in preview.rows],
            "warnings": [asdict(issue) for issue in preview.warnings],
            "errors": [asdict(issue) for issue in preview.errors]}


def _classification(defaults: dict[str, Any] | None) -> Classification | None:
    return Classification(**defaults) if defaults else None


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise JobFailed("Tệp đã tải lên không còn (quá hạn hoặc đã nhập): hãy tải lên lại.",
                        "The uploaded file has expired or was already imported; upload it "
                        "again.") from None


def preview_upload(db: Session, progress: Progress, *, path: str, filename: str,
                   upload_token: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """``upload_token`` names the spooled upload the preview's confirm button imports: the one
    previewed, never a file uploaded later in another tab."""
    preview = preview_import(db, _read(path), filename, defaults=_classification(defaults),
                             progress=progress)
    db.rollback()  # a preview never writes
    return {**preview_summary(preview), "upload_token": upload_token}


def _bank_state(db: Session) -> tuple[Any, ...]:
    """What a preview's verdict depends on, in a few numbers: versions added or retired,
    requirement codes added or removed."""
    versions = db.execute(select(
        func.count(ItemVersion.id), func.max(ItemVersion.id),
        func.count(ItemVersion.id).filter(ItemVersion.status == ItemStatus.RETIRED))).one()
    return (*versions, db.scalar(select(func.count(RequirementCode.code))))


def commit_upload(db: Session, progress: Progress, *, path: str, filename: str, author_id: int,
                  submit: bool, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """Reads and checks the whole file without the write lock (start it with ``writes=False``),
    then writes in a short transaction: the check is redone under the lock only if the bank
    changed meanwhile. On SQLite candidates' saves therefore never wait for a large import's
    parsing and duplicate search, only for its inserts."""
    data = _read(path)
    try:
        seen = _bank_state(db)  # before the preview reads: a change during it is seen below
        preview = preview_import(db, data, filename, defaults=_classification(defaults),
                                 progress=progress)
        if not preview.ok:
            raise ImportRefused(preview.errors)
        begin_writing(db)
        if _bank_state(db) != seen:  # the bank moved while we read: check again, locked
            preview = preview_import(db, data, filename, defaults=_classification(defaults),
                                     progress=progress)
        versions = create_previewed(db, preview, author_id=author_id, submit=submit,
                                    progress=progress)
    except ImportRefused as refused:
        discard_file(path)
        raise JobFailed("Không nhập câu nào: tệp còn lỗi.",
                        "Nothing imported: the file has errors.",
                        [asdict(issue) for issue in refused.errors]) from None
    db.flush()
    discard_file(path)  # the job commits next; a retry after a crash there finds no file: no twin
    return {"created": len(versions), "submitted": submit}
