"""QTI 2.1 and 3.0 content packages: round trips per type with images, foreign packages,
and every kind of malformed or hostile package refused with a clear error."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from item_bank import formats
from item_bank.content import ItemContent, ItemKind, ItemRecord, Part
from item_bank.formats import FormatErrors
from item_bank.formats.errors import IssueCollector
from item_bank.formats.safe_input import read_zip
from tests.item_bank.fixtures.samples import CLOZE_WITH_IDS, PNG, VI_ALL, nfd, sample

FIXTURES = Path(__file__).parent / "fixtures"
QTI = ["qti21", "qti30"]
NO_OPTIONS = {ItemKind.SHORT_ANSWER, ItemKind.NUMERIC}


def qti_sample(kind: ItemKind, media: bool = False) -> ItemRecord:
    record = sample(kind, media=media)
    if kind in NO_OPTIONS:  # nothing to shuffle, so no shuffle setting travels
        record = replace(record, content=replace(record.content, shuffle=True))
    return record


def zip_of(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("fmt", QTI)
@pytest.mark.parametrize("kind", list(ItemKind))
def test_every_type_round_trips_with_all_metadata_and_images(fmt: str, kind: ItemKind) -> None:
    with_media = qti_sample(kind, media=True)
    unreferenced = {**with_media.media, "tai_lieu.pdf": b"%PDF-1.4"}  # listed, not in the text
    records = [qti_sample(kind), replace(with_media, media=unreferenced)]
    exported = formats.write(fmt, records)
    assert exported.not_carried == []
    assert formats.read(fmt, exported.data, exported.filename).records == records


@pytest.mark.parametrize("fmt", QTI)
def test_the_package_layout_and_names_follow_the_version(fmt: str) -> None:
    exported = formats.write(fmt, [qti_sample(ItemKind.SINGLE, media=True)])
    files = members(exported.data)
    assert sorted(files) == ["imsmanifest.xml", "items/item0001.xml",
                             "items/item0001/hinh_1.png"]
    item = files["items/item0001.xml"].decode()
    manifest = files["imsmanifest.xml"].decode()
    if fmt == "qti21":
        assert 'xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"' in item
        assert "<choiceInteraction" in item and 'type="imsqti_item_xmlv2p1"' in manifest
    else:
        assert 'xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"' in item
        assert "<qti-choice-interaction" in item and 'response-identifier="RESPONSE"' in item
        assert 'type="imsqti_item_xmlv3p0"' in manifest
    assert 'src="item0001/hinh_1.png"' in item
    assert files["items/item0001/hinh_1.png"] == PNG


@pytest.mark.parametrize("fmt", QTI)
def test_standard_templates_are_used_where_they_fit(fmt: str) -> None:
    plain = replace(qti_sample(ItemKind.SINGLE), content=replace(
        qti_sample(ItemKind.SINGLE).content, feedback=None))
    item = members(formats.write(fmt, [plain]).data)["items/item0001.xml"].decode()
    assert "rptemplates/match_correct" in item


@pytest.mark.parametrize("fmt", QTI)
def test_scoring_variants_plain_text_and_nfd_round_trip(fmt: str) -> None:
    records = [
        ItemRecord(ItemContent(ItemKind.MULTIPLE, "a < b & c?",
                               (Part("A", "x <= y"), Part("B", "AT&amp;T"), Part("C", VI_ALL)),
                               key={"correct": ["A", "C"], "scoring": "all_or_nothing"})),
        ItemRecord(ItemContent(ItemKind.SHORT_ANSWER, "Phím?",
                               key={"accepted": ["Ctrl+Z"], "case_sensitive": True})),
        ItemRecord(ItemContent(ItemKind.NUMERIC, "Bao nhiêu?",
                               key={"value": 120.0, "tolerance": 0.07,
                                    "tolerance_kind": "relative"})),
        ItemRecord(ItemContent(ItemKind.NUMERIC, "Đúng bằng?",
                               key={"value": -2.5, "tolerance": 0.0,
                                    "tolerance_kind": "absolute"})),
        ItemRecord(ItemContent(ItemKind.MATCHING, "Ghép (có vế thừa)",
                               (Part("A", "một"), Part("B", "hai")),
                               (Part("x", "1"), Part("y", "2"), Part("z", "3")),
                               key={"pairs": {"A": "x", "B": "y"}})),
    ]
    exported = formats.write(fmt, [nfd(r) for r in records])
    assert formats.read(fmt, exported.data, "x.zip").records == records


@pytest.mark.parametrize("fmt", QTI)
def test_html_that_is_not_xml_is_reported_and_written_as_text(fmt: str) -> None:
    record = ItemRecord(ItemContent(ItemKind.SHORT_ANSWER, "<p>Dòng 1<br>Dòng 2</p>",
                                    key={"accepted": ["a"], "case_sensitive": False}))
    broken = ItemRecord(ItemContent(ItemKind.SHORT_ANSWER, "<p>mở <b>không đóng</p>",
                                    key={"accepted": ["a"], "case_sensitive": False}))
    exported = formats.write(fmt, [record, broken])
    assert [(i.location, i.field) for i in exported.not_carried] == [("câu 2", "stem")]
    back = formats.read(fmt, exported.data, "x.zip").records
    assert back[0].content.stem == "<p>Dòng 1<br/>Dòng 2</p>"  # void tags closed as XML
    assert back[1].content.stem == "<p>mở <b>không đóng</p>"


def test_a_foreign_qti21_package_is_read() -> None:
    root = FIXTURES / "qti21_foreign"
    data = zip_of({str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
                   if p.is_file()})
    records = formats.read(None, data, "ngoai.zip").records
    choice, numeric = records
    assert choice.content.kind is ItemKind.SINGLE
    assert choice.content.stem == ('<p>Quan sát hình <img src="images/so_do.png" alt="sơ đồ"/>'
                                   '</p>\nĐây là mạng gì?')
    assert choice.content.choices == (Part("ChoiceA", "LAN"), Part("ChoiceB", "WAN"))
    assert choice.content.key == {"correct": "ChoiceB"}
    assert choice.media == {"images/so_do.png": b"\x89PNG\r\n\x1a\n"}
    assert choice.external_id == "choice" and choice.title == "Sơ đồ mạng"
    assert numeric.content.key == {"value": 3.14, "tolerance": 0.005,
                                   "tolerance_kind": "absolute"}


def test_format_is_detected_from_the_package() -> None:
    record = qti_sample(ItemKind.SINGLE)
    assert formats.detect(formats.write("qti30", [record]).data, "a.zip") == "qti30"
    assert formats.detect(formats.write("qti21", [record]).data, "a.zip") == "qti21"
    assert formats.detect(formats.write("excel", [record]).data, "a.xlsx") == "excel"


# --- malformed and hostile packages ----------------------------------------------------------

def refused(fmt: str, data: bytes, name: str = "goi.zip") -> list[tuple[str, str]]:
    with pytest.raises(FormatErrors) as caught:
        formats.read(fmt, data, name)
    issues = caught.value.issues
    assert all(i.file == name and i.message_vi and i.message_en for i in issues)
    return [(i.location, i.field) for i in issues]


@pytest.mark.parametrize("fmt", QTI)
def test_a_broken_zip_is_refused(fmt: str) -> None:
    data = formats.write(fmt, [qti_sample(ItemKind.SINGLE)]).data
    assert refused(fmt, data[: len(data) // 2]) == [("tệp zip", "zip")]


@pytest.mark.parametrize("fmt", QTI)
def test_a_missing_manifest_is_refused(fmt: str) -> None:
    files = members(formats.write(fmt, [qti_sample(ItemKind.SINGLE)]).data)
    del files["imsmanifest.xml"]
    assert refused(fmt, zip_of(files)) == [("tệp imsmanifest.xml", "manifest")]


@pytest.mark.parametrize("fmt", QTI)
def test_every_broken_item_of_a_package_is_reported_together(fmt: str) -> None:
    records = [qti_sample(ItemKind.SINGLE), qti_sample(ItemKind.ORDERING),
               qti_sample(ItemKind.MULTIPLE), qti_sample(ItemKind.SHORT_ANSWER, media=True)]
    files = members(formats.write(fmt, records).data)
    del files["items/item0002.xml"]  # the manifest points to a missing file
    files["items/item0003.xml"] = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                                   b"<x>&a;</x>")
    del files["items/item0004/hinh_1.png"]  # an image the item refers to is missing
    found = refused(fmt, zip_of(files))
    root = "assessmentItem" if fmt == "qti21" else "qti-assessment-item"
    body = "itemBody" if fmt == "qti21" else "qti-item-body"
    assert found == [
        ("tệp imsmanifest.xml: /manifest/resources/resource[2]", "href"),
        ("tệp items/item0003.xml: /", "xml"),
        (f"tệp items/item0004.xml: /{root}/{body}", "media"),
    ]


@pytest.mark.parametrize("fmt", QTI)
def test_a_wrong_answer_key_names_the_item_file(fmt: str) -> None:
    files = members(formats.write(fmt, [qti_sample(ItemKind.SINGLE)]).data)
    value = b"<value>B</value>" if fmt == "qti21" else b"<qti-value>B</qti-value>"
    files["items/item0001.xml"] = files["items/item0001.xml"].replace(
        value, value.replace(b"B", b"Q"))
    declaration = ("assessmentItem/responseDeclaration" if fmt == "qti21"
                   else "qti-assessment-item/qti-response-declaration")
    assert refused(fmt, zip_of(files)) == [(f"tệp items/item0001.xml: /{declaration}", "key")]


@pytest.mark.parametrize("fmt", QTI)
def test_path_traversal_in_the_zip_is_refused(fmt: str) -> None:
    files: dict[str, bytes | str] = dict(members(formats.write(fmt, [qti_sample(
        ItemKind.SINGLE)]).data))
    files["../../etc/cron.d/evil"] = b"x"
    files["/abs/path.txt"] = b"x"
    assert refused(fmt, zip_of(files)) == [("tệp ../../etc/cron.d/evil", "path"),
                                           ("tệp /abs/path.txt", "path")]


@pytest.mark.parametrize("fmt", QTI)
def test_a_zip_bomb_is_refused_by_its_ratio(fmt: str) -> None:
    files: dict[str, bytes | str] = dict(members(formats.write(fmt, [qti_sample(
        ItemKind.SINGLE)]).data))
    files["items/bomb.bin"] = bytes(8 * 1024 * 1024)  # ~1000:1 when deflated
    assert refused(fmt, zip_of(files)) == [("tệp items/bomb.bin", "zip")]


def test_the_total_unpacked_size_is_limited() -> None:
    data = zip_of({"a.bin": b"x" * 5000, "b.bin": b"y" * 5000})
    collector = IssueCollector("goi.zip")
    with pytest.raises(FormatErrors) as caught:
        read_zip(data, collector, max_total=8000)
    assert "zip bomb" in caught.value.issues[0].message_en


@pytest.mark.parametrize("fmt", QTI)
def test_a_manifest_with_entities_is_refused(fmt: str) -> None:
    files = members(formats.write(fmt, [qti_sample(ItemKind.SINGLE)]).data)
    files["imsmanifest.xml"] = (FIXTURES / "xml_external_entity.xml").read_bytes()
    assert refused(fmt, zip_of(files)) == [("tệp imsmanifest.xml: /", "xml")]


def test_a_package_of_the_other_version_says_so() -> None:
    data = formats.write("qti30", [qti_sample(ItemKind.SINGLE)]).data
    with pytest.raises(FormatErrors) as caught:
        formats.read("qti21", data, "goi.zip")
    assert "QTI 2.1" in caught.value.issues[0].message_vi
    assert caught.value.issues[0].field == "type"


@pytest.mark.parametrize("fmt", QTI)
def test_cloze_options_with_ids_and_case_sensitive_gaps_round_trip(fmt: str) -> None:
    exported = formats.write(fmt, [CLOZE_WITH_IDS])
    assert exported.not_carried == []
    assert formats.read(fmt, exported.data, "x.zip").records == [CLOZE_WITH_IDS]
