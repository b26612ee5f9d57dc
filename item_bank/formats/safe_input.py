"""Untrusted input: XML without DTDs or entities (defusedxml), zips without traversal or bombs,
text that must be UTF-8. Each refusal is a FormatIssue naming the file and where.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree as ET

import defusedxml
import defusedxml.ElementTree as SafeET

from item_bank.formats.common import nfc
from item_bank.formats.errors import FormatErrors, IssueCollector


def parse_xml(data: bytes, collector: IssueCollector, prefix: str = "") -> ET.Element:
    """Parse untrusted XML: no DTD, no entities, no external references (defusedxml).

    ``prefix`` places the file inside a package ("tệp items/q1.xml: ").
    """
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise collector.fatal(
            prefix + "/", "xml",
            "Tệp XML có khai báo DOCTYPE/thực thể (entity) — bị từ chối vì lý do an toàn.",
            f"The XML declares a DOCTYPE or entities, refused for safety ({type(exc).__name__}).",
        ) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise collector.fatal(
            f"{prefix}dòng {line}, cột {column + 1}", "xml",
            f"Tệp không phải XML hợp lệ: {exc}.", f"The file is not well-formed XML: {exc}.",
        ) from None


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_ENTRIES = 20_000


def read_zip(data: bytes, collector: IssueCollector, *,
             max_total: int = MAX_TOTAL_UNCOMPRESSED, max_ratio: int = MAX_RATIO
             ) -> dict[str, bytes]:
    """The members of an untrusted zip, refusing path traversal and zip bombs.

    Sizes are checked while reading, not taken from the headers, which an attacker writes.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise collector.fatal("tệp zip", "zip", f"Tệp nén zip bị hỏng hoặc không phải zip ({exc}).",
                              f"The zip archive is broken or not a zip ({exc}).") from None
    if len(infos) > MAX_ENTRIES:
        raise collector.fatal("tệp zip", "zip", f"Gói có quá nhiều tệp ({len(infos)}).",
                              f"The package holds too many files ({len(infos)}).")
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
            collector.error(f"tệp {name}", "path",
                            "Đường dẫn trong gói trỏ ra ngoài thư mục gói (path traversal).",
                            "A path in the package points outside it (path traversal).")
    collector.raise_if_errors()
    members: dict[str, bytes] = {}
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        try:
            with archive.open(info) as stream:
                chunks = []
                size = 0
                while chunk := stream.read(1 << 16):
                    size += len(chunk)
                    total += len(chunk)
                    if total > max_total:
                        raise collector.fatal(
                            f"tệp {info.filename}", "zip",
                            f"Gói giải nén vượt quá {max_total // (1024 * 1024)} MB (nghi zip bomb).",
                            f"The package unpacks to more than {max_total // (1024 * 1024)} MB "
                            "(suspected zip bomb).")
                    if size > 1024 * 1024 and size > max_ratio * max(info.compress_size, 1):
                        raise collector.fatal(
                            f"tệp {info.filename}", "zip",
                            f"Tỷ lệ nén vượt quá {max_ratio}:1 (nghi zip bomb).",
                            f"The compression ratio exceeds {max_ratio}:1 (suspected zip bomb).")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
            collector.error(f"tệp {info.filename}", "zip", f"Không đọc được tệp trong gói ({exc}).",
                            f"A file in the package cannot be read ({exc}).")
            continue
        members[info.filename] = b"".join(chunks)
    collector.raise_if_errors()
    return members


def decode_text(data: bytes, collector: IssueCollector) -> str:
    """UTF-8 text (with or without BOM), NFC; each line that is not UTF-8 is an error."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        for number, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                collector.error(
                    f"dòng {number}", "encoding",
                    f"Dòng này không phải mã UTF-8 (byte 0x{line[exc.start]:02x} ở cột "
                    f"{exc.start + 1}); hãy lưu tệp với bảng mã UTF-8 (có thể tệp đang ở "
                    "TCVN3/VNI/Windows-1258).",
                    f"This line is not UTF-8 (byte 0x{line[exc.start]:02x} at column "
                    f"{exc.start + 1}); save the file as UTF-8 (it may be in a legacy "
                    "Vietnamese encoding such as Windows-1258).")
        raise FormatErrors(collector.errors) from None
    return nfc(text.replace("\r\n", "\n").replace("\r", "\n"))
