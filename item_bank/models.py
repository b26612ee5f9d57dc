"""Items and their versions. An exam points at the exact version it used."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exam_engine.kernel.db import Base, UTCDateTime, utcnow, value_enum
from item_bank.content import ItemContent, ItemKind, content_from_json
from item_bank.sanitise import plain_text
from item_bank.text_normalise import search_key


class ItemStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    RETIRED = "retired"


class RequirementCode(Base):
    """A node of the TT03 requirement tree: module IU04 -> area IU04.5 -> IU04.5.1 -> ..."""

    __tablename__ = "requirement_codes"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("requirement_codes.code"))
    module: Mapped[str] = mapped_column(String(4), index=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    level: Mapped[str | None] = mapped_column(String(10))  # basic / advanced, on modules


class Item(Base):
    """An item and where it is filed (``item_bank.taxonomy``): a TT03 module and requirement
    code for IT skills, or a subject and grade, or both; an IC3 GS6 domain; free tags."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    module: Mapped[str | None] = mapped_column(String(4), index=True)
    code: Mapped[str | None] = mapped_column(ForeignKey("requirement_codes.code"))
    title: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(100), index=True)
    grade: Mapped[int | None] = mapped_column(Integer)
    ic3_domain: Mapped[str | None] = mapped_column(String(2))
    difficulty: Mapped[str | None] = mapped_column(String(10))  # the author's estimate
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[ItemVersion]] = relationship(
        back_populates="item", order_by="ItemVersion.version")
    tag_rows: Mapped[list[ItemTag]] = relationship(
        order_by="ItemTag.position", cascade="all, delete-orphan")

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(row.tag for row in self.tag_rows)

    def set_tags(self, tags: tuple[str, ...]) -> None:
        """Replace the tags (already normalised by ``taxonomy.normalise_tags``)."""
        self.tag_rows = [ItemTag(tag=tag, folded=tag.casefold(), position=i)
                         for i, tag in enumerate(tags)]


class ItemTag(Base):
    """A free tag of an item; ``folded`` (case-folded) is what filters match."""

    __tablename__ = "item_tags"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    folded: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)
    tag: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)


class MediaFile(Base):
    """An image used by items, stored once by the SHA-256 of its bytes and served at
    ``/media/<sha256>.<ext>`` (``item_bank.media``). Never changed: new bytes, new hash."""

    __tablename__ = "media_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    extension: Mapped[str] = mapped_column(String(5))
    mime_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    original_name: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ItemVersion(Base):
    """One version of an item. Its content (``item_bank.content``) is the single source of truth
    for stem, parts and key; an approved version is never edited — editing makes a new version.
    """

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(20))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Accent- and case-folded stem + parts (refresh_search_text), so that
    # "dinh dang" finds "định dạng" with a plain LIKE on every backend.
    search_text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ItemStatus] = mapped_column(value_enum(ItemStatus), default=ItemStatus.DRAFT)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    irt_a: Mapped[float | None] = mapped_column(Float)
    irt_b: Mapped[float | None] = mapped_column(Float)
    irt_c: Mapped[float | None] = mapped_column(Float)
    # True while the parameters are seeded guesses, not estimates from live data.
    irt_is_demo: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[Item] = relationship(back_populates="versions")
    contributor_rows: Mapped[list[ItemContributor]] = relationship(
        cascade="all, delete-orphan")

    @property
    def contributor_ids(self) -> frozenset[int]:
        """Everyone who wrote this version's content: its author and every editor since (rows
        written before contributors were recorded count their author through ``author_id``)."""
        return frozenset({row.user_id for row in self.contributor_rows}
                         | ({self.author_id} if self.author_id is not None else set()))

    def add_contributor(self, user_id: int | None) -> None:
        if user_id is not None and user_id not in {r.user_id for r in self.contributor_rows}:
            self.contributor_rows.append(ItemContributor(user_id=user_id))

    @property
    def content_model(self) -> ItemContent:
        return content_from_json(self.content)

    @property
    def stem(self) -> str:
        return self.content["stem"]

    @property
    def options(self) -> list[str]:
        return [part["text"] for part in self.content["choices"]]

    @property
    def correct(self) -> list[int]:
        """Right option indices of a single- or multiple-choice version."""
        right = self.content["key"]["correct"]
        right = [right] if isinstance(right, str) else list(right)
        return [i for i, part in enumerate(self.content["choices"]) if part["id"] in right]

    def candidate_view(self, option_order: list[int] | dict[str, Any]) -> dict[str, Any]:
        """What a candidate's browser may see, in his order, never the key nor the feedback.

        Single/multiple choice: ``{"type", "stem", "options"}``, options in ``option_order``
        (shown position -> original index). Other kinds: ``{"type", "stem", "view"}``, the
        type's view rebuilt from the stored display order (``ItemType.view_in_order``).

        Texts are sanitised HTML, sanitised again here (idempotent, microseconds) so that rows
        stored before every path sanitised — plain "A > B" or "GD&ĐT" — still reach the page
        as safe HTML that shows the same text."""
        from item_bank.preview import sanitised_content
        from item_bank.sanitise import sanitise_html
        from item_bank.types import item_type
        if self.kind in (ItemKind.SINGLE, ItemKind.MULTIPLE):
            options = self.options
            return {"type": self.kind, "stem": sanitise_html(self.stem),
                    "options": [sanitise_html(options[i]) for i in option_order]}
        content = sanitised_content(self.content_model)
        view = item_type(self.kind).view_in_order(content, dict(option_order))
        return {"type": self.kind, "stem": content.stem, "view": view}


class ItemContributor(Base):
    """Someone who wrote (created or edited) a version: none of them may approve it, whoever
    ``author_id`` names (an edit keeps the version's first author there)."""

    __tablename__ = "item_version_contributors"

    version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


def search_text_of(content: Mapping[str, Any] | str) -> str:
    """The folded text of a stored content document: stem, parts and targets, one line."""
    if isinstance(content, str):
        content = json.loads(content)
    parts = [content.get("stem") or ""]
    parts += [p.get("text") or "" for p in content.get("choices") or ()]
    parts += [p.get("text") or "" for p in content.get("targets") or ()]
    return search_key(" ".join(plain_text(part) for part in parts))


def refresh_search_text(version: ItemVersion) -> None:
    """Recompute ``version.search_text`` from its content. Setting ``content`` already does it
    (a listener in :mod:`item_bank.models`); this is for content changed in place."""
    version.search_text = search_text_of(version.content)


@event.listens_for(ItemVersion.content, "set")
def _fold_for_search(target: ItemVersion, value: Any, _old: Any, _initiator: Any) -> Any:
    # Every path that sets content (workflow, import, seeding, fixtures) keeps search_text in
    # step, so no caller can forget it. Content is replaced, never mutated in place.
    target.search_text = search_text_of(value) if value is not None else None
    return value


class ItemEvent(Base):
    """Who did what to an item, and when: the review history (append-only)."""

    __tablename__ = "item_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("item_versions.id"))
    action: Mapped[str] = mapped_column(String(20))  # created, edited, submitted, approved, …
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
