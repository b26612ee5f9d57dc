"""Finding items in the bank and counting what it covers: read-only queries for the authoring
pages and the item-bank API.

Search is accent- and case-insensitive ("dinh dang" finds "định dạng") over a folded copy of
stem and parts kept in ``ItemVersion.search_text`` (:func:`item_bank.models.refresh_search_text`), so one plain
``LIKE`` serves SQLite and PostgreSQL alike. Folding is for finding only, never for scoring
(see :mod:`item_bank.text_normalise`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from item_bank.duplicates import find_duplicates
from item_bank.models import Item, ItemStatus, ItemTag, ItemVersion, RequirementCode
from item_bank.taxonomy import IC3_DOMAINS
from item_bank.text_normalise import nfc, search_key

_EDGE_PUNCTUATION = re.compile(r"^[^\w+#%]+|[^\w+#%]+$")

__all__ = ["BankDuplicate", "CoverageRow", "bank_duplicates", "coverage", "coverage_by_ic3",
           "coverage_by_subject", "latest_versions", "search_items"]


def query_words(q: str | None) -> list[str]:
    """The folded words of a search box, trimmed of surrounding punctuation ("dạng," -> "dang")
    while keeping inner marks ("ctrl+c", "a1:a10")."""
    words = (_EDGE_PUNCTUATION.sub("", word) for word in search_key(q or "").split())
    return [word for word in words if word]


def _latest_ids():
    """Subquery: the id of the latest version of each item."""
    newest = (select(ItemVersion.item_id, func.max(ItemVersion.version).label("version"))
              .group_by(ItemVersion.item_id).subquery())
    return (select(ItemVersion.id)
            .join(newest, (ItemVersion.item_id == newest.c.item_id)
                  & (ItemVersion.version == newest.c.version)))


def search_items(db: Session, *, q: str | None = None, module: str | None = None,
                 code: str | None = None, status: ItemStatus | str | None = None,
                 kind: str | None = None, author_id: int | None = None,
                 subject: str | None = None, grade: int | None = None,
                 ic3_domain: str | None = None, tag: str | None = None, limit: int = 50,
                 offset: int = 0) -> tuple[list[ItemVersion], int]:
    """The latest version of each matching item, newest items first, and the total count.

    ``code`` matches the code and its sub-codes ("IU04.5" finds "IU04.5.2"); ``q`` matches
    every word, accent- and case-insensitively, in stem and parts; ``tag`` matches a whole tag,
    case-insensitively.
    """
    query = (select(ItemVersion).join(Item, Item.id == ItemVersion.item_id)
             .where(ItemVersion.id.in_(_latest_ids())))
    if module:
        query = query.where(Item.module == module)
    if code:
        query = query.where((Item.code == code) | Item.code.startswith(f"{code}.",
                                                                      autoescape=True))
    if status:
        query = query.where(ItemVersion.status == ItemStatus(status))
    if kind:
        query = query.where(ItemVersion.kind == kind)
    if author_id is not None:
        query = query.where(Item.author_id == author_id)
    if subject:
        query = query.where(Item.subject == nfc(subject.strip()))
    if grade is not None:
        query = query.where(Item.grade == grade)
    if ic3_domain:
        query = query.where(Item.ic3_domain == ic3_domain)
    if tag and (folded := " ".join(nfc(tag).split()).casefold()):
        query = query.where(Item.id.in_(select(ItemTag.item_id).where(ItemTag.folded == folded)))
    for word in query_words(q):
        query = query.where(ItemVersion.search_text.contains(word, autoescape=True))
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.options(joinedload(ItemVersion.item)).order_by(Item.id.desc()).limit(max(0, limit))
                      .offset(max(0, offset)))
    return list(rows), total


def latest_versions(db: Session, *, status: ItemStatus | str | None = None,
                    module: str | None = None) -> list[ItemVersion]:
    """Every item's latest version (optionally of one status / module), in item order."""
    query = (select(ItemVersion).join(Item, Item.id == ItemVersion.item_id)
             .where(ItemVersion.id.in_(_latest_ids())))
    if status:
        query = query.where(ItemVersion.status == ItemStatus(status))
    if module:
        query = query.where(Item.module == module)
    return list(db.scalars(query.options(joinedload(ItemVersion.item)).order_by(Item.id)))


@dataclass(frozen=True)
class CoverageRow:
    code: str
    name: str
    module: str
    approved: int  # items with an approved version at this code or below it
    needed: int | None  # how many the blueprint asks for, when it says


def coverage(db: Session, *, modules: Sequence[str] | None = None,
             needs: Mapping[str, int] | None = None) -> list[CoverageRow]:
    """Approved items per requirement code; a code counts its sub-codes' items too."""
    per_code = Counter(dict(db.execute(
        select(Item.code, func.count(func.distinct(Item.id)))
        .join(ItemVersion, ItemVersion.item_id == Item.id)
        .where(ItemVersion.status == ItemStatus.APPROVED, Item.code.is_not(None))
        .group_by(Item.code)).all()))
    query = select(RequirementCode).order_by(RequirementCode.code)
    if modules:
        query = query.where(RequirementCode.module.in_(list(modules)))
    needs = needs or {}
    rows = []
    for requirement in db.scalars(query):
        prefix = f"{requirement.code}."
        approved = sum(n for code, n in per_code.items()
                       if code == requirement.code or code.startswith(prefix))
        rows.append(CoverageRow(requirement.code, requirement.name, requirement.module, approved,
                                needs.get(requirement.code)))
    return rows


def _approved_items(db: Session, *columns: Any) -> list[Any]:
    """(columns…, number of items with an approved version), grouped by the columns."""
    return list(db.execute(
        select(*columns, func.count(func.distinct(Item.id)))
        .join(ItemVersion, ItemVersion.item_id == Item.id)
        .where(ItemVersion.status == ItemStatus.APPROVED).group_by(*columns)).all())


def coverage_by_ic3(db: Session) -> list[tuple[str, str, str, int]]:
    """(code, Vietnamese name, English name, approved items) for each IC3 GS6 domain."""
    counts = dict(_approved_items(db, Item.ic3_domain))
    return [(d.code, d.name_vi, d.name_en, counts.get(d.code, 0)) for d in IC3_DOMAINS]


def coverage_by_subject(db: Session) -> list[tuple[str, int | None, int]]:
    """(subject, grade, approved items) for every subject and grade that has items."""
    rows = _approved_items(db, Item.subject, Item.grade)
    return sorted(((s, g, n) for s, g, n in rows if s),
                  key=lambda row: (row[0], row[1] or 0))


@dataclass(frozen=True)
class BankDuplicate:
    """Two items of the bank whose latest versions are the same or nearly the same."""

    first: ItemVersion
    second: ItemVersion
    kind: str  # "exact" / "near"
    similarity: float


def bank_duplicates(db: Session, *, module: str | None = None, threshold: float = 0.85
                    ) -> list[BankDuplicate]:
    """Duplicates within the bank on demand (the importer checks new files the same way):
    every pair of non-retired latest versions that match, exact ones first."""
    versions = [v for v in latest_versions(db, module=module)
                if v.status is not ItemStatus.RETIRED]
    matches = find_duplicates([v.content_model for v in versions], threshold=threshold)
    pairs = [BankDuplicate(versions[m.other_index], versions[m.new_index], m.kind, m.similarity)
             for m in matches]
    return sorted(pairs, key=lambda p: (p.kind != "exact", -p.similarity, p.first.item_id))
