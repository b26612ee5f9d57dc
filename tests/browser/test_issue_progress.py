"""The issuing job's page in a real browser (issue 10: batch issuance is a background job with
progress): job-progress.js moves the bar while the job signs, and shows the outcome when the
job ends, without the staff member reloading anything."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import expect

from certs.issuance import PHASE_SIGNING
from certs.issuance_jobs import issue_session
from tests.certs.sitting import approved_session

HERE = "tests.browser.test_issue_progress"
GATES: dict[str, Path] = {}  # set by the test: the held job waits for these files


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert time.monotonic() < deadline, f"never released: {path.name}"
        time.sleep(0.02)


def issue_in_steps(db, progress, **arguments) -> dict:
    """The real issuing job, held twice: before any progress and half-way."""
    _wait_for(GATES["start"])
    progress(PHASE_SIGNING, 1, 2)
    _wait_for(GATES["finish"])
    return issue_session(db, progress, **arguments)


def test_the_progress_bar_moves_and_the_outcome_appears_by_itself(
        db, live_server, make_session, make_user, new_context, staff_login, tmp_path,
        monkeypatch):
    monkeypatch.setattr("certs.staff_web.ISSUE_TARGET", f"{HERE}:issue_in_steps")
    GATES.update(start=tmp_path / "start", finish=tmp_path / "finish")
    make_user()
    session = approved_session(db, make_session, n=2, passing=(True, True))
    staff = new_context().new_page()
    staff_login(staff)
    staff.goto(f"/can-bo/ca-thi/{session.id}/cap-chung-chi")
    staff.click("#confirm-issue")
    expect(staff.locator("#job-count")).to_have_text("0 / 0")
    GATES["start"].touch()
    # only the script can change these: with JavaScript on, the page does not refresh itself
    expect(staff.locator("#job-count")).to_have_text("1 / 2")
    expect(staff.locator("#job-phase")).to_have_text(PHASE_SIGNING)
    assert staff.locator("#job-progress").get_attribute("max") in ("1", "2")
    assert staff.evaluate("document.getElementById('job-progress').value") == 1
    GATES["finish"].touch()
    expect(staff.locator("#issued-count")).to_have_text("Đã cấp 2 chứng chỉ.")
    expect(staff.locator("#issued")).to_contain_text("BN0001")
    expect(staff.locator("#issued")).to_contain_text("BN0002")
