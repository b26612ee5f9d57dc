"""What every format shares: Unicode and HTML conventions, the structural check of what a reader
built, safe zip and XML input, and the helpers writers use to report what they cannot carry.

Conventions (documented once, used by every format):

* All text is NFC; NFD input (common from macOS and some Word exports) is normalised on read.
* A text "is HTML" when it contains a tag. Writers of HTML formats (Moodle XML, QTI) escape plain
  text and keep HTML as it is; readers of HTML formats unescape a text that holds no tag, so a
  plain-text stem such as ``a < b`` survives a round trip unchanged.
* Images: ``ItemRecord.media`` maps a bare file name to bytes and the stem refers to it as
  ``<img src="name.png">``; each format maps that to its own reference scheme.
* Part ids written by formats that have none (Excel, Aiken, GIFT) are "A", "B", … for choices and
  "1", "2", … for matching targets.
* A true/false item of the Ministry's kind (``true_false4``) is carried by formats without such a
  type as a matching item whose right-hand column is exactly {"Đúng", "Sai"}; readers turn such a
  matching item with four statements back into ``true_false4``.
"""

from __future__ import annotations

import html
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from xml.etree import ElementTree as ET

import defusedxml
import defusedxml.ElementTree as SafeET

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats.errors import FormatErrors, FormatIssue, IssueCollector

TRUE_LABEL = "Đúng"
FALSE_LABEL = "Sai"
DIFFICULTIES = ("easy", "medium", "hard")

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
GAP = re.compile(r"\[\[([^\[\]]+)\]\]")


# --- text ------------------------------------------------------------------------------------

def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def is_html(text: str) -> bool:
    return bool(_TAG.search(text))


def to_html(text: str) -> str:
    """Text for an HTML format: HTML stays HTML, plain text is escaped."""
    return text if is_html(text) else html.escape(text, quote=False)


def from_html(text: str) -> str:
    """Text read from an HTML format: HTML stays HTML, a text without tags is unescaped."""
    return text if is_html(text) else html.unescape(text)


def letter_ids(count: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(count)]


def number_ids(count: int) -> list[str]:
    return [str(i + 1) for i in range(count)]


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float ("3.5", not "3.5000000001")."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def normalise_record(record: ItemRecord) -> ItemRecord:
    """The record with every string NFC (stem, parts, keys, metadata)."""
    content = record.content

    def norm(value: Any) -> Any:
        if isinstance(value, str):
            return nfc(value)
        if isinstance(value, list | tuple):
            return type(value)(norm(v) for v in value)
        if isinstance(value, Mapping):
            return {norm(k): norm(v) for k, v in value.items()}
        return value

    content = replace(
        content,
        stem=nfc(content.stem),
        choices=tuple(Part(nfc(p.id), nfc(p.text)) for p in content.choices),
        targets=tuple(Part(nfc(p.id), nfc(p.text)) for p in content.targets),
        key=norm(dict(content.key)),
        feedback=None if content.feedback is None else nfc(content.feedback),
    )
    return replace(
        record,
        content=content,
        external_id=norm(record.external_id),
        title=norm(record.title),
        module=norm(record.module),
        code=norm(record.code),
        subject=norm(record.subject),
        tags=tuple(nfc(t) for t in record.tags),
        difficulty=norm(record.difficulty),
        media={nfc(k): v for k, v in record.media.items()},
    )


# --- the structural check of what a reader built ----------------------------------------------

Problem = tuple[str, str, str]  # field, message_vi, message_en


def check_content(content: ItemContent) -> list[Problem]:
    """Structural problems of an item: the key must fit the parts of its kind.

    Deliberately independent of ``item_bank.types`` (scoring, rendering): formats only need to
    know that what they read is whole.
    """
    problems: list[Problem] = []
    key = content.key
    ids = [p.id for p in content.choices]
    id_set = set(ids)
    kind = content.kind

    def bad(field: str, vi: str, en: str) -> None:
        problems.append((field, vi, en))

    if not content.stem.strip():
        bad("stem", "Thiếu nội dung câu hỏi.", "The question text is missing.")
    if len(id_set) != len(ids):
        bad("choices", "Có mã phương án bị trùng.", "Two options share the same id.")
    if any(not p.text.strip() for p in content.choices):
        bad("choices", "Có phương án để trống.", "An option is empty.")
    if kind in (ItemKind.SINGLE, ItemKind.MULTIPLE, ItemKind.ORDERING) and len(ids) < 2:
        bad("choices", "Cần ít nhất 2 phương án.", "At least 2 options are needed.")
    if kind is ItemKind.SINGLE:
        correct = key.get("correct")
        if not correct:
            bad("key", "Thiếu đáp án.", "The answer key is missing.")
        elif correct not in id_set:
            bad("key", f"Đáp án “{correct}” không phải một phương án đã cho.",
                f"Answer “{correct}” is not one of the options.")
    elif kind is ItemKind.MULTIPLE:
        correct = list(key.get("correct") or [])
        if not correct:
            bad("key", "Thiếu đáp án.", "The answer key is missing.")
        for c in correct:
            if c not in id_set:
                bad("key", f"Đáp án “{c}” không phải một phương án đã cho.",
                    f"Answer “{c}” is not one of the options.")
        if key.get("scoring") not in ("all_or_nothing", "partial"):
            bad("scoring", "Cách chấm điểm phải là “từng phần” hoặc “tất cả hoặc không”.",
                "Scoring must be “partial” or “all or nothing”.")
    elif kind is ItemKind.TRUE_FALSE4:
        truth = key.get("truth") or {}
        if len(ids) != 4:
            bad("choices", "Câu đúng/sai cần đúng 4 mệnh đề.",
                "A true/false item needs exactly 4 statements.")
        if set(truth) != id_set or not all(isinstance(v, bool) for v in truth.values()):
            bad("key", "Mỗi mệnh đề cần đúng một đáp án Đúng hoặc Sai.",
                "Every statement needs exactly one answer, true or false.")
    elif kind is ItemKind.MATCHING:
        pairs = key.get("pairs") or {}
        target_ids = {p.id for p in content.targets}
        if not pairs:
            bad("key", "Thiếu đáp án ghép đôi.", "The matching key is missing.")
        for left, right in pairs.items():
            if left not in id_set or right not in target_ids:
                bad("key", f"Cặp “{left}-{right}” không khớp với các vế đã cho.",
                    f"Pair “{left}-{right}” does not match the given columns.")
        if not content.targets:
            bad("targets", "Thiếu cột vế phải.", "The right-hand column is missing.")
    elif kind is ItemKind.ORDERING:
        order = list(key.get("order") or [])
        if sorted(order) != sorted(ids):
            bad("key", "Thứ tự đúng phải dùng mỗi phương án đúng một lần.",
                "The correct order must use every option exactly once.")
    elif kind is ItemKind.SHORT_ANSWER:
        accepted = [a for a in key.get("accepted") or [] if str(a).strip()]
        if not accepted:
            bad("key", "Thiếu đáp án được chấp nhận.", "No accepted answer is given.")
    elif kind is ItemKind.NUMERIC:
        value = key.get("value")
        tolerance = key.get("tolerance", 0)
        if not isinstance(value, int | float) or not math.isfinite(value):
            bad("key", "Đáp án số không hợp lệ.", "The numeric answer is not a number.")
        if not isinstance(tolerance, int | float) or tolerance < 0:
            bad("key", "Sai số cho phép phải là số không âm.",
                "The tolerance must be a non-negative number.")
        if key.get("tolerance_kind", "absolute") not in ("absolute", "relative"):
            bad("key", "Kiểu sai số phải là tuyệt đối hoặc tương đối.",
                "The tolerance kind must be absolute or relative.")
    elif kind is ItemKind.CLOZE:
        gaps = list(key.get("gaps") or [])
        marked = GAP.findall(content.stem)
        gap_ids = [str(g.get("id")) for g in gaps]
        if not gaps:
            bad("key", "Câu điền khuyết chưa có ô trống nào.", "The cloze item has no gaps.")
        if sorted(marked) != sorted(gap_ids):
            bad("stem", "Các ô [[n]] trong nội dung không khớp với đáp án.",
                "The [[n]] gaps in the text do not match the key.")
        for gap in gaps:
            if "choices" in gap:
                if gap.get("correct") not in list(gap["choices"]):
                    bad("key", f"Ô trống {gap.get('id')}: đáp án không nằm trong các lựa chọn.",
                        f"Gap {gap.get('id')}: the answer is not one of its choices.")
            elif not [a for a in gap.get("accepted") or [] if str(a).strip()]:
                bad("key", f"Ô trống {gap.get('id')}: thiếu đáp án.",
                    f"Gap {gap.get('id')}: no accepted answer.")
    return problems


def finish(collector: IssueCollector, built: Iterable[tuple[str, ItemRecord]]) -> list[ItemRecord]:
    """Check every built record, report all problems together, or return the records (NFC)."""
    records = []
    for location, record in built:
        record = normalise_record(record)
        for field, vi, en in check_content(record.content):
            collector.error(location, field, vi, en)
        records.append(record)
    collector.raise_if_errors()
    return records


# --- true_false4 carried as matching -----------------------------------------------------------

def tf4_as_matching(content: ItemContent) -> tuple[tuple[Part, ...], dict[str, str]]:
    """The two targets (Đúng, Sai) and pairs that carry a true_false4 item as matching."""
    targets = (Part("1", TRUE_LABEL), Part("2", FALSE_LABEL))
    truth = content.key.get("truth", {})
    return targets, {cid: "1" if truth.get(cid) else "2" for cid in truth}


def matching_or_tf4(content: ItemContent) -> ItemContent:
    """A matching item of four statements against exactly {Đúng, Sai} is a true_false4 item."""
    texts = {p.id: p.text.strip() for p in content.targets}
    pairs = content.key.get("pairs", {})
    if (len(content.choices) == 4 and sorted(texts.values()) == sorted([TRUE_LABEL, FALSE_LABEL])
            and set(pairs) == {p.id for p in content.choices}):
        truth = {cid: texts.get(tid) == TRUE_LABEL for cid, tid in pairs.items()}
        return replace(content, kind=ItemKind.TRUE_FALSE4, targets=(), key={"truth": truth})
    return content


# --- categories (GIFT, Moodle XML) ------------------------------------------------------------

_MODULE = re.compile(r"^IU\d{2}$")


def category_path(record: ItemRecord) -> str | None:
    parts = [p for p in (record.subject, record.module) if p]
    return "/".join(parts) or None


def apply_category(record: ItemRecord, category: str | None) -> ItemRecord:
    """"Tin học/IU04" → subject "Tin học", module "IU04" (Moodle's $course$ prefix ignored)."""
    if not category:
        return record
    segments = [s.strip() for s in category.split("/") if s.strip()]
    segments = [s for s in segments if s not in ("$course$", "$system$", "$module$", "top")]
    module = next((s for s in segments if _MODULE.match(s)), None)
    others = [s for s in segments if s != module]
    return replace(record, module=module, subject=others[0] if others else None)


# --- reporting what a format cannot carry -----------------------------------------------------

def item_label(index: int, record: ItemRecord) -> str:
    label = f"câu {index + 1}"
    return f"{label} ({record.external_id})" if record.external_id else label


_FIELD_NAMES = {
    "external_id": ("mã câu", "item id"),
    "title": ("tiêu đề", "title"),
    "module": ("mô-đun", "module"),
    "code": ("mã yêu cầu", "requirement code"),
    "subject": ("môn học", "subject"),
    "grade": ("lớp", "grade"),
    "tags": ("thẻ", "tags"),
    "difficulty": ("độ khó", "difficulty"),
    "media": ("hình ảnh/tệp đính kèm", "images/attachments"),
    "feedback": ("giải thích", "feedback"),
    "points": ("điểm", "points"),
    "shuffle": ("không đảo phương án", "no-shuffle setting"),
}


def report_fields(issues: list[FormatIssue], filename: str, fmt_name: str, index: int,
                  record: ItemRecord, fields: Iterable[str]) -> None:
    """Report each listed metadata field the record actually uses as not carried."""
    for name in fields:
        if name == "points":
            used = record.content.points != 1.0
        elif name == "shuffle":
            used = not record.content.shuffle
        elif name == "feedback":
            used = bool(record.content.feedback)
        else:
            used = bool(getattr(record, name))
        if used:
            vi, en = _FIELD_NAMES[name]
            issues.append(FormatIssue(
                filename, item_label(index, record), name,
                f"Định dạng {fmt_name} không có chỗ cho {vi}; thông tin này không được ghi.",
                f"The {fmt_name} format has no place for the {en}; it was not written."))


def not_carried(issues: list[FormatIssue], filename: str, index: int, record: ItemRecord,
                field: str, vi: str, en: str) -> None:
    issues.append(FormatIssue(filename, item_label(index, record), field, vi, en))


def kind_not_carried(issues: list[FormatIssue], filename: str, fmt_name: str, index: int,
                     record: ItemRecord) -> None:
    not_carried(issues, filename, index, record, "kind",
                f"Định dạng {fmt_name} không mang được loại câu “{record.content.kind}”; "
                "câu này không được xuất.",
                f"The {fmt_name} format cannot carry “{record.content.kind}” items; "
                "this item was not exported.")


# --- safe input: XML and zip -----------------------------------------------------------------

def parse_xml(data: bytes, collector: IssueCollector, prefix: str = "") -> ET.Element:
    """Parse untrusted XML: no DTD, no entities, no external references (defusedxml).

    ``prefix`` places the file inside a package ("tệp items/q1.xml: ").
    """
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise collector.fatal(
            prefix + "/", "xml",
            "Tệp XML có khai báo DOCTYPE/thực thể (entity) — bị từ chối vì lý do an toàn.",
            f"The XML declares a DOCTYPE or entities, refused for safety ({type(exc).__name__}).",
        ) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise collector.fatal(
            f"{prefix}dòng {line}, cột {column + 1}", "xml",
            f"Tệp không phải XML hợp lệ: {exc}.", f"The file is not well-formed XML: {exc}.",
        ) from None


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_ENTRIES = 20_000


def read_zip(data: bytes, collector: IssueCollector, *,
             max_total: int = MAX_TOTAL_UNCOMPRESSED, max_ratio: int = MAX_RATIO
             ) -> dict[str, bytes]:
    """The members of an untrusted zip, refusing path traversal and zip bombs.

    Sizes are checked while reading, not taken from the headers, which an attacker writes.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise collector.fatal("tệp zip", "zip", f"Tệp nén zip bị hỏng hoặc không phải zip ({exc}).",
                              f"The zip archive is broken or not a zip ({exc}).") from None
    if len(infos) > MAX_ENTRIES:
        raise collector.fatal("tệp zip", "zip", f"Gói có quá nhiều tệp ({len(infos)}).",
                              f"The package holds too many files ({len(infos)}).")
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
            collector.error(f"tệp {name}", "path",
                            "Đường dẫn trong gói trỏ ra ngoài thư mục gói (path traversal).",
                            "A path in the package points outside it (path traversal).")
    collector.raise_if_errors()
    members: dict[str, bytes] = {}
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        try:
            with archive.open(info) as stream:
                chunks = []
                size = 0
                while chunk := stream.read(1 << 16):
                    size += len(chunk)
                    total += len(chunk)
                    if total > max_total:
                        raise collector.fatal(
                            f"tệp {info.filename}", "zip",
                            f"Gói giải nén vượt quá {max_total // (1024 * 1024)} MB (nghi zip bomb).",
                            f"The package unpacks to more than {max_total // (1024 * 1024)} MB "
                            "(suspected zip bomb).")
                    if size > 1024 * 1024 and size > max_ratio * max(info.compress_size, 1):
                        raise collector.fatal(
                            f"tệp {info.filename}", "zip",
                            f"Tỷ lệ nén vượt quá {max_ratio}:1 (nghi zip bomb).",
                            f"The compression ratio exceeds {max_ratio}:1 (suspected zip bomb).")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
            collector.error(f"tệp {info.filename}", "zip", f"Không đọc được tệp trong gói ({exc}).",
                            f"A file in the package cannot be read ({exc}).")
            continue
        members[info.filename] = b"".join(chunks)
    collector.raise_if_errors()
    return members


def decode_text(data: bytes, collector: IssueCollector) -> str:
    """UTF-8 text (with or without BOM), NFC; each line that is not UTF-8 is an error."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        for number, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                collector.error(
                    f"dòng {number}", "encoding",
                    f"Dòng này không phải mã UTF-8 (byte 0x{line[exc.start]:02x} ở cột "
                    f"{exc.start + 1}); hãy lưu tệp với bảng mã UTF-8 (có thể tệp đang ở "
                    "TCVN3/VNI/Windows-1258).",
                    f"This line is not UTF-8 (byte 0x{line[exc.start]:02x} at column "
                    f"{exc.start + 1}); save the file as UTF-8 (it may be in a legacy "
                    "Vietnamese encoding such as Windows-1258).")
        raise FormatErrors(collector.errors) from None
    return nfc(text.replace("\r\n", "\n").replace("\r", "\n"))


def records_problem(collector: IssueCollector, records: list[ItemRecord]) -> None:
    if not records:
        collector.error("/", "items", "Tệp không có câu hỏi nào.", "The file holds no items.")


def canonical_ids(content: ItemContent) -> tuple[ItemContent, bool]:
    """The content with choices renamed "A", "B", … and targets "1", "2", …, key remapped.

    Returns whether anything was renamed, so a writer can report it.
    """
    cmap = dict(zip([p.id for p in content.choices], letter_ids(len(content.choices)),
                    strict=True))
    tmap = dict(zip([p.id for p in content.targets], number_ids(len(content.targets)),
                    strict=True))
    changed = any(k != v for k, v in cmap.items()) or any(k != v for k, v in tmap.items())
    if not changed:
        return content, False
    key = dict(content.key)
    kind = content.kind
    if kind is ItemKind.SINGLE:
        key["correct"] = cmap.get(key.get("correct"), key.get("correct"))
    elif kind is ItemKind.MULTIPLE:
        key["correct"] = [cmap.get(c, c) for c in key.get("correct", [])]
    elif kind is ItemKind.TRUE_FALSE4:
        key["truth"] = {cmap.get(c, c): v for c, v in key.get("truth", {}).items()}
    elif kind is ItemKind.MATCHING:
        key["pairs"] = {cmap.get(c, c): tmap.get(t, t) for c, t in key.get("pairs", {}).items()}
    elif kind is ItemKind.ORDERING:
        key["order"] = [cmap.get(c, c) for c in key.get("order", [])]
    return replace(
        content,
        choices=tuple(Part(cmap[p.id], p.text) for p in content.choices),
        targets=tuple(Part(tmap[p.id], p.text) for p in content.targets),
        key=key,
    ), True


def report_renamed(issues: list[FormatIssue], filename: str, fmt_name: str, index: int,
                   record: ItemRecord) -> None:
    not_carried(issues, filename, index, record, "choices",
                f"Định dạng {fmt_name} không giữ mã riêng của phương án; mã được đổi thành "
                "A, B, C… (và 1, 2, 3… cho vế phải).",
                f"The {fmt_name} format does not keep option ids; they were renamed A, B, C… "
                "(and 1, 2, 3… for the right-hand column).")
