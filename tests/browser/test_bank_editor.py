"""A teacher writes an item in the browser: the kind's fields, a live preview that follows the
typing, an image uploaded into the stem, and the saved item's page."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from exam_engine.kernel.accounts import Role
from tests.browser.test_bank_import import bank_login

pytestmark = pytest.mark.browser

STEM = "Hàm nào tính tổng các giá trị trong vùng A1:A10?"


def png_bytes(width: int = 12, height: int = 8) -> bytes:
    """A small red PNG, written by hand (signature, IHDR, IDAT, IEND; RFC 2083)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xd0\x20\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def test_teacher_writes_an_item_with_an_image_and_a_live_preview(db, live_server, make_user,
                                                                  tt03, new_context):
    make_user("giaovien", Role.TEACHER)
    page = new_context().new_page()
    bank_login(page, "giaovien")
    page.click("#nav-new-item")
    page.wait_for_url(re.compile(r"/ngan-hang/soan$"))
    preview = page.locator("#preview")

    # -- switching the kind shows that kind's key fields at once
    page.select_option("#kind", "numeric")
    expect(page.locator("#numeric-block")).to_be_visible()
    expect(page.locator("#choices-block")).to_be_hidden()
    page.select_option("#kind", "single")
    expect(page.locator("#choices-block")).to_be_visible()
    expect(page.locator("#numeric-block")).to_be_hidden()

    # -- the preview follows the typing
    page.fill("#stem", STEM)
    expect(preview.locator(".stem")).to_have_text(STEM)
    for index, text in enumerate(("AVERAGE", "SUM", "COUNT")):
        page.fill(f"input[name='choices[{index}].text']", text)
    rows = page.locator(".rows[data-group=choices] > li")
    page.click("button.add-row[data-group=choices]")  # a fifth row, then removed again
    expect(rows).to_have_count(5)
    expect(rows.last.locator(".part-id")).to_have_text("E")
    rows.last.locator(".remove-row").click()
    expect(rows).to_have_count(4)
    page.fill("input[name='choices[3].text']", "MAX")
    expect(preview.locator(".options label")).to_have_count(4)
    expect(preview.locator(".options")).to_contain_text("MAX")
    expect(page.locator("#preview-problems")).to_contain_text("Chưa chọn đáp án đúng.")
    page.check("input[name='key.correct'][value=B]")
    expect(page.locator("#preview-problems li")).not_to_contain_text(["Chưa chọn đáp án đúng."])
    expect(preview.locator("input:checked")).to_have_count(0)  # the key is never shown

    # -- an image goes into the stem at the cursor, and into the preview
    with page.expect_file_chooser() as chooser:
        page.click("#insert-image")
    chooser.value.set_files(files=[{"name": "bang-tinh.png", "mimeType": "image/png",
                                    "buffer": png_bytes()}])
    expect(page.locator("#stem")).to_have_value(
        re.compile(re.escape(STEM) + r'<img src="/media/[0-9a-f]{64}\.png" alt="">$'))
    image = preview.locator(".stem img")
    expect(image).to_have_count(1)
    page.wait_for_function(
        "document.querySelector('#preview .stem img').naturalWidth === 12")

    # -- filed under TT03, saved, and shown on the item's page
    page.select_option("select[name=module]", "IU04")
    page.fill("input[name=code]", "IU04.5.2")
    page.screenshot(path="/tmp/exam_engine_bank_editor_form.png", full_page=True)
    page.click("#save")
    page.wait_for_url(re.compile(r"/ngan-hang/cau-hoi/\d+$"))
    expect(page.locator(".flash")).to_have_text("Đã lưu câu hỏi IU04-I0001 (bản nháp).")
    expect(page.locator("#preview .stem")).to_have_text(STEM)
    expect(page.locator("#preview .stem img")).to_have_count(1)
    expect(page.locator("#key")).to_have_text("Đáp án đúng: B (SUM).")
    expect(page.locator("#item-status")).to_have_text("Nháp")
    page.screenshot(path="/tmp/exam_engine_bank_editor_saved.png", full_page=True)
