"""An item's way into the bank through the browser: a teacher imports an Excel file, checks the
preview, confirms and sends the drafts for review; a reviewer approves them; the coverage view
counts them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from exam_engine.kernel.accounts import Role
from item_bank.formats import write
from item_bank.formats.excel_template import example_records
from item_bank.seed import load_requirements
from item_bank.seeding import seed_requirements
from tests.browser.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bank_login(page: Any, username: str) -> None:
    page.goto("/dang-nhap?next=/ngan-hang/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/ngan-hang/$"))


def test_teacher_imports_excel_reviewer_approves_coverage_counts(db, live_server, make_user,
                                                                  new_context):
    seed_requirements(db, load_requirements())
    db.commit()
    make_user("giaovien", Role.TEACHER)
    make_user("phanbien", Role.REVIEWER)
    records = example_records()  # IU04 single choice, IU06 true/false ×4, IU03 short answer
    workbook = write("excel", records).data

    # -- the teacher uploads, reads the preview, confirms
    teacher = new_context().new_page()
    bank_login(teacher, "giaovien")
    teacher.goto("/ngan-hang/nhap")
    teacher.set_input_files("#upload input[name=file]", files=[
        {"name": "câu-hỏi.xlsx", "mimeType": XLSX, "buffer": workbook}])
    teacher.click("#upload button[type=submit]")
    rows = teacher.locator("#preview-rows tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Hàm nào tính tổng các giá trị trong vùng A1:A10?")
    expect(teacher.locator("#preview-rows")).to_contain_text("sheet Câu hỏi, hàng 2")
    expect(teacher.locator("#errors")).to_have_count(0)
    teacher.click("#confirm button[type=submit]")
    teacher.wait_for_url(re.compile(r"/ngan-hang/\?.*status=draft"))
    expect(teacher.locator(".flash")).to_have_text("Đã nhập 3 câu hỏi.")
    expect(teacher.locator("#items tbody tr")).to_have_count(3)

    # -- and sends them all for review at once
    teacher.check("#select-all")
    teacher.click("#submit-selected")
    expect(teacher.locator(".flash")).to_have_text("Đã gửi phản biện 3 câu hỏi.")
    teacher.goto("/ngan-hang/?status=in_review")
    expect(teacher.locator("#items tbody tr")).to_have_count(3)

    # -- the reviewer approves each one from its page, seeing the key
    reviewer = new_context().new_page()
    bank_login(reviewer, "phanbien")
    reviewer.goto("/ngan-hang/?status=in_review")
    links = [reviewer.locator("#items tbody tr a").nth(i).get_attribute("href")
             for i in range(3)]
    for href in links:
        reviewer.goto(href)
        expect(reviewer.locator("#key")).not_to_be_empty()
        expect(reviewer.locator("#preview .stem")).not_to_be_empty()
        reviewer.screenshot(path="/tmp/exam_engine_bank_item.png", full_page=True)
        reviewer.click("#approve button[type=submit]")
        expect(reviewer.locator("#item-status")).to_have_text("Đã duyệt")

    # -- the coverage view counts them where they belong, and shows what is short
    reviewer.goto("/ngan-hang/do-phu")
    reviewer.fill("input[name=n_IU04]", "2")
    reviewer.fill("input[name=n_IU06]", "1")
    reviewer.click("#needs button[type=submit]")
    for code, approved in (("IU04", "1"), ("IU04.5.2", "1"), ("IU06", "1"), ("IU06.4.1", "1"),
                           ("IU03.4.1", "1"), ("IU05", "0")):
        expect(reviewer.locator(f'#coverage tr[data-code="{code}"] .approved')).to_have_text(
            approved)
    expect(reviewer.locator('#coverage tr[data-code="IU04"]')).to_have_class(re.compile("short"))
    expect(reviewer.locator('#coverage tr[data-code="IU04"] .needed')).to_contain_text("thiếu 1")
    expect(reviewer.locator('#coverage tr[data-code="IU06"]')).not_to_have_class(
        re.compile("short"))
    reviewer.screenshot(path="/tmp/exam_engine_bank_coverage.png", full_page=True)


def test_a_large_file_shows_its_progress_then_the_preview_then_imports(db, live_server,
                                                                         make_user, new_context):
    from tests.item_bank.test_import_bulk import varied_records
    seed_requirements(db, load_requirements())
    db.commit()
    make_user("giaovien", Role.TEACHER)
    workbook = write("excel", varied_records(3_000)).data

    teacher = new_context().new_page()
    bank_login(teacher, "giaovien")
    teacher.goto("/ngan-hang/nhap")
    teacher.set_input_files("#upload input[name=file]", files=[
        {"name": "ngân-hàng-lớn.xlsx", "mimeType": XLSX, "buffer": workbook}])
    # the page of the running preview polls its progress (job-progress.js), then shows the preview
    with teacher.expect_response(re.compile(r"/ngan-hang/nhap/tien-do/")) as polled:
        teacher.click("#upload button[type=submit]")
        expect(teacher.locator("#job-progress")).to_be_visible()
    assert polled.value.json()["status"] in ("running", "done")
    expect(teacher.locator("#preview-rows tbody tr")).to_have_count(3_000, timeout=60_000)
    expect(teacher.locator("#errors")).to_have_count(0)

    with teacher.expect_response(re.compile(r"/ngan-hang/nhap/tien-do/")):
        teacher.click("#confirm button[type=submit]")
        expect(teacher.locator("#import-job h2")).to_have_text("Đang nhập câu hỏi…")
    teacher.wait_for_url(re.compile(r"/ngan-hang/\?.*status=draft"), timeout=60_000)
    expect(teacher.locator(".flash")).to_have_text("Đã nhập 3000 câu hỏi.")
