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

Modules: ``qti_common`` (this: dialects, identifiers, HTML in QTI XML), ``qti_item_writer``,
``qti_item_reader`` and ``qti_package`` (zip, manifest, LOM metadata).

Reading is all-or-nothing and refuses broken zips, missing manifests or files, path traversal,
zip bombs and XML with DOCTYPE/entities (see ``common.read_zip`` and ``common.parse_xml``).
"""

from __future__ import annotations

import html
import html.entities
import re
from collections.abc import Collection
from dataclasses import dataclass
from xml.etree import ElementTree as ET

import defusedxml
import defusedxml.ElementTree as SafeET

from item_bank.formats.common import to_html
from item_bank.formats.safe_input import local

LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
CATALOG = "exam-engine"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ET.register_namespace("imsmd", LOM_NS)
_CAMEL = re.compile(r"(?<!^)([A-Z])")
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_VOID = {"img", "br", "hr", "input", "col", "area", "source", "wbr", "param", "embed", "track"}
_UNCLOSED_VOID = re.compile(r"<(" + "|".join(sorted(_VOID)) + r")(\s[^<>]*?)?\s*(?<!/)>")
BLOCK_INTERACTIONS = {"choiceInteraction", "matchInteraction", "orderInteraction"}
INLINE_INTERACTIONS = {"textEntryInteraction", "inlineChoiceInteraction"}


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


def gap_identifier(gap_id: str) -> str:
    """RESPONSE_1 for gap "1"; the gap id comes back from it with ``gap_id``."""
    return "RESPONSE_" + (gap_id if _NCNAME.match("A" + gap_id) and not gap_id.startswith("X_")
                          else encode_id(gap_id))


def gap_id(identifier: str) -> str:
    return decode_id(identifier[len("RESPONSE_"):]) if identifier.startswith(
        "RESPONSE_") else identifier


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


def escape_text(text: str | None) -> str:
    return html.escape(text, quote=False) if text else ""


def serialise(element: ET.Element, *, skip: Collection[ET.Element] = (),
              gaps: dict[ET.Element, str] | None = None) -> str:
    """The content of ``element`` as HTML text, namespaces dropped; gaps become [[id]]."""
    gaps = gaps or {}
    parts = [escape_text(element.text)]
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
        parts.append(escape_text(child.tail))
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
            out.append(f"<{tag}{declarations}{attrs}>{escape_text(element.text)}")
            for child in element:
                emit(child)
                out.append(escape_text(child.tail))
            out.append(f"</{tag}>")

    namespaces = f' xmlns="{default_ns}"' + "".join(
        f' xmlns:{prefix}="{ns}"' for ns, prefix in prefixes.items())
    emit(root, namespaces)
    return "".join(out).encode("utf-8")
