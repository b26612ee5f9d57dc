"""What every format shares: Unicode and HTML conventions, part ids, categories, and the helpers
writers use to report what they cannot carry. (The structural check of what readers build is in
``checks``; refusing hostile input in ``safe_input``.)

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
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats.errors import FormatIssue
from item_bank.text_normalise import nfc

KIND_LABELS = {
    ItemKind.SINGLE: "Một lựa chọn",
    ItemKind.MULTIPLE: "Nhiều lựa chọn",
    ItemKind.TRUE_FALSE4: "Đúng/Sai 4 ý",
    ItemKind.MATCHING: "Ghép đôi",
    ItemKind.ORDERING: "Sắp xếp",
    ItemKind.SHORT_ANSWER: "Trả lời ngắn",
    ItemKind.NUMERIC: "Điền số",
    ItemKind.CLOZE: "Điền khuyết",
}  # the Vietnamese names teachers see (Excel's "Loại câu" column, messages)
TRUE_LABEL = "Đúng"
FALSE_LABEL = "Sai"
DIFFICULTIES = ("easy", "medium", "hard")

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
GAP = re.compile(r"\[\[([^\[\]]+)\]\]")


# --- text ------------------------------------------------------------------------------------


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


# --- cloze gaps --------------------------------------------------------------------------------

def gap_options(gap: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(id, text) of a choice gap's options: a bare string is its own id, or {"id", "text"}."""
    options = []
    for option in gap.get("choices") or []:
        if isinstance(option, Mapping):
            options.append((str(option.get("id", "")), str(option.get("text", ""))))
        else:
            options.append((str(option), str(option)))
    return options


def gap_has_ids(gap: Mapping[str, Any]) -> bool:
    """Whether the options carry ids of their own (not just their text)."""
    return any(isinstance(option, Mapping) for option in gap.get("choices") or [])


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
_CODE = re.compile(r"^IU\d{2}(?:\.\d+)+$")
_GRADE = re.compile(r"^(?:Lớp|Lop|Grade)\s+(\d{1,2})$", re.IGNORECASE)


def category_path(record: ItemRecord) -> str | None:
    """Where a record goes in a category tree: "Tin học/Lớp 10/IU04/IU04.5.2"."""
    grade = f"Lớp {record.grade}" if record.grade is not None else None
    parts = [p for p in (record.subject, grade, record.module, record.code) if p]
    return "/".join(parts) or None


def apply_category(record: ItemRecord, category: str | None) -> ItemRecord:
    """"Tin học/Lớp 10/IU04/IU04.5.2" → subject "Tin học", grade 10, module "IU04", code
    "IU04.5.2"; any of them may be absent (Moodle's $course$ prefix ignored)."""
    if not category:
        return record
    segments = [s.strip() for s in category.split("/") if s.strip()]
    segments = [s for s in segments if s not in ("$course$", "$system$", "$module$", "top")]
    module = next((s for s in segments if _MODULE.match(s)), None)
    code = next((s for s in segments if _CODE.match(s)), None)
    grade_match = next((m for s in segments if (m := _GRADE.match(s))), None)
    others = [s for s in segments if s not in (module, code) and not _GRADE.match(s)]
    if module is None and code is not None:
        module = code[:4]
    return replace(record, module=module, code=code or record.code,
                   grade=int(grade_match.group(1)) if grade_match else record.grade,
                   subject=others[0] if others else None)


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
                f"Định dạng {fmt_name} không mang được loại câu "
                f"“{KIND_LABELS[record.content.kind]}”; "
                "câu này không được xuất.",
                f"The {fmt_name} format cannot carry “{record.content.kind}” items; "
                "this item was not exported.")


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
