"""Item images: stored once by hash, taken from imported files, embedded again on export."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from item_bank.content import ItemKind
from item_bank.exporting import export_versions
from item_bank.formats import write
from item_bank.importing import ImportRefused, commit_import, preview_import
from item_bank.media import (
    MAX_IMAGE_BYTES,
    MediaRejected,
    detect_image,
    image_resolver,
    store_media,
    with_embedded_media,
)
from item_bank.models import MediaFile
from tests.item_bank.fixtures.samples import PNG, sample

PNG_URL = f"/media/{hashlib.sha256(PNG).hexdigest()}.png"


def test_the_type_is_read_from_the_bytes_not_the_name():
    assert detect_image(PNG) == ("png", "image/png")
    assert detect_image(b"\xff\xd8\xff\xe0rest") == ("jpg", "image/jpeg")
    assert detect_image(b"GIF89a....") == ("gif", "image/gif")
    assert detect_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == ("webp", "image/webp")
    assert detect_image(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>') \
        == ("svg", "image/svg+xml")
    assert detect_image(b"MZ\x90\x00 an executable") is None
    assert detect_image(b"<html><script>alert(1)</script>") is None


def test_same_bytes_are_stored_once_under_their_hash(db):
    assert store_media(db, PNG, name="a.png") == PNG_URL
    assert store_media(db, PNG, name="b.png") == PNG_URL
    assert db.scalar(select(func.count()).select_from(MediaFile)) == 1
    assert db.get(MediaFile, PNG_URL[7:71]).data == PNG


def test_non_images_and_oversized_files_are_refused(db):
    with pytest.raises(MediaRejected) as refused:
        store_media(db, b"not an image", name="x.png")
    assert "x.png" in refused.value.message_vi and "không phải hình ảnh" in refused.value.message_vi
    with pytest.raises(MediaRejected):
        store_media(db, PNG + b"\x00" * MAX_IMAGE_BYTES)
    assert db.scalar(select(func.count()).select_from(MediaFile)) == 0


def test_references_resolve_by_name_path_or_data_uri(db):
    resolve = image_resolver(db, {"hinh 1.png": PNG})
    assert resolve("hinh 1.png") == PNG_URL
    assert resolve("images/hinh%201.png") == PNG_URL
    assert resolve("data:image/png;base64," + base64.b64encode(PNG).decode()) == PNG_URL
    assert resolve("missing.png") is None


def test_an_imported_image_is_stored_and_the_stem_points_at_it(db, tt03):
    data = write("moodle_xml", [sample(ItemKind.SINGLE, media=True)]).data
    [version] = commit_import(db, data, "anh.xml", author_id=None)
    assert f'src="{PNG_URL}"' in version.content["stem"]
    assert db.get(MediaFile, PNG_URL[7:71]) is not None


def test_a_broken_image_in_a_file_refuses_the_import(db, tt03):
    record = sample(ItemKind.SINGLE, media=True)
    record = replace(record, media={"hinh_1.png": b"this is not a picture"})
    data = write("excel", [record]).data
    preview = preview_import(db, data, "hong.xlsx")
    assert [(e.field, e.location) for e in preview.errors] == [("media", "sheet Câu hỏi, hàng 2")]
    with pytest.raises(ImportRefused):
        commit_import(db, data, "hong.xlsx", author_id=None)
    db.rollback()
    assert db.scalar(select(func.count()).select_from(MediaFile)) == 0


def test_a_missing_image_is_a_warning_seen_before_importing(db, tt03):
    record = replace(sample(ItemKind.SINGLE, media=True), media={})
    preview = preview_import(db, write("gift", [record]).data, "cu.gift")
    assert preview.ok
    assert any(w.field == "media" and "hinh_1.png" in w.message_vi for w in preview.warnings)


def test_export_embeds_each_stored_image_under_a_bare_name(db, tt03):
    data = write("excel", [sample(ItemKind.SINGLE, media=True)]).data
    [version] = commit_import(db, data, "anh.xlsx", author_id=None)
    from item_bank.exporting import record_of
    [record] = with_embedded_media(db, [record_of(version)])
    name = f"{PNG_URL[7:23]}.png"
    assert record.media == {name: PNG}
    assert f'src="{name}"' in record.content.stem and "/media/" not in record.content.stem
    assert export_versions(db, "qti30", [version]).not_carried == []
