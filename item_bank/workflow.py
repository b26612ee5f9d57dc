"""An item's life: draft → in review → approved → retired, with versions and history.

An approved version is immutable: editing it makes a new draft version; approving that retires
the version it replaces, while exams, results and statistics keep pointing at the version they
used. Nobody approves a version he contributed to (:attr:`ItemVersion.contributor_ids`: its
author and everyone who edited it). Every step is an ``ItemEvent``.

Steps are safe under concurrency: a status change is a conditional UPDATE (``WHERE status =``
the status the caller saw), so of two reviewers approving the same version at once exactly one
moves it and records the event; the other gets a :class:`WorkflowError` (409). Two authors
creating items at once get distinct generated keys (:func:`create_item_with_new_key`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from exam_engine.kernel.db import utcnow
from item_bank.content import ItemContent, ItemRecord, Part, content_to_json
from item_bank.models import Item, ItemEvent, ItemStatus, ItemVersion, RequirementCode
from item_bank.sanitise import ImageResolver, sanitise_html
from item_bank.taxonomy import classification_problems, normalise_tags
from item_bank.text_normalise import nfc
from item_bank.types import Problem, item_type

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


def clean_content(content: ItemContent, resolve_image: ImageResolver | None = None
                  ) -> ItemContent:
    """Sanitised HTML in stem and parts, then the type's own checks (raises InvalidItem).

    ``resolve_image`` maps a file's own image references to stored media URLs (import)."""

    def clean(fragment: str) -> str:
        return sanitise_html(fragment, resolve_image=resolve_image)

    content = replace(
        content, stem=clean(content.stem),
        choices=tuple(Part(p.id, clean(p.text)) for p in content.choices),
        targets=tuple(Part(p.id, clean(p.text)) for p in content.targets),
        feedback=None if content.feedback is None else clean(content.feedback))
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
    db.flush()
    # Conditional on the status seen: a concurrent step on the same version (PostgreSQL waits
    # for its row lock, then finds the status changed) moves nothing here, so the step and its
    # event happen once. On SQLite writers are serialised and the check above sees the change.
    moved = db.execute(update(ItemVersion)
                       .where(ItemVersion.id == version.id, ItemVersion.status == version.status)
                       .values(status=target).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise WorkflowError(
            f"Câu hỏi {version.item.key}, phiên bản {version.version} vừa được người khác "
            "xử lý; hãy tải lại trang để xem trạng thái mới.",
            f"item {version.item.key} version {version.version} was just changed by someone "
            "else; reload to see its state")
    set_committed_value(version, "status", target)
    _record(db, version, action, actor_id, at, comment)


@dataclass(frozen=True)
class Classification:
    """Where an item is filed (see :mod:`item_bank.taxonomy`)."""

    module: str | None = None
    code: str | None = None
    subject: str | None = None
    grade: int | None = None
    ic3_domain: str | None = None
    difficulty: str | None = None
    title: str | None = None
    tags: tuple[str, ...] = ()

    @classmethod
    def of_record(cls, record: ItemRecord) -> Classification:
        return cls(record.module, record.code, record.subject, record.grade, record.ic3_domain,
                   record.difficulty, record.title, record.tags)

    @classmethod
    def of_item(cls, item: Item) -> Classification:
        return cls(item.module, item.code, item.subject, item.grade, item.ic3_domain,
                   item.difficulty, item.title, item.tags)

    def normalised(self) -> Classification:
        def text(value: str | None) -> str | None:
            value = " ".join(nfc(value).split()) if value else None
            return value or None
        return Classification(text(self.module), text(self.code), text(self.subject),
                              self.grade, text(self.ic3_domain), text(self.difficulty),
                              text(self.title), normalise_tags(self.tags))


def check_classification(db: Session, where: Classification) -> Classification:
    """The normalised classification, or :class:`InvalidItem` naming every problem."""
    where = where.normalised()
    codes = {row.code: row.module for row in db.scalars(select(RequirementCode).where(
        RequirementCode.code.in_([c for c in (where.module, where.code) if c])))}
    problems = classification_problems(
        module=where.module, code=where.code, subject=where.subject, grade=where.grade,
        ic3_domain=where.ic3_domain, tags=where.tags, difficulty=where.difficulty, codes=codes)
    if problems:
        raise InvalidItem([Problem(f, vi, en) for f, vi, en in problems])
    return where


def _file(item: Item, where: Classification) -> None:
    item.module, item.code, item.subject, item.grade = (where.module, where.code, where.subject,
                                                        where.grade)
    item.ic3_domain, item.difficulty, item.title = where.ic3_domain, where.difficulty, where.title
    item.set_tags(where.tags)


def create_item(db: Session, record: ItemRecord, *, key: str, author_id: int | None,
                at: datetime | None = None, resolve_image: ImageResolver | None = None,
                checked: bool = False) -> ItemVersion:
    """A new item with its first version, as a draft. ``checked``: the caller has already
    validated the classification against the TT03 tree (bulk import)."""
    where = Classification.of_record(record)
    where = where.normalised() if checked else check_classification(db, where)
    content = clean_content(record.content, resolve_image)
    item = Item(key=key, author_id=author_id)
    _file(item, where)
    db.add(item)
    db.flush()
    version = ItemVersion(item_id=item.id, version=1, kind=content.kind.value,
                          content=content_to_json(content), status=ItemStatus.DRAFT,
                          author_id=author_id)
    version.add_contributor(author_id)
    db.add(version)
    db.flush()
    _record(db, version, "created", author_id, at or utcnow())
    return version


KEY_ATTEMPTS = 20  # each retry loses only to an author who committed: n at once need n - 1


def create_item_with_new_key(db: Session, record: ItemRecord,
                             new_key: Callable[[Sequence[str]], str], *,
                             author_id: int | None) -> ItemVersion:
    """:func:`create_item` under a generated key, ``new_key(taken)`` (the next free key, none
    of ``taken``). Two authors creating items at once compute the same next key; the loser's
    insert hits the unique key, so it retries in a savepoint with the next one instead of
    failing the request."""
    taken: list[str] = []
    for _ in range(KEY_ATTEMPTS):
        key = new_key(taken)
        try:
            with db.begin_nested():
                return create_item(db, record, key=key, author_id=author_id)
        except IntegrityError:
            if db.scalar(select(Item.id).where(Item.key == key)) is None:
                raise  # another constraint failed, not the key
            taken.append(key)
    raise WorkflowError("Không cấp được mã câu hỏi mới vì nhiều người đang tạo câu hỏi cùng "
                        "lúc; hãy lưu lại.", "no free item key after several attempts; save "
                        "again")


def edit(db: Session, version: ItemVersion, content: ItemContent, *, actor_id: int | None,
         at: datetime | None = None) -> ItemVersion:
    """Change a draft in place; an approved or retired version gets a new draft version.

    Safe under concurrency: the item's row is locked first (PostgreSQL; SQLite serialises
    writers), so an edit never writes into a draft someone has just sent for review, and two
    new versions made at once get consecutive numbers instead of a unique-key error."""
    content = clean_content(content)
    at = at or utcnow()
    db.flush()
    db.execute(select(Item.id).where(Item.id == version.item_id).with_for_update())
    set_committed_value(version, "status", db.scalar(  # as committed, held until we commit
        select(ItemVersion.status).where(ItemVersion.id == version.id).with_for_update()))
    if version.status is ItemStatus.IN_REVIEW:
        raise WorkflowError("Câu hỏi đang được phản biện: chờ kết quả rồi mới sửa.",
                            "the item is in review")
    if version.status is ItemStatus.DRAFT:
        version.kind, version.content = content.kind.value, content_to_json(content)
        version.add_contributor(actor_id)
        _record(db, version, "edited", actor_id, at)
        db.flush()
        return version
    latest = db.scalar(select(func.max(ItemVersion.version))
                       .where(ItemVersion.item_id == version.item_id))
    draft = ItemVersion(item_id=version.item_id, version=latest + 1, kind=content.kind.value,
                        content=content_to_json(content), status=ItemStatus.DRAFT,
                        author_id=actor_id)
    draft.add_contributor(actor_id)
    db.add(draft)
    db.flush()
    _record(db, draft, "new_version", actor_id, at, f"từ phiên bản {version.version}")
    return draft


def reclassify(db: Session, item: Item, where: Classification, *, actor_id: int | None,
               at: datetime | None = None) -> None:
    """File an item elsewhere (module, code, subject, grade, IC3 domain, tags …). Its content
    is untouched, so an approved version stays approved; the change is in the history."""
    where = check_classification(db, where)
    before = Classification.of_item(item)
    if where == before:
        return
    changed = [name for name in where.__dataclass_fields__
               if getattr(where, name) != getattr(before, name)]
    _file(item, where)
    db.add(ItemEvent(item_id=item.id, version_id=item.versions[-1].id if item.versions else None,
                     action="reclassified", actor_id=actor_id, comment=", ".join(changed),
                     at=at or utcnow()))
    db.flush()


def submit_for_review(db: Session, version: ItemVersion, *, actor_id: int | None,
                      at: datetime | None = None) -> None:
    _move(db, version, ItemStatus.IN_REVIEW, "submitted", actor_id, at or utcnow())
    db.flush()


def approve(db: Session, version: ItemVersion, *, reviewer_id: int, at: datetime | None = None,
            comment: str | None = None) -> None:
    """Approve a version in review; the approved version it replaces is retired. Nobody who
    wrote or edited the version approves it (checked here too, for callers outside the web)."""
    if reviewer_id in version.contributor_ids:
        raise WorkflowError("Người phản biện không được duyệt câu hỏi do chính mình soạn "
                            "hoặc đã sửa.", "a reviewer cannot approve a version he wrote or "
                            "edited")
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
