"""Batch issuance runs as a background job with progress, never inside the request (issue 10:
"long work (batch issuance, …) always as a background job with progress"; issue 9 likewise).

The confirmed "Cấp chứng chỉ" starts one job per session and answers at once with a redirect
to the job's page: a progress bar while it runs (JS polls a small JSON; without JS the page
refreshes itself), then who was issued a certificate and who was refused, and why. Any staff
member may follow a session's issuing job (a colleague's click is sent to the running one);
nobody else may. These tests use the in-thread runner; the queue with a real worker is below.
"""

from __future__ import annotations

import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from certs.issuance import issue_certificates
from certs.issuance_jobs import ISSUE_KIND, ISSUE_TARGET, issue_session, remember_issue_job
from certs.models import Certificate, RegisterEntry
from exam_engine.exams.scheduling import RosterRow
from exam_engine.kernel.accounts import Role
from exam_engine.kernel.jobs import JobFailed, start_job, wait_for_job
from tests.certs.issuing import finished_page, job_id_of, seen_job
from tests.certs.sitting import approve, approved_session, sit, vn_morning
from tests.certs.test_advanced_certificate import HOLDER, advanced_session
from tests.conftest import REDIS_URL, login

HERE = "tests.certs.test_issuance_jobs"


@pytest.fixture
def staff(app, make_user):
    make_user("canbo")
    client = app.test_client()
    return client, login(client, "canbo")


def issue(client, token: str, session_id: int, **form):
    return client.post(f"/can-bo/ca-thi/{session_id}/cap-chung-chi",
                       data={"csrf_token": token, **form})


def certificates(db) -> int:
    db.rollback()
    return db.scalar(select(func.count(Certificate.id)))


def issuer_arguments(signing_key: Path) -> dict:
    return {"name": "SỞ GIÁO DỤC VÀ ĐÀO TẠO BẮC NINH", "place": "Bắc Ninh", "code": "BN",
            "signer_name": "Nguyễn Văn Minh", "signer_title": "PHÓ GIÁM ĐỐC",
            "signs_on_behalf_of": "KT. GIÁM ĐỐC", "public_base_url": "http://localhost",
            "key_file": str(signing_key)}


def issue_when_released(db, progress, *, issuer: dict, **arguments) -> dict:
    """The real issuing job, held until the test touches the file named by the issuer's
    ``release`` (the tests replace the view's issuer arguments to pass it): a job running."""
    issuer = dict(issuer)
    release = issuer.pop("release")
    deadline = time.monotonic() + 60
    while not Path(release).exists():
        assert time.monotonic() < deadline, "never released"
        time.sleep(0.02)
    return issue_session(db, progress, issuer=issuer, **arguments)


def test_the_confirmed_issue_runs_as_a_job_and_its_page_shows_issued_and_refused(
        db, make_session, make_bank, issuer, staff):
    """Before: the POST signed every certificate inside the request and flashed the outcome.
    Now it answers at once with the job's page; at the end the page lists who was issued a
    certificate and who was refused and why (two advanced modules passed of the three needed)."""
    client, token = staff
    basics = approved_session(db, make_session, n=2, passing=(True, True))  # both hold basic
    issue_certificates(db, basics, issuer=issuer, now=vn_morning(2026, 11, 25), issued_by=None)
    db.commit()
    second = RosterRow("NC0002", "Trần Văn Bình", date(1991, 2, 2), "Bắc Ninh", "Nam",
                       "027190000001")
    session = advanced_session(db, make_bank, ("IU07", "IU08", "IU09"), rows=(HOLDER, second))
    sit(db, session.candidates[0].attempt, right=True)
    sit(db, session.candidates[1].attempt, right={"IU07", "IU08"})  # 67 %: passed, 2 modules
    approve(db, session)
    before = certificates(db)
    started = issue(client, token, session.id, decision_number="12/QĐ-SGDĐT",
                    seen_job=seen_job(client, session.id))
    page = finished_page(client, started)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Đã cấp 1 chứng chỉ." in text
    assert "NC0001" in text and "NC-2026-000001" in text
    assert "NC0002 Trần Văn Bình: chỉ đạt 2 mô-đun nâng cao, cần ít nhất 3" in text
    assert 'id="job-progress"' not in text and "refresh" not in text
    assert certificates(db) == before + 1
    english = client.get(started.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "1 certificates issued." in english
    assert "only 2 advanced modules passed, 3 needed" in english


def test_the_running_job_page_works_without_javascript_and_polls_with_it(
        db, make_session, staff, signing_key, tmp_path, monkeypatch):
    """While the job runs its page refreshes itself (noscript), offers a reload link, and names
    the small JSON that job-progress.js polls; the JSON moves to done at the end."""
    client, token = staff
    monkeypatch.setattr("certs.staff_web.ISSUE_TARGET", f"{HERE}:issue_when_released")
    monkeypatch.setattr("certs.staff_web._issuer_arguments",
                        lambda: {"release": str(tmp_path / "go"),
                                 **issuer_arguments(signing_key)}, raising=True)
    session = approved_session(db, make_session, n=2, passing=(True, True))
    started = issue(client, token, session.id)
    job_page = started.headers["Location"]
    job_id = job_id_of(started)
    running = client.get(job_page).get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in running
    assert f'href="{job_page}" id="reload"' in running
    progress_url = job_page.replace("/viec/", "/tien-do/")
    assert f'data-progress-url="{progress_url}"' in running
    assert "job-progress.js" in running
    assert client.get(progress_url).get_json()["status"] == "running"
    (tmp_path / "go").touch()
    assert wait_for_job(job_id, 60)
    assert client.get(progress_url).get_json() == {
        "status": "done", "phase": "Ký và ghi chứng chỉ vào sổ gốc", "done": 2, "total": 2,
        "percent": 100}
    assert "Đã cấp 2 chứng chỉ." in client.get(job_page).get_data(as_text=True)


def test_the_job_reports_progress_per_certificate_signed(db, make_session, signing_key):
    session = approved_session(db, make_session, n=3, passing=(True, True, True))
    heard: list[tuple[str, int, int]] = []
    result = issue_session(db, lambda *step: heard.append(step), session_id=session.id,
                           issued_by=None, decision_number=None,
                           requested_at="2026-11-25T02:00:00+00:00",
                           issuer=issuer_arguments(signing_key))
    assert [(done, total) for _phase, done, total in heard] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert [c["candidate_number"] for c in result["issued"]] == ["BN0001", "BN0002", "BN0003"]
    assert result["refused"] == []


def test_a_double_submit_of_the_form_gives_one_job_and_one_set_of_certificates(
        db, make_session, staff):
    """The same confirmation form posted twice (a double-click, a resend after the first
    ended) is sent to the job the first started: one job, one set of certificates."""
    client, token = staff
    session = approved_session(db, make_session, n=2, passing=(True, True))
    form = seen_job(client, session.id)
    first = issue(client, token, session.id, seen_job=form)
    finished_page(client, first)
    second = issue(client, token, session.id, seen_job=form)
    assert job_id_of(second) == job_id_of(first)
    assert "Đã cấp 2 chứng chỉ." in finished_page(client, second).get_data(as_text=True)
    assert certificates(db) == 2
    # a fresh confirmation after the batch is another run, which finds nothing left to issue
    again = issue(client, token, session.id, seen_job=seen_job(client, session.id))
    assert job_id_of(again) != job_id_of(first)
    assert "Đã cấp 0 chứng chỉ." in finished_page(client, again).get_data(as_text=True)
    assert certificates(db) == 2


def test_a_second_click_while_a_job_runs_is_sent_to_that_job_even_from_a_colleague(
        app, db, make_session, make_user, staff, signing_key, tmp_path, monkeypatch):
    client, token = staff
    make_user("canbo2")
    colleague = app.test_client()
    colleague_token = login(colleague, "canbo2")
    monkeypatch.setattr("certs.staff_web.ISSUE_TARGET", f"{HERE}:issue_when_released")
    monkeypatch.setattr("certs.staff_web._issuer_arguments",
                        lambda: {"release": str(tmp_path / "go"),
                                 **issuer_arguments(signing_key)})
    session = approved_session(db, make_session, n=3, passing=(True, False, True))
    colleague_form = seen_job(colleague, session.id)  # both open the confirmation at once
    first = issue(client, token, session.id, seen_job=seen_job(client, session.id))
    second = issue(colleague, colleague_token, session.id, seen_job=colleague_form)
    assert job_id_of(second) == job_id_of(first)
    assert colleague.get(second.headers["Location"]).status_code == 200  # staff may follow it
    # a confirmation opened while the job runs names it, and is sent to it as well
    third = issue(colleague, colleague_token, session.id,
                  seen_job=seen_job(colleague, session.id))
    assert job_id_of(third) == job_id_of(first)
    (tmp_path / "go").touch()
    assert "Đã cấp 2 chứng chỉ." in finished_page(colleague, second).get_data(as_text=True)
    assert certificates(db) == 2
    issued = db.scalar(select(func.count(RegisterEntry.id)).where(RegisterEntry.kind == "issue"))
    assert issued == 2


def test_issuing_for_a_session_not_approved_is_refused_with_a_clear_message(
        db, make_session, staff):
    client, token = staff
    session = make_session(n_candidates=2)
    refused = issue(client, token, session.id, seen_job=seen_job(client, session.id))
    assert refused.status_code == 409
    assert "Chỉ cấp chứng chỉ khi kết quả ca thi đã được duyệt." in refused.get_data(as_text=True)
    assert certificates(db) == 0


def test_a_job_that_finds_the_session_not_approved_shows_why_nothing_was_issued(
        app, db, make_session, staff, signing_key):
    """The job checks again under the session's lock (the request's check may be stale)."""
    client, _token = staff
    session = make_session(n_candidates=1)
    db.commit()
    job_id = start_job(ISSUE_TARGET, user_id=1, kind=ISSUE_KIND,
                       cache=app.extensions["cache"], sessions=app.extensions["db_sessions"],
                       arguments={"session_id": session.id, "issued_by": None,
                                  "decision_number": None,
                                  "requested_at": "2026-11-25T02:00:00+00:00",
                                  "issuer": issuer_arguments(signing_key)})
    remember_issue_job(app.extensions["cache"], session.id, job_id, user_id=1)
    assert wait_for_job(job_id, 60)
    page = client.get(f"/can-bo/ca-thi/{session.id}/cap-chung-chi/viec/{job_id}")
    assert page.status_code == 409
    assert ("Không cấp chứng chỉ nào: Chỉ cấp chứng chỉ khi kết quả ca thi đã được duyệt."
            in page.get_data(as_text=True))
    with pytest.raises(JobFailed, match="đã được duyệt"):
        issue_session(db, lambda *_: None, session_id=session.id, issued_by=None,
                      decision_number=None, requested_at="2026-11-25T02:00:00+00:00",
                      issuer=issuer_arguments(signing_key))


def test_only_staff_follow_an_issuing_job_and_only_by_its_own_session(
        app, db, make_session, make_user, staff):
    client, token = staff
    session = approved_session(db, make_session, n=1, passing=(True,))
    other = make_session(n_candidates=1)
    started = issue(client, token, session.id, seen_job=seen_job(client, session.id))
    job_id = job_id_of(started)
    finished_page(client, started)
    for role in (Role.PROCTOR, Role.TEACHER, Role.REVIEWER, Role.STUDENT):
        outsider = app.test_client()
        login(outsider, make_user(f"u_{role.value}", role).username)
        assert outsider.get(started.headers["Location"]).status_code == 403, role
    admin = app.test_client()
    login(admin, make_user("quantri", Role.ADMIN).username)
    assert admin.get(started.headers["Location"]).status_code == 200
    anonymous = app.test_client().get(started.headers["Location"])
    assert anonymous.status_code == 302 and "/dang-nhap" in anonymous.headers["Location"]
    # another session's URL, an unknown id: the same 404
    assert client.get(f"/can-bo/ca-thi/{other.id}/cap-chung-chi/viec/{job_id}").status_code == 404
    assert client.get(f"/can-bo/ca-thi/{session.id}/cap-chung-chi/tien-do/"
                      f"{'x' * 32}").status_code == 404


def test_a_job_id_of_another_kind_is_not_an_issuing_job(app, db, make_session, staff):
    """A bank import's job id, even recorded against the session, shows nothing here."""
    client, _token = staff
    session = make_session(n_candidates=1)
    job_id = start_job(lambda _db, _progress: {"created": 0}, user_id=1, kind="bank-import",
                       cache=app.extensions["cache"], sessions=app.extensions["db_sessions"])
    assert wait_for_job(job_id, 60)
    remember_issue_job(app.extensions["cache"], session.id, job_id, user_id=1)
    assert client.get(f"/can-bo/ca-thi/{session.id}/cap-chung-chi/viec/{job_id}"
                      ).status_code == 404


# ---- on the real queue: RQ on Redis, an `exam-engine worker` process --------------------------

@pytest.mark.slow
def test_a_worker_process_issues_the_batch_and_the_page_follows_it(
        app_config, db, make_session, make_user, tmp_path):
    from exam_engine import create_app
    from tests.exam_engine.test_jobs_queue import Workers, _redis_cache, worker_environment
    _redis_cache()  # skips (fails on CI) without Redis
    queue = f"test-{uuid.uuid4().hex}"
    app = create_app({**app_config, "REDIS_URL": REDIS_URL, "JOB_QUEUE": queue})
    workers = Workers(worker_environment(app_config["DATABASE_URL"], queue, tmp_path / "spool"),
                      tmp_path)
    try:
        session = approved_session(db, make_session, n=3, passing=(True, False, True))
        make_user("canbo")
        client = app.test_client()
        token = login(client, "canbo")
        started = issue(client, token, session.id, seen_job=seen_job(client, session.id))
        progress_url = started.headers["Location"].replace("/viec/", "/tien-do/")
        queued = client.get(progress_url).get_json()
        assert (queued["status"], queued["phase"]) == ("running", "Đang chờ tiến trình nền")
        assert certificates(db) == 0  # nothing issued inside the request
        # a second click while it waits in the queue is sent to the same job
        again = issue(client, token, session.id, seen_job=seen_job(client, session.id))
        assert job_id_of(again) == job_id_of(started)
        workers.start()
        deadline = time.monotonic() + 120
        while (job := client.get(progress_url).get_json())["status"] == "running":
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert (job["status"], job["done"], job["total"]) == ("done", 2, 2)
        page = client.get(started.headers["Location"]).get_data(as_text=True)
        assert "Đã cấp 2 chứng chỉ." in page and "BN0001" in page and "BN0003" in page
        assert certificates(db) == 2
    finally:
        workers.stop()
        app.extensions["db_engine"].dispose()
