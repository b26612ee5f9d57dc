"""The forensics report in a real browser (issue 11): staff press the button, watch the run
and read the planted pair, with its plots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from benchmarks.forensics_job import seed_simulated_session
from tests.proctor.test_forensics_job import planted_session
from tests.proctor.test_forensics_web import GATES, HERE, STATEMENT_VI, _finish_jobs, _url

pytestmark = pytest.mark.browser


def test_staff_run_the_analysis_and_read_the_report_in_a_browser(
        db, live_server, make_user, new_context, staff_login, tmp_path, monkeypatch):
    monkeypatch.setattr("proctor.forensics_web.FORENSICS_TARGET", f"{HERE}:held_forensics")
    GATES.update(go=tmp_path / "go")
    sim, first = planted_session(n=60)
    session = seed_simulated_session(db, sim, first_choices=first)
    make_user()
    staff = new_context().new_page()
    staff_login(staff)
    staff.goto(_url(session.id))
    expect(staff.locator("#forensics-statement")).to_have_text(STATEMENT_VI)
    staff.click("#run")
    expect(staff.locator("#job-count")).to_have_text("1 / 4")  # the held job, polled
    GATES["go"].touch()
    expect(staff.locator('[data-pair="BN0001-BN0002"]')).to_be_visible()  # reloaded by itself
    expect(staff.locator('[data-pair="BN0001-BN0002"] .neighbours')).to_have_text(
        "Ngồi cạnh nhau")
    assert staff.locator("svg.plot").count() >= 2
    assert staff.locator("#lz-plot svg").bounding_box()["width"] > 100
    _finish_jobs(db)
