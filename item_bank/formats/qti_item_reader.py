"""One QTI item (2.1 or 3.0, ours or another tool's) read into an ``ItemRecord``; structural
problems go to the collector with the item file and XML path."""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree as ET

from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats.common import from_html, matching_or_tf4
from item_bank.formats.errors import (
    IssueCollector,
)
from item_bank.formats.qti_common import (
    BLOCK_INTERACTIONS,
    INLINE_INTERACTIONS,
    Dialect,
    decode_id,
    gap_id,
    serialise,
)
from item_bank.formats.safe_input import local


class ItemReader:
    def __init__(self, dialect: Dialect, root: ET.Element, path: str, members: dict[str, bytes],
                 collector: IssueCollector) -> None:
        self.d = dialect
        self.root = root
        self.ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
        self.path = path
        self.members = members
        self.collector = collector
        self.media: dict[str, bytes] = {}
        self.referenced: set[str] = set()  # package paths the text refers to, found or not

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

    def resolve_media(self, root: ET.Element) -> None:
        item_dir = posixpath.dirname(self.path)
        own = posixpath.splitext(posixpath.basename(self.path))[0] + "/"
        for element in root.iter():
            for attr in ("src", "data", "href"):
                value = element.get(attr)
                if not value or re.match(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:", value) \
                        or value.startswith(("#", "/")):
                    continue
                if attr == "href" and local(element.tag) == "a":
                    continue
                target = posixpath.normpath(posixpath.join(item_dir, unquote(value)))
                self.referenced.add(target)
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
        self.resolve_media(self.root)  # the body and the feedback
        declarations = self.declarations()
        interactions = [e for e in body.iter() if self.name_of(e) in
                        BLOCK_INTERACTIONS | INLINE_INTERACTIONS]
        blocks = [e for e in interactions if self.name_of(e) in BLOCK_INTERACTIONS]
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
        if feedback_element is not None:
            body_of = feedback_element.find(self.tag("contentBody"))
            feedback_element = body_of if body_of is not None else feedback_element
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
            gaps[interaction] = found_id = gap_id(identifier)
            found = declaration(interaction)
            if found is None:
                continue
            if self.name_of(interaction) == "textEntryInteraction":
                text_gap: dict[str, Any] = {"id": found_id, "accepted": [
                    k for k, _ in found["entries"]] or found["values"]}
                if any(sensitive for _, sensitive in found["entries"]):
                    text_gap["case_sensitive"] = True
                key_gaps.append(text_gap)
                continue
            options = [(self.get(c, "identifier") or "", from_html(serialise(c)).strip())
                       for c in interaction.findall(self.tag("inlineChoice"))]
            correct_id = found["values"][0] if found["values"] else None
            if correct_id not in [i for i, _ in options]:
                self.error(("responseDeclaration", "correctResponse"), "key",
                           f"Ô trống {found_id}: đáp án không phải một lựa chọn.",
                           f"Gap {found_id}: the answer is not one of the choices.")
                continue
            if [i for i, _ in options] == [f"C{n + 1}" for n in range(len(options))]:
                # options known only by their text (our writer numbers them C1, C2 …)
                key_gaps.append({"id": found_id, "choices": [t for _, t in options],
                                 "correct": dict(options)[correct_id]})
            else:
                key_gaps.append({"id": found_id,
                                 "choices": [{"id": decode_id(i), "text": t} for i, t in options],
                                 "correct": decode_id(correct_id)})
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
