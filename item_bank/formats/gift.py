"""GIFT, Moodle's plain-text format: single and multiple choice (with percentages), true/false,
matching, short answer and numeric (with tolerance or a min..max range).

    // [id:IU04-001] [tag:hàm]
    ::Câu 1::Hàm nào tính tổng?{=SUM ~AVERAGE ~COUNT ####Giải thích}

Parsing follows Moodle's ``qformat_gift``: questions are separated by blank lines; comment lines
start with ``//`` (``[id:…]`` and ``[tag:…]`` in them give the id number and tags, as Moodle ≥ 3.x
reads them); ``$CATEGORY:`` sets the category of what follows (subject/grade/module/code, as
"Tin học/Lớp 10/IU04/IU04.5.2");
``\\~ \\= \\# \\{ \\} \\: \\\\`` and ``\\n`` are escapes. A Moodle true/false question becomes a
single-choice item "Đúng"/"Sai"; GIFT has no ordering or cloze, no images and no place for
difficulty, points or shuffle — the writer reports each of those.
"""

from __future__ import annotations

import re
from dataclasses import replace

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats.checks import finish, records_problem, writable
from item_bank.formats.common import (
    FALSE_LABEL,
    TRUE_LABEL,
    apply_category,
    canonical_ids,
    category_path,
    format_number,
    is_html,
    kind_not_carried,
    letter_ids,
    matching_or_tf4,
    not_carried,
    number_ids,
    report_fields,
    report_renamed,
    tf4_as_matching,
)
from item_bank.formats.errors import ExportResult, FormatIssue, ImportResult, IssueCollector
from item_bank.formats.safe_input import decode_text

NAME = "GIFT"
# escaped characters become private-use placeholders while the structure is parsed (as Moodle)
_ESCAPES = {"\\\\": "\ue000", "\\:": "\ue001", "\\#": "\ue002", "\\=": "\ue003",
            "\\{": "\ue004", "\\}": "\ue005", "\\~": "\ue006", "\\n": "\ue007"}
_RESTORE = {"\ue000": "\\", "\ue001": ":", "\ue002": "#", "\ue003": "=", "\ue004": "{",
            "\ue005": "}", "\ue006": "~", "\ue007": "\n"}
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_FORMAT = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_META = re.compile(r"\[(id|tag):((?:\\.|[^\]\\])+)\]")


def _protect(text: str) -> str:
    text = text.replace("\\\\", _ESCAPES["\\\\"])
    for escape, placeholder in _ESCAPES.items():
        text = text.replace(escape, placeholder)
    return text


def _restore(text: str) -> str:
    for placeholder, char in _RESTORE.items():
        text = text.replace(placeholder, char)
    return text


def _clean(text: str) -> str:
    """A text piece as the item keeps it: format marker dropped, escapes undone, trimmed."""
    return _restore(_FORMAT.sub("", text.strip(), count=1)).strip()


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


# --- reading ---------------------------------------------------------------------------------

def read(data: bytes, filename: str) -> ImportResult:
    collector = IssueCollector(filename)
    text = decode_text(data, collector)
    built: list[tuple[str, ItemRecord]] = []
    category: str | None = None
    block: list[str] = []
    meta: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n") + [""], start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            meta.append(stripped)
            continue
        if stripped:
            if not block:
                start = number
            block.append(line)
            continue
        if not block:
            continue
        body = "\n".join(block).strip()
        if body.startswith("$CATEGORY:"):
            category = body[len("$CATEGORY:"):].strip()
        else:
            record = _read_question(_protect(body), f"dòng {start}", collector)
            if record is not None:
                built.append((f"dòng {start}", _with_meta(record, meta, category)))
        block, meta = [], []
    records = finish(collector, built)
    records_problem(collector, records)
    collector.raise_if_errors()
    return ImportResult(records, collector.warnings)


def _with_meta(record: ItemRecord, comments: list[str], category: str | None) -> ItemRecord:
    external_id = None
    tags = []
    for comment in comments:
        for kind, value in _META.findall(comment):
            value = re.sub(r"\\(.)", r"\1", value).strip()
            if kind == "id":
                external_id = value
            else:
                tags.append(value)
    return apply_category(replace(record, external_id=external_id, tags=tuple(tags)), category)


def _read_question(text: str, where: str, collector: IssueCollector) -> ItemRecord | None:
    title = None
    if text.startswith("::"):
        end = text.find("::", 2)
        if end != -1:
            title = _restore(text[2:end]).strip() or None
            text = text[end + 2:].strip()
    open_at, close_at = text.find("{"), text.find("}")
    if open_at == -1 and close_at == -1:
        collector.warn(where, "kind", "Đoạn văn không có đáp án (mô tả) được bỏ qua.",
                       "A text without answers (a description) was skipped.")
        return None
    if open_at == -1 or close_at == -1 or close_at < open_at:
        collector.error(where, "answers", "Thiếu dấu “{” hoặc “}” quanh phần đáp án.",
                        "A “{” or “}” around the answers is missing.")
        return None
    answers = text[open_at + 1:close_at].strip()
    after = text[close_at + 1:].strip()
    # Moodle's "missing word" form: answers inside the sentence leave a blank behind
    stem = text[:open_at] + "_____" + text[close_at + 1:] if after else text[:open_at]
    feedback = None
    if "####" in answers:
        answers, feedback_text = answers.rsplit("####", 1)
        answers = answers.strip()
        feedback = _clean(feedback_text) or None
    content = _read_answers(_clean(stem), answers, where, collector)
    if content is None:
        return None
    return ItemRecord(content=replace(content, feedback=feedback), title=title)


def _split_feedback(piece: str, where: str, collector: IssueCollector) -> str:
    text, _, feedback = piece.partition("#")
    if feedback.strip():
        collector.warn(where, "feedback", "Phản hồi riêng cho từng phương án không được giữ.",
                       "Per-answer feedback is not kept.")
    return _clean(text)


def _read_answers(stem: str, answers: str, where: str, collector: IssueCollector
                  ) -> ItemContent | None:
    def error(vi: str, en: str) -> None:
        collector.error(where, "answers", vi, en)

    if not answers:
        collector.warn(where, "kind", "Câu tự luận (không có đáp án) được bỏ qua.",
                       "An essay question (no answers) was skipped.")
        return None
    if answers.startswith("#"):
        return _read_numeric(stem, answers[1:], where, collector)
    if "~" in answers:
        pieces = [p.strip() for p in answers.replace("=", "~=").split("~") if p.strip()]
        single = "=" in answers
        texts, weights = [], []
        for piece in pieces:
            weight = 0.0
            if piece.startswith("="):
                weight, piece = 100.0, piece[1:].strip()
            elif match := _WEIGHT.match(piece):
                weight, piece = float(match.group(1)), piece[match.end():]
            texts.append(_split_feedback(piece, where, collector))
            weights.append(weight)
        ids = letter_ids(len(texts))
        choices = tuple(Part(i, t) for i, t in zip(ids, texts, strict=True))
        correct = [i for i, w in zip(ids, weights, strict=True) if w > 0]
        if single:
            if len(correct) != 1:
                error("Câu một lựa chọn cần đúng một đáp án “=”; câu nhiều đáp án hãy dùng "
                      "trọng số, ví dụ ~%50%.",
                      "A single-choice question needs exactly one “=” answer; for several "
                      "answers use weights such as ~%50%.")
                return None
            return ItemContent(ItemKind.SINGLE, stem, choices, key={"correct": correct[0]})
        if not correct:
            error("Câu nhiều lựa chọn không có phương án nào có trọng số dương.",
                  "The multiple-choice question has no option with a positive weight.")
            return None
        return ItemContent(ItemKind.MULTIPLE, stem, choices,
                           key={"correct": correct, "scoring": "partial"})
    if "=" in answers and "->" in answers:
        lefts, rights = [], []
        for piece in (p.strip() for p in answers.split("=") if p.strip()):
            if "->" not in piece:
                error(f"Cặp ghép “{_restore(piece)}” thiếu “->”.",
                      f"Matching pair “{_restore(piece)}” has no “->”.")
                return None
            left, right = piece.split("->", 1)
            lefts.append(_clean(left))
            rights.append(_clean(right))
        target_texts = list(dict.fromkeys(r for r in rights))
        targets = tuple(Part(i, t) for i, t in zip(number_ids(len(target_texts)), target_texts,
                                                    strict=True))
        by_text = {p.text: p.id for p in targets}
        choices = tuple(Part(i, t) for i, t in zip(letter_ids(len(lefts)), lefts, strict=True))
        pairs = {c.id: by_text[r] for c, r in zip(choices, rights, strict=True) if c.text}
        if any(not c.text for c in choices):
            error("Mục ghép có vế trái để trống (mục gây nhiễu) — chưa được hỗ trợ.",
                  "A matching pair with an empty left side (a distractor) is not supported.")
            return None
        return matching_or_tf4(ItemContent(ItemKind.MATCHING, stem, choices, targets,
                                           key={"pairs": pairs}))
    truefalse = answers.split("#", 1)[0].strip()
    if truefalse in ("T", "TRUE", "F", "FALSE"):
        return ItemContent(ItemKind.SINGLE, stem, (Part("A", TRUE_LABEL), Part("B", FALSE_LABEL)),
                           key={"correct": "A" if truefalse.startswith("T") else "B"})
    accepted = []
    for piece in (p.strip() for p in answers.split("=") if p.strip()):
        weight = 100.0
        if match := _WEIGHT.match(piece):
            weight, piece = float(match.group(1)), piece[match.end():]
        text = _split_feedback(piece, where, collector)
        if weight >= 100:
            accepted.append(text)
        else:
            collector.warn(where, "answers", f"Đáp án “{text}” chỉ được một phần điểm nên bị bỏ.",
                           f"Answer “{text}” gives only partial credit and was dropped.")
    return ItemContent(ItemKind.SHORT_ANSWER, stem,
                       key={"accepted": accepted, "case_sensitive": False})


def _read_numeric(stem: str, answers: str, where: str, collector: IssueCollector
                  ) -> ItemContent | None:
    answers = answers.split("~", 1)[0]
    pieces = [p.strip() for p in answers.split("=") if p.strip()]
    for piece in pieces:
        match = _WEIGHT.match(piece)
        if match and float(match.group(1)) < 100:
            continue
        body = _restore(piece[match.end():] if match else piece).split("#", 1)[0].strip()
        try:
            if ".." in body:
                low, high = (float(x) for x in body.split("..", 1))
                value, tolerance = (low + high) / 2, (high - low) / 2
            elif ":" in body:
                value, tolerance = (float(x) for x in body.split(":", 1))
            else:
                value, tolerance = float(body), 0.0
        except ValueError:
            collector.error(where, "answers", f"Đáp án số “{body}” không hợp lệ.",
                            f"Numeric answer “{body}” is not a number.")
            return None
        return ItemContent(ItemKind.NUMERIC, stem, key={
            "value": value, "tolerance": abs(tolerance), "tolerance_kind": "absolute"})
    collector.error(where, "answers", "Câu số không có đáp án đủ điểm.",
                    "The numeric question has no full-credit answer.")
    return None


# --- writing ---------------------------------------------------------------------------------

def _weight(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _stem(text: str) -> str:
    marker = "[html]" if is_html(text) else "[plain]" if text.startswith("[") else ""
    return marker + _escape(text)


def _answers(content: ItemContent) -> list[str]:
    key = content.key
    kind = content.kind
    if kind is ItemKind.SINGLE:
        return [("=" if p.id == key["correct"] else "~") + _escape(p.text)
                for p in content.choices]
    if kind is ItemKind.MULTIPLE:
        right = set(key["correct"])
        share = _weight(100 / len(right))
        return [f"~%{share if p.id in right else '-100'}%" + _escape(p.text)
                for p in content.choices]
    if kind in (ItemKind.MATCHING, ItemKind.TRUE_FALSE4):
        targets, pairs = ((content.targets, key["pairs"]) if kind is ItemKind.MATCHING
                          else tf4_as_matching(content))
        texts = {p.id: p.text for p in targets}
        return [f"={_escape(p.text)} -> {_escape(texts[pairs[p.id]])}" for p in content.choices
                if p.id in pairs]
    if kind is ItemKind.SHORT_ANSWER:
        return ["=" + _escape(a) for a in key["accepted"]]
    tolerance = float(key.get("tolerance") or 0)
    if key.get("tolerance_kind") == "relative":
        tolerance = abs(float(key["value"])) * tolerance
    return ["#" + format_number(float(key["value"]))
            + (f":{format_number(tolerance)}" if tolerance else "")]


def _report(issues: list[FormatIssue], filename: str, index: int, record: ItemRecord,
            content: ItemContent) -> None:
    kind = content.kind
    key = content.key
    if kind is ItemKind.MULTIPLE and key.get("scoring") == "all_or_nothing":
        not_carried(issues, filename, index, record, "scoring",
                    "GIFT chấm câu nhiều lựa chọn theo từng phần; cách chấm “tất cả hoặc không” "
                    "không được giữ.",
                    "GIFT scores multiple choice partially; “all or nothing” is not kept.")
    if kind is ItemKind.SHORT_ANSWER and key.get("case_sensitive"):
        not_carried(issues, filename, index, record, "case_sensitive",
                    "GIFT không phân biệt chữ hoa/thường; thiết lập này không được giữ.",
                    "GIFT answers are not case-sensitive; this setting is not kept.")
    if kind is ItemKind.NUMERIC and key.get("tolerance_kind") == "relative":
        not_carried(issues, filename, index, record, "tolerance_kind",
                    "GIFT chỉ có sai số tuyệt đối; sai số tương đối được đổi sang tuyệt đối.",
                    "GIFT has only absolute tolerance; the relative one was converted.")
    if kind is ItemKind.MATCHING:
        used = list(dict.fromkeys(key["pairs"][p.id] for p in content.choices
                                  if p.id in key["pairs"]))
        if used != [p.id for p in content.targets]:
            not_carried(issues, filename, index, record, "targets",
                        "GIFT không giữ vế phải thừa (gây nhiễu) hay thứ tự riêng của cột vế phải.",
                        "GIFT keeps neither extra (distractor) right-hand items nor their order.")


def write(records: list[ItemRecord], filename: str = "cau_hoi.gift") -> ExportResult:
    issues: list[FormatIssue] = []
    blocks: list[str] = []
    category: str | None = None
    for index, record in enumerate(records):
        if not writable(issues, filename, index, record):
            continue
        if record.content.kind in (ItemKind.ORDERING, ItemKind.CLOZE):
            kind_not_carried(issues, filename, NAME, index, record)
            continue
        content, renamed = canonical_ids(record.content)
        if renamed:
            report_renamed(issues, filename, NAME, index, record)
        report_fields(issues, filename, NAME, index, record,
                      ("difficulty", "media", "points", "shuffle"))
        _report(issues, filename, index, record, content)
        wanted = category_path(record) or "$course$"
        if wanted != category and (category is not None or wanted != "$course$"):
            blocks.append(f"$CATEGORY: {wanted}")
            category = wanted
        lines: list[str] = []
        meta = ([f"[id:{record.external_id}]"] if record.external_id else []) + \
            [f"[tag:{tag}]" for tag in record.tags]
        if meta:
            lines.append("// " + " ".join(meta))
        title = f"::{_escape(record.title)}::" if record.title else ""
        lines.append(f"{title}{_stem(content.stem)}{{")
        lines.extend("\t" + answer for answer in _answers(content))
        if content.feedback:
            lines.append("\t####" + _escape(content.feedback))
        lines.append("}")
        blocks.append("\n".join(lines))
    data = ("\n\n".join(blocks) + "\n").encode("utf-8") if blocks else b""
    return ExportResult(data, filename, issues)
