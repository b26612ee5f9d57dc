"""Excel workbooks (.xlsx): the sheet "Câu hỏi", one item per row, as teachers keep them.

Columns are found by their header (order does not matter on import). The answer column
("Đáp án") is written per type: "B"; "A,C"; "Đ,S,Đ,S"; "A-2,B-1"; "C,A,B"; "Ctrl+Z | Ctrl Z";
"3,5 ± 0,01" or "3,5 ± 1%"; cloze one gap a line, "1: Hà Nội | Ha Noi" or "2: *Huế / Hà Nội".
Images go to the sheet "Tệp đính kèm" as base64, split over rows (a cell holds ≤ 32,767
characters), keyed by the item's row in "Câu hỏi".
"""

from __future__ import annotations

import base64
import io
import re
import warnings
from collections import defaultdict
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats.checks import finish, records_problem, writable
from item_bank.formats.common import (
    DIFFICULTIES,
    KIND_LABELS,
    canonical_ids,
    format_number,
    gap_has_ids,
    gap_options,
    letter_ids,
    nfc,
    not_carried,
    number_ids,
    report_renamed,
)
from item_bank.formats.errors import ExportResult, FormatIssue, ImportResult, IssueCollector
from item_bank.formats.safe_input import read_zip

SHEET = "Câu hỏi"
MEDIA_SHEET = "Tệp đính kèm"
MAX_PARTS = 6
CHOICE_COLUMNS = [f"Phương án {letter}" for letter in letter_ids(MAX_PARTS)]
TARGET_COLUMNS = [f"Vế phải {n}" for n in number_ids(MAX_PARTS)]
HEADERS = (["Mã câu", "Loại câu", "Mô-đun", "Mã yêu cầu", "Độ khó", "Nội dung câu hỏi"]
           + CHOICE_COLUMNS + TARGET_COLUMNS
           + ["Đáp án", "Chấm điểm", "Giải thích", "Thẻ", "Tiêu đề", "Môn học", "Lớp", "Điểm",
              "Đảo phương án"])
MEDIA_HEADERS = ["Hàng câu hỏi", "Tên tệp", "Dữ liệu (base64)"]
REQUIRED = ("Loại câu", "Nội dung câu hỏi", "Đáp án")

DIFFICULTY_LABELS = {"easy": "Dễ", "medium": "Trung bình", "hard": "Khó"}
SCORING_LABELS = {"partial": "Từng phần", "all_or_nothing": "Tất cả hoặc không"}
CASE_LABELS = {True: "Phân biệt hoa thường", False: "Không phân biệt hoa thường"}
TRUE_WORDS = {"đ", "đúng", "d", "dung", "t", "true", "1", "x"}
FALSE_WORDS = {"s", "sai", "f", "false", "0"}
YES_WORDS = {"có", "co", "yes", "y", "1", "true", "x"}
NO_WORDS = {"không", "khong", "no", "n", "0", "false"}
CELL_LIMIT = 30_000


def _fold(text: str) -> str:
    return " ".join(nfc(text).casefold().split())


_KIND_BY_WORD = {_fold(label): kind for kind, label in KIND_LABELS.items()}
_KIND_BY_WORD.update({kind.value: kind for kind in ItemKind})
_KIND_BY_WORD.update({"đúng/sai": ItemKind.TRUE_FALSE4, "số": ItemKind.NUMERIC})
_DIFFICULTY_BY_WORD = {_fold(v): k for k, v in DIFFICULTY_LABELS.items()}
_DIFFICULTY_BY_WORD.update({k: k for k in DIFFICULTIES})
_SCORING_BY_WORD = {_fold(v): k for k, v in SCORING_LABELS.items()}
_SCORING_BY_WORD.update({"partial": "partial", "all_or_nothing": "all_or_nothing"})


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(str(value)).strip()


def _number(text: str) -> float:
    return float(text.strip().replace(" ", "").replace(",", "."))


def _vn_number(value: float) -> str:
    return format_number(value).replace(".", ",")


def _split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,;\s]+", text) if p.strip()]


# --- reading ---------------------------------------------------------------------------------

class _Row:
    """One row of the sheet, with the location of each cell for messages."""

    def __init__(self, number: int, values: tuple[Any, ...], columns: dict[str, int],
                 collector: IssueCollector) -> None:
        self.number = number
        self.values = values
        self.columns = columns
        self.collector = collector

    def get(self, header: str) -> str:
        index = self.columns.get(header)
        if index is None or index >= len(self.values):
            return ""
        return _text(self.values[index])

    def raw(self, header: str) -> Any:
        index = self.columns.get(header)
        return None if index is None or index >= len(self.values) else self.values[index]

    def where(self, header: str) -> str:
        index = self.columns.get(header)
        if index is None:
            return f"sheet {SHEET}, hàng {self.number}"
        return f"sheet {SHEET}, hàng {self.number}, ô {get_column_letter(index + 1)}{self.number}"

    def error(self, header: str, field: str, vi: str, en: str) -> None:
        self.collector.error(self.where(header), field, vi, en)


def read(data: bytes, filename: str) -> ImportResult:
    collector = IssueCollector(filename)
    members = read_zip(data, collector)  # refuses zip bombs and traversal before openpyxl
    for name, blob in members.items():
        # openpyxl parses with defusedxml too; this names the part in the message
        if name.endswith((".xml", ".rels")) and re.search(rb"<!DOCTYPE|<!ENTITY", blob,
                                                          re.IGNORECASE):
            collector.error(f"tệp {name}", "xml",
                            "Phần XML trong sổ tính có khai báo DOCTYPE/thực thể (entity) — bị "
                            "từ chối vì lý do an toàn.",
                            "An XML part of the workbook declares a DOCTYPE or entities, "
                            "refused for safety.")
    collector.raise_if_errors()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise collector.fatal("tệp", "xlsx", f"Không mở được sổ tính Excel ({exc}).",
                              f"The Excel workbook cannot be opened ({exc}).") from None
    try:
        sheets = {nfc(name): name for name in workbook.sheetnames}
        if SHEET not in sheets:
            raise collector.fatal(
                f"sheet {SHEET}", "sheet",
                f"Không có sheet “{SHEET}” (có: {', '.join(sheets)}).",
                f"There is no sheet “{SHEET}” (found: {', '.join(sheets)}).")
        try:  # read-only mode parses lazily: a damaged sheet fails here, not at load
            rows = list(workbook[sheets[SHEET]].iter_rows(values_only=True))
            media_rows = (list(workbook[sheets[MEDIA_SHEET]].iter_rows(values_only=True))
                          if MEDIA_SHEET in sheets else [])
        except Exception as exc:  # openpyxl raises many types for damaged XML
            raise collector.fatal(f"sheet {SHEET}", "xlsx",
                                  f"Nội dung sổ tính bị hỏng, không đọc được ({exc}).",
                                  f"The workbook's content is damaged ({exc}).") from None
    finally:
        workbook.close()
    if not rows:
        raise collector.fatal(f"sheet {SHEET}", "sheet", "Sheet câu hỏi trống.",
                              "The question sheet is empty.")
    columns: dict[str, int] = {}
    for index, header in enumerate(rows[0]):
        name = _text(header)
        if not name:
            continue
        canonical = next((h for h in HEADERS if _fold(h) == _fold(name)), None)
        if canonical is None:
            collector.warn(f"sheet {SHEET}, hàng 1, ô {get_column_letter(index + 1)}1", "header",
                           f"Cột “{name}” không được nhận dạng nên bị bỏ qua.",
                           f"Column “{name}” is not recognised and is ignored.")
        else:
            columns[canonical] = index
    missing = [h for h in REQUIRED if h not in columns]
    if missing:
        raise collector.fatal(f"sheet {SHEET}, hàng 1", "header",
                              f"Thiếu cột: {', '.join(missing)}.",
                              f"Missing columns: {', '.join(missing)}.")
    media = _read_media(media_rows, collector)
    built = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(_text(v) for v in values):
            continue
        row = _Row(number, values, columns, collector)
        record = _read_row(row, media.get(number, {}))
        if record is not None:
            built.append((f"sheet {SHEET}, hàng {number}", record))
    column_of_field = {"stem": "Nội dung câu hỏi", "key": "Đáp án", "scoring": "Chấm điểm",
                       "choices": CHOICE_COLUMNS[0], "targets": TARGET_COLUMNS[0]}

    def locate(location: str, field: str) -> str:
        header = column_of_field.get(field)
        if header is None or header not in columns:
            return location
        number = location.rsplit(" ", 1)[-1]
        return f"{location}, ô {get_column_letter(columns[header] + 1)}{number}"

    records = finish(collector, built, locate)
    records_problem(collector, records)
    collector.raise_if_errors()
    return ImportResult(records, collector.warnings, [location for location, _ in built])


def _read_media(rows: list[tuple[Any, ...]], collector: IssueCollector
                ) -> dict[int, dict[str, bytes]]:
    chunks: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for number, values in enumerate(rows[1:], start=2):
        values = tuple(values) + (None, None, None)
        if not any(_text(v) for v in values[:3]):
            continue
        try:
            item_row = int(_number(_text(values[0])))
        except ValueError:
            collector.error(f"sheet {MEDIA_SHEET}, hàng {number}, ô A{number}", "media",
                            "Hàng câu hỏi phải là một số.", "The question row must be a number.")
            continue
        chunks[item_row][_text(values[1])].append(_text(values[2]))
    media: dict[int, dict[str, bytes]] = {}
    for item_row, files in chunks.items():
        for name, parts in files.items():
            try:
                media.setdefault(item_row, {})[name] = base64.b64decode("".join(parts),
                                                                        validate=True)
            except ValueError:
                collector.error(f"sheet {MEDIA_SHEET}, tệp {name}", "media",
                                "Dữ liệu base64 của tệp bị hỏng.", "The file's base64 is broken.")
    return media


def _read_row(row: _Row, media: dict[str, bytes]) -> ItemRecord | None:
    kind_text = row.get("Loại câu")
    kind = _KIND_BY_WORD.get(_fold(kind_text))
    if kind is None:
        row.error("Loại câu", "kind",
                  f"Loại câu “{kind_text}” không hợp lệ; dùng một trong: "
                  f"{', '.join(KIND_LABELS.values())}." if kind_text else "Thiếu loại câu.",
                  f"Unknown item type “{kind_text}”." if kind_text else "The item type is missing.")
        return None
    stem = row.get("Nội dung câu hỏi")  # an empty stem is reported by the structural check
    choices = _parts(row, CHOICE_COLUMNS, letter_ids(MAX_PARTS), "choices")
    targets = _parts(row, TARGET_COLUMNS, number_ids(MAX_PARTS), "targets")
    uses_choices = kind in (ItemKind.SINGLE, ItemKind.MULTIPLE, ItemKind.TRUE_FALSE4,
                            ItemKind.MATCHING, ItemKind.ORDERING)
    if choices and not uses_choices:
        row.error(CHOICE_COLUMNS[0], "choices", "Loại câu này không dùng các cột phương án.",
                  "This item type does not use the option columns.")
    if targets and kind is not ItemKind.MATCHING:
        row.error(TARGET_COLUMNS[0], "targets", "Chỉ câu ghép đôi dùng các cột vế phải.",
                  "Only matching items use the right-hand columns.")
    key = _read_key(row, kind, [p.id for p in choices], [p.id for p in targets])
    if key is None:
        return None
    return _read_metadata(row, ItemContent(
        kind=kind, stem=stem, choices=choices, targets=targets, key=key,
        points=1.0, feedback=row.get("Giải thích") or None, shuffle=True), media)


def _parts(row: _Row, headers: list[str], ids: list[str], field: str) -> tuple[Part, ...]:
    texts = [row.get(h) for h in headers]
    last = max((i for i, t in enumerate(texts) if t), default=-1)
    for i in range(last):
        if not texts[i]:
            row.error(headers[i], field, f"Cột “{headers[i]}” trống trong khi cột sau có nội dung.",
                      f"Column “{headers[i]}” is empty while a later one is filled.")
    return tuple(Part(ids[i], texts[i]) for i in range(last + 1) if texts[i])


def _read_key(row: _Row, kind: ItemKind, ids: list[str], target_ids: list[str]
              ) -> dict[str, Any] | None:
    text = row.get("Đáp án")
    col = "Đáp án"
    if not text:
        row.error(col, "key", "Thiếu đáp án.", "The answer key is missing.")
        return None

    def unknown(letter: str, pool: list[str], what_vi: str, what_en: str) -> bool:
        if letter in pool:
            return False
        row.error(col, "key",
                  f"Đáp án “{letter}” không có {what_vi} tương ứng (có: {', '.join(pool) or '—'}).",
                  f"Answer “{letter}” has no matching {what_en} (given: {', '.join(pool) or '—'}).")
        return True

    scoring_text = _fold(row.get("Chấm điểm"))
    if kind is ItemKind.SINGLE:
        letter = text.upper()
        return None if unknown(letter, ids, "phương án", "option") else {"correct": letter}
    if kind is ItemKind.MULTIPLE:
        letters = [s.upper() for s in _split_list(text)]
        if any([unknown(s, ids, "phương án", "option") for s in letters]):
            return None
        scoring = _SCORING_BY_WORD.get(scoring_text or "all_or_nothing")
        if scoring is None:
            row.error("Chấm điểm", "scoring", "Cách chấm phải là “Từng phần” hoặc “Tất cả hoặc "
                      "không”.", "Scoring must be “Từng phần” (partial) or “Tất cả hoặc không”.")
            return None
        return {"correct": letters, "scoring": scoring}
    if kind is ItemKind.TRUE_FALSE4:
        words = [_fold(s) for s in text.split(",")]
        if len(words) != len(ids) or any(w not in TRUE_WORDS | FALSE_WORDS for w in words):
            row.error(col, "key", "Đáp án đúng/sai phải có dạng “Đ,S,Đ,S”, mỗi mệnh đề một giá trị.",
                      "A true/false key must look like “Đ,S,Đ,S”, one value per statement.")
            return None
        return {"truth": {cid: w in TRUE_WORDS for cid, w in zip(ids, words, strict=True)}}
    if kind is ItemKind.MATCHING:
        pairs = {}
        for pair in _split_list(text):
            match = re.fullmatch(r"([A-Za-z])\s*[-–→>]+\s*(\w+)", pair)
            if not match:
                row.error(col, "key", f"Cặp “{pair}” phải có dạng “A-2”.",
                          f"Pair “{pair}” must look like “A-2”.")
                return None
            left, right = match.group(1).upper(), match.group(2)
            if unknown(left, ids, "phương án", "option") or unknown(right, target_ids, "vế phải",
                                                                      "right-hand item"):
                return None
            pairs[left] = right
        return {"pairs": pairs}
    if kind is ItemKind.ORDERING:
        order = [s.upper() for s in _split_list(text)]
        if any([unknown(s, ids, "phương án", "option") for s in order]):
            return None
        return {"order": order}
    if kind is ItemKind.SHORT_ANSWER:
        return {"accepted": [a.strip() for a in text.split("|") if a.strip()],
                "case_sensitive": scoring_text == _fold(CASE_LABELS[True])}
    if kind is ItemKind.NUMERIC:
        raw = row.raw(col)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return {"value": float(raw), "tolerance": 0.0, "tolerance_kind": "absolute"}
        match = re.fullmatch(r"(.+?)(?:\s*(?:±|\+/-|\+-)\s*(.+?)\s*(%)?)?", text)
        try:
            value = _number(match.group(1))
            tolerance = 0.0 if match.group(2) is None else _number(match.group(2))
        except (ValueError, AttributeError):
            row.error(col, "key", f"Đáp án số “{text}” phải có dạng “3,5” hoặc “3,5 ± 0,01”.",
                      f"Numeric answer “{text}” must look like “3,5” or “3,5 ± 0,01”.")
            return None
        if match.group(3):
            return {"value": value, "tolerance": float(Decimal(match.group(2).replace(",", ".")
                                                               .strip()) / 100),
                    "tolerance_kind": "relative"}
        return {"value": value, "tolerance": tolerance, "tolerance_kind": "absolute"}
    gaps = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        match = re.fullmatch(r"\s*\[*(\w+)\]*\s*:\s*(.*)", line)
        if not match:
            row.error(col, "key", f"Dòng đáp án “{line}” phải có dạng “1: đáp án”.",
                      f"Key line “{line}” must look like “1: answer”.")
            return None
        gap_id, body = match.groups()
        options = [o.strip() for o in body.split(" / ")]
        if len(options) > 1:
            starred = [o[1:].strip() for o in options if o.startswith("*")]
            if len(starred) != 1:
                row.error(col, "key", f"Ô trống {gap_id}: đánh dấu đúng một lựa chọn bằng “*”.",
                          f"Gap {gap_id}: mark exactly one choice with “*”.")
                return None
            gaps.append({"id": gap_id, "choices": [o.lstrip("*").strip() for o in options],
                         "correct": starred[0]})
        else:
            gaps.append({"id": gap_id, "accepted": [a.strip() for a in body.split("|")
                                                    if a.strip()]})
    return {"gaps": gaps}


def _read_metadata(row: _Row, content: ItemContent, media: dict[str, bytes]) -> ItemRecord:
    difficulty_text = row.get("Độ khó")
    difficulty = _DIFFICULTY_BY_WORD.get(_fold(difficulty_text)) if difficulty_text else None
    if difficulty_text and difficulty is None:
        row.error("Độ khó", "difficulty", "Độ khó phải là Dễ, Trung bình hoặc Khó.",
                  "Difficulty must be Dễ (easy), Trung bình (medium) or Khó (hard).")
    grade = None
    if row.get("Lớp"):
        try:
            grade = int(_number(row.get("Lớp")))
        except ValueError:
            row.error("Lớp", "grade", "Lớp phải là một số (1–12).", "Grade must be a number.")
    points = 1.0
    if row.get("Điểm"):
        try:
            points = _number(row.get("Điểm"))
        except ValueError:
            row.error("Điểm", "points", "Điểm phải là một số.", "Points must be a number.")
    shuffle_text = _fold(row.get("Đảo phương án"))
    if shuffle_text and shuffle_text not in YES_WORDS | NO_WORDS:
        row.error("Đảo phương án", "shuffle", "Đảo phương án phải là Có hoặc Không.",
                  "Shuffle must be Có (yes) or Không (no).")
    content = ItemContent(kind=content.kind, stem=content.stem, choices=content.choices,
                          targets=content.targets, key=content.key, points=points,
                          feedback=content.feedback, shuffle=shuffle_text not in NO_WORDS)
    tags = tuple(t.strip() for t in row.get("Thẻ").split(",") if t.strip())
    return ItemRecord(
        content=content, external_id=row.get("Mã câu") or None, title=row.get("Tiêu đề") or None,
        module=row.get("Mô-đun") or None, code=row.get("Mã yêu cầu") or None,
        subject=row.get("Môn học") or None, grade=grade, tags=tags, difficulty=difficulty,
        media=media)


# --- writing ---------------------------------------------------------------------------------

def _key_text(content: ItemContent) -> str:
    key = content.key
    kind = content.kind
    if kind is ItemKind.SINGLE:
        return key["correct"]
    if kind is ItemKind.MULTIPLE:
        return ",".join(key["correct"])
    if kind is ItemKind.TRUE_FALSE4:
        return ",".join("Đ" if key["truth"][p.id] else "S" for p in content.choices)
    if kind is ItemKind.MATCHING:
        return ",".join(f"{c}-{t}" for c, t in key["pairs"].items())
    if kind is ItemKind.ORDERING:
        return ",".join(key["order"])
    if kind is ItemKind.SHORT_ANSWER:
        return " | ".join(key["accepted"])
    if kind is ItemKind.NUMERIC:
        value = _vn_number(float(key["value"]))
        tolerance = float(key.get("tolerance") or 0)
        if key.get("tolerance_kind") == "relative" and tolerance:
            percent = Decimal(repr(tolerance)) * 100
            return f"{value} ± {format_number(float(percent)).replace('.', ',')}%"
        return f"{value} ± {_vn_number(tolerance)}" if tolerance else value
    lines = []
    for gap in key["gaps"]:
        if "choices" in gap:
            body = " / ".join(("*" if i == gap["correct"] else "") + t
                              for i, t in gap_options(gap))
        else:
            body = " | ".join(gap["accepted"])
        lines.append(f"{gap['id']}: {body}")
    return "\n".join(lines)


def _scoring_text(content: ItemContent) -> str:
    if content.kind is ItemKind.MULTIPLE:
        return SCORING_LABELS[content.key.get("scoring", "all_or_nothing")]
    if content.kind is ItemKind.SHORT_ANSWER:
        return CASE_LABELS[bool(content.key.get("case_sensitive"))]
    return ""


def record_row(content: ItemContent, record: ItemRecord) -> list[Any]:
    by_header: dict[str, Any] = {
        "Mã câu": record.external_id, "Loại câu": KIND_LABELS[content.kind],
        "Mô-đun": record.module, "Mã yêu cầu": record.code,
        "Độ khó": DIFFICULTY_LABELS.get(record.difficulty or ""),
        "Nội dung câu hỏi": content.stem, "Đáp án": _key_text(content),
        "Chấm điểm": _scoring_text(content), "Giải thích": content.feedback,
        "Thẻ": ", ".join(record.tags), "Tiêu đề": record.title, "Môn học": record.subject,
        "Lớp": record.grade, "Điểm": None if content.points == 1.0 else content.points,
        "Đảo phương án": None if content.shuffle else "Không",
    }
    for header, part in zip(CHOICE_COLUMNS, content.choices, strict=False):
        by_header[header] = part.text
    for header, part in zip(TARGET_COLUMNS, content.targets, strict=False):
        by_header[header] = part.text
    return [by_header.get(h) for h in HEADERS]


def set_row(sheet: Any, number: int, values: list[Any]) -> None:
    for column, value in enumerate(values, start=1):
        if value is None or value == "":
            continue
        cell = sheet.cell(row=number, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, even when the text starts with "="


def new_workbook() -> tuple[Workbook, Any]:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    set_row(sheet, 1, HEADERS)
    for column, header in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=1, column=column)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        width = 50 if header == "Nội dung câu hỏi" else 22 if header.startswith("Phương") else 14
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    return workbook, sheet


def _report_gaps(issues: list[FormatIssue], filename: str, index: int, record: ItemRecord) -> None:
    for gap in record.content.key.get("gaps", []) if record.content.kind is ItemKind.CLOZE else []:
        if gap_has_ids(gap):
            not_carried(issues, filename, index, record, "key",
                        f"Ô trống {gap['id']}: Excel ghi lựa chọn bằng nội dung, không giữ mã riêng.",
                        f"Gap {gap['id']}: Excel writes options by their text, not their ids.")
        if gap.get("case_sensitive"):
            not_carried(issues, filename, index, record, "key",
                        f"Ô trống {gap['id']}: Excel không giữ thiết lập phân biệt hoa thường.",
                        f"Gap {gap['id']}: Excel does not keep case sensitivity.")


def write(records: list[ItemRecord], filename: str = "cau_hoi.xlsx") -> ExportResult:
    issues: list[FormatIssue] = []
    workbook, sheet = new_workbook()
    media_sheet = None
    number = 1
    for index, record in enumerate(records):
        content = record.content
        if not writable(issues, filename, index, record):
            continue
        if len(content.choices) > MAX_PARTS or len(content.targets) > MAX_PARTS:
            not_carried(issues, filename, index, record, "choices",
                        f"Excel chỉ có {MAX_PARTS} cột phương án; câu này không được xuất.",
                        f"Excel has only {MAX_PARTS} option columns; this item was not exported.")
            continue
        content, renamed = canonical_ids(content)
        if renamed:
            report_renamed(issues, filename, "Excel", index, record)
        _report_gaps(issues, filename, index, record)
        if record.difficulty and record.difficulty not in DIFFICULTY_LABELS:
            not_carried(issues, filename, index, record, "difficulty",
                        f"Độ khó “{record.difficulty}” không thuộc Dễ/Trung bình/Khó nên không "
                        "được ghi.",
                        f"Difficulty “{record.difficulty}” is not easy/medium/hard; not written.")
        number += 1
        values = record_row(content, record)
        if any(isinstance(v, str) and ILLEGAL_CHARACTERS_RE.search(v) for v in values):
            not_carried(issues, filename, index, record, "text",
                        "Excel không chứa được ký tự điều khiển; các ký tự đó đã bị bỏ.",
                        "Excel cannot hold control characters; they were removed.")
            values = [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v
                      for v in values]
        set_row(sheet, number, values)
        for name, blob in record.media.items():
            if media_sheet is None:
                media_sheet = workbook.create_sheet(MEDIA_SHEET)
                set_row(media_sheet, 1, MEDIA_HEADERS)
            encoded = base64.b64encode(blob).decode("ascii")
            for start in range(0, max(len(encoded), 1), CELL_LIMIT):
                set_row(media_sheet, media_sheet.max_row + 1,
                         [number, name, encoded[start:start + CELL_LIMIT]])
    if number == 1 and records:
        not_carried(issues, filename, 0, records[0], "items", "Không có câu nào được xuất.",
                    "No item was exported.")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return ExportResult(buffer.getvalue(), filename, issues)


__all__ = ["HEADERS", "KIND_LABELS", "new_workbook", "read", "record_row", "set_row", "write"]
