"""1EdTech QTI 3.0 content packages (.zip): ``qti-`` prefixed kebab-case elements and the 3.0
namespaces. The implementation is shared with 2.1: ``qti_common``."""

from __future__ import annotations

from item_bank.content import ItemRecord
from item_bank.formats.errors import ExportResult, ImportResult
from item_bank.formats.qti_common import Dialect
from item_bank.formats.qti_package import read_package, write_package

QTI30 = Dialect(
    name="QTI 3.0",
    ns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0",
    kebab=True,
    item_type="imsqti_item_xmlv3p0",
    manifest_ns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1",
    item_schema="https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd",
    manifest_schema="https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/"
                    "imsqtiv3p0_imscpv1p2_v1p0.xsd",
    template_prefix="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/",
    template_suffix=".xml",
)


def read(data: bytes, filename: str) -> ImportResult:
    return read_package(QTI30, data, filename)


def write(records: list[ItemRecord], filename: str = "cau_hoi_qti30.zip") -> ExportResult:
    return write_package(QTI30, records, filename)
