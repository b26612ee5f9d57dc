"""IMS QTI 2.1 content packages (.zip). The implementation is shared with 3.0: ``qti_common``."""

from __future__ import annotations

from item_bank.content import ItemRecord
from item_bank.formats.errors import ExportResult, ImportResult
from item_bank.formats.qti_common import Dialect
from item_bank.formats.qti_package import read_package, write_package

QTI21 = Dialect(
    name="QTI 2.1",
    ns="http://www.imsglobal.org/xsd/imsqti_v2p1",
    kebab=False,
    item_type="imsqti_item_xmlv2p1",
    manifest_ns="http://www.imsglobal.org/xsd/imscp_v1p1",
    item_schema="http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1p1.xsd",
    manifest_schema="http://www.imsglobal.org/xsd/imscp_v1p1.xsd",
    template_prefix="http://www.imsglobal.org/question/qti_v2p1/rptemplates/",
    template_suffix="",
)


def read(data: bytes, filename: str) -> ImportResult:
    return read_package(QTI21, data, filename)


def write(records: list[ItemRecord], filename: str = "cau_hoi_qti21.zip") -> ExportResult:
    return write_package(QTI21, records, filename)
