"""Aiken: the simplest plain-text format, single-choice items only (as Moodle reads it).

    Hàm nào tính tổng?
    A. AVERAGE
    B) SUM
    ANSWER: B

The stem may span several lines; options are "A." or "A)"; blank lines are ignored.
UTF-8 with or without BOM; a line in any other encoding is an error naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats.checks import finish, records_problem, writable
from item_bank.formats.common import (
    canonical_ids,
    kind_not_carried,
    not_carried,
    report_fields,
    report_renamed,
)
from item_bank.formats.errors import ExportResult, FormatIssue, ImportResult, IssueCollector
from item_bank.formats.safe_input import decode_text

_OPTION = re.compile(r"^([A-Z])\s*[.)]\s+(.*\S)\s*$")
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*?)\s*$", re.IGNORECASE)
NAME = "Aiken"


@dataclass
class _Question:
    line: int
    stem: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)


def read(data: bytes, filename: str) -> ImportResult:
    collector = IssueCollector(filename)
    text = decode_text(data, collector)
    built: list[tuple[str, ItemRecord]] = []
    current: _Question | None = None

    def unfinished(question: _Question) -> None:
        collector.error(f"dòng {question.line}", "answer",
                        "Câu hỏi bắt đầu ở dòng này thiếu dòng “ANSWER: …”.",
                        "The question starting on this line has no “ANSWER: …” line.")

    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        answer = _ANSWER.match(line)
        option = _OPTION.match(line)
        if answer:
            if current is None or not current.options:
                collector.error(f"dòng {number}", "answer",
                                "Dòng ANSWER không đứng sau một câu hỏi có phương án.",
                                "The ANSWER line does not follow a question with options.")
                current = None
                continue
            built.extend(_finish_question(current, answer.group(1), number, collector))
            current = None
        elif option and current is not None and current.stem:
            letter, body = option.groups()
            expected = chr(ord("A") + len(current.options))
            if letter != expected:
                collector.error(f"dòng {number}", "choices",
                                f"Phương án “{letter}” không đúng thứ tự (cần “{expected}”).",
                                f"Option “{letter}” is out of order (expected “{expected}”).")
            current.options.append((letter, body))
        else:
            if current is not None and current.options:
                unfinished(current)
                current = None
            if current is None:
                current = _Question(number)
            current.stem.append(line)
    if current is not None:
        unfinished(current)
    records = finish(collector, built)
    records_problem(collector, records)
    collector.raise_if_errors()
    return ImportResult(records, collector.warnings)


def _finish_question(question: _Question, answer: str, number: int,
                     collector: IssueCollector) -> list[tuple[str, ItemRecord]]:
    letters = [letter for letter, _ in question.options]
    if not answer:
        collector.error(f"dòng {number}", "answer", "Dòng ANSWER không ghi đáp án.",
                        "The ANSWER line gives no answer.")
        return []
    if answer.upper() not in letters:
        collector.error(f"dòng {number}", "answer",
                        f"Đáp án “{answer}” không phải một phương án đã cho "
                        f"({', '.join(letters)}).",
                        f"Answer “{answer}” is not one of the options ({', '.join(letters)}).")
        return []
    content = ItemContent(
        kind=ItemKind.SINGLE,
        stem="\n".join(question.stem),
        choices=tuple(Part(letter, body) for letter, body in question.options),
        key={"correct": answer.upper()},
    )
    return [(f"dòng {question.line}", ItemRecord(content=content))]


def write(records: list[ItemRecord], filename: str = "cau_hoi_aiken.txt") -> ExportResult:
    issues: list[FormatIssue] = []
    blocks: list[str] = []
    for index, record in enumerate(records):
        if not writable(issues, filename, index, record):
            continue
        if record.content.kind is not ItemKind.SINGLE:
            kind_not_carried(issues, filename, NAME, index, record)
            continue
        if len(record.content.choices) > 26:
            not_carried(issues, filename, index, record, "choices",
                        "Aiken chỉ có 26 phương án A–Z; câu này không được xuất.",
                        "Aiken has only 26 options A–Z; this item was not exported.")
            continue
        content, renamed = canonical_ids(record.content)
        if renamed:
            report_renamed(issues, filename, NAME, index, record)
        report_fields(issues, filename, NAME, index, record,
                      ("external_id", "title", "module", "code", "subject", "grade", "tags",
                       "difficulty", "media", "feedback", "points", "shuffle"))
        lines = [line for line in content.stem.split("\n") if line.strip()]
        if len(lines) != len(content.stem.strip().split("\n")):
            not_carried(issues, filename, index, record, "stem",
                        "Aiken không giữ dòng trống trong nội dung câu hỏi.",
                        "Aiken does not keep blank lines inside the question text.")
        if any(_OPTION.match(line.strip()) or _ANSWER.match(line.strip()) for line in lines[1:]):
            not_carried(issues, filename, index, record, "stem",
                        "Có dòng trong nội dung giống phương án (“A. …”) hoặc dòng ANSWER; khi "
                        "nhập lại sẽ bị hiểu sai.",
                        "A line of the question text looks like an option (“A. …”) or an "
                        "ANSWER line; it will be misread on import.")
        for part in content.choices:
            text = part.text
            if "\n" in text:
                not_carried(issues, filename, index, record, "choices",
                            f"Phương án {part.id} có nhiều dòng; Aiken ghi thành một dòng.",
                            f"Option {part.id} spans lines; Aiken writes it on one line.")
                text = " ".join(t.strip() for t in text.split("\n") if t.strip())
            lines.append(f"{part.id}. {text}")
        lines.append(f"ANSWER: {content.key['correct']}")
        blocks.append("\n".join(lines))
    data = ("\n\n".join(blocks) + "\n").encode("utf-8") if blocks else b""
    return ExportResult(data, filename, issues)
