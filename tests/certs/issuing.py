"""Helpers for the tests of issuing through the pages: confirm, post, follow the job's page."""

from __future__ import annotations

import re
import time

from exam_engine.kernel.jobs import wait_for_job

JOB_PAGE = re.compile(r"/can-bo/ca-thi/(\d+)/cap-chung-chi/viec/([A-Za-z0-9_-]+)$")


def seen_job(client, session_id: int) -> str:
    """What a fresh confirmation page's form says of the latest issuing job ("" for none)."""
    page = client.get(f"/can-bo/ca-thi/{session_id}/cap-chung-chi").get_data(as_text=True)
    return re.search(r'name="seen_job" value="([^"]*)"', page).group(1)


def job_id_of(response) -> str:
    """The job a confirmed issue was sent to (its 303's Location)."""
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    found = JOB_PAGE.search(response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(2)


def finished_page(client, response, timeout: float = 60):
    """Follow a confirmed issue to its job's page once the job has ended (in-thread runner:
    waited for; a queued job: its page polled)."""
    job_page = response.headers["Location"]
    assert wait_for_job(job_id_of(response), timeout)
    deadline = time.monotonic() + timeout
    while 'id="job-progress"' in (page := client.get(job_page)).get_data(as_text=True):
        assert time.monotonic() < deadline, "the issuing job never ended"
        time.sleep(0.1)
    return page
