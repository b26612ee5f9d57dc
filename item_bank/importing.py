"""Importing a file of items into the bank: preview every problem first, then all or nothing.

:func:`preview_import` reads the file (:mod:`item_bank.formats`), checks each record as the
workflow would (its item type's rules, a known module and requirement code) and looks for
duplicates in the file and in the bank (:mod:`item_bank.duplicates`). It never writes.
:func:`commit_import` re-runs the preview and, only if it found no error, creates every item as
a draft (optionally submitted for review). Exact duplicates are errors; near duplicates are
warnings a teacher may accept.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from .content import ItemRecord
from .duplicates import find_duplicates
from .formats import FormatErrors, FormatIssue, detect, read
from .media import find_media, image_problems, image_resolver, referenced_images
from .models import Item, ItemStatus, ItemVersion, RequirementCode
from .queries import latest_versions, refresh_search_text
from .sanitise import is_media_url
from .taxonomy import classification_problems
from .types import item_type
from .workflow import Classification, create_item, submit_for_review

__all__ = ["ImportPreview", "ImportRefused", "ImportRow", "commit_import", "missing_images",
           "next_item_key", "preview_import", "record_problems"]

NEAR_THRESHOLD = 0.85
_KEY_MAX = 40  # Item.key length


@dataclass(frozen=True)
class ImportRow:
    index: int  # 0-based position in the file's records
    record: ItemRecord
    problems: list[str]  # Vietnamese, one per problem of this record
    exact_duplicate_of: list[str]  # bank item keys, or "dòng N" / "câu N" within the file
    near_duplicates: list[tuple[str, float]]  # same references, with the similarity
    location: str = ""  # where the record is in the file, as the errors name it


@dataclass(frozen=True)
class ImportPreview:
    filename: str
    format: str
    rows: list[ImportRow]
    warnings: list[FormatIssue] = field(default_factory=list)
    errors: list[FormatIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRefused(Exception):
    """The file cannot be imported; ``errors`` lists every reason, placed in the file."""

    def __init__(self, errors: list[FormatIssue]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(issue) for issue in self.errors))


def _locations(fmt: str, data: bytes, count: int) -> list[str]:
    """Where each record sits: the sheet row for Excel, else its position in the file."""
    if fmt == "excel":
        try:
            from openpyxl import load_workbook

            from .formats.excel import SHEET, _text
            from .text_normalise import nfc
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                workbook = load_workbook(io.BytesIO(data), read_only=True)
            try:
                name = next(n for n in workbook.sheetnames if nfc(n) == SHEET)
                rows = list(workbook[name].iter_rows(values_only=True))
            finally:
                workbook.close()
            numbers = [n for n, values in enumerate(rows[1:], start=2)
                       if any(_text(v) for v in values)]
            if len(numbers) == count:
                return [f"sheet {SHEET}, hàng {n}" for n in numbers]
        except Exception:  # noqa: BLE001 - the reader already accepted the file; fall back
            pass
    return [f"câu {i + 1}" for i in range(count)]


def record_problems(record: ItemRecord, codes: Mapping[str, RequirementCode]
                    ) -> list[tuple[str, str, str]]:
    """(field, Vietnamese, English) problems of one record: its item type's rules, where it is
    filed (``codes`` is the TT03 tree), and its images (each one named and an image we keep)."""
    problems = [(p.field, p.message_vi, p.message_en)
                for p in item_type(record.content.kind).validate(record.content)]
    where = Classification.of_record(record).normalised()
    problems += classification_problems(
        module=where.module, code=where.code, subject=where.subject, grade=where.grade,
        ic3_domain=where.ic3_domain, tags=where.tags, difficulty=where.difficulty,
        codes={code: row.module for code, row in codes.items()})
    for reference in referenced_images(record.content):
        data = None if is_media_url(reference) else find_media(record.media, reference)
        if data is not None and (reason := image_problems(data, reference[:80])) is not None:
            problems.append(("media", reason, f"The image “{reference[:80]}” is not usable."))
    return problems


def missing_images(record: ItemRecord) -> list[str]:
    """Image references of a record that its file does not hold. A warning, not an error: old
    banks often point at pictures long gone, and the teacher decides after the preview."""
    return [reference for reference in referenced_images(record.content)
            if not is_media_url(reference) and find_media(record.media, reference) is None]


def with_defaults(record: ItemRecord, defaults: Classification | None) -> ItemRecord:
    """A record filed where the teacher said for the whole file, unless it says itself.

    Formats such as Aiken carry no module, code or subject; a record that names its own TT03
    module (or code) keeps its filing; the subject and grade fill in separately."""
    if defaults is None:
        return record
    if not (record.module or record.code):
        record = replace(record, module=defaults.module, code=defaults.code)
    return replace(record, subject=record.subject or defaults.subject,
                   grade=record.grade if record.grade is not None else defaults.grade,
                   ic3_domain=record.ic3_domain or defaults.ic3_domain,
                   tags=record.tags + tuple(t for t in defaults.tags if t not in record.tags))


def preview_import(db: Session, data: bytes, filename: str, fmt: str | None = None, *,
                   defaults: Classification | None = None) -> ImportPreview:
    """Everything an import would do and everything wrong with it; writes nothing.

    ``defaults`` files the records that do not say where they belong (:func:`with_defaults`).
    """
    try:
        fmt = fmt or detect(data, filename)
        result = read(fmt, data, filename)
    except FormatErrors as error:
        return ImportPreview(filename, fmt or "", [], [], error.issues)
    records = [with_defaults(record, defaults) for record in result.records]
    warnings_ = list(result.warnings)
    errors: list[FormatIssue] = []
    locations = _locations(fmt, data, len(records))
    codes = {c.code: c for c in db.scalars(select(RequirementCode))}
    bank = latest_versions(db)
    bank = [v for v in bank if v.status is not ItemStatus.RETIRED]
    bank_keys = [v.item.key for v in bank]
    matches = find_duplicates([r.content for r in records], [v.content_model for v in bank],
                              threshold=NEAR_THRESHOLD)
    exact: dict[int, list[str]] = {}
    near: dict[int, list[tuple[str, float]]] = {}
    for match in matches:
        other = (bank_keys[match.other_index] if match.other == "existing"
                 else locations[match.other_index])
        if match.kind == "exact":
            exact.setdefault(match.new_index, []).append(other)
        else:
            near.setdefault(match.new_index, []).append((other, round(match.similarity, 3)))
    rows = []
    for index, (record, location) in enumerate(zip(records, locations, strict=True)):
        problems = record_problems(record, codes)
        for reference in missing_images(record):
            warnings_.append(FormatIssue(
                filename, location, "media",
                f"Không tìm thấy hình ảnh “{reference[:80]}” trong tệp: câu hỏi sẽ được nhập "
                "không có hình này.",
                f"The image “{reference[:80]}” is not in the file; the item is imported "
                "without it."))
        for field_, vi, en in problems:
            errors.append(FormatIssue(filename, location, field_, vi, en))
        for other in exact.get(index, []):
            where = "câu " + other + " trong ngân hàng" if other in bank_keys else other
            vi = f"Trùng hoàn toàn với {where}."
            problems.append(("duplicate", vi, f"Exact duplicate of {other}."))
            errors.append(FormatIssue(filename, location, "duplicate", vi,
                                      f"Exact duplicate of {other}."))
        for other, similarity in near.get(index, []):
            warnings_.append(FormatIssue(
                filename, location, "duplicate",
                f"Gần giống {other} (độ tương đồng {similarity:.0%}).",
                f"Near duplicate of {other} (similarity {similarity:.0%})."))
        rows.append(ImportRow(index, record, [f"{f}: {vi}" for f, vi, _ in problems],
                              exact.get(index, []), near.get(index, []), location))
    return ImportPreview(filename, fmt, rows, warnings_, errors)


def next_item_key(db: Session, record: ItemRecord, taken: set[str] | None = None) -> str:
    """The record's own id when free and short enough, else the next "IU04-I0001" key."""
    taken = taken or set()
    own = (record.external_id or "").strip()
    if own and len(own) <= _KEY_MAX and own not in taken and db.scalar(
            select(Item.id).where(Item.key == own)) is None:
        return own
    module = record.module or "ITEM"
    pattern = re.compile(rf"^{re.escape(module)}-I(\d+)$")
    used = [int(m.group(1)) for key in db.scalars(
        select(Item.key).where(Item.key.startswith(f"{module}-I", autoescape=True)))
        if (m := pattern.match(key))]
    used += [int(m.group(1)) for key in taken if (m := pattern.match(key))]
    number = max(used, default=0) + 1
    return f"{module}-I{number:04d}"


def commit_import(db: Session, data: bytes, filename: str, *, author_id: int | None,
                  fmt: str | None = None, submit: bool = False,
                  defaults: Classification | None = None) -> list[ItemVersion]:
    """Import every item of the file as a draft (submitted for review if ``submit``), or none.

    Raises :class:`ImportRefused` with every error when the preview is not clean. Flushes; the
    caller commits.
    """
    preview = preview_import(db, data, filename, fmt, defaults=defaults)
    if not preview.ok:
        raise ImportRefused(preview.errors)
    taken: set[str] = set()
    created = []
    for row in preview.rows:
        key = next_item_key(db, row.record, taken)
        taken.add(key)
        version = create_item(db, replace(row.record, external_id=key), key=key,
                              author_id=author_id, checked=True,
                              resolve_image=image_resolver(db, row.record.media,
                                                           created_by=author_id))
        refresh_search_text(version)
        if submit:
            submit_for_review(db, version, actor_id=author_id)
        created.append(version)
    db.flush()
    return created
