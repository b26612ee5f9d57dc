"""An item's life: draft → in review → approved → retired, with versions and history.

An approved version is immutable: editing it makes a new draft version; approving that retires
the version it replaces, while exams, results and statistics keep pointing at the version they
used. A reviewer never approves his own item. Every step is an ``ItemEvent``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exam_engine.db import utcnow

from .content import ItemContent, ItemRecord, Part, content_to_json
from .models import Item, ItemEvent, ItemStatus, ItemVersion
from .sanitise import sanitise_html
from .types import Problem, item_type

ALLOWED = frozenset({
    (ItemStatus.DRAFT, ItemStatus.IN_REVIEW),
    (ItemStatus.IN_REVIEW, ItemStatus.DRAFT),      # returned to the author with comments
    (ItemStatus.IN_REVIEW, ItemStatus.APPROVED),
    (ItemStatus.APPROVED, ItemStatus.RETIRED),
})


class WorkflowError(Exception):
    """A step the item's state or the actor's role does not allow; says why in Vietnamese."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_vi)
        self.message_vi, self.message_en = message_vi, message_en


class InvalidItem(WorkflowError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message_vi}" for p in problems),
                         "; ".join(f"{p.field}: {p.message_en}" for p in problems))
        self.problems = problems


def clean_content(content: ItemContent) -> ItemContent:
    """Sanitised HTML in stem and parts, then the type's own checks (raises InvalidItem)."""
    content = replace(
        content, stem=sanitise_html(content.stem),
        choices=tuple(Part(p.id, sanitise_html(p.text)) for p in content.choices),
        targets=tuple(Part(p.id, sanitise_html(p.text)) for p in content.targets))
    problems = item_type(content.kind).validate(content)
    if problems:
        raise InvalidItem(problems)
    return content


def _record(db: Session, version: ItemVersion, action: str, actor_id: int | None,
            at: datetime, comment: str | None = None) -> None:
    db.add(ItemEvent(item_id=version.item_id, version_id=version.id, action=action,
                     actor_id=actor_id, comment=comment, at=at))


def _move(db: Session, version: ItemVersion, target: ItemStatus, action: str,
          actor_id: int | None, at: datetime, comment: str | None = None) -> None:
    if (version.status, target) not in ALLOWED:
        raise WorkflowError(
            f"Không thể chuyển câu hỏi từ trạng thái '{version.status.value}' sang "
            f"'{target.value}'.", f"an item cannot go from {version.status.value} to "
            f"{target.value}")
    version.status = target
    _record(db, version, action, actor_id, at, comment)


def create_item(db: Session, record: ItemRecord, *, key: str, author_id: int | None,
                at: datetime | None = None) -> ItemVersion:
    """A new item with its first version, as a draft."""
    if record.module is None or record.code is None:
        raise WorkflowError("Câu hỏi cần mô-đun và mã yêu cầu.", "module and code are required")
    content = clean_content(record.content)
    item = Item(key=key, module=record.module, code=record.code, author_id=author_id)
    db.add(item)
    db.flush()
    version = ItemVersion(item_id=item.id, version=1, kind=content.kind.value,
                          content=content_to_json(content), status=ItemStatus.DRAFT,
                          author_id=author_id)
    db.add(version)
    db.flush()
    _record(db, version, "created", author_id, at or utcnow())
    return version


def edit(db: Session, version: ItemVersion, content: ItemContent, *, actor_id: int | None,
         at: datetime | None = None) -> ItemVersion:
    """Change a draft in place; an approved or retired version gets a new draft version."""
    content = clean_content(content)
    at = at or utcnow()
    if version.status is ItemStatus.IN_REVIEW:
        raise WorkflowError("Câu hỏi đang được phản biện: chờ kết quả rồi mới sửa.",
                            "the item is in review")
    if version.status is ItemStatus.DRAFT:
        version.kind, version.content = content.kind.value, content_to_json(content)
        _record(db, version, "edited", actor_id, at)
        db.flush()
        return version
    latest = db.scalar(select(func.max(ItemVersion.version))
                       .where(ItemVersion.item_id == version.item_id))
    draft = ItemVersion(item_id=version.item_id, version=latest + 1, kind=content.kind.value,
                        content=content_to_json(content), status=ItemStatus.DRAFT,
                        author_id=actor_id)
    db.add(draft)
    db.flush()
    _record(db, draft, "new_version", actor_id, at, f"từ phiên bản {version.version}")
    return draft


def submit_for_review(db: Session, version: ItemVersion, *, actor_id: int | None,
                      at: datetime | None = None) -> None:
    _move(db, version, ItemStatus.IN_REVIEW, "submitted", actor_id, at or utcnow())
    db.flush()


def approve(db: Session, version: ItemVersion, *, reviewer_id: int, at: datetime | None = None,
            comment: str | None = None) -> None:
    """Approve a version in review; the approved version it replaces is retired."""
    if version.author_id is not None and version.author_id == reviewer_id:
        raise WorkflowError("Người phản biện không được duyệt câu hỏi do chính mình soạn.",
                            "a reviewer cannot approve his own item")
    at = at or utcnow()
    _move(db, version, ItemStatus.APPROVED, "approved", reviewer_id, at, comment)
    for older in db.scalars(select(ItemVersion).where(
            ItemVersion.item_id == version.item_id, ItemVersion.id != version.id,
            ItemVersion.status == ItemStatus.APPROVED)):
        _move(db, older, ItemStatus.RETIRED, "retired", reviewer_id, at,
              f"thay bằng phiên bản {version.version}")
    db.flush()


def return_to_author(db: Session, version: ItemVersion, *, reviewer_id: int, comment: str,
                     at: datetime | None = None) -> None:
    if not comment.strip():
        raise WorkflowError("Trả lại câu hỏi cần nêu lý do.", "a comment is required")
    _move(db, version, ItemStatus.DRAFT, "returned", reviewer_id, at or utcnow(), comment.strip())
    db.flush()


def retire(db: Session, version: ItemVersion, *, actor_id: int | None, reason: str,
           at: datetime | None = None) -> None:
    _move(db, version, ItemStatus.RETIRED, "retired", actor_id, at or utcnow(), reason)
    db.flush()


def add_comment(db: Session, version: ItemVersion, *, actor_id: int | None, text: str,
                at: datetime | None = None) -> None:
    if not text.strip():
        raise WorkflowError("Nhận xét không được để trống.", "empty comment")
    _record(db, version, "commented", actor_id, at or utcnow(), text.strip())
    db.flush()


def history(db: Session, item_id: int) -> list[ItemEvent]:
    return list(db.scalars(select(ItemEvent).where(ItemEvent.item_id == item_id)
                           .order_by(ItemEvent.at, ItemEvent.id)))
