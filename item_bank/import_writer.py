"""Writing a checked import in a few statements per thousand items instead of a few per item.

:func:`item_bank.workflow.create_item` stays the single-item path (the editor, the API): it
flushes twice and records an event per item, which for a 10,000-item file meant 30,000 flushes
and, with a key lookup per item that scanned the module's keys, 40-50 s. Here the same rows —
items with their filing, tags, first versions with their search text, "created" (and
"submitted") events — go in with executemany (SQLAlchemy's insertmanyvalues batches, on SQLite
and PostgreSQL alike), with ``RETURNING … sort_by_parameter_order`` where the next table needs
the new ids. ``tests/item_bank/test_import_bulk.py`` holds both paths to the same result.

Flush-only, like every service: the caller commits once, or rolls back and nothing is left.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from exam_engine.kernel.db import utcnow
from item_bank.content import ItemContent, ItemRecord, content_to_json
from item_bank.media import image_resolver
from item_bank.models import (
    Item,
    ItemContributor,
    ItemEvent,
    ItemStatus,
    ItemTag,
    ItemVersion,
    search_text_of,
)
from item_bank.types import Problem
from item_bank.workflow import Classification, InvalidItem, clean_content

__all__ = ["KEY_MAX", "PHASE_PREPARE", "PHASE_WRITE", "InvalidRecords", "ItemKeys", "Progress",
           "create_items", "highest_key_numbers"]

Progress = Callable[[str, int, int], None]  # (phase in Vietnamese, done, total)
PHASE_PREPARE = "Làm sạch nội dung và lưu hình ảnh"
PHASE_WRITE = "Ghi câu hỏi vào ngân hàng"
KEY_MAX = 40  # Item.key length
CHUNK = 1000  # items per round of statements: progress steps, bounded statement size
_NUMBERED_KEY = re.compile(r"^(.*)-I(\d+)$")  # "IU04-I0007" -> ("IU04", "0007")


def highest_key_numbers(keys: Iterable[str]) -> dict[str, int]:
    """For each prefix, the highest n among keys "<prefix>-I<n>" (the generated ones)."""
    highest: dict[str, int] = {}
    for key in keys:
        if (match := _NUMBERED_KEY.match(key)) is not None:
            prefix, number = match.group(1), int(match.group(2))
            highest[prefix] = max(highest.get(prefix, 0), number)
    return highest


class ItemKeys:
    """Keys for a batch of new items from one query of the bank's keys, then in memory.

    The rule: the record's own id when it is free and fits, else the module's next "IU04-I0001"
    after every key of that shape in the bank, in ``taken`` and in the batch so far.
    """

    def __init__(self, db: Session, taken: Iterable[str] = ()) -> None:
        self.used = set(db.scalars(select(Item.key))) | set(taken)
        self.highest = highest_key_numbers(self.used)

    def assign(self, record: ItemRecord) -> str:
        own = (record.external_id or "").strip()
        if own and len(own) <= KEY_MAX and own not in self.used:
            key = own
        else:
            module = record.module or "ITEM"
            key = f"{module}-I{self.highest.get(module, 0) + 1:04d}"
        self.used.add(key)
        self.highest.update({prefix: max(number, self.highest.get(prefix, 0))
                             for prefix, number in highest_key_numbers([key]).items()})
        return key


class InvalidRecords(Exception):
    """Records whose content the type's rules refuse once sanitised; by index in the batch."""

    def __init__(self, problems: dict[int, list[Problem]]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} records are invalid once sanitised")


@dataclass(frozen=True)
class _NewItem:
    key: str
    where: Classification
    content: ItemContent


def _prepare(db: Session, records: Sequence[ItemRecord], author_id: int | None,
             report: Callable[[str, int], None]) -> list[_NewItem]:
    """Sanitised content (images stored), normalised filing and a key for every record, or
    :class:`InvalidRecords` naming every record the sanitiser left invalid."""
    keys = ItemKeys(db)
    prepared, invalid = [], {}
    for index, record in enumerate(records):
        try:
            content = clean_content(record.content, image_resolver(db, record.media,
                                                                    created_by=author_id))
        except InvalidItem as refused:
            invalid[index] = refused.problems
            continue
        prepared.append(_NewItem(keys.assign(record),
                                 Classification.of_record(record).normalised(), content))
        if (index + 1) % CHUNK == 0:
            report(PHASE_PREPARE, index + 1)
    if invalid:
        raise InvalidRecords(invalid)
    return prepared


# Rows of one statement keep every column, NULLs included: the ORM's bulk insert otherwise groups
# rows by which values are None, and a file whose rows differ there goes in nearly row by row.
_ALL_COLUMNS = {"render_nulls": True}


def _write_chunk(db: Session, batch: Sequence[_NewItem], *, author_id: int | None,
                 submit: bool) -> list[ItemVersion]:
    """Items, tags, versions and events of ``batch``: four statements, ids by RETURNING.

    RETURNING rows are matched back by key (unique), not by position: keeping the parameters'
    order (``sort_by_parameter_order``) makes SQLite insert one row per statement."""
    now = utcnow()
    inserted = db.scalars(insert(Item).returning(Item), [
        {"key": new.key, "module": new.where.module, "code": new.where.code,
         "subject": new.where.subject, "grade": new.where.grade,
         "ic3_domain": new.where.ic3_domain, "difficulty": new.where.difficulty,
         "title": new.where.title, "author_id": author_id, "created_at": now}
        for new in batch], execution_options=_ALL_COLUMNS)
    by_key = {item.key: item for item in inserted}
    items = [by_key[new.key] for new in batch]
    tags = [{"item_id": item.id, "tag": tag, "folded": tag.casefold(), "position": position}
            for item, new in zip(items, batch, strict=True)
            for position, tag in enumerate(new.where.tags)]
    if tags:
        db.execute(insert(ItemTag), tags)
    status = ItemStatus.IN_REVIEW if submit else ItemStatus.DRAFT
    documents = [content_to_json(new.content) for new in batch]
    # search_text is set by a listener when the ORM sets content; a bulk insert bypasses it.
    inserted_versions = db.scalars(insert(ItemVersion).returning(ItemVersion), [
        {"item_id": item.id, "version": 1, "kind": document["kind"], "content": document,
         "search_text": search_text_of(document), "status": status,
         "author_id": author_id, "irt_is_demo": True, "created_at": now}
        for item, document in zip(items, documents, strict=True)],
        execution_options=_ALL_COLUMNS)
    by_item = {version.item_id: version for version in inserted_versions}
    versions = [by_item[item.id] for item in items]
    if author_id is not None:  # the importer wrote them (as create_item records)
        db.execute(insert(ItemContributor), [{"version_id": v.id, "user_id": author_id}
                                             for v in versions])
    # The per-item path records "created" then "submitted" item after item; same order here.
    actions = ("created", "submitted") if submit else ("created",)
    db.execute(insert(ItemEvent), [
        {"item_id": version.item_id, "version_id": version.id, "action": action,
         "actor_id": author_id, "comment": None, "at": now}
        for version in versions for action in actions], execution_options=_ALL_COLUMNS)
    return versions


def create_items(db: Session, records: Sequence[ItemRecord], *, author_id: int | None,
                 submit: bool = False, progress: Progress | None = None) -> list[ItemVersion]:
    """Create every record as a new item with its first version, a draft (in review if
    ``submit``), in the records' order; the records were checked (item type, filing) by the
    caller. Raises :class:`InvalidRecords` before writing any item (images stored by then go
    with the caller's rollback). Flushes; the caller commits.
    """
    total = len(records)

    def report(phase: str, done: int) -> None:
        if progress is not None:
            progress(phase, done, total)

    report(PHASE_PREPARE, 0)
    prepared = _prepare(db, records, author_id, report)
    db.flush()  # the images, before the items that point at them
    created: list[ItemVersion] = []
    for start in range(0, total, CHUNK):
        report(PHASE_WRITE, start)
        created += _write_chunk(db, prepared[start:start + CHUNK], author_id=author_id,
                                submit=submit)
    report(PHASE_WRITE, total)
    return created
