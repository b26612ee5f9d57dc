"""Item images, stored once by the SHA-256 of their bytes and referred to as
``/media/<sha256>.<ext>`` (the only image source :mod:`item_bank.sanitise` lets through).

Imported files carry their images as ``ItemRecord.media`` (bare file name -> bytes) with stems
saying ``<img src="name.png">``; :func:`image_resolver` stores them and maps each reference to
its URL. Export does the reverse (:func:`with_embedded_media`): the URLs become bare names and
the bytes travel with the record, so every format writes its own reference scheme.

The type is read from the bytes (magic numbers), never from a name or a client's claim.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from urllib.parse import unquote

from sqlalchemy import select
from sqlalchemy.orm import Session

from item_bank.content import ItemContent, ItemRecord, Part
from item_bank.models import MediaFile

__all__ = ["MAX_IMAGE_BYTES", "MediaRejected", "detect_image", "image_problems",
           "image_resolver", "media_url", "referenced_images", "store_media",
           "with_embedded_media"]

MAX_IMAGE_BYTES = 5 * 1024 * 1024
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
_MEDIA_URL = re.compile(r"/media/([0-9a-f]{64})\.(png|jpg|gif|webp|svg)")
_DATA_URI = re.compile(r"data:image/[a-z+.-]+;base64,(.*)", re.IGNORECASE | re.DOTALL)


class MediaRejected(ValueError):
    """Bytes that are not an image we serve, or too large; says why in both languages."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi, self.message_en = message_vi, message_en


def detect_image(data: bytes) -> tuple[str, str] | None:
    """(extension, MIME type) from the bytes themselves, or None when not a known image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg", "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif", "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "svg", "image/svg+xml"
    return None


def _checked(data: bytes, name: str | None) -> tuple[str, str]:
    label = f"“{name}”" if name else ""
    if len(data) > MAX_IMAGE_BYTES:
        raise MediaRejected(
            f"Hình ảnh {label} lớn hơn {MAX_IMAGE_BYTES // (1024 * 1024)} MB.",
            f"The image {label} is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")
    kind = detect_image(data)
    if kind is None:
        raise MediaRejected(
            f"Tệp {label} không phải hình ảnh PNG, JPEG, GIF, WebP hay SVG.",
            f"The file {label} is not a PNG, JPEG, GIF, WebP or SVG image.")
    return kind


def image_problems(data: bytes, name: str | None = None) -> str | None:
    """The Vietnamese reason ``data`` cannot be stored, or None."""
    try:
        _checked(data, name)
    except MediaRejected as rejected:
        return rejected.message_vi
    return None


def media_url(sha256: str, extension: str) -> str:
    return f"/media/{sha256}.{extension}"


def store_media(db: Session, data: bytes, *, name: str | None = None,
                created_by: int | None = None) -> str:
    """Store an image once (same bytes, same row) and return its URL. Flushes."""
    extension, mime_type = _checked(data, name)
    digest = hashlib.sha256(data).hexdigest()
    if db.get(MediaFile, digest) is None:
        db.add(MediaFile(sha256=digest, extension=extension, mime_type=mime_type,
                         size=len(data), data=data, original_name=(name or "")[:200] or None,
                         created_by=created_by))
        db.flush()
    return media_url(digest, extension)


def _lookup_names(reference: str) -> list[str]:
    """The names a file's image reference may stand for: as written, URL-decoded, bare."""
    decoded = unquote(reference.strip())
    names = [reference.strip(), decoded, posixpath.basename(decoded)]
    return list(dict.fromkeys(names))


def find_media(media: Mapping[str, bytes], reference: str) -> bytes | None:
    """The bytes a reference in a stem names among a record's media, or None."""
    for name in _lookup_names(reference):
        if name in media:
            return media[name]
    match = _DATA_URI.fullmatch(reference.strip())
    if match:
        try:
            return base64.b64decode(match.group(1), validate=False)
        except (binascii.Error, ValueError):
            return None
    return None


def referenced_images(content: ItemContent) -> list[str]:
    """Every ``<img src>`` of stem, parts, targets and feedback, in order, without repeats."""
    texts = [content.stem, content.feedback or ""]
    texts += [p.text for p in (*content.choices, *content.targets)]
    return list(dict.fromkeys(m.group(2) for text in texts for m in _IMG_SRC.finditer(text)))


def image_resolver(db: Session, media: Mapping[str, bytes], *, created_by: int | None = None
                   ) -> Callable[[str], str | None]:
    """A ``resolve_image`` for :func:`item_bank.sanitise.sanitise_html` that stores the named
    image (or the ``data:`` URI's bytes) and returns its URL; None for unknown references."""

    def resolve(reference: str) -> str | None:
        data = find_media(media, reference)
        if data is None:
            return None
        return store_media(db, data, name=posixpath.basename(unquote(reference))[:200]
                           if not reference.startswith("data:") else None,
                           created_by=created_by)

    return resolve


def _map_texts(content: ItemContent, change: Callable[[str], str]) -> ItemContent:
    return replace(
        content, stem=change(content.stem),
        choices=tuple(Part(p.id, change(p.text)) for p in content.choices),
        targets=tuple(Part(p.id, change(p.text)) for p in content.targets),
        feedback=None if content.feedback is None else change(content.feedback))


def with_embedded_media(db: Session, records: Iterable[ItemRecord]) -> list[ItemRecord]:
    """Records for export: each ``/media/<hash>.<ext>`` becomes a bare ``<hash16>.<ext>`` name
    whose bytes travel in ``record.media``. One query for all the images."""
    records = list(records)
    hashes = {m.group(1) for r in records for src in referenced_images(r.content)
              if (m := _MEDIA_URL.fullmatch(src))}
    stored = ({row.sha256: row for row in db.scalars(
        select(MediaFile).where(MediaFile.sha256.in_(hashes)))} if hashes else {})
    out = []
    for record in records:
        media = dict(record.media)

        def to_name(text: str, media: dict[str, bytes] = media) -> str:
            def swap(match: re.Match[str]) -> str:
                row = stored.get(match.group(1))
                if row is None:
                    return match.group(0)
                name = f"{row.sha256[:16]}.{row.extension}"
                media[name] = row.data
                return name
            return _MEDIA_URL.sub(swap, text)

        content = _map_texts(record.content, to_name)
        out.append(replace(record, content=content, media=media))
    return out
