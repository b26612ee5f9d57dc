"""The teacher's import as two jobs (:mod:`exam_engine.kernel.jobs`): the preview, then the import.

Each is a ``work(db, progress)`` over :mod:`item_bank.importing`. Their results are JSON kept in
the app cache for the pages to render: the preview as rows of what will be created, with every
problem placed in the file; the import as the number created. A file with errors fails the
import job with every error, and nothing is written (the job rolls back).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from exam_engine.kernel.jobs import JobFailed, Progress, Work
from item_bank.importing import ImportPreview, ImportRefused, commit_import, preview_import
from item_bank.sanitise import excerpt
from item_bank.workflow import Classification

__all__ = ["COMMIT_KIND", "PREVIEW_KIND", "commit_work", "preview_summary", "preview_work"]

PREVIEW_KIND = "bank-import-preview"
COMMIT_KIND = "bank-import"
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


def preview_work(data: bytes, filename: str, *, upload_token: str | None = None,
                 defaults: Classification | None = None) -> Work:
    """``upload_token`` names the kept upload the preview's confirm button imports: the one
    previewed, never a file uploaded later in another tab."""
    def work(db: Session, progress: Progress) -> dict[str, Any]:
        preview = preview_import(db, data, filename, defaults=defaults, progress=progress)
        db.rollback()  # a preview never writes
        return {**preview_summary(preview), "upload_token": upload_token}
    return work


def commit_work(data: bytes, filename: str, *, author_id: int, submit: bool,
                defaults: Classification | None = None) -> Work:
    def work(db: Session, progress: Progress) -> dict[str, Any]:
        try:
            versions = commit_import(db, data, filename, author_id=author_id, submit=submit,
                                     defaults=defaults, progress=progress)
        except ImportRefused as refused:
            raise JobFailed("Không nhập câu nào: tệp còn lỗi.",
                            "Nothing imported: the file has errors.",
                            [asdict(issue) for issue in refused.errors]) from None
        return {"created": len(versions), "submitted": submit}
    return work
