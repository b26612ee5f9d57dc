"""QTI content packages: the zip, ``imsmanifest.xml`` and the IEEE LOM metadata in it.

Layout: ``imsmanifest.xml``; ``items/itemNNNN.xml``, one resource each; the item's media in
``items/itemNNNN/``. LOM carries what items have no place for: our id (catalog "exam-engine"),
title, tags (keywords), difficulty and, as classification taxon paths, module, requirement code,
subject and grade.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import replace
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree as ET

from item_bank.content import ItemKind, ItemRecord
from item_bank.formats.checks import finish, records_problem, writable
from item_bank.formats.common import not_carried
from item_bank.formats.errors import (
    ExportResult,
    FormatErrors,
    FormatIssue,
    ImportResult,
    IssueCollector,
)
from item_bank.formats.qti_common import (
    CATALOG,
    LOM_NS,
    XSI_NS,
    Dialect,
    encode_id,
    to_xml,
)
from item_bank.formats.qti_item_reader import ItemReader
from item_bank.formats.qti_item_writer import ItemWriter
from item_bank.formats.safe_input import local, parse_xml, read_zip

_LOM_DIFFICULTY = {"easy": "easy", "medium": "medium", "hard": "difficult"}
_DIFFICULTY_FROM_LOM = {"very easy": "easy", "easy": "easy", "medium": "medium",
                        "difficult": "hard", "very difficult": "hard", "hard": "hard"}


def _lom(record: ItemRecord, parent: ET.Element) -> None:
    def el(p: ET.Element, name: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(p, f"{{{LOM_NS}}}{name}")
        if text is not None:
            element.text = text
        return element

    lom = el(parent, "lom")
    general = el(lom, "general")
    # always written: the catalog marks our metadata, so "no id, no title" reads back as such
    identifier = el(general, "identifier")
    el(identifier, "catalog", CATALOG)
    el(identifier, "entry", record.external_id or "")
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
                el(el(path, "source"), "string", f"{CATALOG}:{source}")
                el(el(el(path, "taxon"), "entry"), "string", value)


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return not name or name.startswith("/") or ".." in parts or bool(re.match(r"^[A-Za-z]:", name))


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
        if not writable(issues, filename, index, record):
            continue
        file_id = f"item{index + 1:04d}"
        identifier = encode_id(record.external_id) if record.external_id else file_id
        if identifier in used_identifiers:
            identifier = file_id
        used_identifiers.add(identifier)
        writer = ItemWriter(dialect, record, file_id, identifier, filename, index, issues)
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
            "identifier": file_id, "type": dialect.item_type, "href": item_path})
        _lom(record, ET.SubElement(resource, f"{{{dialect.manifest_ns}}}metadata"))
        if record.difficulty and record.difficulty not in _LOM_DIFFICULTY:
            not_carried(issues, filename, index, record, "difficulty",
                        f"Độ khó “{record.difficulty}” không thuộc dễ/trung bình/khó nên không "
                        "được ghi.",
                        f"Difficulty “{record.difficulty}” is not easy/medium/hard; not written.")
        ET.SubElement(resource, f"{{{dialect.manifest_ns}}}file", {"href": item_path})
        for name, blob in record.media.items():
            if _unsafe_name(name):
                not_carried(issues, filename, index, record, "media",
                            f"Tên tệp “{name}” không an toàn (đường dẫn tuyệt đối hoặc “..”); "
                            "tệp không được ghi.",
                            f"The file name “{name}” is unsafe (absolute or “..”); "
                            "the file was not written.")
                continue
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



def _read_lom(resource: ET.Element, record: ItemRecord) -> ItemRecord:
    lom = next((e for e in resource.iter() if local(e.tag) == "lom"), None)
    if lom is None:
        return record

    def child(element: ET.Element, name: str) -> ET.Element | None:
        return next((c for c in element if local(c.tag) == name), None)

    changes: dict[str, Any] = {}
    general = child(lom, "general")
    if general is not None:
        identifier = child(general, "identifier")
        catalog = child(identifier, "catalog") if identifier is not None else None
        if catalog is not None and (catalog.text or "").strip() == CATALOG:
            # our own package: the manifest, not the item's NCName identifier, holds the truth
            entry = child(identifier, "entry")
            changes["external_id"] = ((entry.text or "").strip() or None) if entry is not None \
                else None
            changes["title"] = None
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
            changes["difficulty"] = _DIFFICULTY_FROM_LOM.get((value.text or "").strip().lower())
    for element in lom.iter():
        if local(element.tag) != "taxonPath":
            continue
        source = "".join(child(element, "source").itertext()).strip() \
            if child(element, "source") is not None else ""
        taxon = child(element, "taxon")
        value = "".join(taxon.itertext()).strip() if taxon is not None else ""
        facet = source.removeprefix(f"{CATALOG}:")
        if facet in ("module", "code", "subject") and value:
            changes[facet] = value
        elif facet == "grade" and value.isdigit():
            changes["grade"] = int(value)
    return replace(record, **changes)


def _attached_files(record: ItemRecord, resource: ET.Element, item_path: str, where: str,
                    members: dict[str, bytes], collector: IssueCollector,
                    referenced: set[str]) -> ItemRecord:
    """The files the manifest lists for the item join its media, referenced in the text or not."""
    item_dir = posixpath.dirname(item_path)
    own = posixpath.splitext(posixpath.basename(item_path))[0] + "/"
    media = dict(record.media)
    files = [e for e in resource if local(e.tag) == "file"]
    for number, file in enumerate(files, start=1):
        href = posixpath.normpath(unquote(file.get("href") or ""))
        if href == item_path or (href in referenced and href not in members):
            continue  # a missing file the text refers to is reported once, by the item reader
        if href not in members:
            collector.error(f"{where}/file[{number}]", "href",
                            f"Tệp “{file.get('href')}” được khai báo nhưng không có trong gói.",
                            f"The file “{file.get('href')}” is declared but missing from the "
                            "package.")
            continue
        name = posixpath.relpath(href, item_dir) if item_dir else href
        media.setdefault(name[len(own):] if name.startswith(own) else name, members[href])
    return replace(record, media=media)


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
        items.append((path, resource, where))
    if not items and not collector.errors:
        collector.error("tệp imsmanifest.xml: /manifest/resources", "resources",
                        f"Tệp kê khai không có câu hỏi {dialect.name} nào.",
                        f"The manifest lists no {dialect.name} item.")
    built = []
    for path, resource, where in items:
        try:
            root = parse_xml(members[path], collector, f"tệp {path}: ")
        except FormatErrors:
            continue  # the error is collected; go on to report the other files' errors too
        if dialect.camel(local(root.tag)) != "assessmentItem":
            collector.error(f"tệp {path}: /{local(root.tag)}", "xml",
                            f"Phần tử gốc phải là {dialect.element('assessmentItem')}.",
                            f"The root element must be {dialect.element('assessmentItem')}.")
            continue
        reader = ItemReader(dialect, root, path, members, collector)
        record = reader.read()
        if record is not None:
            record = _attached_files(record, resource, path, where, members, collector,
                                     reader.referenced)
            built.append((f"tệp {path}", _read_lom(resource, record)))
    collector.raise_if_errors()
    steps = {"key": ("responseDeclaration",), "stem": ("itemBody",),
             "choices": ("itemBody",), "targets": ("itemBody",)}

    def locate(location: str, field: str) -> str:
        path = "/".join(dialect.element(s) for s in ("assessmentItem", *steps.get(field, ())))
        return f"{location}: /{path}"

    records = finish(collector, built, locate)
    records_problem(collector, records)
    collector.raise_if_errors()
    return ImportResult(records, collector.warnings)
