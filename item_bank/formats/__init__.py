"""Import and export of items in the formats teachers keep them in.

    read(fmt, data, filename) -> ImportResult     # raises FormatErrors listing every error
    write(fmt, records) -> ExportResult           # reports what the format cannot carry
    detect(data, filename) -> fmt                 # by extension, then by content
    FORMATS                                       # name -> FormatInfo

``fmt`` is one of ``FORMATS`` or None (detect). Pure Python: no Flask, no database.
"""

from __future__ import annotations

import importlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import ModuleType

from item_bank.content import ItemKind, ItemRecord
from item_bank.formats.common import normalise_record
from item_bank.formats.errors import (
    ExportResult,
    FormatErrors,
    FormatIssue,
    ImportResult,
    IssueCollector,
)
from item_bank.taxonomy import split_ic3_tag, tags_with_ic3

_K = ItemKind


@dataclass(frozen=True)
class FormatInfo:
    name: str
    label: str
    extension: str  # of the exported file
    kinds: frozenset[ItemKind]  # the item types the format carries
    module: str

    def load(self) -> ModuleType:
        # imported on use: reading Aiken need not load openpyxl
        return importlib.import_module(self.module)


FORMATS: dict[str, FormatInfo] = {
    info.name: info
    for info in (
        FormatInfo("excel", "Excel (.xlsx)", ".xlsx", frozenset(_K), "item_bank.formats.excel"),
        FormatInfo("aiken", "Aiken (.txt)", ".txt", frozenset({_K.SINGLE}),
                   "item_bank.formats.aiken"),
        FormatInfo("gift", "GIFT (Moodle, .gift)", ".gift",
                   frozenset({_K.SINGLE, _K.MULTIPLE, _K.TRUE_FALSE4, _K.MATCHING, _K.SHORT_ANSWER,
                              _K.NUMERIC}), "item_bank.formats.gift"),
        FormatInfo("moodle_xml", "Moodle XML (.xml)", ".xml", frozenset(_K),
                   "item_bank.formats.moodle_xml"),
        FormatInfo("qti21", "IMS QTI 2.1 (.zip)", ".zip", frozenset(_K), "item_bank.formats.qti21"),
        FormatInfo("qti30", "1EdTech QTI 3.0 (.zip)", ".zip", frozenset(_K),
                   "item_bank.formats.qti30"),
    )
}


def detect(data: bytes, filename: str) -> str:
    """The format of a file, from its extension and, where that is ambiguous, its content."""
    name = filename.lower()
    head = data[:4096]
    if name.endswith((".xlsx", ".xlsm")):
        return "excel"
    if name.endswith(".gift"):
        return "gift"
    if name.endswith(".zip") or head.startswith(b"PK\x03\x04"):
        return _detect_zip(data)
    # An Aiken or GIFT text may begin with an HTML stem ("<p>…"): only an XML declaration or
    # Moodle's root element says XML.
    if name.endswith(".xml") or head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(
            (b"<?xml", b"<quiz")):
        return "moodle_xml"
    text = head.decode("utf-8", errors="replace")
    if "{" in text and "}" in text or "::" in text or "$CATEGORY" in text:
        return "gift"
    return "aiken"


def _detect_zip(data: bytes) -> str:
    """Excel or which QTI version, from the names and the manifest inside (read, bounded)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "imsmanifest.xml" not in names and any(n.startswith("xl/") for n in names):
                return "excel"
            info = archive.getinfo("imsmanifest.xml") if "imsmanifest.xml" in names else None
            if info is not None and info.file_size < 16 * 1024 * 1024:
                with archive.open(info) as stream:
                    manifest = stream.read(16 * 1024 * 1024)
                if b"v3p0" in manifest:
                    return "qti30"
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
        pass  # the reader reports the broken zip properly
    return "qti21"


def read(fmt: str | None, data: bytes, filename: str) -> ImportResult:
    """Read a whole file. All-or-nothing: on any error raises FormatErrors with every issue."""
    fmt = fmt or detect(data, filename)
    if fmt not in FORMATS:
        collector = IssueCollector(filename)
        raise collector.fatal("tệp", "format", f"Định dạng “{fmt}” không được hỗ trợ.",
                              f"The format “{fmt}” is not supported.")
    result = FORMATS[fmt].load().read(data, filename)
    return replace(result, records=[_ic3_from_tags(r) for r in result.records])


def _ic3_from_tags(record: ItemRecord) -> ItemRecord:
    tags, domain = split_ic3_tag(record.tags)
    return replace(record, tags=tags, ic3_domain=record.ic3_domain or domain)


def write(fmt: str, records: Sequence[ItemRecord], filename: str | None = None) -> ExportResult:
    """Write records; what the format cannot carry is listed in ``not_carried``, per item."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    module = FORMATS[fmt].load()
    # NFC out, whatever came in; the IC3 domain travels as an "IC3:<code>" tag.
    records = [replace(normalise_record(record), ic3_domain=None,
                       tags=tags_with_ic3(record.tags, record.ic3_domain)) for record in records]
    if filename is None:
        return module.write(records)
    return module.write(records, filename)


__all__ = ["FORMATS", "FormatInfo", "ExportResult", "FormatErrors", "FormatIssue",
           "ImportResult", "detect", "read", "write"]
