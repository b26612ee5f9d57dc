"""IMS/1EdTech QTI content packages, versions 2.1 and 3.0: one implementation, two dialects.

The two versions share their model; 3.0 renames elements (``choiceInteraction`` →
``qti-choice-interaction``) and attributes (``responseIdentifier`` → ``response-identifier``)
and changes namespaces and template URLs. :class:`Dialect` holds those differences.

A package is a zip: ``imsmanifest.xml`` with one ``imsqti_item_xmlv2p1`` / ``…v3p0`` resource per
item, ``items/itemNNNN.xml``, and each item's media in ``items/itemNNNN/`` (so the item refers
to ``itemNNNN/name.png``). Metadata that QTI items have no place for (requirement code, module,
subject, grade, tags, difficulty, our id and title) is in the manifest as IEEE LOM.

Item types:

* single / multiple — ``choiceInteraction`` (maxChoices 1 / 0, cardinality single / multiple);
  "partial" scoring adds a ``mapping`` (template map_response), all-or-nothing uses match_correct.
* true_false4 — one ``matchInteraction`` (class "true-false4") pairing the four statements with
  the targets T "Đúng" and F "Sai", mapped 0.25 a statement: one interaction, one response, so a
  delivery engine scores it as one item with partial credit. (Four choiceInteractions would make
  four responses and need a custom rule to be one item.)
* matching — ``matchInteraction`` with two ``simpleMatchSet``s, directedPair, map_response.
* ordering — ``orderInteraction``, cardinality ordered, match_correct.
* short answer — ``textEntryInteraction``, string, mapping of accepted answers (caseSensitive).
* numeric — ``textEntryInteraction``, float, response processing with ``equal`` and
  toleranceMode absolute / relative (QTI's relative tolerance is in percent).
* cloze — the gaps stay inline in the stem as ``textEntryInteraction`` /
  ``inlineChoiceInteraction`` (one response each, ``RESPONSE_<gap id>``), scored by a sum.

Reading is all-or-nothing and refuses broken zips, missing manifests or files, path traversal,
zip bombs and XML with DOCTYPE/entities (see ``common.read_zip`` and ``common.parse_xml``).
"""

from __future__ import annotations

import html
import html.entities
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote
from xml.etree import ElementTree as ET

import defusedxml
import defusedxml.ElementTree as SafeET

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats.common import (
    DIFFICULTIES,
    FALSE_LABEL,
    GAP,
    TRUE_LABEL,
    finish,
    format_number,
    from_html,
    local,
    matching_or_tf4,
    not_carried,
    parse_xml,
    read_zip,
    records_problem,
    to_html,
)
from item_bank.formats.errors import (
    ExportResult,
    FormatErrors,
    FormatIssue,
    ImportResult,
    IssueCollector,
)

LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ET.register_namespace("imsmd", LOM_NS)
_CAMEL = re.compile(r"(?<!^)([A-Z])")
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_VOID = {"img", "br", "hr", "input", "col", "area", "source", "wbr", "param", "embed", "track"}
_UNCLOSED_VOID = re.compile(r"<(" + "|".join(sorted(_VOID)) + r")(\s[^<>]*?)?\s*(?<!/)>")
_BLOCK_INTERACTIONS = {"choiceInteraction", "matchInteraction", "orderInteraction"}
_INLINE_INTERACTIONS = {"textEntryInteraction", "inlineChoiceInteraction"}
_LOM_DIFFICULTY = {"easy": "easy", "medium": "medium", "hard": "difficult"}


@dataclass(frozen=True)
class Dialect:
    name: str  # "QTI 2.1"
    ns: str
    kebab: bool  # 3.0 names: qti-kebab-case elements, kebab-case attributes
    item_type: str  # manifest resource type
    manifest_ns: str
    item_schema: str
    manifest_schema: str
    template_prefix: str
    template_suffix: str

    def element(self, name: str) -> str:
        return "qti-" + _CAMEL.sub(r"-\1", name).lower() if self.kebab else name

    def attr(self, name: str) -> str:
        return _CAMEL.sub(r"-\1", name).lower() if self.kebab else name

    def template(self, name: str) -> str:
        return self.template_prefix + name + self.template_suffix

    def camel(self, local_name: str) -> str:
        """The 2.1 (camelCase) name of an element of this dialect."""
        if not self.kebab:
            return local_name
        if not local_name.startswith("qti-"):
            return local_name
        head, *rest = local_name[4:].split("-")
        return head + "".join(word.capitalize() for word in rest)


# --- identifiers: QTI needs NCNames; ours may be "1", "2" … ----------------------------------

def encode_id(value: str) -> str:
    if _NCNAME.match(value) and not value.startswith("X_"):
        return value
    return "X_" + value.encode("utf-8").hex()


def decode_id(value: str) -> str:
    if value.startswith("X_"):
        try:
            return bytes.fromhex(value[2:]).decode("utf-8")
        except ValueError:
            return value
    return value


# --- HTML fragments in and out of QTI XML ---------------------------------------------------

_XML_ENTITIES = {"lt", "gt", "amp", "quot", "apos"}


def _named_entities_to_chars(text: str) -> str:
    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _XML_ENTITIES or name + ";" not in html.entities.html5:
            return match.group(0)
        return html.entities.html5[name + ";"]
    return re.sub(r"&([A-Za-z][A-Za-z0-9]*);", swap, text)


def parse_fragment(text: str, ns: str) -> tuple[ET.Element, bool]:
    """An HTML text as XML children of a wrapper in ``ns``; False when it had to be escaped."""
    body = _named_entities_to_chars(to_html(text))
    attempts = [body, _UNCLOSED_VOID.sub(r"<\1\2/>", body)]
    for attempt in attempts:
        try:
            return SafeET.fromstring(f'<div xmlns="{ns}">{attempt}</div>',
                                     forbid_dtd=True), True
        except (ET.ParseError, defusedxml.DefusedXmlException):
            continue
    wrapper = ET.Element(f"{{{ns}}}div")
    wrapper.text = text
    return wrapper, False


def _escape_text(text: str | None) -> str:
    return html.escape(text, quote=False) if text else ""


def serialise(element: ET.Element, *, skip: set[ET.Element] = frozenset(),  # type: ignore[assignment]
              gaps: dict[ET.Element, str] | None = None) -> str:
    """The content of ``element`` as HTML text, namespaces dropped; gaps become [[id]]."""
    gaps = gaps or {}
    parts = [_escape_text(element.text)]
    for child in element:
        if child in gaps:
            parts.append(f"[[{gaps[child]}]]")
        elif child not in skip:
            name = local(child.tag)
            attrs = "".join(f' {local(k)}="{html.escape(v, quote=True)}"'
                            for k, v in child.attrib.items())
            inner = serialise(child, skip=skip, gaps=gaps)
            if not inner and name in _VOID:
                parts.append(f"<{name}{attrs}/>")
            else:
                parts.append(f"<{name}{attrs}>{inner}</{name}>")
        parts.append(_escape_text(child.tail))
    return "".join(parts)


def to_xml(root: ET.Element, default_ns: str) -> bytes:
    """XML with ``default_ns`` as the default namespace (ElementTree's own option refuses
    unqualified attributes, which QTI uses throughout)."""
    prefixes = {XSI_NS: "xsi", LOM_NS: "imsmd"}

    def name(qname: str) -> str:
        if not qname.startswith("{"):
            return qname
        ns, local_name = qname[1:].split("}", 1)
        return local_name if ns == default_ns else f"{prefixes[ns]}:{local_name}"

    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']

    def emit(element: ET.Element, declarations: str = "") -> None:
        tag = name(element.tag)
        attrs = "".join(f' {name(k)}="{html.escape(v, quote=True)}"'
                        for k, v in element.attrib.items())
        if element.text is None and not len(element):
            out.append(f"<{tag}{declarations}{attrs}/>")
        else:
            out.append(f"<{tag}{declarations}{attrs}>{_escape_text(element.text)}")
            for child in element:
                emit(child)
                out.append(_escape_text(child.tail))
            out.append(f"</{tag}>")

    namespaces = f' xmlns="{default_ns}"' + "".join(
        f' xmlns:{prefix}="{ns}"' for ns, prefix in prefixes.items())
    emit(root, namespaces)
    return "".join(out).encode("utf-8")


# --- writing ---------------------------------------------------------------------------------

class _ItemWriter:
    def __init__(self, dialect: Dialect, record: ItemRecord, file_id: str, identifier: str,
                 filename: str, index: int, issues: list[FormatIssue]) -> None:
        self.d = dialect
        self.record = record
        self.content = record.content
        self.file_id = file_id
        self.filename = filename
        self.index = index
        self.issues = issues
        self.used_media: set[str] = set()
        self.root = self.el(None, "assessmentItem", identifier=identifier,
                            title=record.title or record.external_id or file_id,
                            adaptive="false", timeDependent="false")
        self.root.set(f"{{{XSI_NS}}}schemaLocation", f"{dialect.ns} {dialect.item_schema}")
        self.rules: list[ET.Element] = []
        self.template: str | None = None

    def el(self, parent: ET.Element | None, name: str, text: str | None = None,
           **attrs: str) -> ET.Element:
        tag = f"{{{self.d.ns}}}{self.d.element(name)}"
        attributes = {self.d.attr(k): v for k, v in attrs.items()}
        element = ET.Element(tag, attributes) if parent is None else ET.SubElement(
            parent, tag, attributes)
        if text is not None:
            element.text = text
        return element

    def html_into(self, target: ET.Element, text: str, field: str) -> None:
        wrapper, ok = parse_fragment(text, self.d.ns)
        if not ok:
            not_carried(self.issues, self.filename, self.index, self.record, field,
                        "HTML không hợp lệ theo XML nên được ghi như văn bản thường.",
                        "The HTML is not well-formed XML, so it was written as plain text.")
        for element in wrapper.iter():
            for attr in ("src", "href", "data"):
                value = element.get(attr)
                if value is not None and value in self.record.media:
                    self.used_media.add(value)
                    element.set(attr, f"{self.file_id}/{quote(value)}")
        target.text = wrapper.text
        target.extend(list(wrapper))

    def response(self, identifier: str, cardinality: str, base_type: str,
                 correct: list[str]) -> ET.Element:
        declaration = self.el(self.root, "responseDeclaration", identifier=identifier,
                              cardinality=cardinality, baseType=base_type)
        if correct:
            values = self.el(declaration, "correctResponse")
            for value in correct:
                self.el(values, "value", value)
        return declaration

    def mapping(self, declaration: ET.Element, entries: list[tuple[str, float]],
                case_sensitive: bool | None = None, lower: str | None = "0",
                upper: str | None = None) -> None:
        attrs = {"defaultValue": "0"}
        if lower is not None:
            attrs["lowerBound"] = lower
        if upper is not None:
            attrs["upperBound"] = upper
        mapping = self.el(declaration, "mapping", **attrs)
        for key, value in entries:
            extra = {} if case_sensitive is None else {
                "caseSensitive": "true" if case_sensitive else "false"}
            self.el(mapping, "mapEntry", mapKey=key, mappedValue=format_number(value), **extra)

    def outcomes(self) -> None:
        score = self.el(self.root, "outcomeDeclaration", identifier="SCORE",
                        cardinality="single", baseType="float")
        self.el(self.el(score, "defaultValue"), "value", "0")
        maximum = self.el(self.root, "outcomeDeclaration", identifier="MAXSCORE",
                          cardinality="single", baseType="float")
        self.el(self.el(maximum, "defaultValue"), "value", format_number(self.content.points))
        if self.content.feedback:
            self.el(self.root, "outcomeDeclaration", identifier="FEEDBACK",
                    cardinality="single", baseType="identifier")

    # rules -----------------------------------------------------------------------------------
    def set_score(self, parent: ET.Element, expression: ET.Element | str) -> None:
        setter = self.el(parent, "setOutcomeValue", identifier="SCORE")
        if isinstance(expression, str):
            self.el(setter, "baseValue", expression, baseType="float")
        else:
            setter.append(expression)

    def rule_match_correct(self, identifier: str = "RESPONSE") -> None:
        condition = self.el(None, "responseCondition")
        branch = self.el(condition, "responseIf")
        match = self.el(branch, "match")
        self.el(match, "variable", identifier=identifier)
        self.el(match, "correct", identifier=identifier)
        self.set_score(branch, "1")
        self.set_score(self.el(condition, "responseElse"), "0")
        self.rules.append(condition)

    def rule_map_response(self) -> None:
        condition = self.el(None, "responseCondition")
        branch = self.el(condition, "responseIf")
        self.el(self.el(branch, "isNull"), "variable", identifier="RESPONSE")
        self.set_score(branch, "0")
        otherwise = self.el(condition, "responseElse")
        self.set_score(otherwise, self.el(None, "mapResponse", identifier="RESPONSE"))
        self.rules.append(condition)

    def processing(self) -> None:
        feedback = self.content.feedback
        if self.template and not feedback:
            self.el(self.root, "responseProcessing", template=self.d.template(self.template))
            return
        if self.template == "match_correct":
            self.rule_match_correct()
        elif self.template == "map_response":
            self.rule_map_response()
        processing = self.el(self.root, "responseProcessing")
        processing.extend(self.rules)
        if feedback:
            setter = self.el(processing, "setOutcomeValue", identifier="FEEDBACK")
            self.el(setter, "baseValue", "GENERAL", baseType="identifier")

    # the item --------------------------------------------------------------------------------
    def build(self) -> ET.Element:
        content = self.content
        kind = content.kind
        key = content.key
        shuffle = "true" if content.shuffle else "false"
        body_parts: list[tuple[str, Any]] = []
        if kind in (ItemKind.SINGLE, ItemKind.MULTIPLE):
            single = kind is ItemKind.SINGLE
            correct = [key["correct"]] if single else list(key["correct"])
            declaration = self.response("RESPONSE", "single" if single else "multiple",
                                        "identifier", [encode_id(c) for c in correct])
            if not single and key.get("scoring") == "partial":
                wrong = [p.id for p in content.choices if p.id not in correct]
                self.mapping(declaration, [(encode_id(c), 1 / len(correct)) for c in correct]
                             + [(encode_id(w), -1 / len(correct)) for w in wrong], upper="1")
                self.template = "map_response"
            else:
                self.template = "match_correct"
            body_parts.append(("choice", "1" if single else "0"))
        elif kind in (ItemKind.MATCHING, ItemKind.TRUE_FALSE4):
            if kind is ItemKind.MATCHING:
                targets, pairs = content.targets, dict(key["pairs"])
            else:
                targets = (Part("T", TRUE_LABEL), Part("F", FALSE_LABEL))
                pairs = {c: "T" if v else "F" for c, v in key["truth"].items()}
            values = [f"{encode_id(c)} {encode_id(t)}" for c, t in pairs.items()]
            declaration = self.response("RESPONSE", "multiple", "directedPair", values)
            self.mapping(declaration, [(v, 1 / len(values)) for v in values], upper="1")
            self.template = "map_response"
            body_parts.append(("match", targets))
        elif kind is ItemKind.ORDERING:
            self.response("RESPONSE", "ordered", "identifier",
                          [encode_id(c) for c in key["order"]])
            self.template = "match_correct"
            body_parts.append(("order", None))
        elif kind is ItemKind.SHORT_ANSWER:
            accepted = list(key["accepted"])
            declaration = self.response("RESPONSE", "single", "string", accepted[:1])
            self.mapping(declaration, [(a, 1.0) for a in accepted],
                         case_sensitive=bool(key.get("case_sensitive")), upper="1")
            self.template = "map_response"
            body_parts.append(("entry", None))
        elif kind is ItemKind.NUMERIC:
            self.response("RESPONSE", "single", "float", [format_number(float(key["value"]))])
            self.numeric_rule()
            body_parts.append(("entry", None))
        self.outcomes()
        body = self.el(self.root, "itemBody")
        stem = ET.SubElement(body, f"{{{self.d.ns}}}div", {"class": "stem"})
        if kind is ItemKind.CLOZE:
            self.cloze(stem, shuffle)
        else:
            self.html_into(stem, content.stem, "stem")
        for part_kind, extra in body_parts:
            self.interaction(body, part_kind, extra, shuffle)
        self.processing()
        if content.feedback:
            feedback = self.el(self.root, "modalFeedback", outcomeIdentifier="FEEDBACK",
                               identifier="GENERAL", showHide="show")
            self.html_into(feedback, content.feedback, "feedback")
        return self.root

    def interaction(self, body: ET.Element, part_kind: str, extra: Any, shuffle: str) -> None:
        content = self.content
        if part_kind == "choice":
            interaction = self.el(body, "choiceInteraction", responseIdentifier="RESPONSE",
                                  shuffle=shuffle, maxChoices=extra)
            for part in content.choices:
                self.html_into(self.el(interaction, "simpleChoice", identifier=encode_id(part.id)),
                               part.text, "choices")
        elif part_kind == "match":
            interaction = self.el(body, "matchInteraction", responseIdentifier="RESPONSE",
                                  shuffle=shuffle, maxAssociations=str(len(content.choices)))
            if content.kind is ItemKind.TRUE_FALSE4:
                interaction.set("class", "true-false4")
            left = self.el(interaction, "simpleMatchSet")
            for part in content.choices:
                self.html_into(self.el(left, "simpleAssociableChoice", identifier=encode_id(part.id),
                                       matchMax="1"), part.text, "choices")
            right = self.el(interaction, "simpleMatchSet")
            for part in extra:
                self.html_into(self.el(right, "simpleAssociableChoice", identifier=encode_id(part.id),
                                       matchMax=str(len(content.choices))), part.text, "targets")
        elif part_kind == "order":
            interaction = self.el(body, "orderInteraction", responseIdentifier="RESPONSE",
                                  shuffle=shuffle)
            for part in content.choices:
                self.html_into(self.el(interaction, "simpleChoice", identifier=encode_id(part.id)),
                               part.text, "choices")
        else:
            paragraph = ET.SubElement(body, f"{{{self.d.ns}}}p")
            self.el(paragraph, "textEntryInteraction", responseIdentifier="RESPONSE")

    def numeric_rule(self) -> None:
        key = self.content.key
        tolerance = float(key.get("tolerance") or 0)
        condition = self.el(None, "responseCondition")
        branch = self.el(condition, "responseIf")
        if not tolerance:
            equal = self.el(branch, "equal", toleranceMode="exact")
        elif key.get("tolerance_kind") == "relative":
            percent = format_number(float(Decimal(repr(tolerance)) * 100))
            equal = self.el(branch, "equal", toleranceMode="relative",
                            tolerance=f"{percent} {percent}")
        else:
            text = format_number(tolerance)
            equal = self.el(branch, "equal", toleranceMode="absolute", tolerance=f"{text} {text}")
        self.el(equal, "variable", identifier="RESPONSE")
        self.el(equal, "correct", identifier="RESPONSE")
        self.set_score(branch, "1")
        self.set_score(self.el(condition, "responseElse"), "0")
        self.rules.append(condition)

    def cloze(self, stem: ET.Element, shuffle: str) -> None:
        gaps = {str(g["id"]): g for g in self.content.key["gaps"]}
        markers: dict[str, str] = {}
        for gap_id, gap in gaps.items():
            identifier = "RESPONSE_" + encode_id(gap_id)
            marker = f"GAPMARK{len(markers)}X"
            markers[marker] = gap_id
            if "choices" in gap:
                ids = [f"C{i + 1}" for i in range(len(gap["choices"]))]
                correct = ids[list(gap["choices"]).index(gap["correct"])]
                self.response(identifier, "single", "identifier", [correct])
                condition = self.el(None, "responseCondition")
                branch = self.el(condition, "responseIf")
                match = self.el(branch, "match")
                self.el(match, "variable", identifier=identifier)
                self.el(match, "correct", identifier=identifier)
                setter = self.el(branch, "setOutcomeValue", identifier="SCORE")
                add = self.el(setter, "sum")
                self.el(add, "variable", identifier="SCORE")
                self.el(add, "baseValue", "1", baseType="float")
                self.rules.append(condition)
            else:
                declaration = self.response(identifier, "single", "string",
                                            list(gap["accepted"])[:1])
                self.mapping(declaration, [(a, 1.0) for a in gap["accepted"]],
                             case_sensitive=False, upper="1")
                setter = self.el(None, "setOutcomeValue", identifier="SCORE")
                add = self.el(setter, "sum")
                self.el(add, "variable", identifier="SCORE")
                self.el(add, "mapResponse", identifier=identifier)
                self.rules.append(setter)
        by_gap = {gap_id: marker for marker, gap_id in markers.items()}
        marked = GAP.sub(lambda m: by_gap.get(m.group(1), m.group(0)), self.content.stem)
        self.html_into(stem, marked, "stem")
        self._replace_markers(stem, markers, gaps, shuffle)

    def _replace_markers(self, stem: ET.Element, markers: dict[str, str],
                         gaps: dict[str, dict[str, Any]], shuffle: str) -> None:
        pattern = re.compile("(" + "|".join(markers) + ")") if markers else None
        if pattern is None:
            return

        def make(gap_id: str) -> ET.Element:
            gap = gaps[gap_id]
            identifier = "RESPONSE_" + encode_id(gap_id)
            if "choices" not in gap:
                return self.el(None, "textEntryInteraction", responseIdentifier=identifier)
            interaction = self.el(None, "inlineChoiceInteraction", responseIdentifier=identifier,
                                  shuffle=shuffle)
            for i, choice in enumerate(gap["choices"]):
                self.el(interaction, "inlineChoice", choice, identifier=f"C{i + 1}")
            return interaction

        def split(text: str | None) -> tuple[str | None, list[tuple[ET.Element, str]]]:
            if not text or not pattern.search(text):
                return text, []
            pieces = pattern.split(text)
            made = [(make(markers[pieces[i]]), pieces[i + 1]) for i in range(1, len(pieces), 2)]
            return pieces[0], made

        for parent in list(stem.iter()):
            children = list(parent)
            head, made = split(parent.text)
            parent.text = head
            position = 0
            for element, tail in made:
                element.tail = tail
                parent.insert(position, element)
                position += 1
            for child in children:
                tail_head, made = split(child.tail)
                child.tail = tail_head
                at = list(parent).index(child) + 1
                for element, tail in made:
                    element.tail = tail
                    parent.insert(at, element)
                    at += 1


def _lom(record: ItemRecord, parent: ET.Element) -> None:
    def el(p: ET.Element, name: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(p, f"{{{LOM_NS}}}{name}")
        if text is not None:
            element.text = text
        return element

    lom = el(parent, "lom")
    general = el(lom, "general")
    if record.external_id:
        identifier = el(general, "identifier")
        el(identifier, "catalog", "exam-engine")
        el(identifier, "entry", record.external_id)
    if record.title:
        el(el(general, "title"), "string", record.title).set("language", "vi")
    for tag in record.tags:
        el(el(general, "keyword"), "string", tag).set("language", "vi")
    if record.difficulty in _LOM_DIFFICULTY:
        difficulty = el(el(lom, "educational"), "difficulty")
        el(difficulty, "source", "LOMv1.0")
        el(difficulty, "value", _LOM_DIFFICULTY[record.difficulty])
    facets = [("module", record.module), ("code", record.code), ("subject", record.subject),
              ("grade", None if record.grade is None else str(record.grade))]
    if any(value for _, value in facets):
        classification = el(lom, "classification")
        purpose = el(classification, "purpose")
        el(purpose, "source", "LOMv1.0")
        el(purpose, "value", "discipline")
        for source, value in facets:
            if value:
                path = el(classification, "taxonPath")
                el(el(path, "source"), "string", f"exam-engine:{source}")
                el(el(el(path, "taxon"), "entry"), "string", value)


def write_package(dialect: Dialect, records: list[ItemRecord], filename: str) -> ExportResult:
    issues: list[FormatIssue] = []
    manifest = ET.Element(f"{{{dialect.manifest_ns}}}manifest", {"identifier": "MANIFEST"})
    manifest.set(f"{{{XSI_NS}}}schemaLocation",
                 f"{dialect.manifest_ns} {dialect.manifest_schema}")
    metadata = ET.SubElement(manifest, f"{{{dialect.manifest_ns}}}metadata")
    ET.SubElement(metadata, f"{{{dialect.manifest_ns}}}schema").text = "QTI Package"
    ET.SubElement(metadata, f"{{{dialect.manifest_ns}}}schemaversion").text = (
        "3.0.0" if dialect.kebab else "2.1")
    ET.SubElement(manifest, f"{{{dialect.manifest_ns}}}organizations")
    resources = ET.SubElement(manifest, f"{{{dialect.manifest_ns}}}resources")
    files: list[tuple[str, bytes]] = []
    used_identifiers: set[str] = set()
    for index, record in enumerate(records):
        file_id = f"item{index + 1:04d}"
        identifier = encode_id(record.external_id) if record.external_id else file_id
        if identifier in used_identifiers:
            identifier = file_id
        used_identifiers.add(identifier)
        writer = _ItemWriter(dialect, record, file_id, identifier, filename, index, issues)
        item = writer.build()
        content = record.content
        has_options = content.kind not in (ItemKind.SHORT_ANSWER, ItemKind.NUMERIC,
                                           ItemKind.CLOZE) or any(
            "choices" in gap for gap in content.key.get("gaps", []))
        if not content.shuffle and not has_options:
            not_carried(issues, filename, index, record, "shuffle",
                        "Câu không có phương án nên không có thiết lập đảo phương án.",
                        "The item has no options, so there is no shuffle setting.")
        # not indented: whitespace added inside the HTML would change the stem
        item_path = f"items/{file_id}.xml"
        files.append((item_path, to_xml(item, dialect.ns)))
        resource = ET.SubElement(resources, f"{{{dialect.manifest_ns}}}resource", {
            "identifier": identifier, "type": dialect.item_type, "href": item_path})
        _lom(record, ET.SubElement(resource, f"{{{dialect.manifest_ns}}}metadata"))
        ET.SubElement(resource, f"{{{dialect.manifest_ns}}}file", {"href": item_path})
        for name, blob in record.media.items():
            media_path = f"items/{file_id}/{name}"
            files.append((media_path, blob))
            ET.SubElement(resource, f"{{{dialect.manifest_ns}}}file", {"href": media_path})
    ET.indent(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", to_xml(manifest, dialect.manifest_ns))
        for path, blob in files:
            archive.writestr(path, blob)
    return ExportResult(buffer.getvalue(), filename, issues)


# --- reading ---------------------------------------------------------------------------------

class _ItemReader:
    def __init__(self, dialect: Dialect, root: ET.Element, path: str, members: dict[str, bytes],
                 collector: IssueCollector) -> None:
        self.d = dialect
        self.root = root
        self.ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
        self.path = path
        self.members = members
        self.collector = collector
        self.media: dict[str, bytes] = {}

    def tag(self, name: str) -> str:
        local_name = self.d.element(name)
        return f"{{{self.ns}}}{local_name}" if self.ns else local_name

    def get(self, element: ET.Element, name: str, default: str | None = None) -> str | None:
        return element.get(self.d.attr(name), default)

    def name_of(self, element: ET.Element) -> str:
        return self.d.camel(local(element.tag))

    def where(self, *steps: str) -> str:
        names = [self.d.element(s) for s in ("assessmentItem", *steps)]
        return f"tệp {self.path}: /" + "/".join(names)

    def error(self, steps: tuple[str, ...], field: str, vi: str, en: str) -> None:
        self.collector.error(self.where(*steps), field, vi, en)

    # pieces -----------------------------------------------------------------------------------
    def declarations(self) -> dict[str, dict[str, Any]]:
        found = {}
        for declaration in self.root.findall(self.tag("responseDeclaration")):
            identifier = self.get(declaration, "identifier") or ""
            values = [v.text or "" for v in declaration.findall(
                f"{self.tag('correctResponse')}/{self.tag('value')}")]
            entries = [(self.get(e, "mapKey") or "", self.get(e, "caseSensitive") == "true")
                       for e in declaration.findall(f"{self.tag('mapping')}/{self.tag('mapEntry')}")]
            found[identifier] = {"values": values, "entries": entries,
                                 "has_mapping": declaration.find(self.tag("mapping")) is not None,
                                 "base_type": self.get(declaration, "baseType"),
                                 "cardinality": self.get(declaration, "cardinality")}
        return found

    def resolve_media(self, body: ET.Element) -> None:
        item_dir = posixpath.dirname(self.path)
        own = posixpath.splitext(posixpath.basename(self.path))[0] + "/"
        for element in body.iter():
            for attr in ("src", "data", "href"):
                value = element.get(attr)
                if not value or re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:", value) \
                        or value.startswith(("#", "/")):
                    continue
                if attr == "href" and local(element.tag) == "a":
                    continue
                target = posixpath.normpath(posixpath.join(item_dir, unquote(value)))
                if target.startswith("../") or target == "..":
                    self.error(("itemBody",), "media",
                               f"Đường dẫn “{value}” trỏ ra ngoài gói.",
                               f"The path “{value}” points outside the package.")
                    continue
                if target not in self.members:
                    self.error(("itemBody",), "media",
                               f"Tệp “{value}” được tham chiếu nhưng không có trong gói.",
                               f"The file “{value}” is referenced but missing from the package.")
                    continue
                name = posixpath.relpath(target, item_dir) if item_dir else target
                name = name[len(own):] if name.startswith(own) else name
                self.media[name] = self.members[target]
                element.set(attr, name)

    def parts(self, parent: ET.Element, name: str) -> tuple[Part, ...]:
        return tuple(Part(decode_id(self.get(c, "identifier") or ""), from_html(serialise(c)).strip())
                     for c in parent.findall(self.tag(name)))

    # the item --------------------------------------------------------------------------------
    def read(self) -> ItemRecord | None:
        body = self.root.find(self.tag("itemBody"))
        if body is None:
            self.error((), "itemBody", "Câu hỏi thiếu phần itemBody.", "The item has no itemBody.")
            return None
        self.resolve_media(body)
        declarations = self.declarations()
        interactions = [e for e in body.iter() if self.name_of(e) in
                        _BLOCK_INTERACTIONS | _INLINE_INTERACTIONS]
        blocks = [e for e in interactions if self.name_of(e) in _BLOCK_INTERACTIONS]
        if not interactions:
            self.error(("itemBody",), "interaction", "Câu hỏi không có tương tác nào được hỗ trợ.",
                       "The item has no supported interaction.")
            return None
        if len(blocks) > 1 or (blocks and len(interactions) > 1):
            self.error(("itemBody",), "interaction",
                       "Câu hỏi có nhiều tương tác — chưa được hỗ trợ.",
                       "Items with several interactions are not supported.")
            return None
        stem_holder = next((c for c in body if local(c.tag) == "div"
                            and "stem" in (c.get("class") or "").split()), None)
        content = self.content(interactions, blocks, declarations, body, stem_holder)
        if content is None:
            return None
        points = 1.0
        for outcome in self.root.findall(self.tag("outcomeDeclaration")):
            if self.get(outcome, "identifier") == "MAXSCORE":
                text = outcome.findtext(f"{self.tag('defaultValue')}/{self.tag('value')}") or "1"
                try:
                    points = float(text)
                except ValueError:
                    self.error(("outcomeDeclaration",), "points", "MAXSCORE phải là một số.",
                               "MAXSCORE must be a number.")
        feedback_element = self.root.find(self.tag("modalFeedback"))
        feedback = (from_html(serialise(feedback_element)).strip() or None
                    if feedback_element is not None else None)
        shuffles = [self.get(e, "shuffle") for e in interactions if self.get(e, "shuffle")]
        shuffle = not shuffles or shuffles[0] == "true"
        content = replace(content, points=points, feedback=feedback, shuffle=shuffle)
        return ItemRecord(content=content, external_id=self.get(self.root, "identifier"),
                          title=self.get(self.root, "title"), media=self.media)

    def content(self, interactions: list[ET.Element], blocks: list[ET.Element],
                declarations: dict[str, dict[str, Any]], body: ET.Element,
                stem_holder: ET.Element | None) -> ItemContent | None:
        def stem_without(skip: set[ET.Element], gaps: dict[ET.Element, str] | None = None) -> str:
            holder = stem_holder if stem_holder is not None else body
            text = serialise(holder, skip=skip, gaps=gaps)
            return from_html(text).strip()

        def declaration(element: ET.Element) -> dict[str, Any] | None:
            identifier = self.get(element, "responseIdentifier") or ""
            found = declarations.get(identifier)
            if found is None:
                self.error(("responseDeclaration",), "key",
                           f"Không có responseDeclaration cho “{identifier}”.",
                           f"There is no responseDeclaration for “{identifier}”.")
            return found

        if blocks:
            interaction = blocks[0]
            name = self.name_of(interaction)
            found = declaration(interaction)
            if found is None:
                return None
            stem = stem_without({interaction})
            prompt = interaction.find(self.tag("prompt"))
            if prompt is not None:
                stem = (stem + "\n" + from_html(serialise(prompt)).strip()).strip()
            values = [decode_id(v) for v in found["values"]]
            if not values:
                self.error(("responseDeclaration", "correctResponse"), "key",
                           "Thiếu đáp án đúng (correctResponse).",
                           "The correct response is missing.")
                return None
            if name == "choiceInteraction":
                choices = self.parts(interaction, "simpleChoice")
                if found["cardinality"] == "single":
                    return ItemContent(ItemKind.SINGLE, stem, choices, key={"correct": values[0]})
                scoring = "partial" if found["has_mapping"] else "all_or_nothing"
                return ItemContent(ItemKind.MULTIPLE, stem, choices,
                                   key={"correct": values, "scoring": scoring})
            if name == "orderInteraction":
                return ItemContent(ItemKind.ORDERING, stem,
                                   self.parts(interaction, "simpleChoice"), key={"order": values})
            sets = interaction.findall(self.tag("simpleMatchSet"))
            if len(sets) != 2:
                self.error(("itemBody", "matchInteraction"), "choices",
                           "matchInteraction cần đúng hai simpleMatchSet.",
                           "A matchInteraction needs exactly two simpleMatchSets.")
                return None
            choices = self.parts(sets[0], "simpleAssociableChoice")
            targets = self.parts(sets[1], "simpleAssociableChoice")
            pairs = {}
            for value in found["values"]:
                left, _, right = value.partition(" ")
                pairs[decode_id(left)] = decode_id(right.strip())
            if "true-false4" in (interaction.get("class") or "").split():
                return ItemContent(ItemKind.TRUE_FALSE4, stem, choices,
                                   key={"truth": {c: t == "T" for c, t in pairs.items()}})
            return matching_or_tf4(ItemContent(ItemKind.MATCHING, stem, choices, targets,
                                               key={"pairs": pairs}))
        entries = [e for e in interactions if self.name_of(e) == "textEntryInteraction"]
        if (len(interactions) == 1 and entries
                and self.get(entries[0], "responseIdentifier") == "RESPONSE"):
            found = declaration(entries[0])
            if found is None:
                return None
            stem = stem_without({entries[0]})
            if stem_holder is None:  # a foreign item: the entry sat in the stem's paragraph
                stem = re.sub(r"<p>\s*</p>$", "", stem).strip()
            if found["base_type"] in ("float", "integer"):
                return self.numeric(stem, found)
            accepted = [k for k, _ in found["entries"]] or found["values"]
            return ItemContent(ItemKind.SHORT_ANSWER, stem, key={
                "accepted": accepted,
                "case_sensitive": any(sensitive for _, sensitive in found["entries"])})
        gaps: dict[ET.Element, str] = {}
        key_gaps = []
        for interaction in interactions:
            identifier = self.get(interaction, "responseIdentifier") or ""
            gap_id = decode_id(identifier[len("RESPONSE_"):]) if identifier.startswith(
                "RESPONSE_") else identifier
            gaps[interaction] = gap_id
            found = declaration(interaction)
            if found is None:
                continue
            if self.name_of(interaction) == "textEntryInteraction":
                key_gaps.append({"id": gap_id, "accepted": [k for k, _ in found["entries"]]
                                 or found["values"]})
            else:
                options = [(self.get(c, "identifier"), from_html(serialise(c)).strip())
                           for c in interaction.findall(self.tag("inlineChoice"))]
                by_id = dict(options)
                correct = by_id.get(found["values"][0]) if found["values"] else None
                if correct is None:
                    self.error(("responseDeclaration", "correctResponse"), "key",
                               f"Ô trống {gap_id}: đáp án không phải một lựa chọn.",
                               f"Gap {gap_id}: the answer is not one of the choices.")
                    continue
                key_gaps.append({"id": gap_id, "choices": [t for _, t in options],
                                 "correct": correct})
        return ItemContent(ItemKind.CLOZE, stem_without(set(), gaps), key={"gaps": key_gaps})

    def numeric(self, stem: str, found: dict[str, Any]) -> ItemContent | None:
        try:
            value = float(found["values"][0])
        except (ValueError, IndexError):
            self.error(("responseDeclaration", "correctResponse"), "key",
                       "Đáp án số không phải là số.", "The numeric answer is not a number.")
            return None
        tolerance, kind = 0.0, "absolute"
        processing = self.root.find(self.tag("responseProcessing"))
        equal = None if processing is None else next(
            (e for e in processing.iter() if self.name_of(e) == "equal"), None)
        if equal is not None:
            mode = self.get(equal, "toleranceMode", "exact")
            text = (self.get(equal, "tolerance") or "0").split()
            try:
                amount = Decimal(text[0]) if text else Decimal(0)
            except ArithmeticError:
                amount = Decimal(0)
            if mode == "relative":
                tolerance, kind = float(amount / 100), "relative"
            elif mode == "absolute":
                tolerance = float(amount)
        return ItemContent(ItemKind.NUMERIC, stem, key={
            "value": value, "tolerance": tolerance, "tolerance_kind": kind})


def _read_lom(resource: ET.Element, record: ItemRecord) -> ItemRecord:
    lom = next((e for e in resource.iter() if local(e.tag) == "lom"), None)
    if lom is None:
        return record

    def child(element: ET.Element, name: str) -> ET.Element | None:
        return next((c for c in element if local(c.tag) == name), None)

    changes: dict[str, Any] = {"external_id": None, "title": None, "tags": ()}
    general = child(lom, "general")
    if general is not None:
        identifier = child(general, "identifier")
        if identifier is not None:
            entry = child(identifier, "entry")
            changes["external_id"] = (entry.text or "").strip() or None if entry is not None \
                else None
        title = child(general, "title")
        if title is not None:
            changes["title"] = " ".join(t for t in (("".join(s.itertext())).strip()
                                                    for s in title) if t) or None
        changes["tags"] = tuple(("".join(k.itertext())).strip() for k in general
                                if local(k.tag) == "keyword")
    educational = child(lom, "educational")
    if educational is not None:
        difficulty = child(educational, "difficulty")
        value = child(difficulty, "value") if difficulty is not None else None
        if value is not None:
            word = (value.text or "").strip()
            changes["difficulty"] = {"difficult": "hard"}.get(word, word) \
                if word in ("easy", "medium", "difficult") or word in DIFFICULTIES else None
    for element in lom.iter():
        if local(element.tag) != "taxonPath":
            continue
        source = "".join(child(element, "source").itertext()).strip() \
            if child(element, "source") is not None else ""
        taxon = child(element, "taxon")
        value = "".join(taxon.itertext()).strip() if taxon is not None else ""
        facet = source.removeprefix("exam-engine:")
        if facet in ("module", "code", "subject") and value:
            changes[facet] = value
        elif facet == "grade" and value.isdigit():
            changes["grade"] = int(value)
    return replace(record, **changes)


def read_package(dialect: Dialect, data: bytes, filename: str) -> ImportResult:
    collector = IssueCollector(filename)
    members = read_zip(data, collector)
    if "imsmanifest.xml" not in members:
        raise collector.fatal("tệp imsmanifest.xml", "manifest",
                              "Gói không có tệp imsmanifest.xml ở thư mục gốc.",
                              "The package has no imsmanifest.xml at its root.")
    manifest = parse_xml(members["imsmanifest.xml"], collector, "tệp imsmanifest.xml: ")
    resources = [e for e in manifest.iter() if local(e.tag) == "resource"]
    items = []
    for number, resource in enumerate(resources, start=1):
        kind = resource.get("type", "")
        if not kind.startswith("imsqti_item"):
            continue
        where = f"tệp imsmanifest.xml: /manifest/resources/resource[{number}]"
        if kind != dialect.item_type:
            collector.error(where, "type",
                            f"Tài nguyên loại “{kind}” không phải {dialect.name} — hãy chọn đúng "
                            "phiên bản QTI khi nhập.",
                            f"Resource type “{kind}” is not {dialect.name}; choose the right QTI "
                            "version.")
            continue
        href = resource.get("href") or ""
        path = posixpath.normpath(unquote(href)) if href else ""
        if not href or path not in members:
            collector.error(where, "href", f"Tệp “{href}” được khai báo nhưng không có trong gói.",
                            f"The file “{href}” is declared but missing from the package.")
            continue
        items.append((path, resource))
    if not items and not collector.errors:
        collector.error("tệp imsmanifest.xml: /manifest/resources", "resources",
                        f"Tệp kê khai không có câu hỏi {dialect.name} nào.",
                        f"The manifest lists no {dialect.name} item.")
    built = []
    for path, resource in items:
        try:
            root = parse_xml(members[path], collector, f"tệp {path}: ")
        except FormatErrors:
            continue  # the error is collected; go on to report the other files' errors too
        if dialect.camel(local(root.tag)) != "assessmentItem":
            collector.error(f"tệp {path}: /{local(root.tag)}", "xml",
                            f"Phần tử gốc phải là {dialect.element('assessmentItem')}.",
                            f"The root element must be {dialect.element('assessmentItem')}.")
            continue
        record = _ItemReader(dialect, root, path, members, collector).read()
        if record is not None:
            built.append((f"tệp {path}", _read_lom(resource, record)))
    collector.raise_if_errors()
    records = finish(collector, built)
    records_problem(collector, records)
    collector.raise_if_errors()
    return ImportResult(records, collector.warnings)
