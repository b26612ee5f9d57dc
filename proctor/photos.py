"""Candidates' photos (ảnh 4×6, issue 11): for the exam card, the waiting list, the room view,
the room list and the certificate.

A photo is uploaded alone or in a ``.zip`` of photos named by số báo danh (``BN0001.jpg``,
case-blind). A zip is all or nothing: every file is checked first, every problem is named
(the file, and what is wrong: unknown số báo danh, not an image, too large, a second photo for
the same candidate, unreadable), and nothing is stored unless every file is good. Uploading
again replaces.

The bytes are never trusted: the type is read from them (JPEG or PNG magic, then Pillow opens
and decodes them), never from the name. What is stored is an image made here: turned upright
(EXIF), flattened to RGB, fitted into 480×640 px and saved as JPEG — the certificate wants
JPEG, a kept upload could carry anything else (metadata, a polyglot), and 40 KB a photo keeps
the database small. A zip is guarded against bombs: a cap on entries, on the sizes its headers
declare, on the bytes actually read from each member, and on the compression ratio.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.errors import ExamError, NotFound
from exam_engine.exams.models import Candidate
from exam_engine.exams.sitting import lock_session
from exam_engine.exams.states import SessionStatus
from exam_engine.kernel.text import identifier_key
from proctor.audit import record_action
from proctor.models import ActionKind, CandidatePhoto

MAX_PHOTO_BYTES = 2 * 1024 * 1024
MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000          # a larger roster uploads in several zips
MAX_ZIP_UNPACKED = 300 * 1024 * 1024
MAX_RATIO = 50                  # photos barely compress; a member far above this is a bomb
MAX_PIXELS = 40_000_000         # ~ a 40-megapixel camera; more is a decompression bomb
MIN_SIDE = 60
STORED_SIZE = (480, 640)        # 4×6 cm at ~300 dpi
JPEG_QUALITY = 85
_JUNK = ("__MACOSX/", ".", "Thumbs.db", "desktop.ini")  # what zipping on a Mac or Windows adds


@dataclass(frozen=True)
class PhotoProblem:
    """One file's problem; ``field`` and ``line`` are what the error handler lists."""

    file: str
    message_vi: str
    message_en: str
    line: int | None = None

    @property
    def field(self) -> str:
        return self.file

    def text_vi(self) -> str:
        return f"{self.file}: {self.message_vi}"

    def text_en(self) -> str:
        return f"{self.file}: {self.message_en}"


class PhotosRejected(ExamError):
    """Nothing was stored; ``problems`` names every bad file."""

    http_status = 422

    def __init__(self, problems: list[PhotoProblem]) -> None:
        super().__init__(
            f"Không ảnh nào được lưu: {len(problems)} lỗi. "
            + "; ".join(p.text_vi() for p in problems[:20]),
            f"No photo was stored: {len(problems)} problems. "
            + "; ".join(p.text_en() for p in problems[:20]))
        self.problems = problems


class PhotosFrozen(ExamError):
    http_status = 409


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo checked and re-made, ready to store for ``candidate_id``."""

    candidate_id: int
    file: str
    jpeg: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.jpeg).hexdigest()


def _problem(file: str, vi: str, en: str) -> PhotoProblem:
    return PhotoProblem(file, vi, en)


def _too_large(file: str) -> PhotoProblem:
    limit = MAX_PHOTO_BYTES // (1024 * 1024)
    return _problem(file, f"ảnh lớn hơn {limit} MB.", f"the photo is larger than {limit} MB")


def prepare_photo(data: bytes, file: str, candidate_id: int) -> PreparedPhoto | PhotoProblem:
    """The photo re-made as a stored JPEG, or the reason it cannot be one."""
    if len(data) > MAX_PHOTO_BYTES:
        return _too_large(file)
    if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
        return _problem(file, "không phải ảnh JPEG hay PNG.", "not a JPEG or PNG image")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 89 and 179 megapixels: refuse those like larger bombs
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
        with image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return _problem(file, f"ảnh quá nhiều điểm ảnh ({width}×{height}).",
                                f"the image has too many pixels ({width}×{height})")
            if min(width, height) < MIN_SIDE:
                return _problem(file, f"ảnh quá nhỏ ({width}×{height}); cần ít nhất "
                                f"{MIN_SIDE} điểm ảnh mỗi chiều.",
                                f"the image is too small ({width}×{height}); at least "
                                f"{MIN_SIDE} pixels each way")
            image.draft("RGB", STORED_SIZE)  # JPEG: decode at a reduced scale, much faster
            upright = ImageOps.exif_transpose(image)
            flat = _on_white(upright)
            flat.thumbnail(STORED_SIZE, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            flat.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _problem(file, "ảnh quá nhiều điểm ảnh.", "the image has too many pixels")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return _problem(file, "tệp ảnh bị hỏng hoặc không đọc được.",
                        "the image is damaged or cannot be read")
    return PreparedPhoto(candidate_id, file, out.getvalue(), flat.width, flat.height)


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


# ---- a zip of photos --------------------------------------------------------------------------

def roster_numbers(db: Session, session_id: int) -> dict[str, int]:
    """The session's số báo danh (as ``identifier_key``) → candidate id."""
    return {identifier_key(number): cid for cid, number in db.execute(
        select(Candidate.id, Candidate.candidate_number)
        .where(Candidate.exam_session_id == session_id))}


def read_photo_zip(stream: IO[bytes], numbers: Mapping[str, int]) -> list[PreparedPhoto]:
    """Every photo of the zip, checked and re-made; raises ``PhotosRejected`` naming every
    problem when any file is wrong. ``numbers`` is ``roster_numbers`` of the session. Reads no
    database, so the caller need not hold a transaction open meanwhile."""
    try:
        archive = zipfile.ZipFile(stream)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise PhotosRejected([_problem("(tệp zip)", "tệp không phải zip hoặc bị hỏng.",
                                       "the file is not a zip or is damaged")]) from None
    members = [i for i in infos if not i.is_dir() and not _is_junk(i.filename)]
    if not members:
        raise PhotosRejected([_problem("(tệp zip)", "tệp zip không có ảnh nào.",
                                       "the zip holds no photo")])
    if len(members) > MAX_ZIP_ENTRIES:
        raise PhotosRejected([_problem(
            "(tệp zip)", f"quá nhiều tệp ({len(members)}; tối đa {MAX_ZIP_ENTRIES}): hãy chia "
            "thành nhiều tệp zip.", f"too many files ({len(members)}; at most "
            f"{MAX_ZIP_ENTRIES}): split them into several zips")])
    declared = sum(i.file_size for i in members)
    if declared > MAX_ZIP_UNPACKED:
        raise PhotosRejected([_problem(
            "(tệp zip)", f"giải nén ra hơn {MAX_ZIP_UNPACKED // (1024 * 1024)} MB (nghi zip bomb).",
            f"it unpacks to more than {MAX_ZIP_UNPACKED // (1024 * 1024)} MB (suspected zip "
            "bomb)")])
    problems: list[PhotoProblem] = []
    photos: list[PreparedPhoto] = []
    first_file: dict[int, str] = {}
    for info in members:
        name = info.filename
        stem = posixpath.basename(name.replace("\\", "/")).rsplit(".", 1)[0]
        candidate_id = numbers.get(identifier_key(stem))
        if candidate_id is None:
            problems.append(_problem(name, f"không có thí sinh số báo danh «{stem}» trong ca thi.",
                                     f"no candidate numbered {stem!r} in this session"))
            continue
        if candidate_id in first_file:
            problems.append(_problem(name, f"trùng số báo danh với tệp {first_file[candidate_id]}.",
                                     f"the same candidate as {first_file[candidate_id]}"))
            continue
        first_file[candidate_id] = name
        data = _read_member(archive, info, problems)
        if data is None:
            continue
        prepared = prepare_photo(data, name, candidate_id)
        if isinstance(prepared, PhotoProblem):
            problems.append(prepared)
        else:
            photos.append(prepared)
    if problems:
        raise PhotosRejected(problems)
    return photos


def _is_junk(name: str) -> bool:
    base = posixpath.basename(name.replace("\\", "/"))
    return name.startswith(_JUNK[0]) or base.startswith(".") or base in _JUNK[2:]


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                 problems: list[PhotoProblem]) -> bytes | None:
    """The member's bytes, reading no more than a photo may hold whatever its header says."""
    name = info.filename
    if info.file_size > MAX_PHOTO_BYTES:
        problems.append(_too_large(name))
        return None
    if info.file_size > 64 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        problems.append(_problem(name, f"tỷ lệ nén vượt quá {MAX_RATIO}:1 (nghi zip bomb).",
                                 f"the compression ratio exceeds {MAX_RATIO}:1 (suspected zip "
                                 "bomb)"))
        return None
    try:
        with archive.open(info) as member:
            data = member.read(MAX_PHOTO_BYTES + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError,
            zlib.error):
        problems.append(_problem(name, "không đọc được tệp trong zip (hỏng hoặc có mật khẩu).",
                                 "the file cannot be read from the zip (damaged or encrypted)"))
        return None
    if len(data) > MAX_PHOTO_BYTES:  # the header lied about the size
        problems.append(_too_large(name))
        return None
    return data


# ---- storing ----------------------------------------------------------------------------------

def store_photos(db: Session, session_id: int, photos: list[PreparedPhoto], *,
                 actor_id: int | None, now: datetime) -> int:
    """Store (or replace) prepared photos of the session's candidates, each a PHOTO action.
    Photos change until results are approved (certificates then carry them). Returns how many
    were stored. Concurrent uploads for one session queue on its row."""
    session = lock_session(db, session_id)
    if session is None:
        raise NotFound(f"Không có ca thi số {session_id}.", f"no exam session {session_id}")
    if session.status is SessionStatus.APPROVED:
        raise PhotosFrozen("Kết quả ca thi đã được duyệt: không thay ảnh thí sinh được nữa.",
                           "the session's results are approved: photos can no longer change")
    ids = [p.candidate_id for p in photos]
    own = set(db.scalars(select(Candidate.id).where(Candidate.id.in_(ids),
                                                    Candidate.exam_session_id == session.id)))
    if own != set(ids):
        raise PhotosRejected([_problem(p.file, "thí sinh không thuộc ca thi này.",
                                       "the candidate is not in this session")
                              for p in photos if p.candidate_id not in own])
    existing = {row.candidate_id: row for row in db.scalars(
        select(CandidatePhoto).where(CandidatePhoto.candidate_id.in_(ids))
        .execution_options(populate_existing=True))}
    for photo in photos:
        row = existing.get(photo.candidate_id)
        record_action(db, session_id=session.id, kind=ActionKind.PHOTO, actor_id=actor_id,
                      at=now, candidate_id=photo.candidate_id,
                      detail={"file": photo.file[:200], "sha256": photo.sha256,
                              "replaced": row is not None})
        if row is None:
            row = CandidatePhoto(candidate_id=photo.candidate_id)
            db.add(row)
        row.content_type, row.data, row.sha256 = "image/jpeg", photo.jpeg, photo.sha256
        row.width, row.height = photo.width, photo.height
        row.uploaded_by, row.uploaded_at = actor_id, now
    db.flush()
    return len(photos)


def set_photo(db: Session, candidate_id: int, data: bytes, *, file: str, actor_id: int | None,
              now: datetime) -> CandidatePhoto:
    """One candidate's photo, uploaded alone (replaces any earlier one)."""
    candidate = db.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound(f"Không có thí sinh số {candidate_id}.", f"no candidate {candidate_id}")
    prepared = prepare_photo(data, file or "(ảnh)", candidate.id)
    if isinstance(prepared, PhotoProblem):
        raise PhotosRejected([prepared])
    store_photos(db, candidate.exam_session_id, [prepared], actor_id=actor_id, now=now)
    photo = db.get(CandidatePhoto, candidate.id)
    assert photo is not None
    return photo


def import_photo_zip(db: Session, session_id: int, stream: IO[bytes], *,
                     actor_id: int | None, now: datetime) -> int:
    """A zip of photos in one call (the CLI, tests); the web view splits it to release the
    database between reading the roster and storing (see ``rooms_web.upload_photos``)."""
    return store_photos(db, session_id, read_photo_zip(stream, roster_numbers(db, session_id)),
                        actor_id=actor_id, now=now)


def photo_of(db: Session, candidate_id: int) -> CandidatePhoto | None:
    return db.get(CandidatePhoto, candidate_id)


def photos_of(db: Session, candidate_ids: list[int]) -> dict[int, CandidatePhoto]:
    """Photos of many candidates in one query (room lists, exam cards)."""
    if not candidate_ids:
        return {}
    return {p.candidate_id: p for p in db.scalars(
        select(CandidatePhoto).where(CandidatePhoto.candidate_id.in_(candidate_ids)))}
