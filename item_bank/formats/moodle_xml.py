"""Moodle XML (question bank export): multichoice (single and multiple, with fractions),
multichoiceset (all-or-nothing plugin), truefalse, matching, shortanswer, numerical, ordering
(plugin) and cloze (``multianswer`` with embedded ``{1:SHORTANSWER:=…}`` /
``{1:MULTICHOICE:=…~…}``). Images travel as ``<file name="…" encoding="base64">`` beside the
text that refers to them as ``@@PLUGINFILE@@/…``; in the item they are ``media`` and the text
refers to them by bare name.

Subject, grade, TT03 module and requirement code travel as the question category
("Tin học/Lớp 10/IU04/IU04.5.2"); Moodle has no place for difficulty: the writer reports it.
A true/false question of Moodle becomes a single-choice item "Đúng"/"Sai"; a ``true_false4``
item travels as matching against {Đúng, Sai} (see ``common``).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import replace
from typing import Any
from urllib.parse import quote, unquote
from xml.etree import ElementTree as ET

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats.checks import finish, records_problem, writable
from item_bank.formats.common import (
    FALSE_LABEL,
    GAP,
    TRUE_LABEL,
    apply_category,
    category_path,
    format_number,
    from_html,
    gap_has_ids,
    gap_options,
    letter_ids,
    matching_or_tf4,
    not_carried,
    number_ids,
    report_fields,
    tf4_as_matching,
    to_html,
)
from item_bank.formats.errors import ExportResult, FormatIssue, ImportResult, IssueCollector
from item_bank.formats.safe_input import parse_xml

NAME = "Moodle XML"
_PLUGINFILE = re.compile(r"@@PLUGINFILE@@/([^\"'\s<>)]+)")
_EMBEDDED = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^\\}])*)\}")
_TEXT_GAP = {"SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC"}
_CHOICE_GAP = {"MULTICHOICE", "MC", "MULTICHOICE_V", "MCV", "MULTICHOICE_H", "MCH",
               "MULTICHOICE_S", "MCS", "MULTICHOICE_VS", "MCVS", "MULTICHOICE_HS", "MCHS"}
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_SKIPPED = {"description", "essay", "random", "randomsamatch", "calculated", "calculatedsimple",
            "calculatedmulti", "ddwtos", "gapselect", "ddimageortext", "ddmarker"}


def _truthy(text: str | None, default: bool) -> bool:
    if text is None or not text.strip():
        return default
    return text.strip().lower() in ("1", "true", "yes")


def _default_name(content: ItemContent, external_id: str | None) -> str:
    """The name written when an item has no title; a reader seeing it restores "no title"."""
    if external_id:
        return external_id
    plain = re.sub(r"<[^>]+>", " ", content.stem)
    return " ".join(html.unescape(plain).split())[:60] or content.kind.value


# --- reading ---------------------------------------------------------------------------------

class _Question:
    def __init__(self, element: ET.Element, path: str, collector: IssueCollector) -> None:
        self.element = element
        self.path = path
        self.collector = collector
        self.media: dict[str, bytes] = {}
        for number, file in enumerate(element.iter("file"), start=1):
            name = file.get("name") or ""
            try:
                self.media[name] = base64.b64decode((file.text or "").strip(), validate=False)
            except (binascii.Error, ValueError):
                self.error(f"{path}//file[{number}]", "media",
                           f"Dữ liệu base64 của tệp “{name}” bị hỏng.",
                           f"The base64 data of file “{name}” is broken.")

    def error(self, path: str, field: str, vi: str, en: str) -> None:
        self.collector.error(path, field, vi, en)

    def text_of(self, element: ET.Element | None) -> str:
        """A text area's content: HTML kept, plain unescaped, @@PLUGINFILE@@ made bare."""
        if element is None:
            return ""
        raw = element.findtext("text") or ""
        raw = _PLUGINFILE.sub(lambda m: unquote(m.group(1)), raw)
        return (from_html(raw) if element.get("format", "html") == "html" else raw).strip()

    def child_text(self, name: str) -> str | None:
        found = self.element.find(name)
        if found is None:
            return None
        return (found.findtext("text") if found.find("text") is not None else found.text) or ""


def read(data: bytes, filename: str) -> ImportResult:
    collector = IssueCollector(filename)
    root = parse_xml(data, collector)
    if root.tag != "quiz":
        raise collector.fatal(f"/{root.tag}", "xml", "Phần tử gốc phải là <quiz>.",
                              "The root element must be <quiz>.")
    built: list[tuple[str, ItemRecord]] = []
    category: str | None = None
    for number, element in enumerate(root.findall("question"), start=1):
        path = f"/quiz/question[{number}]"
        qtype = element.get("type", "")
        if qtype == "category":
            category = element.findtext("category/text") or element.findtext("category") or ""
            continue
        question = _Question(element, path, collector)
        content = _read_content(question, qtype)
        if content is None:
            continue
        built.append((path, _read_metadata(question, content, category)))
    records = finish(collector, built)
    records_problem(collector, records)
    collector.raise_if_errors()
    return ImportResult(records, collector.warnings)


def _read_metadata(question: _Question, content: ItemContent, category: str | None
                   ) -> ItemRecord:
    element = question.element
    points = 1.0
    grade_text = element.findtext("defaultgrade")
    if grade_text and grade_text.strip():
        try:
            points = float(grade_text)
        except ValueError:
            question.error(f"{question.path}/defaultgrade", "points", "Điểm phải là một số.",
                           "The default grade must be a number.")
    feedback = question.text_of(element.find("generalfeedback")) or None
    shuffle = _truthy(element.findtext("shuffleanswers"), True)
    content = replace(content, points=points, feedback=feedback, shuffle=shuffle)
    external_id = (element.findtext("idnumber") or "").strip() or None
    title = (question.child_text("name") or "").strip() or None
    if title == _default_name(content, external_id):
        title = None
    tags = tuple(t.strip() for t in (tag.findtext("text") or "" for tag in
                                     element.findall("tags/tag")) if t.strip())
    record = ItemRecord(content=content, external_id=external_id, title=title, tags=tags,
                        media=question.media)
    return apply_category(record, category)


def _answers(question: _Question) -> list[tuple[float, str, str]]:
    """(fraction, text, path) of each <answer>."""
    found = []
    for number, answer in enumerate(question.element.findall("answer"), start=1):
        path = f"{question.path}/answer[{number}]"
        try:
            fraction = float(answer.get("fraction", "0"))
        except ValueError:
            question.error(path, "fraction", "Thuộc tính fraction phải là một số.",
                           "The fraction attribute must be a number.")
            fraction = 0.0
        found.append((fraction, question.text_of(answer), path))
    return found


def _read_content(question: _Question, qtype: str) -> ItemContent | None:
    element = question.element
    stem = question.text_of(element.find("questiontext"))
    answers = _answers(question)
    path = question.path

    def missing_key() -> None:
        question.error(path, "key", "Câu hỏi không có đáp án đúng.",
                       "The question has no correct answer.")

    if qtype in ("multichoice", "multichoiceset"):
        choices = tuple(Part(i, t) for i, (_, t, _) in zip(letter_ids(len(answers)), answers,
                                                           strict=True))
        single = qtype == "multichoice" and _truthy(element.findtext("single"), True)
        if single:
            full = [c.id for c, (f, _, _) in zip(choices, answers, strict=True) if f >= 100]
            if len(full) != 1:
                question.error(path, "key",
                               "Câu một lựa chọn cần đúng một đáp án có fraction=100.",
                               "A single-choice question needs exactly one answer with "
                               "fraction=100.")
                return None
            return ItemContent(ItemKind.SINGLE, stem, choices, key={"correct": full[0]})
        correct = [c.id for c, (f, _, _) in zip(choices, answers, strict=True) if f > 0]
        if not correct:
            missing_key()
            return None
        scoring = "all_or_nothing" if qtype == "multichoiceset" else "partial"
        return ItemContent(ItemKind.MULTIPLE, stem, choices,
                           key={"correct": correct, "scoring": scoring})
    if qtype == "truefalse":
        right = [t.strip().lower() for f, t, _ in answers if f >= 100]
        if len(right) != 1 or right[0] not in ("true", "false", "đúng", "sai"):
            missing_key()
            return None
        return ItemContent(ItemKind.SINGLE, stem, (Part("A", TRUE_LABEL), Part("B", FALSE_LABEL)),
                           key={"correct": "A" if right[0] in ("true", "đúng") else "B"})
    if qtype == "matching":
        lefts, rights = [], []
        for sub in element.findall("subquestion"):
            lefts.append(question.text_of(sub))
            rights.append((sub.findtext("answer/text") or sub.findtext("answer") or "").strip())
        target_texts = list(dict.fromkeys(rights))
        targets = tuple(Part(i, t) for i, t in zip(number_ids(len(target_texts)), target_texts,
                                                    strict=True))
        by_text = {p.text: p.id for p in targets}
        used = [(left, right) for left, right in zip(lefts, rights, strict=True) if left]
        choices = tuple(Part(i, left) for i, (left, _) in zip(letter_ids(len(used)), used,
                                                              strict=True))
        pairs = {c.id: by_text[r] for c, (_, r) in zip(choices, used, strict=True)}
        return matching_or_tf4(ItemContent(ItemKind.MATCHING, stem, choices, targets,
                                           key={"pairs": pairs}))
    if qtype == "ordering":
        ids = letter_ids(len(answers))
        return ItemContent(ItemKind.ORDERING, stem,
                           tuple(Part(i, t) for i, (_, t, _) in zip(ids, answers, strict=True)),
                           key={"order": ids})
    if qtype == "shortanswer":
        accepted = [t for f, t, _ in answers if f >= 100]
        for f, t, answer_path in answers:
            if 0 < f < 100:
                question.collector.warn(answer_path, "answer",
                                        f"Đáp án “{t}” chỉ được một phần điểm nên bị bỏ.",
                                        f"Answer “{t}” gives only partial credit; dropped.")
        return ItemContent(ItemKind.SHORT_ANSWER, stem, key={
            "accepted": accepted,
            "case_sensitive": _truthy(element.findtext("usecase"), False)})
    if qtype == "numerical":
        for number, answer in enumerate(element.findall("answer"), start=1):
            if float(answer.get("fraction", "0") or 0) < 100:
                continue
            answer_path = f"{path}/answer[{number}]"
            try:
                value = float((answer.findtext("text") or "").strip())
                tolerance = float((answer.findtext("tolerance") or "0").strip() or 0)
            except ValueError:
                question.error(answer_path, "key", "Đáp án số hoặc sai số không phải là số.",
                               "The numeric answer or its tolerance is not a number.")
                return None
            return ItemContent(ItemKind.NUMERIC, stem, key={
                "value": value, "tolerance": abs(tolerance), "tolerance_kind": "absolute"})
        missing_key()
        return None
    if qtype == "multianswer":
        raw = element.findtext("questiontext/text") or ""
        return _read_cloze(question, raw)
    if qtype in _SKIPPED:
        question.collector.warn(path, "type", f"Loại câu Moodle “{qtype}” không được nhập.",
                                f"Moodle question type “{qtype}” is not imported.")
        return None
    question.error(path, "type", f"Loại câu Moodle “{qtype}” không được hỗ trợ.",
                   f"Moodle question type “{qtype}” is not supported.")
    return None


def _unescape_embedded(text: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", text)).strip()


def _split_embedded(body: str) -> list[tuple[float, str]]:
    pieces = re.split(r"(?<!\\)~", body)
    found = []
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        weight = 0.0
        if piece.startswith("="):
            weight, piece = 100.0, piece[1:]
        elif match := _WEIGHT.match(piece):
            weight, piece = float(match.group(1)), piece[match.end():]
        piece = re.split(r"(?<!\\)#", piece, maxsplit=1)[0]
        found.append((weight, _unescape_embedded(piece)))
    return found


def _read_cloze(question: _Question, raw: str) -> ItemContent | None:
    gaps: list[dict[str, Any]] = []
    problems = []

    def gap(match: re.Match[str]) -> str:
        gap_id = str(len(gaps) + 1)
        kind, body = match.group(2), match.group(3)
        answers = _split_embedded(body)
        if kind in _TEXT_GAP:
            text_gap: dict[str, Any] = {"id": gap_id,
                                        "accepted": [t for w, t in answers if w >= 100]}
            if kind.endswith("C"):
                text_gap["case_sensitive"] = True
            gaps.append(text_gap)
        elif kind in _CHOICE_GAP:
            right = [t for w, t in answers if w >= 100]
            gaps.append({"id": gap_id, "choices": [t for _, t in answers],
                         "correct": right[0] if len(right) == 1 else ""})
            if len(right) != 1:
                problems.append((f"Ô trống {gap_id}: cần đúng một lựa chọn đúng (=).",
                                 f"Gap {gap_id}: exactly one choice must be right (=)."))
        else:
            gaps.append({"id": gap_id, "accepted": []})
            problems.append((f"Ô trống {gap_id}: kiểu “{kind}” chưa được hỗ trợ.",
                             f"Gap {gap_id}: the type “{kind}” is not supported."))
        return f"[[{gap_id}]]"

    stem = _EMBEDDED.sub(gap, raw)
    stem = _PLUGINFILE.sub(lambda m: unquote(m.group(1)), stem)
    for vi, en in problems:
        question.error(f"{question.path}/questiontext", "key", vi, en)
    if problems:
        return None
    return ItemContent(ItemKind.CLOZE, from_html(stem).strip(), key={"gaps": gaps})


# --- writing ---------------------------------------------------------------------------------

def _refs(text: str, media: dict[str, bytes]) -> tuple[str, list[str]]:
    """HTML for Moodle: bare media names become @@PLUGINFILE@@ references; names used."""
    used = []
    for name in media:
        pattern = re.compile(r'((?:src|href)\s*=\s*["\'])' + re.escape(name) + r'(["\'])')
        if pattern.search(text):
            used.append(name)
            text = pattern.sub(lambda m, n=name: f"{m.group(1)}@@PLUGINFILE@@/{quote(n)}"
                               f"{m.group(2)}", text)
    return text, used


class _Writer:
    def __init__(self, record: ItemRecord) -> None:
        self.media = dict(record.media)
        self.attached: set[str] = set()

    def text_area(self, parent: ET.Element, tag: str, text: str, *, is_html_area: bool = True
                  ) -> ET.Element:
        area = ET.SubElement(parent, tag, format="html" if is_html_area else "plain_text")
        body, used = _refs(to_html(text) if is_html_area else text, self.media)
        ET.SubElement(area, "text").text = body
        for name in used:
            if name not in self.attached:
                self.attach(area, name)
        return area

    def attach(self, area: ET.Element, name: str) -> None:
        self.attached.add(name)
        file = ET.SubElement(area, "file", name=name, path="/", encoding="base64")
        file.text = base64.b64encode(self.media[name]).decode("ascii")


def _fraction(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".")


def _embedded(gap: dict[str, Any]) -> str:
    def esc(text: str) -> str:
        text = html.escape(text, quote=False)
        return re.sub(r'([\\}#~/"])', r"\\\1", text)

    if "choices" in gap:
        body = "~".join(("=" if i == gap["correct"] else "") + esc(t) for i, t in gap_options(gap))
        return "{1:MULTICHOICE:" + body + "}"
    kind = "SHORTANSWER_C" if gap.get("case_sensitive") else "SHORTANSWER"
    return "{1:" + kind + ":" + "~".join("=" + esc(a) for a in gap["accepted"]) + "}"


def _write_question(quiz: ET.Element, index: int, record: ItemRecord, filename: str,
                    issues: list[FormatIssue]) -> None:
    content = record.content
    kind = content.kind
    key = content.key
    writer = _Writer(record)
    qtype = {ItemKind.SINGLE: "multichoice", ItemKind.TRUE_FALSE4: "matching",
             ItemKind.MATCHING: "matching", ItemKind.ORDERING: "ordering",
             ItemKind.SHORT_ANSWER: "shortanswer", ItemKind.NUMERIC: "numerical",
             ItemKind.CLOZE: "multianswer"}.get(kind)
    if kind is ItemKind.MULTIPLE:
        qtype = "multichoiceset" if key.get("scoring") == "all_or_nothing" else "multichoice"
    question = ET.SubElement(quiz, "question", type=qtype)
    if record.title and record.title == _default_name(content, record.external_id):
        not_carried(issues, filename, index, record, "title",
                    "Tiêu đề trùng với tên mặc định (mã câu) nên sẽ không được nhận lại là tiêu đề.",
                    "The title equals the default name (the item id), so it will not come back "
                    "as a title.")
    ET.SubElement(ET.SubElement(question, "name"), "text").text = (
        record.title or _default_name(content, record.external_id))
    if kind is ItemKind.CLOZE:
        in_stem = GAP.findall(content.stem)
        if in_stem != [str(n + 1) for n in range(len(in_stem))]:
            not_carried(issues, filename, index, record, "key",
                        "Moodle đánh số ô trống 1, 2, 3… theo thứ tự; mã ô trống riêng không "
                        "được giữ.",
                        "Moodle numbers gaps 1, 2, 3… in order; the gaps' own ids are not kept.")
        for gap in key["gaps"]:
            if gap_has_ids(gap):
                not_carried(issues, filename, index, record, "key",
                            f"Ô trống {gap['id']}: Moodle ghi lựa chọn bằng nội dung, không giữ "
                            "mã riêng.",
                            f"Gap {gap['id']}: Moodle writes options by their text, not their ids.")
        stem = to_html(content.stem)
        by_id = {str(g["id"]): g for g in key["gaps"]}
        stem = GAP.sub(lambda m: _embedded(by_id[m.group(1)]), stem)
        area = ET.SubElement(question, "questiontext", format="html")
        body, used = _refs(stem, writer.media)
        ET.SubElement(area, "text").text = body
        for name in used:
            writer.attach(area, name)
        text_area = area
    else:
        text_area = writer.text_area(question, "questiontext", content.stem)
    writer.text_area(question, "generalfeedback", content.feedback or "")
    ET.SubElement(question, "defaultgrade").text = format_number(content.points)
    ET.SubElement(question, "penalty").text = "0"
    ET.SubElement(question, "hidden").text = "0"
    ET.SubElement(question, "idnumber").text = record.external_id or ""
    if kind in (ItemKind.SINGLE, ItemKind.MULTIPLE):
        if qtype == "multichoice":
            ET.SubElement(question, "single").text = "true" if kind is ItemKind.SINGLE else "false"
        ET.SubElement(question, "shuffleanswers").text = "true" if content.shuffle else "false"
        ET.SubElement(question, "answernumbering").text = "abc"
        right = {key["correct"]} if kind is ItemKind.SINGLE else set(key["correct"])
        share = 100.0 if qtype != "multichoice" or kind is ItemKind.SINGLE else 100 / len(right)
        for part in content.choices:
            fraction = share if part.id in right else 0.0
            answer = writer.text_area(question, "answer", part.text)
            answer.set("fraction", _fraction(fraction))
    elif kind in (ItemKind.MATCHING, ItemKind.TRUE_FALSE4):
        ET.SubElement(question, "shuffleanswers").text = "true" if content.shuffle else "false"
        targets, pairs = ((content.targets, key["pairs"]) if kind is ItemKind.MATCHING
                          else tf4_as_matching(content))
        texts = {p.id: p.text for p in targets}
        for part in content.choices:
            sub = writer.text_area(question, "subquestion", part.text)
            ET.SubElement(ET.SubElement(sub, "answer"), "text").text = texts[pairs[part.id]]
        used = {pairs[p.id] for p in content.choices}
        for target in targets:
            if target.id not in used:  # a distractor: an empty question with an answer
                sub = writer.text_area(question, "subquestion", "")
                ET.SubElement(ET.SubElement(sub, "answer"), "text").text = target.text
        first_use = list(dict.fromkeys(pairs[p.id] for p in content.choices))
        expected = first_use + [t.id for t in targets if t.id not in used]
        if kind is ItemKind.MATCHING and expected != [t.id for t in targets]:
            not_carried(issues, filename, index, record, "targets",
                        "Moodle không giữ thứ tự riêng của cột vế phải; thứ tự theo lần dùng đầu.",
                        "Moodle does not keep the right-hand column's own order.")
    elif kind is ItemKind.ORDERING:
        by_id = {p.id: p for p in content.choices}
        for cid in key["order"]:
            answer = writer.text_area(question, "answer", by_id[cid].text)
            answer.set("fraction", "1")
        if [p.id for p in content.choices] != list(key["order"]):
            not_carried(issues, filename, index, record, "choices",
                        "Moodle lưu các mục theo thứ tự đúng; thứ tự trình bày ban đầu không được giữ.",
                        "Moodle stores the items in their correct order; the original order "
                        "is not kept.")
    elif kind is ItemKind.SHORT_ANSWER:
        ET.SubElement(question, "usecase").text = "1" if key.get("case_sensitive") else "0"
        for accepted in key["accepted"]:
            answer = ET.SubElement(question, "answer", fraction="100", format="moodle_auto_format")
            ET.SubElement(answer, "text").text = accepted
    elif kind is ItemKind.NUMERIC:
        tolerance = float(key.get("tolerance") or 0)
        if key.get("tolerance_kind") == "relative":
            tolerance = abs(float(key["value"])) * tolerance
            not_carried(issues, filename, index, record, "tolerance_kind",
                        "Moodle chỉ có sai số tuyệt đối; sai số tương đối được đổi sang tuyệt đối.",
                        "Moodle has only absolute tolerance; the relative one was converted.")
        answer = ET.SubElement(question, "answer", fraction="100", format="moodle_auto_format")
        ET.SubElement(answer, "text").text = format_number(float(key["value"]))
        ET.SubElement(answer, "tolerance").text = format_number(tolerance)
    for name in writer.media:
        if name not in writer.attached:
            writer.attach(text_area, name)
    if record.tags:
        tags = ET.SubElement(question, "tags")
        for tag in record.tags:
            ET.SubElement(ET.SubElement(tags, "tag"), "text").text = tag
    if not content.shuffle and kind not in (ItemKind.SINGLE, ItemKind.MULTIPLE,
                                            ItemKind.MATCHING, ItemKind.TRUE_FALSE4):
        report_fields(issues, filename, NAME, index, record, ("shuffle",))
    report_fields(issues, filename, NAME, index, record, ("difficulty",))


def write(records: list[ItemRecord], filename: str = "cau_hoi_moodle.xml") -> ExportResult:
    issues: list[FormatIssue] = []
    quiz = ET.Element("quiz")
    category: str | None = None
    for index, record in enumerate(records):
        if not writable(issues, filename, index, record):
            continue
        wanted = category_path(record)
        wanted = f"$course$/top/{wanted}" if wanted else "$course$/top"
        if wanted != category and (category is not None or wanted != "$course$/top"):
            question = ET.SubElement(quiz, "question", type="category")
            ET.SubElement(ET.SubElement(question, "category"), "text").text = wanted
            category = wanted
        _write_question(quiz, index, record, filename, issues)
    ET.indent(quiz)
    data = ET.tostring(quiz, encoding="utf-8", xml_declaration=True)
    return ExportResult(data, filename, issues)
