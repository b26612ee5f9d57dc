"""Exporting items from the bank to a file: each item's latest content, where it is filed,
and its images, written by one of :mod:`item_bank.formats` (which reports what it cannot carry).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from item_bank.content import ItemRecord
from item_bank.formats import ExportResult, write
from item_bank.media import with_embedded_media
from item_bank.models import Item, ItemStatus, ItemVersion
from item_bank.queries import latest_versions

__all__ = ["export_versions", "record_of", "versions_to_export"]


def versions_to_export(db: Session, status: str, module: str | None = None
                       ) -> list[ItemVersion]:
    """``all``: every item's latest version; a status (``approved`` …): every version in it."""
    if status == "all":
        return latest_versions(db, module=module)
    query = (select(ItemVersion).join(Item, Item.id == ItemVersion.item_id)
             .where(ItemVersion.status == ItemStatus(status)).order_by(Item.id))
    if module:
        query = query.where(Item.module == module)
    return list(db.scalars(query))


def record_of(version: ItemVersion) -> ItemRecord:
    """A version as it travels in files: content, our key as the id, the item's filing."""
    item = version.item
    return ItemRecord(content=version.content_model, external_id=item.key, title=item.title,
                      module=item.module, code=item.code, subject=item.subject,
                      grade=item.grade, tags=item.tags, ic3_domain=item.ic3_domain,
                      difficulty=item.difficulty)


def export_versions(db: Session, fmt: str, versions: Iterable[ItemVersion]) -> ExportResult:
    return write(fmt, with_embedded_media(db, (record_of(v) for v in versions)))
