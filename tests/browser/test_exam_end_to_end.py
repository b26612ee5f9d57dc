"""The whole exam through the browser: staff sets it up, a candidate sits it, a certificate is
issued, and anyone can verify it — Vietnamese names intact from the roster CSV to the PDF."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.exams.models import Attempt, AttemptItem, Candidate, ExamSession
from exam_engine.kernel.db import utcnow
from item_bank.models import ItemVersion
from tests.conftest import require_tool
from tests.exam_engine.stored_answers import answers_as_shown

pytestmark = pytest.mark.browser

SITTER = "Trương Ngọc Ưng Hoàng"
ABSENT = "Nguyễn Thị Ánh Tuyết"
ROSTER_CSV = (
    "so_bao_danh,ho_ten,ngay_sinh,noi_sinh,gioi_tinh,cccd,dan_toc\n"
    f"BN2601,{SITTER},15/03/1995,Bắc Ninh,Nam,027095001234,Kinh\n"
    f"BN2602,{ABSENT},02/09/1998,Hà Nội,Nữ,001198005678,Kinh\n"
)
SCREENSHOTS = {"exam": "/tmp/exam_engine_exam_page.png", "result": "/tmp/exam_engine_result_page.png"}


def answer_keys(db: Session, attempt_id: int) -> list[tuple[str, list[int]]]:
    """Per position: the item type and the key in the candidate's shown option order.

    Read from the database, as an examiner could; the page must never be able to tell.
    """
    rows = db.execute(select(AttemptItem.option_order, ItemVersion)
                      .join(ItemVersion, ItemVersion.id == AttemptItem.item_version_id)
                      .where(AttemptItem.attempt_id == attempt_id)
                      .order_by(AttemptItem.position)).all()
    return [(version.kind, sorted(order.index(c) for c in version.correct))
            for order, version in rows]


def clock_seconds(page: Any) -> int:
    minutes, seconds = page.locator("#clock").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def tick(page: Any, position: int, options: list[int]) -> None:
    page.locator("#navigator button").nth(position).click()
    expect(page.locator("#question h2")).to_contain_text(f" {position + 1}/")
    for option in options:
        page.locator("#question .options input").nth(option).check()


def test_staff_to_candidate_to_certificate_to_public_verification(
        db, live_server, make_user, make_bank, new_context, staff_login, candidate_login,
        wait_for_paper, poll, tmp_path):
    pdftotext = require_tool("pdftotext")
    make_user()
    make_bank(per_module=3)  # two single-choice items and one multiple-choice per module

    # -- staff creates the session from the form, roster pasted as CSV, and schedules it
    staff = new_context().new_page()
    staff_login(staff)
    form = staff.locator("#new-session")
    form.locator("input[name=title]").fill("Kỳ thi ƯDCNTT cơ bản — ca sáng")
    form.locator("input[name=duration_minutes]").fill("30")
    for module in ("IU01", "IU02", "IU03", "IU04", "IU05", "IU06"):
        form.locator(f"input[name=n_{module}]").fill("1")
    form.locator("textarea[name=roster_csv]").fill(ROSTER_CSV)
    form.locator("button[type=submit]").click()
    staff.wait_for_url(re.compile(r"/can-bo/ca-thi/\d+$"))
    expect(staff.locator("#session-status")).to_have_text("Nháp")
    expect(staff.locator("#roster")).to_contain_text(SITTER)
    expect(staff.locator("#roster")).to_contain_text(ABSENT)
    staff.click("#schedule")
    expect(staff.locator(".flash")).to_have_text("Đã xếp 2 đề thi.")
    expect(staff.locator("#session-status")).to_have_text("Đã xếp đề")
    session_code = staff.locator("#session-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{6}", session_code)

    exam = db.scalar(select(ExamSession).where(ExamSession.session_code == session_code))
    attempt_id = db.scalar(select(Attempt.id).join(Candidate).where(
        Candidate.exam_session_id == exam.id, Candidate.candidate_number == "BN2601"))
    keys = answer_keys(db, attempt_id)
    assert len(keys) == 6

    # -- the candidate logs in on another computer; every paper the page gets is inspected
    candidate = new_context().new_page()
    papers: list[str] = []

    def inspect_paper(route: Any) -> None:
        response = route.fetch()
        papers.append(response.text())
        route.fulfill(response=response)

    candidate.route("**/thi/api/paper", inspect_paper)
    candidate_login(candidate, "BN2601", session_code)
    expect(candidate.locator("h1")).to_have_text("Kỳ thi ƯDCNTT cơ bản — ca sáng")
    expect(candidate.locator("dl.facts")).to_contain_text(SITTER)
    expect(candidate.locator("dl.facts")).to_contain_text("30 phút")
    expect(candidate.locator("h2")).to_have_text("Hướng dẫn làm bài")
    candidate.click("#start")
    wait_for_paper(candidate)
    expect(candidate.locator(".exam-head")).to_contain_text(SITTER)
    assert "correct" not in candidate.content()

    # -- answers out of order with the navigator, all right; one flagged for review
    for position in (2, 0, 1):
        tick(candidate, position, keys[position][1])
    candidate.locator("#navigator button").nth(1).click()
    candidate.check("#flag")
    expected = {0: (keys[0][1], False), 1: (keys[1][1], True), 2: (keys[2][1], False)}

    def server_answers() -> dict[int, tuple[list[int], bool]]:
        """position -> (shown positions ticked, flagged); the server stores part ids."""
        return {position: (shown, flagged) for position, (shown, _, flagged)
                in answers_as_shown(db, attempt_id).items()}

    assert poll(lambda: server_answers() == expected), server_answers()
    candidate.screenshot(path=SCREENSHOTS["exam"], full_page=True)

    # -- a reload in the middle: answers, flag and the server's time left all come back
    candidate.reload()
    wait_for_paper(candidate)
    db.rollback()
    db.expire_all()
    deadline = db.get(Attempt, attempt_id).deadline
    assert abs(clock_seconds(candidate) - (deadline - utcnow()).total_seconds()) <= 2
    assert 25 * 60 < clock_seconds(candidate) <= 30 * 60
    navigator = candidate.locator("#navigator button")
    for position in range(6):
        classes = navigator.nth(position).get_attribute("class").split()
        assert ("answered" in classes) == (position in expected), (position, classes)
        assert ("flagged" in classes) == (position == 1), (position, classes)
    for position, (selected, flagged) in expected.items():
        navigator.nth(position).click()
        inputs = candidate.locator("#question .options input")
        checked = [i for i in range(inputs.count()) if inputs.nth(i).is_checked()]
        assert checked == selected, position
        assert candidate.is_checked("#flag") == flagged, position

    # -- the rest: one right, one wrong, one left blank
    tick(candidate, 3, keys[3][1])
    wrong = next(i for i in range(4) if i not in keys[4][1])
    tick(candidate, 4, [wrong])
    candidate.click("#submit")
    expect(candidate.locator("#confirm")).to_be_visible()
    expect(candidate.locator("#unanswered")).to_have_text("Các câu chưa trả lời: 6")
    candidate.click("#confirm-no")
    expect(candidate.locator("#confirm")).to_be_hidden()
    candidate.click("#submit")
    candidate.click("#confirm-yes")
    candidate.wait_for_url(re.compile(r"/thi/ket-qua$"))
    expect(candidate.locator("#verdict")).to_have_text("Đạt")
    expect(candidate.locator("#result tfoot")).to_contain_text("4/6")
    expect(candidate.locator("main")).to_contain_text(SITTER)
    candidate.screenshot(path=SCREENSHOTS["result"], full_page=True)
    modules = db.scalars(select(AttemptItem.module).where(AttemptItem.attempt_id == attempt_id)
                         .order_by(AttemptItem.position)).all()
    right = {modules[p] for p in (0, 1, 2, 3)}
    module_rows = {m: f"{int(m in right)}/1" for m in modules}
    shown_rows = dict(zip(candidate.locator("#result tbody td:nth-child(1)").all_inner_texts(),
                          candidate.locator("#result tbody td:nth-child(2)").all_inner_texts(),
                          strict=True))

    # the page never held the key: not in the papers the API sent, not in the HTML
    assert len(papers) >= 2  # the first load and the reload
    for body in papers:
        paper = json.loads(body)
        assert '"correct"' not in body
        assert all("correct" not in question for question in paper["questions"])

    # -- staff approves the session's results and issues the certificate
    staff.reload()
    expect(staff.locator("tr[data-candidate=BN2601]")).to_contain_text("Đã nộp")
    expect(staff.locator("tr[data-candidate=BN2601]")).to_contain_text("Đạt")
    expect(staff.locator("tr[data-candidate=BN2602]")).to_contain_text("Chưa thi")
    staff.click("#approve")
    expect(staff.locator("#absent")).to_contain_text("BN2602")  # confirmed first, without JS
    staff.click("#confirm-approve")
    expect(staff.locator("#session-status")).to_have_text("Đã duyệt")
    expect(staff.locator("tr[data-candidate=BN2602]")).to_contain_text("Vắng")
    staff.click("#issue")  # opens the confirmation page (hole 14): nothing issued yet
    expect(staff.locator("#to-issue")).to_contain_text("1")
    staff.click("#confirm-issue")  # a background job: its page shows the progress, then this
    expect(staff.locator("#issued-count")).to_have_text("Đã cấp 1 chứng chỉ.", timeout=30_000)
    expect(staff.locator("#issued")).to_contain_text("BN2601")
    staff.click("#back")
    link = staff.locator("tr[data-candidate=BN2601] a.pdf")
    expect(link).to_contain_text("Tải PDF")
    assert staff.locator("tr[data-candidate=BN2602] a.pdf").count() == 0

    # -- the PDF, downloaded from the staff page's link with the staff login
    download = staff.request.get(link.get_attribute("href"))
    assert download.status == 200 and download.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "chung-chi.pdf"
    pdf.write_bytes(download.body())
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run([pdftotext, "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=30).stdout
    assert SITTER in text, text
    found = re.search(re.escape(live_server.url) + r"/xac-minh/[A-Za-z0-9_-]+", text)
    assert found, text
    verify_url = found.group(0)

    # -- anyone, not logged in, opens the printed link
    public = new_context().new_page()
    public.goto(verify_url)
    expect(public.locator("#cert-status")).to_have_text("Hợp lệ")
    expect(public.locator("#cert-name")).to_have_text(SITTER)
    expect(public.locator("#certificate")).to_contain_text("**/**/1995")
    expect(public.locator("#certificate")).not_to_contain_text("15/03/1995")
    expect(public.locator("header form")).to_have_count(0)  # nobody is logged in here

    assert shown_rows == module_rows
