"""One QTI item (2.1 or 3.0) from an ``ItemRecord``; the mapping is described in ``qti_common``."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

from item_bank.content import ItemKind, ItemRecord, Part
from item_bank.formats.common import (
    FALSE_LABEL,
    GAP,
    TRUE_LABEL,
    format_number,
    gap_has_ids,
    gap_options,
    not_carried,
)
from item_bank.formats.errors import (
    FormatIssue,
)
from item_bank.formats.qti_common import (
    XSI_NS,
    Dialect,
    encode_id,
    gap_identifier,
    parse_fragment,
)
from item_bank.formats.safe_input import local


def _inline_options(gap: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(QTI identifier, option id, text): options that are bare strings get C1, C2 …; options
    with ids of their own keep them (so a reader can tell the two shapes apart)."""
    if gap_has_ids(gap):
        return [(encode_id(i), i, t) for i, t in gap_options(gap)]
    return [(f"C{n + 1}", i, t) for n, (i, t) in enumerate(gap_options(gap))]


class ItemWriter:
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
            if self.d.kebab:  # 3.0 wraps the feedback's content
                feedback = self.el(feedback, "contentBody")
            self.html_into(feedback, content.feedback, "feedback")
        # the schema's order: declarations, body, processing, feedback
        rank = {self.d.element(n): i for i, n in enumerate(
            ("responseDeclaration", "outcomeDeclaration", "itemBody", "responseProcessing",
             "modalFeedback"))}
        children = sorted(self.root, key=lambda e: rank.get(local(e.tag), 9))
        for child in list(self.root):
            self.root.remove(child)
        self.root.extend(children)
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
            identifier = gap_identifier(gap_id)
            marker = f"GAPMARK{len(markers)}X"
            markers[marker] = gap_id
            if "choices" in gap:
                options = _inline_options(gap)
                correct = next(qti_id for qti_id, option_id, _ in options
                               if option_id == gap["correct"])
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
                             case_sensitive=bool(gap.get("case_sensitive")), upper="1")
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
            identifier = gap_identifier(gap_id)
            if "choices" not in gap:
                return self.el(None, "textEntryInteraction", responseIdentifier=identifier)
            interaction = self.el(None, "inlineChoiceInteraction", responseIdentifier=identifier,
                                  shuffle=shuffle)
            for qti_id, _, text in _inline_options(gap):
                self.el(interaction, "inlineChoice", text, identifier=qti_id)
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
